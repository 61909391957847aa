/* Device credentials (vendor key and certificate) made ahead of power-on, on a second thread,
 * each from its eNB's own stream so the bytes do not depend on thread timing. */
#include "sim/es_run_priv.h"

/* A factory credential (key and vendor-signed certificate) is no part of the enrolment, but
 * making one costs as much CPU as a tenth of it: a second thread makes them, in power-on
 * order, at most FACTORY_AHEAD ahead (so an idle eNB still holds no OpenSSL state), each from
 * the eNB's own factory stream so the bytes do not depend on thread timing. Unless the run is
 * on one thread, it also prepares each eNB's first request (es_enb_prepare): that needs
 * nothing the simulation decides, only the power-on time, so it can be made long before
 * (es_ahead.c). */
#define FACTORY_AHEAD 256

typedef struct {
  X509 *cert;
  EVP_PKEY *key;
} Device;

struct EsFactory {
  const EsRollout *rollout;
  const EsPki *pki;
  const guint8 *hostile;        /* per eNB number: its EsHostile class; NULL: none is */
  const EsPki *foreign_vendor;  /* issues the unknown vendor's device certificates */
  gint64 epoch;
  EsKeyPool *pool; /* device keys come from it (RSA), in power-on order as before */
  EsEnb **enbs;    /* by number: eNBs to prepare here; NULL: hand the credentials over */
  EsKeyType key_type;
  guint64 seed;
  EsAhead *thread;
  Device ring[FACTORY_AHEAD]; /* credential of the i-th eNB to power on at ring[i % AHEAD] */
};

/* The device certificate eNB `enb` leaves the factory with: its vendor's, unless hostile. */
static X509 *factory_device_cert(EsFactory *f, guint enb, EVP_PKEY *key)
{
  switch (f->hostile != NULL ? f->hostile[enb] : HOSTILE_NONE) {
  case HOSTILE_UNKNOWN_VENDOR:
    return es_pki_issue_device(f->foreign_vendor, enb, key, NULL);
  case HOSTILE_EXPIRED_DEVICE:
    /* Valid for a year that ended a day before the epoch: a unit that sat in a warehouse. */
    return es_pki_issue_device_dated(f->pki, enb, key, f->epoch - 366 * 86400,
                                     f->epoch - 86400, NULL);
  default:
    return es_pki_issue_device(f->pki, enb, key, NULL);
  }
}

static Device factory_make(EsFactory *f, guint enb)
{
  EsRand *rand = es_rand_new(f->seed, ES_STREAM_DEVICE(enb));
  EsRand *prev = es_rand_set_current(rand);
  Device d = {NULL, NULL};
  d.key = f->pool != NULL ? es_key_pool_get1(f->pool) : es_key_generate(f->key_type, NULL);
  if (d.key != NULL)
    d.cert = factory_device_cert(f, enb, d.key);
  /* A failure leaves the eNB to make its own (genuine) credential at power-on. */
  if (d.cert == NULL)
    g_clear_pointer(&d.key, EVP_PKEY_free);
  ERR_clear_error();
  es_rand_set_current(prev);
  es_rand_free(rand);
  return d;
}

/* Gives eNB `enb` the credential (if one was made) and frees the factory's references. */
static void device_give(Device d, EsEnb *enb)
{
  if (d.cert != NULL)
    es_enb_set1_device(enb, d.cert, d.key);
  X509_free(d.cert);
  EVP_PKEY_free(d.key);
}

/* On the factory thread: the i-th eNB to power on. */
static void factory_item(guint i, void *arg)
{
  EsFactory *f = arg;
  guint enb = es_rollout_nth(f->rollout, i);
  Device d = factory_make(f, enb);
  if (f->enbs != NULL) {
    device_give(d, f->enbs[enb]);
    d = (Device){NULL, NULL};
    es_enb_prepare(f->enbs[enb], es_rollout_time(f->rollout, enb));
  }
  f->ring[i % FACTORY_AHEAD] = d;
}

EsFactory *es_factory_new(const EsRollout *rollout, const EsPki *pki, EsKeyPool *pool,
                            guint64 seed, const guint8 *hostile, const EsPki *foreign_vendor,
                            gint64 epoch, EsEnb **prepare, gboolean threaded)
{
  /* One malloc arena: with a second one, the credentials made here and freed (or extended,
   * OpenSSL caches into keys and certificates) on the main thread made glibc spend a third of
   * the main thread's time consolidating free lists (measured: 10.9 s against 6.8 s of CPU
   * for 1000 eNBs). The factory allocates little, so sharing the arena costs nothing. */
  if (threaded)
    mallopt(M_ARENA_MAX, 1);
  EsFactory *f = g_new0(EsFactory, 1);
  f->rollout = rollout;
  f->pki = pki;
  f->pool = pool;
  f->hostile = hostile;
  f->foreign_vendor = foreign_vendor;
  f->epoch = epoch;
  f->enbs = prepare;
  f->key_type = es_pki_get_key_type(pki);
  f->seed = seed;
  /* Without a thread (--one-thread) each credential is made at its power-on instead, from the
   * same stream: the same bytes. */
  if (threaded)
    f->thread = es_ahead_new("es-factory", es_rollout_enbs(rollout), FACTORY_AHEAD,
                             factory_item, f);
  return f;
}

/* Gives the i-th eNB to power on its credential (waiting for it if the factory is behind).
 * TRUE when the factory prepared the eNB's first request as well. */
gboolean es_factory_hand_over(EsFactory *f, guint i, EsEnb *enb)
{
  if (f->thread == NULL) {
    device_give(factory_make(f, es_rollout_nth(f->rollout, i)), enb);
    return FALSE;
  }
  es_ahead_wait(f->thread, i);
  Device d = f->ring[i % FACTORY_AHEAD];
  f->ring[i % FACTORY_AHEAD] = (Device){NULL, NULL};
  es_ahead_release(f->thread, i);
  device_give(d, enb);
  return f->enbs != NULL;
}

void es_factory_free(EsFactory *f)
{
  if (f == NULL)
    return;
  es_ahead_free(f->thread);
  for (guint i = 0; i < FACTORY_AHEAD; i++) {
    X509_free(f->ring[i].cert);
    EVP_PKEY_free(f->ring[i].key);
  }
  g_free(f);
}

/* A simulated run: every source of randomness is a stream of the run's seed, every delay an
 * engine timer, so the same scenario and seed give the same files. */
#include "sim/es_run.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "pki/es_ca.h"
#include "pki/es_clock.h"
#include "nodes/es_enb.h"
#include "pki/es_pki.h"
#include "results/es_queue_log.h"
#include "nodes/es_raca.h"
#include "pki/es_rand.h"
#include "results/es_revocation_log.h"
#include "topologies/es_rollout.h"
#include "engines/es_sim.h"
#include "results/es_summary.h"
#include "topologies/es_topology.h"

G_DEFINE_QUARK(es-run-error-quark, es_run_error)

/* Randomness streams of a run, besides one per eNB (stream = eNB number). */
#define STREAM_PKI G_GUINT64_CONSTANT(0x9e1a000000000001)
#define STREAM_SCHEDULE G_GUINT64_CONSTANT(0x9e1a000000000002)
#define STREAM_KEY_POOL G_GUINT64_CONSTANT(0x9e1a000000000003)
#define STREAM_HOSTILE G_GUINT64_CONSTANT(0x9e1a000000000004)   /* which eNBs are hostile */
#define STREAM_HOSTILE_PKI G_GUINT64_CONSTANT(0x9e1a000000000005) /* unknown vendor, rogue */
/* eNB k's factory credential: stream STREAM_DEVICE + k, apart from the eNB's own stream k. */
#define STREAM_DEVICE G_GUINT64_CONSTANT(0xde71ce0000000000)
/* Derives the seed of RA/CA r >= 1 (RA/CA 0 keeps the run's seed, as with one RA/CA). */
#define RACA_SEED_STEP G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)

#define RSA_POOL_SIZE 32

/* The rogue RA/CA listens on every RA/CA node at this port; the eNBs it answers connect
 * there, over the same path as to the genuine RA/CA. */
#define ROGUE_PORT 8080

/* Hostile and broken eNBs (hostile.* keys): at most one class each. */
typedef enum {
  HOSTILE_NONE,
  HOSTILE_UNKNOWN_VENDOR, /* device certificate of a vendor root the RA/CA does not know */
  HOSTILE_EXPIRED_DEVICE, /* device certificate expired at the epoch */
  HOSTILE_ROGUE_RACA,     /* answered by an RA/CA that has no cross certificate of the vendor */
  HOSTILE_CLASSES
} Hostile;
static const char *const hostile_names[HOSTILE_CLASSES] = {
  "none", "unknown_vendor", "expired_device", "rogue_raca"};

typedef struct Factory Factory;
typedef struct Progress Progress;

typedef struct {
  const EsScenario *sc;
  const EsRunOptions *options;
  EsPki *pki;
  EsKeyPool *new_pool, *device_pool;
  EsTopology *topo;
  EsSim *sim;
  EsEngine *engine;
  EsRaca *raca;
  EsRecorder *recorder;
  EsEnb **enbs;                /* 1..N */
  GHashTable *serial_to_enb;   /* issued serial (hex) -> eNB number */
  char *certs_dir;
  guint finished;
  double last_activity_s;
  GError *write_error;         /* first failure writing a certificate file or signing a CRL */
  EsQueueLog *queue_log;       /* RA/CA queues over time: raca_queue.csv */
  guint64 revocations[16];     /* by EsRacaRevokeCause */
  char *started_at;            /* wall-clock start, ISO 8601 UTC */
  EsRollout *rollout;          /* power-on times and order */
  guint powered_on;            /* eNBs of the rollout order started so far */
  EsRaca **racas;              /* RA/CA r, 0..n_racas-1; racas[0] is raca */
  guint n_racas;
  Factory *factory;            /* device credentials made ahead on a second thread */
  Progress *progress;          /* the progress line on a terminal, or NULL */
  EsOffload *offload;          /* the eNBs' crypto beside the event loop */
  guint enrolled;
  guint64 held_valid, held_revoked; /* operator certificates the eNBs end with */
  EsCa *ca;                    /* the operator CA every RA/CA of the run issues from */
  EsPki *raca_pki;             /* the RA/CAs' hierarchy: pki, less the cross cert if !raca.cross */
  EsRevocationLog *revocation_log; /* revocations.csv */
  X509_CRL *crl;               /* the last CRL published */
  guint64 crl_timer;
  guint crl_ticks;             /* periodic CRLs so far */
  guint8 *hostile;             /* per eNB number 0..N: its Hostile class; NULL when none is */
  guint hostile_enbs[HOSTILE_CLASSES];
  EsPki *foreign_vendor;       /* the unknown vendor's hierarchy */
  EsPki *rogue_pki;
  EsRaca *rogue;               /* serves the hostile.rogue_raca eNBs */
} Run;

/* The eNB number in a subject CN=enb-<n>, 0 if none. */
static guint enb_of_name(const X509_NAME *name)
{
  char cn[64] = "";
  guint n = 0;
  X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, cn, sizeof cn);
  return sscanf(cn, "enb-%u", &n) == 1 ? n : 0;
}

static guint enb_of_cert(X509 *cert) { return enb_of_name(X509_get_subject_name(cert)); }

static void on_issued(void *arg, X509 *cert, double t)
{
  Run *run = arg;
  guint n = enb_of_cert(cert);
  (void)t;
  if (n < 1 || n > run->sc->enbs)
    return;
  char *serial = es_serial_hex(X509_get0_serialNumber(cert));
  /* The CSV names the certificate an enrolled eNB holds (its session records it when it
   * ends); before that, the one last issued to it. */
  const char *outcome = es_recorder_get_outcome(run->recorder, n);
  if (outcome == NULL || strcmp(outcome, "enrolled") != 0) {
    es_recorder_set_serial(run->recorder, n, serial);
    es_recorder_set_revoked(run->recorder, n, FALSE);
  }
  g_hash_table_insert(run->serial_to_enb, serial, GUINT_TO_POINTER(n));
}

static void on_revoked(void *arg, X509 *cert, EsRacaRevokeCause cause, double t)
{
  Run *run = arg;
  char *serial = es_serial_hex(X509_get0_serialNumber(cert));
  guint n = GPOINTER_TO_UINT(g_hash_table_lookup(run->serial_to_enb, serial));
  const char *latest = n != 0 ? es_recorder_get_serial(run->recorder, n) : NULL;
  if ((guint)cause < G_N_ELEMENTS(run->revocations))
    run->revocations[cause]++;
  if (latest != NULL && strcmp(latest, serial) == 0)
    es_recorder_set_revoked(run->recorder, n, TRUE);
  run->last_activity_s = MAX(run->last_activity_s, t);
  g_free(serial);
}

/* Per eNB, as the recorder sums them into retransmissions.raca_duplicates (racas.<r> counts
 * every duplicate, those of transactions that issued nothing too). */
static void on_duplicate(void *arg, const X509_NAME *subject, double t)
{
  Run *run = arg;
  guint n = subject != NULL ? enb_of_name(subject) : 0;
  (void)t;
  if (n >= 1 && n <= run->sc->enbs)
    es_recorder_add_count(run->recorder, n, ES_COUNT_RACA_DUPLICATES, 1);
}

static void on_queue_changed(void *arg, guint raca, guint waiting, guint busy, double t)
{
  es_queue_log_record(((Run *)arg)->queue_log, raca, waiting, busy, t);
}

/* ---- revocations and CRLs ---------------------------------------------------------------- */

/* Every issue and revocation of the run's RA/CAs, for revocations.csv. */
static void on_raca_event(void *arg, const EsRacaEvent *ev)
{
  Run *run = arg;
  char *serial = es_serial_hex(X509_get0_serialNumber(ev->cert));
  if (ev->kind == ES_RACA_EVENT_ISSUED)
    es_revocation_log_issued(run->revocation_log, serial, enb_of_cert(ev->cert), ev->t);
  else
    es_revocation_log_revoked(run->revocation_log, serial, enb_of_cert(ev->cert),
                              es_raca_revoke_cause_name(ev->cause),
                              es_raca_reason_name(ev->reason), ev->t);
  g_free(serial);
}

/* Signs a CRL of everything revoked so far, dated now, and notes the revocations it is the
 * first to list. The last one becomes crl.pem. */
static gboolean publish_crl(Run *run, GError **error)
{
  double now = es_engine_now(run->engine);
  gint64 wall = run->sc->epoch + (gint64)now;
  X509_CRL *crl = es_ca_get1_crl(run->ca, wall, wall + (gint64)run->sc->crl_validity_s, error);
  if (crl == NULL)
    return FALSE;
  X509_CRL_free(run->crl);
  run->crl = crl;
  es_revocation_log_published(run->revocation_log, now);
  return TRUE;
}

/* raca.crl_interval: a CRL at every multiple of the interval (absolute times, so they do not
 * drift). The run ends at es_sim_stop (every eNB finished) or at the stop time, never by
 * running out of events, so this timer, always pending, does not keep it alive. */
static void on_crl_due(void *arg)
{
  Run *run = arg;
  GError *error = NULL;
  if (!publish_crl(run, &error)) {
    if (run->write_error == NULL)
      run->write_error = error;
    else
      g_error_free(error);
  }
  run->crl_ticks++;
  run->crl_timer = es_sim_timer_add_at(run->sim, (run->crl_ticks + 1) * run->sc->crl_interval_s,
                                       on_crl_due, run);
}

static void crl_start(Run *run)
{
  if (run->sc->crl_interval_s > 0)
    run->crl_timer = es_sim_timer_add_at(run->sim, run->sc->crl_interval_s, on_crl_due, run);
}

static void on_stop(void *arg)
{
  es_sim_stop(((Run *)arg)->sim);
}

/* Transactions still waiting for a certConf, over every RA/CA. */
static guint open_transactions(Run *run)
{
  guint open = 0;
  for (guint r = 0; r < run->n_racas; r++) {
    EsRacaStats st;
    es_raca_get_stats(run->racas[r], &st);
    open += st.open_transactions;
  }
  return open;
}

static void on_renew_due(void *arg)
{
  es_enb_renew(arg);
}

static void on_enb_done(void *arg, EsEnb *enb, const char *outcome, X509 *cert)
{
  Run *run = arg;
  /* enb.renew_after: an enrolled eNB renews (kur) that much later and is finished then. */
  if (cert != NULL && run->sc->enb_renew_after_s > 0 && es_enb_get_operation(enb) == ES_ENB_ENROL) {
    run->enrolled++;
    es_engine_timer_add(run->engine, run->sc->enb_renew_after_s, on_renew_due, enb);
    return;
  }
  run->finished++;
  if (strcmp(outcome, "enrolled") == 0)
    run->enrolled++;
  run->last_activity_s = MAX(run->last_activity_s, es_engine_now(run->engine));
  if (cert != NULL && run->certs_dir != NULL && run->write_error == NULL) {
    char name[32];
    g_snprintf(name, sizeof name, "enb-%u.pem", es_enb_get_number(enb));
    char *path = g_build_filename(run->certs_dir, name, NULL);
    es_pem_save_cert(path, cert, &run->write_error);
    g_free(path);
  }
  if (run->finished == run->sc->enbs) {
    /* A certificate whose certConf never came is revoked within confirm-wait: run on that
     * long only if some transaction is still open. */
    if (open_transactions(run) == 0)
      es_sim_stop(run->sim);
    else
      es_engine_timer_add(run->engine, run->sc->confirm_wait_s + 0.001, on_stop, run);
  }
}

/* OpenSSL's clock during a run: the scenario's epoch plus simulated time. */
static gint64 run_clock(void *arg)
{
  Run *run = arg;
  return run->sc->epoch + (run->engine != NULL ? (gint64)es_engine_now(run->engine) : 0);
}

static gboolean factory_hand_over(Factory *f, guint i, EsEnb *enb);

/* Powers on the next eNB of the rollout and schedules the one after: one pending power-on
 * event at a time, however many eNBs wait (a scheduler holding 100k of them is slower for
 * every other event too). */
static void on_power_on(void *arg)
{
  Run *run = arg;
  guint i = run->powered_on++;
  guint enb = es_rollout_nth(run->rollout, i);
  if (run->powered_on < es_rollout_enbs(run->rollout)) {
    guint next = es_rollout_nth(run->rollout, run->powered_on);
    es_sim_timer_add_at(run->sim, es_rollout_time(run->rollout, next), on_power_on, run);
  }
  if (!factory_hand_over(run->factory, i, run->enbs[enb]))
    es_enb_prepare(run->enbs[enb], es_rollout_time(run->rollout, enb));
  es_enb_start(run->enbs[enb]);
}

/* ---- device credentials, made ahead ------------------------------------------------------ */

/* A factory credential (key and vendor-signed certificate) is no part of the enrolment, but
 * making one costs as much CPU as a tenth of it: a second thread makes them, in power-on
 * order, at most FACTORY_AHEAD ahead (so an idle eNB still holds no OpenSSL state), each from
 * the eNB's own factory stream so the bytes do not depend on thread timing. Unless the run is
 * on one thread, it also prepares each eNB's first request (es_enb_prepare): that needs
 * nothing the simulation decides, only the power-on time, so it can be made long before.
 * It works in bursts: woken only when half the ring is used up, it refills it and sleeps
 * again. A thread that is awake makes every munmap on the main thread (fiber stacks, malloc)
 * interrupt its core to flush the TLB, and wakes cost system calls on both sides: woken per
 * credential it cost the main thread more than it saved. */
#define FACTORY_AHEAD 256
#define FACTORY_LOW_WATER (FACTORY_AHEAD / 2)

typedef struct {
  X509 *cert;
  EVP_PKEY *key;
} Device;

struct Factory {
  const EsRollout *rollout;
  const EsPki *pki;
  const guint8 *hostile;        /* per eNB number: its Hostile class; NULL: none is */
  const EsPki *foreign_vendor;  /* issues the unknown vendor's device certificates */
  gint64 epoch;
  EsKeyPool *pool; /* device keys come from it (RSA), in power-on order as before */
  EsEnb **enbs;    /* by number: eNBs to prepare here; NULL: hand the credentials over */
  EsKeyType key_type;
  guint64 seed;
  guint n;
  GThread *thread;
  GMutex lock;
  GCond changed;
  Device ring[FACTORY_AHEAD]; /* credential of the i-th eNB to power on at ring[i % AHEAD] */
  guint made, taken;
  gboolean stop;
  gboolean factory_waits, main_waits; /* who sleeps on `changed` */
};

/* The device certificate eNB `enb` leaves the factory with: its vendor's, unless hostile. */
static X509 *factory_device_cert(Factory *f, guint enb, EVP_PKEY *key)
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

static Device factory_make(Factory *f, guint enb)
{
  EsRand *rand = es_rand_new(f->seed, STREAM_DEVICE + enb);
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

static gpointer factory_main(gpointer data)
{
  Factory *f = data;
  for (guint i = 0; i < f->n; i++) {
    g_mutex_lock(&f->lock);
    while (!f->stop && i - f->taken >= FACTORY_AHEAD) {
      f->factory_waits = TRUE;
      g_cond_wait(&f->changed, &f->lock);
    }
    f->factory_waits = FALSE;
    gboolean stop = f->stop;
    g_mutex_unlock(&f->lock);
    if (stop)
      break;
    guint enb = es_rollout_nth(f->rollout, i);
    Device d = factory_make(f, enb);
    if (f->enbs != NULL) {
      if (d.cert != NULL)
        es_enb_set1_device(f->enbs[enb], d.cert, d.key);
      X509_free(d.cert);
      EVP_PKEY_free(d.key);
      d = (Device){NULL, NULL};
      es_enb_prepare(f->enbs[enb], es_rollout_time(f->rollout, enb));
    }
    g_mutex_lock(&f->lock);
    f->ring[i % FACTORY_AHEAD] = d;
    f->made = i + 1;
    if (f->main_waits)
      g_cond_broadcast(&f->changed);
    g_mutex_unlock(&f->lock);
  }
  OPENSSL_thread_stop();
  return NULL;
}

static Factory *factory_new(const EsRollout *rollout, const EsPki *pki, EsKeyPool *pool,
                            guint64 seed, const guint8 *hostile, const EsPki *foreign_vendor,
                            gint64 epoch, EsEnb **prepare, gboolean threaded)
{
  /* One malloc arena: with a second one, the credentials made here and freed (or extended,
   * OpenSSL caches into keys and certificates) on the main thread made glibc spend a third of
   * the main thread's time consolidating free lists (measured: 10.9 s against 6.8 s of CPU
   * for 1000 eNBs). The factory allocates little, so sharing the arena costs nothing. */
  if (threaded)
    mallopt(M_ARENA_MAX, 1);
  Factory *f = g_new0(Factory, 1);
  f->rollout = rollout;
  f->pki = pki;
  f->pool = pool;
  f->hostile = hostile;
  f->foreign_vendor = foreign_vendor;
  f->epoch = epoch;
  f->enbs = prepare;
  f->key_type = es_pki_get_key_type(pki);
  f->seed = seed;
  f->n = es_rollout_enbs(rollout);
  g_mutex_init(&f->lock);
  g_cond_init(&f->changed);
  /* Without a thread (--one-thread) each credential is made at its power-on instead, from the
   * same stream: the same bytes. */
  if (threaded)
    f->thread = g_thread_new("es-factory", factory_main, f);
  return f;
}

/* Gives the i-th eNB to power on its credential (waiting for it if the factory is behind).
 * TRUE when the factory prepared the eNB's first request as well. */
static gboolean factory_hand_over(Factory *f, guint i, EsEnb *enb)
{
  if (f->thread == NULL) {
    Device d = factory_make(f, es_rollout_nth(f->rollout, i));
    if (d.cert != NULL)
      es_enb_set1_device(enb, d.cert, d.key);
    X509_free(d.cert);
    EVP_PKEY_free(d.key);
    return FALSE;
  }
  g_mutex_lock(&f->lock);
  while (f->made <= i) {
    f->main_waits = TRUE;
    g_cond_wait(&f->changed, &f->lock);
  }
  f->main_waits = FALSE;
  Device d = f->ring[i % FACTORY_AHEAD];
  f->ring[i % FACTORY_AHEAD] = (Device){NULL, NULL};
  f->taken = i + 1;
  if (f->factory_waits && f->made - f->taken <= FACTORY_LOW_WATER)
    g_cond_broadcast(&f->changed);
  g_mutex_unlock(&f->lock);
  if (d.cert != NULL)
    es_enb_set1_device(enb, d.cert, d.key);
  X509_free(d.cert);
  EVP_PKEY_free(d.key);
  return f->enbs != NULL;
}

static void factory_free(Factory *f)
{
  if (f == NULL)
    return;
  g_mutex_lock(&f->lock);
  f->stop = TRUE;
  g_cond_broadcast(&f->changed);
  g_mutex_unlock(&f->lock);
  if (f->thread != NULL)
    g_thread_join(f->thread);
  for (guint i = f->taken; i < f->made; i++) {
    X509_free(f->ring[i % FACTORY_AHEAD].cert);
    EVP_PKEY_free(f->ring[i % FACTORY_AHEAD].key);
  }
  g_mutex_clear(&f->lock);
  g_cond_clear(&f->changed);
  g_free(f);
}

/* ---- progress line ------------------------------------------------------------------------ */

/* Reports on stderr a few times per wall-second, only on a terminal: simulated time,
 * enrolled/total, events per wall-second and an estimate of the time left. */
#define PROGRESS_INTERVAL_US 250000

struct Progress {
  gint64 start_us, last_us;
  guint64 last_events;
  gboolean shown;
};

static void progress_tick(void *arg)
{
  Run *run = arg;
  Progress *p = run->progress;
  gint64 now = g_get_monotonic_time();
  if (now - p->last_us < PROGRESS_INTERVAL_US)
    return;
  guint64 events = es_sim_get_events(run->sim);
  double dt = (now - p->last_us) / 1e6, elapsed = (now - p->start_us) / 1e6;
  guint n = run->sc->enbs;
  char eta[32] = "--";
  if (run->finished > 0 && run->finished < n) {
    guint left = (guint)((double)(n - run->finished) * elapsed / run->finished);
    g_snprintf(eta, sizeof eta, "%u:%02u", left / 60, left % 60);
  }
  fprintf(stderr, "\r\033[Ksim %.3f s | enrolled %u/%u (%u failed) | %.0f events/s | ETA %s",
          es_engine_now(run->engine), run->enrolled, n, run->finished - run->enrolled,
          (events - p->last_events) / dt, eta);
  fflush(stderr);
  p->last_us = now;
  p->last_events = events;
  p->shown = TRUE;
}

static void progress_start(Run *run)
{
  if (run->options->quiet || !isatty(STDERR_FILENO))
    return;
  run->progress = g_new0(Progress, 1);
  run->progress->start_us = run->progress->last_us = g_get_monotonic_time();
  es_sim_set_tick(run->sim, progress_tick, run);
}

static void progress_end(Run *run)
{
  if (run->progress == NULL)
    return;
  es_sim_set_tick(run->sim, NULL, NULL);
  if (run->progress->shown)
    fputs("\r\033[K", stderr);
  g_clear_pointer(&run->progress, g_free);
}

/* ---- the plan: network and power-on times ------------------------------------------------- */

static double schedule_uniform(void *arg)
{
  return es_rand_double(arg);
}

/* The topology and the rollout before anything is written: a bad topology file or a schedule
 * that starts no eNB in time is a bad scenario (ES_RUN_ERROR_SCENARIO), not a failed run. */
static gboolean plan(Run *run, GError **error)
{
  GError *inner = NULL;
  EsRand *schedule = es_rand_new(run->sc->seed, STREAM_SCHEDULE);
  if ((run->topo = es_topology_new(run->sc, &inner)) != NULL)
    run->rollout = es_rollout_new(run->sc, schedule_uniform, schedule, &inner);
  es_rand_free(schedule);
  if (inner == NULL && (run->topo == NULL || run->rollout == NULL))
    g_set_error_literal(&inner, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO,
                        "the scenario describes no network (not validated?)");
  if (inner != NULL) {
    g_set_error_literal(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO, inner->message);
    g_error_free(inner);
    return FALSE;
  }
  return TRUE;
}

/* RA/CA r of the topology, serving its eNBs; RA/CA 0 is run->raca. */
static gboolean start_racas(Run *run, const EsRacaConfig *config, const EsRacaObserver *observer,
                            GError **error)
{
  run->n_racas = es_topology_racas(run->topo);
  run->racas = g_new0(EsRaca *, run->n_racas);
  run->racas[0] = run->raca;
  for (guint r = 1; r < run->n_racas; r++) {
    EsRacaConfig rc = *config;
    rc.seed = config->seed + r * RACA_SEED_STEP;
    if ((run->racas[r] = es_raca_new(&rc, run->raca_pki, run->engine, error)) == NULL)
      return FALSE;
  }
  for (guint r = 0; r < run->n_racas; r++) {
    es_raca_set_observer(run->racas[r], observer, run);
    es_raca_set_event_cb(run->racas[r], on_raca_event, run);
    es_raca_attach(run->racas[r], r);
    es_queue_log_record(run->queue_log, r, 0, 0, 0.0);
  }
  return TRUE;
}

/* ---- hostile and broken nodes ----------------------------------------------------------- */

/* Which eNBs are hostile: one draw per eNB from the run's seed, the hostile.* shares slicing
 * [0, 1) in turn, so an eNB is in one class at most and the same eNBs are hostile in every
 * replication of the same seed. */
static void choose_hostile(Run *run)
{
  const EsScenario *sc = run->sc;
  const double share[HOSTILE_CLASSES] = {0, sc->hostile_unknown_vendor,
                                         sc->hostile_expired_device, sc->hostile_rogue_raca};
  if (share[HOSTILE_UNKNOWN_VENDOR] + share[HOSTILE_EXPIRED_DEVICE] + share[HOSTILE_ROGUE_RACA]
      <= 0)
    return;
  run->hostile = g_new0(guint8, sc->enbs + 1);
  EsRand *rand = es_rand_new(sc->seed, STREAM_HOSTILE);
  for (guint k = 1; k <= sc->enbs; k++) {
    double u = es_rand_double(rand), edge = 0;
    for (guint c = HOSTILE_NONE + 1; c < HOSTILE_CLASSES; c++) {
      edge += share[c];
      if (u < edge) {
        run->hostile[k] = (guint8)c;
        run->hostile_enbs[c]++;
        break;
      }
    }
  }
  es_rand_free(rand);
}

/* What the RA/CAs hold (the run's hierarchy, without the cross certificate when raca.cross
 * is false), an unknown vendor's hierarchy and a rogue RA/CA's, as the hostile eNBs need. */
static gboolean make_hostile_pki(Run *run, GError **error)
{
  const EsScenario *sc = run->sc;
  run->raca_pki = es_pki_dup(run->pki);
  if (!sc->raca_cross)
    es_pki_set0_raca_cross(run->raca_pki, NULL);
  if (run->hostile_enbs[HOSTILE_UNKNOWN_VENDOR] == 0 && run->hostile_enbs[HOSTILE_ROGUE_RACA] == 0)
    return TRUE;
  EsRand *rand = es_rand_new(sc->seed, STREAM_HOSTILE_PKI);
  EsRand *prev = es_rand_set_current(rand);
  gboolean ok = TRUE;
  if (run->hostile_enbs[HOSTILE_UNKNOWN_VENDOR] > 0)
    ok = (run->foreign_vendor = es_pki_generate(es_pki_get_key_type(run->pki), sc->epoch,
                                                error)) != NULL;
  if (ok && run->hostile_enbs[HOSTILE_ROGUE_RACA] > 0)
    ok = (run->rogue_pki = es_pki_generate_rogue(run->pki, error)) != NULL;
  es_rand_set_current(prev);
  es_rand_free(rand);
  return ok;
}

/* The rogue RA/CA: a working CMP server of its own hierarchy, whose cross certificate comes
 * from a forged vendor root, listening on ROGUE_PORT of every RA/CA node; its eNBs connect
 * there over the same path as to the genuine one. It issues from a CA of its own, so nothing
 * it does reaches the operator CA, its CRL or revocations.csv. */
static gboolean start_rogue(Run *run, const EsRacaConfig *config, GError **error)
{
  if (run->rogue_pki == NULL)
    return TRUE;
  EsRacaConfig rc = *config;
  rc.ca = NULL;
  rc.seed = config->seed ^ STREAM_HOSTILE_PKI;
  if ((run->rogue = es_raca_new(&rc, run->rogue_pki, run->engine, error)) == NULL)
    return FALSE;
  for (guint r = 0; r < run->n_racas; r++)
    es_sim_serve_port(run->sim, r, ROGUE_PORT, es_raca_on_request, run->rogue);
  for (guint k = 1; k <= run->sc->enbs; k++)
    if (run->hostile[k] == HOSTILE_ROGUE_RACA)
      es_sim_set_enb_port(run->sim, k, ROGUE_PORT);
  return TRUE;
}

/* summary.json "hostile": per class the eNBs in it and how many of them enrolled (0 unless
 * a check is missing), and what the rogue RA/CA issued (every such certificate refused). */
static void summarise_hostile(Run *run, EsSummary *s)
{
  guint enrolled[HOSTILE_CLASSES] = {0};
  for (guint k = 1; run->hostile != NULL && k <= run->sc->enbs; k++) {
    const char *outcome = es_recorder_get_outcome(run->recorder, k);
    if (outcome != NULL && strcmp(outcome, "enrolled") == 0)
      enrolled[run->hostile[k]]++;
  }
  char key[64];
  for (guint c = HOSTILE_NONE + 1; c < HOSTILE_CLASSES; c++) {
    g_snprintf(key, sizeof key, "hostile.%s.enbs", hostile_names[c]);
    es_summary_set_uint(s, key, run->hostile_enbs[c]);
    g_snprintf(key, sizeof key, "hostile.%s.enrolled", hostile_names[c]);
    es_summary_set_uint(s, key, enrolled[c]);
  }
  EsRacaStats st = {0};
  if (run->rogue != NULL)
    es_raca_get_stats(run->rogue, &st);
  es_summary_set_uint(s, "hostile.rogue_raca.issued_by_rogue", st.issued);
}

/* hostile.csv: `enb,class`, one row per hostile eNB (the header alone when none is). */
static gboolean write_hostile_csv(Run *run, const char *path, GError **error)
{
  GString *out = g_string_new("enb,class\n");
  for (guint k = 1; run->hostile != NULL && k <= run->sc->enbs; k++)
    if (run->hostile[k] != HOSTILE_NONE)
      g_string_append_printf(out, "%u,%s\n", k, hostile_names[run->hostile[k]]);
  gboolean ok = g_file_set_contents_full(path, out->str, (gssize)out->len,
                                         G_FILE_SET_CONTENTS_CONSISTENT, 0666, error);
  g_string_free(out, TRUE);
  return ok;
}

static gboolean make_pki(Run *run, EsKeyType pki_key, EsKeyType enb_key, GError **error)
{
  const EsScenario *sc = run->sc;
  EsRand *rand = es_rand_new(sc->seed, STREAM_PKI);
  es_rand_set_current(rand);
  run->pki = es_pki_generate(pki_key, sc->epoch, error);
  es_rand_free(rand);
  if (run->pki == NULL)
    return FALSE;
  if (enb_key != ES_KEY_RSA2048 && pki_key != ES_KEY_RSA2048)
    return TRUE;
  guint size = MIN(sc->enbs, RSA_POOL_SIZE);
  if (!run->options->quiet)
    printf("RSA-2048 keygen costs ~140 ms: eNBs draw their RSA keys from a pool of %u made once "
           "for this run\n", size);
  rand = es_rand_new(sc->seed, STREAM_KEY_POOL);
  es_rand_set_current(rand);
  gboolean ok = TRUE;
  if (enb_key == ES_KEY_RSA2048)
    ok = (run->new_pool = es_key_pool_new(enb_key, size, error)) != NULL;
  if (ok && pki_key == ES_KEY_RSA2048)
    ok = (run->device_pool = es_key_pool_new(pki_key, size, error)) != NULL;
  es_rand_free(rand);
  return ok;
}

/* Issue to revocation, issue to the first CRL listing it, revocation to that CRL (null when
 * nothing was revoked), and the CRLs published. */
static void summarise_revocations(EsSummary *s, const EsRevocationStats *rv)
{
  es_summary_set_double(s, "revocations.time_to_revocation_s.mean", rv->to_revocation_mean);
  es_summary_set_double(s, "revocations.time_to_revocation_s.p50", rv->to_revocation_p50);
  es_summary_set_double(s, "revocations.time_to_revocation_s.max", rv->to_revocation_max);
  es_summary_set_double(s, "revocations.time_to_crl_s.mean", rv->to_crl_mean);
  es_summary_set_double(s, "revocations.time_to_crl_s.p50", rv->to_crl_p50);
  es_summary_set_double(s, "revocations.time_to_crl_s.max", rv->to_crl_max);
  es_summary_set_double(s, "revocations.revocation_to_crl_s.mean", rv->revocation_to_crl_mean);
  es_summary_set_double(s, "revocations.revocation_to_crl_s.p50", rv->revocation_to_crl_p50);
  es_summary_set_double(s, "revocations.revocation_to_crl_s.max", rv->revocation_to_crl_max);
  es_summary_set_uint(s, "crl.published", rv->crls);
  es_summary_set_double(s, "crl.last_s", rv->last_crl_s);
}

/* summary.json: the recorder's metrics, the RA/CA's and the network's counters, wall-clock
 * figures (all under wall_clock) and what it takes to reproduce the run. */
static gboolean write_summary(Run *run, const EsRunResult *result, const char *path,
                              GError **error)
{
  const EsScenario *sc = run->sc;
  g_autoptr(EsSummary) s = es_summary_new();
  es_summary_set_string(s, "scenario", sc->name);
  es_summary_set_uint(s, "seed", sc->seed);
  es_summary_set_uint(s, "replication", run->options->replication);
  es_summary_add_recorder(s, run->recorder);

  EsRacaStats all = {0};
  for (guint r = 0; r < run->n_racas; r++) {
    EsRacaStats st;
    es_raca_get_stats(run->racas[r], &st);
    all.issued += st.issued;
  }
  /* What the links did, and which end of the connections TCP resent from. */
  EsSimLinkStats net;
  es_sim_get_link_stats(run->sim, &net);
  es_summary_set_uint(s, "network.drops.loss", net.drops_loss);
  es_summary_set_uint(s, "network.drops.burst", net.drops_burst);
  es_summary_set_uint(s, "network.drops.outage", net.drops_outage);
  es_summary_set_uint(s, "network.corruptions", net.corruptions);
  es_summary_set_uint(s, "network.tcp_retransmissions.enbs", net.tcp_retransmissions_enbs);
  es_summary_set_uint(s, "network.tcp_retransmissions.racas", net.tcp_retransmissions_racas);
  es_summary_set_uint(s, "network.connections", es_sim_get_connections(run->sim));
  /* The log's rows, which are the RA/CAs' revocations: each is reported once, by one CA. */
  EsRevocationStats rv;
  es_revocation_log_stats(run->revocation_log, &rv);
  es_summary_set_uint(s, "revocations.total", rv.rows);
  /* Every certificate issued is held by its eNB or revoked, but for CMP's two-generals case
   * (an eNB gave up after the RA/CA counted its certConf): unheld_valid. */
  es_summary_set_uint(s, "invariants.issued", all.issued);
  es_summary_set_uint(s, "invariants.held", run->held_valid);
  es_summary_set_uint(s, "invariants.revoked", rv.rows);
  es_summary_set_uint(s, "invariants.unheld_valid",
                      all.issued > run->held_valid + rv.rows ? all.issued - run->held_valid - rv.rows
                                                             : 0);
  es_summary_set_uint(s, "invariants.held_revoked", run->held_revoked);
  es_summary_set_object(s, "revocations.by_reason");
  /* Every cause the RA/CA knows, zeros included, so files of different runs line up. */
  for (guint c = 0; c < G_N_ELEMENTS(run->revocations); c++) {
    const char *name = es_raca_revoke_cause_name((EsRacaRevokeCause)c);
    if (strcmp(name, "unknown") == 0)
      break;
    char *p = g_strconcat("revocations.by_reason.", name, NULL);
    es_summary_set_uint(s, p, run->revocations[c]);
    g_free(p);
  }
  summarise_revocations(s, &rv);
  summarise_hostile(run, s);

  /* One object per RA/CA, named by its number. Utilisation: summed service time over
   * workers x the run's simulated time. */
  double capacity = sc->workers * result->sim_time_s;
  for (guint r = 0; r < run->n_racas; r++) {
    EsRacaStats st;
    EsQueueStats q;
    es_raca_get_stats(run->racas[r], &st);
    es_queue_log_stats(run->queue_log, r, result->sim_time_s, &q);
    char key[64];
#define RACA_KEY(name) (g_snprintf(key, sizeof key, "racas.%u.%s", r, name), key)
    es_summary_set_uint(s, RACA_KEY("workers"), sc->workers);
    es_summary_set_uint(s, RACA_KEY("requests"), st.requests);
    es_summary_set_uint(s, RACA_KEY("issued"), st.issued);
    es_summary_set_uint(s, RACA_KEY("confirmed"), st.confirmed);
    es_summary_set_uint(s, RACA_KEY("revoked"), st.revoked);
    es_summary_set_uint(s, RACA_KEY("errors"), st.errors);
    es_summary_set_uint(s, RACA_KEY("duplicates"), st.duplicates);
    es_summary_set_uint(s, RACA_KEY("busy_rejections"), st.busy);
    es_summary_set_double(s, RACA_KEY("queueing_delay_s.mean"), st.wait_mean_s);
    es_summary_set_double(s, RACA_KEY("queueing_delay_s.max"), st.wait_max_s);
    es_summary_set_double(s, RACA_KEY("busy_s"), st.busy_s);
    es_summary_set_double(s, RACA_KEY("utilisation"), capacity > 0 ? st.busy_s / capacity : 0.0);
    es_summary_set_uint(s, RACA_KEY("max_queue"), st.max_queue);
    es_summary_set_double(s, RACA_KEY("mean_queued"), q.mean_queued);
#undef RACA_KEY
  }

  es_summary_set_double(s, "sim_time_s", result->sim_time_s);
  es_summary_set_uint(s, "events", result->events);

  struct rusage ru;
  es_summary_set_string(s, ES_SUMMARY_WALL_CLOCK ".started_at", run->started_at);
  es_summary_set_double(s, ES_SUMMARY_WALL_CLOCK ".wall_time_s", result->wall_time_s);
  es_summary_set_double(s, ES_SUMMARY_WALL_CLOCK ".enrolments_per_wall_s",
                        result->wall_time_s > 0 ? result->stats.enrolled / result->wall_time_s
                                                : 0.0);
  if (getrusage(RUSAGE_SELF, &ru) == 0)
    es_summary_set_uint(s, ES_SUMMARY_WALL_CLOCK ".peak_rss_kib", (guint64)ru.ru_maxrss);

  es_summary_set_string(s, "attributes.enrolsim_version", es_build_version());
  es_summary_set_string(s, "attributes.git_revision", es_build_git_revision());
  es_summary_set_string(s, "attributes.openssl_version", OpenSSL_version(OPENSSL_VERSION));
  es_summary_set_string(s, "attributes.ns3_version", es_build_ns3_version());
  g_autofree char *glib = g_strdup_printf("%u.%u.%u", glib_major_version, glib_minor_version,
                                          glib_micro_version);
  es_summary_set_string(s, "attributes.glib_version", glib);
  g_autofree char *again = g_strdup_printf(
      "enrolsim run --scenario scenario.ini --replication %u (in this folder)",
      run->options->replication);
  es_summary_set_string(s, "attributes.reproduce", again);
  g_autofree char *effective = es_scenario_to_keyfile(sc);
  if (!es_summary_set_parameters(s, "attributes.parameters", effective, error))
    return FALSE;
  return es_summary_write(s, path, error);
}

static gboolean write_results(Run *run, EsRunResult *result, GError **error)
{
  const char *dir = run->options->out_dir;
  char *queue_csv = g_build_filename(dir, "raca_queue.csv", NULL);
  char *csv = g_build_filename(dir, "enrolments.csv", NULL);
  char *summary = g_build_filename(dir, "summary.json", NULL);
  char *crl_path = g_build_filename(dir, "crl.pem", NULL);
  char *revocations_csv = g_build_filename(dir, "revocations.csv", NULL);
  char *hostile_csv = g_build_filename(dir, "hostile.csv", NULL);
  gboolean ok = es_recorder_write_csv(run->recorder, csv, error)
                && es_queue_log_write_csv(run->queue_log, queue_csv, error)
                && es_revocation_log_write_csv(run->revocation_log, revocations_csv, error)
                && write_hostile_csv(run, hostile_csv, error)
                && write_summary(run, result, summary, error)
                && es_pem_save_crl(crl_path, run->crl, error);
  g_free(revocations_csv);
  g_free(hostile_csv);
  g_free(csv);
  g_free(queue_csv);
  g_free(summary);
  g_free(crl_path);
  if (ok && run->write_error != NULL) {
    g_propagate_error(error, g_steal_pointer(&run->write_error));
    ok = FALSE;
  }
  return ok;
}

static void run_clear(Run *run)
{
  factory_free(run->factory);
  if (run->enbs != NULL)
    for (guint i = 1; i <= run->sc->enbs; i++)
      es_enb_free(run->enbs[i]);
  g_free(run->enbs);
  es_offload_free(run->offload);
  for (guint r = 1; r < run->n_racas; r++)
    es_raca_free(run->racas[r]);
  g_free(run->racas);
  es_rollout_free(run->rollout);
  es_raca_free(run->raca);
  es_raca_free(run->rogue);
  es_sim_free(run->sim);
  es_ca_free(run->ca);
  es_pki_free(run->raca_pki);
  es_pki_free(run->rogue_pki);
  es_pki_free(run->foreign_vendor);
  es_revocation_log_free(run->revocation_log);
  X509_CRL_free(run->crl);
  g_free(run->hostile);
  es_topology_free(run->topo);
  es_recorder_free(run->recorder);
  if (run->serial_to_enb != NULL)
    g_hash_table_destroy(run->serial_to_enb);
  es_key_pool_free(run->new_pool);
  es_key_pool_free(run->device_pool);
  es_pki_free(run->pki);
  g_clear_error(&run->write_error);
  g_free(run->certs_dir);
  es_queue_log_free(run->queue_log);
  g_free(run->started_at);
}

/* ---- --pcap ---------------------------------------------------------------------------- */

typedef struct {
  EsSimNodeKind kind;
  guint first, last; /* inclusive; G_MAXUINT for "every" */
} PcapItem;

static gboolean parse_index(const char *text, guint *out)
{
  guint64 v;
  if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT - 1, &v, NULL))
    return FALSE;
  *out = (guint)v;
  return TRUE;
}

/* Items in `items`; eNB ranges are checked against sc->enbs, RA/CA numbers later. */
static gboolean parse_pcap(const char *spec, const EsScenario *sc, GArray *items, GError **error)
{
  g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
  guint64 nodes = 0;
  for (char **p = parts; *p; p++) {
    g_autofree char *item = g_strstrip(g_strdup(*p));
    char *colon = strchr(item, ':');
    if (colon)
      *colon = '\0';
    PcapItem it = {ES_SIM_NODE_ENB, 1, G_MAXUINT};
    if (strcmp(item, "raca") == 0)
      it = (PcapItem){ES_SIM_NODE_RACA, 0, G_MAXUINT};
    else if (strcmp(item, "enb") != 0) {
      g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO,
                  "--pcap: '%s' is not a node kind (raca, raca:I, enb, enb:I or enb:I-J)", *p);
      return FALSE;
    }
    if (colon) {
      char *dash = strchr(colon + 1, '-');
      if (dash)
        *dash = '\0';
      if (!parse_index(colon + 1, &it.first) || !parse_index(dash ? dash + 1 : colon + 1, &it.last)
          || it.last < it.first) {
        g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO,
                    "--pcap: '%s': expected a number or a range I-J after the colon", *p);
        return FALSE;
      }
    } else if (it.kind == ES_SIM_NODE_ENB) {
      it.last = sc->enbs;
    }
    if (it.kind == ES_SIM_NODE_ENB && (it.first < 1 || it.last > sc->enbs)) {
      g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO,
                  "--pcap: '%s': eNBs are numbered 1 to %u", *p, sc->enbs);
      return FALSE;
    }
    nodes += it.kind == ES_SIM_NODE_ENB ? it.last - it.first + 1 : 1;
    g_array_append_val(items, it);
  }
  if (nodes > ES_RUN_PCAP_MAX) {
    g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO,
                "--pcap: %" G_GUINT64_FORMAT " nodes; at most %d (each keeps a file open)",
                nodes, ES_RUN_PCAP_MAX);
    return FALSE;
  }
  return TRUE;
}

gboolean es_run_check_pcap(const char *spec, const EsScenario *sc, GError **error)
{
  GArray *items = g_array_new(FALSE, FALSE, sizeof(PcapItem));
  gboolean ok = parse_pcap(spec, sc, items, error);
  g_array_unref(items);
  return ok;
}

static gboolean capture(Run *run, const char *dir, EsSimNodeKind kind, guint i, GError **error)
{
  char name[48];
  g_snprintf(name, sizeof name, "%s-%u.pcap", kind == ES_SIM_NODE_ENB ? "enb" : "raca", i);
  char *path = g_build_filename(dir, name, NULL);
  gboolean ok = es_sim_enable_pcap(run->sim, kind, i, path, error);
  g_free(path);
  return ok;
}

/* DIR/pcap/enb-<n>.pcap and raca-<i>.pcap for the nodes --pcap names. */
static gboolean enable_pcap(Run *run, GError **error)
{
  if (run->options->pcap == NULL)
    return TRUE;
  GArray *items = g_array_new(FALSE, FALSE, sizeof(PcapItem));
  char *dir = g_build_filename(run->options->out_dir, "pcap", NULL);
  gboolean ok = parse_pcap(run->options->pcap, run->sc, items, error);
  if (ok && g_mkdir_with_parents(dir, 0755) != 0) {
    g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_IO, "cannot create %s: %s", dir,
                g_strerror(errno));
    ok = FALSE;
  }
  guint racas = es_topology_racas(run->topo);
  for (guint k = 0; ok && k < items->len; k++) {
    const PcapItem *it = &g_array_index(items, PcapItem, k);
    guint64 last = it->kind == ES_SIM_NODE_RACA && it->last == G_MAXUINT ? (guint64)racas - 1
                                                                          : it->last;
    for (guint64 i = it->first; ok && i <= last && last != G_MAXUINT64; i++)
      ok = capture(run, dir, it->kind, (guint)i, error);
  }
  g_array_unref(items);
  g_free(dir);
  return ok;
}

static char *started_at_now(void)
{
  GDateTime *now = g_date_time_new_now_utc();
  char *text = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
  g_date_time_unref(now);
  return text;
}

gboolean es_run_scenario(const EsScenario *sc, const EsRunOptions *options, EsRunResult *result,
                         GError **error)
{
  Run run = {.sc = sc, .options = options};
  EsKeyType pki_key, enb_key;
  gboolean ok = FALSE;
  if (!es_key_type_parse(sc->pki_key, &pki_key, error) || !es_key_type_parse(sc->enb_key, &enb_key, error))
    return FALSE;

  char *effective = es_scenario_to_keyfile(sc);
  char *scenario_path = g_build_filename(options->out_dir, "scenario.ini", NULL);
  char *pki_dir = g_build_filename(options->out_dir, "pki", NULL);
  if (options->keep_certs)
    run.certs_dir = g_build_filename(options->out_dir, "certs", NULL);
  gint64 wall_start = g_get_monotonic_time();
  run.started_at = started_at_now();
  run.queue_log = es_queue_log_new();
  es_rand_install(sc->seed);
  es_clock_set(run_clock, &run);

  if (!plan(&run, error))
    goto out;
  choose_hostile(&run);
  if (g_mkdir_with_parents(options->out_dir, 0755) != 0
      || (run.certs_dir != NULL && g_mkdir_with_parents(run.certs_dir, 0755) != 0)) {
    g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_IO, "cannot create %s: %s",
                run.certs_dir != NULL ? run.certs_dir : options->out_dir, g_strerror(errno));
    goto out;
  }
  if (!g_file_set_contents(scenario_path, effective, -1, error)
      || !make_pki(&run, pki_key, enb_key, error) || !make_hostile_pki(&run, error)
      || !es_pki_save(run.pki, pki_dir, error))
    goto out;

  if ((run.sim = es_sim_new(run.topo, sc->seed, error)) == NULL)
    goto out;
  run.engine = es_sim_get0_engine(run.sim);
  if (!enable_pcap(&run, error))
    goto out;
  run.recorder = es_recorder_new(sc->enbs);
  run.serial_to_enb = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  run.revocation_log = es_revocation_log_new();
  /* One operator CA for every RA/CA: one serial counter, one CRL. */
  run.ca = es_ca_new(es_pki_get0_operator_root(run.pki), es_pki_get0_operator_root_key(run.pki));

  EsRacaConfig rc = {
    .grant_implicit = sc->confirm == ES_CONFIRM_IMPLICIT,
    .confirm_wait_s = sc->confirm_wait_s,
    .workers = sc->workers,
    .queue_limit = sc->queue_limit,
    .retry_after_s = (guint)ceil(sc->retry_after_s),
    .service_dist = (EsServiceDist)sc->service_dist,
    .ir_service_s = sc->ir_service_s,
    .kur_service_s = sc->kur_service_s,
    .certconf_service_s = sc->certconf_service_s,
    .rr_service_s = sc->rr_service_s,
    .epoch = sc->epoch,
    .cert_validity_s = (gint64)sc->cert_validity_s,
    .seed = sc->seed,
    .keep_superseded = sc->keep_superseded,
    .ca = run.ca,
  };
  if ((run.raca = es_raca_new(&rc, run.raca_pki, run.engine, error)) == NULL)
    goto out;
  EsRacaObserver observer = {
    .issued = on_issued, .revoked = on_revoked, .queue_changed = on_queue_changed,
    .duplicate = on_duplicate};
  if (!start_racas(&run, &rc, &observer, error) || !start_rogue(&run, &rc, error))
    goto out;
  crl_start(&run);

  /* --one-thread: everything on this thread, no offload and no factory thread. */
  if (!options->one_thread)
    run.offload = es_offload_new();
  EsEnbConfig ec = {
    .new_key = enb_key,
    .ask_implicit = sc->confirm == ES_CONFIRM_IMPLICIT,
    .keygen_s = sc->enb_keygen_s,
    .sign_s = sc->enb_sign_s,
    .cpu_spread = sc->enb_cpu_spread,
    .msg_timeout_s = sc->msg_timeout_s,
    .retry = sc->enb_retry == ES_RETRY_RESTART ? ES_ENB_RESTART : ES_ENB_RESEND,
    .max_attempts = sc->enb_max_attempts,
    .backoff_s = sc->enb_backoff_s,
    .backoff_max_s = sc->enb_backoff_max_s,
    .backoff_jitter = sc->enb_backoff_jitter,
    .epoch = sc->epoch,
    .seed = sc->seed,
    .deterministic = TRUE,
    .new_key_pool = run.new_pool,
    .offload = run.offload,
    .device_key_pool = NULL, /* the factory hands out the pool's keys */
  };
  run.enbs = g_new0(EsEnb *, sc->enbs + 1);
  for (guint i = 1; i <= sc->enbs; i++) {
    run.enbs[i] = es_enb_new(i, &ec, run.pki, run.engine, run.recorder);
    es_enb_set_done_cb(run.enbs[i], on_enb_done, &run);
  }
  run.factory = factory_new(run.rollout, run.pki, run.device_pool, sc->seed, run.hostile,
                            run.foreign_vendor, sc->epoch, options->one_thread ? NULL : run.enbs,
                            !options->one_thread);
  es_sim_timer_add_at(run.sim, es_rollout_time(run.rollout, es_rollout_nth(run.rollout, 0)),
                      on_power_on, &run);

  progress_start(&run);
  es_sim_run(run.sim, sc->stop_time_s);
  progress_end(&run);

  /* eNBs still enrolling at the stop time are recorded as unfinished (freeing them unwinds
   * their sessions); certificates still awaiting certConf would be revoked at confirm-wait
   * expiry: revoke them now, so every issued certificate ends held or revoked. */
  for (guint i = 1; i <= sc->enbs; i++) {
    X509 *held = es_enb_get1_operator_cert(run.enbs[i]);
    if (held != NULL && es_ca_is_revoked(run.ca, X509_get0_serialNumber(held)))
      run.held_revoked++;
    else if (held != NULL)
      run.held_valid++;
    X509_free(held);
    g_clear_pointer(&run.enbs[i], es_enb_free);
  }
  for (guint r = 0; r < run.n_racas; r++)
    es_raca_expire_all(run.racas[r]);

  for (guint i = 1; i <= sc->enbs; i++)
    es_recorder_add_count(run.recorder, i, ES_COUNT_TCP_RETRANSMISSIONS,
                          (guint)es_sim_get_enb_tcp_retransmissions(run.sim, i));
  memset(result, 0, sizeof *result);
  es_recorder_stats(run.recorder, &result->stats);
  result->sim_time_s = run.last_activity_s;
  result->wall_time_s = (g_get_monotonic_time() - wall_start) / 1e6;
  result->events = es_sim_get_events(run.sim);
  ok = publish_crl(&run, error) && write_results(&run, result, error);

out:
  run_clear(&run);
  es_clock_set(NULL, NULL);
  es_rand_uninstall();
  g_free(effective);
  g_free(scenario_path);
  g_free(pki_dir);
  return ok;
}

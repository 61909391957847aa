/* The decoding thread and its waiting messages: one mutex guards all of it; each message sits
 * in the queue of submissions with its bytes (oldest first), in the age order that drops the
 * oldest, and, until the thread starts on it, in the work queue. */
#include "nodes/es_predecode.h"

#include <openssl/crmf.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "config/es_streams.h"
#include "nodes/es_cmp.h"
#include "pki/es_rand.h"
#include "pki/es_sigcache.h"

/* Below this many messages on their way (submitted for soon, not taken), the receiver would
 * mostly wait for the thread, and handing over costs more than decoding at once: the message
 * is only noted (PARKED) and decoded on receipt. Measured: 2 is as fast as not decoding ahead
 * at all in the region scenario (one enrolment at a time), 0 is 5 % slower there; both are
 * 10 % faster in national. With the trimmed provider (es_provider.c), decoding every message
 * ahead still made region and a 10,000-site renewal wave 8 to 11 % slower. */
#define MIN_IN_FLIGHT 2

typedef enum { PARKED, QUEUED, RUNNING, DONE } State;

typedef struct {
  GBytes *der;
  OSSL_CMP_MSG *msg;
  gsize used;
  State state;
  gboolean dropped; /* while RUNNING: the thread frees it when done */
  gboolean later;   /* in pd->later rather than pd->queue */
  GList age_link, work_link;
} Entry;

struct EsPredecode {
  GThread *thread;
  GMutex lock;
  GCond work, done;
  GQueue queue;        /* Entry (by work_link), QUEUED, in submission order */
  GQueue later;        /* the same for submissions made long before they are needed */
  GQueue by_age;       /* Entry (by age_link), every one not taken, oldest first */
  GHashTable *by_der;  /* GBytes -> GQueue of Entry with those bytes, oldest first */
  guint capacity;
  X509_STORE *trusted; /* checks ahead against it, or NULL: none */
  EsRand *rand;        /* what the checks may draw */
  guint soon;          /* entries not `later` */
  gboolean running;    /* the thread is decoding one */
  gboolean stop;
  EsPredecodeStats stats;
};

static OSSL_CMP_MSG *decode(const guint8 *der, gsize len, gsize *used)
{
  const unsigned char *p = der;
  OSSL_CMP_MSG *msg = len <= G_MAXLONG ? d2i_OSSL_CMP_MSG(NULL, &p, (long)len) : NULL;
  *used = (gsize)(p - der);
  return msg;
}

/* The contents of the body of the PKIMessage `der` (the value inside its [type] tag). */
static gboolean body_of(const guint8 *der, gsize len, const guint8 **body, long *body_len)
{
  const unsigned char *p = der;
  long n;
  int tag, cls;
  if (len > G_MAXLONG || ASN1_get_object(&p, &n, &tag, &cls, (long)len) & 0x80)
    return FALSE;
  const unsigned char *end = p + n;
  if (ASN1_get_object(&p, &n, &tag, &cls, end - p) & 0x80) /* the header */
    return FALSE;
  p += n;
  if (ASN1_get_object(&p, &n, &tag, &cls, end - p) & 0x80 || cls != V_ASN1_CONTEXT_SPECIFIC)
    return FALSE;
  *body = p;
  *body_len = n;
  return TRUE;
}

/* The proof of possession of a certificate request, as OpenSSL's CMP server verifies it. */
static void check_pop(const guint8 *der, gsize len)
{
  const guint8 *body;
  long body_len;
  if (!body_of(der, len, &body, &body_len))
    return;
  OSSL_CRMF_MSGS *reqs = d2i_OSSL_CRMF_MSGS(NULL, &body, body_len);
  if (reqs != NULL && sk_OSSL_CRMF_MSG_num(reqs) > 0)
    (void)OSSL_CRMF_MSGS_verify_popo(
        reqs, OSSL_CRMF_MSG_get_certReqId(sk_OSSL_CRMF_MSG_value(reqs, 0)), 0, NULL, NULL);
  OSSL_CRMF_MSGS_free(reqs);
}

/* What the receiver will verify of `msg`, made here so that its successes are at hand
 * (es_sigcache.h): the protection with each certificate that may have made it, the chain of
 * that certificate (OSSL_CMP_validate_msg), and the proof of possession of a request. */
static void check_ahead(EsPredecode *pd, const OSSL_CMP_MSG *msg, const guint8 *der, gsize len)
{
  OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
  if (ctx != NULL && X509_STORE_up_ref(pd->trusted)) {
    es_cmp_ctx_quiet(ctx);
    if (OSSL_CMP_CTX_set0_trustedStore(ctx, pd->trusted))
      (void)OSSL_CMP_validate_msg(ctx, msg);
    else
      X509_STORE_free(pd->trusted);
  }
  OSSL_CMP_CTX_free(ctx);
  int type = OSSL_CMP_MSG_get_bodytype(msg);
  if (type == ES_CMP_IR || type == ES_CMP_CR || type == ES_CMP_KUR)
    check_pop(der, len);
}

static void entry_free(Entry *e)
{
  OSSL_CMP_MSG_free(e->msg);
  g_bytes_unref(e->der);
  g_free(e);
}

static gpointer worker(gpointer data)
{
  EsPredecode *pd = data;
  es_sigcache_set_recording(TRUE);
  g_mutex_lock(&pd->lock);
  while (!pd->stop) {
    GList *link = g_queue_pop_head_link(&pd->queue);
    if (link == NULL)
      link = g_queue_pop_head_link(&pd->later);
    if (link == NULL) {
      g_cond_wait(&pd->work, &pd->lock);
      continue;
    }
    Entry *e = link->data;
    e->state = RUNNING;
    pd->running = TRUE;
    g_mutex_unlock(&pd->lock);
    gsize len;
    const guint8 *der = g_bytes_get_data(e->der, &len);
    e->msg = decode(der, len, &e->used);
    /* Only a request made long before it is sent: checking one due soon made its receiver
     * wait for the thread more often than it spared it the checks (national, region). */
    gboolean checked = e->msg != NULL && e->later && pd->trusted != NULL;
    if (checked) {
      EsRand *prev = es_rand_set_current(pd->rand);
      check_ahead(pd, e->msg, der, len);
      es_rand_set_current(prev);
    }
    ERR_clear_error(); /* this thread's queue: a malformed message is the receiver's to report */
    g_mutex_lock(&pd->lock);
    pd->stats.decoded++;
    pd->stats.checked += checked;
    pd->running = FALSE;
    if (e->dropped) {
      entry_free(e);
    } else {
      e->state = DONE;
      g_cond_broadcast(&pd->done);
    }
  }
  g_mutex_unlock(&pd->lock);
  OPENSSL_thread_stop();
  return NULL;
}

EsPredecode *es_predecode_new(guint capacity)
{
  EsPredecode *pd = g_new0(EsPredecode, 1);
  g_mutex_init(&pd->lock);
  g_cond_init(&pd->work);
  g_cond_init(&pd->done);
  pd->by_der = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref,
                                     (GDestroyNotify)g_queue_free);
  pd->capacity = capacity > 0 ? capacity : 1;
  pd->thread = g_thread_new("es-decode", worker, pd);
  return pd;
}

/* Takes `e` out of every queue it is in (the lock held); the caller owns it then, unless the
 * thread is decoding it. */
static void unlink_entry(EsPredecode *pd, Entry *e)
{
  g_queue_unlink(&pd->by_age, &e->age_link);
  if (!e->later)
    pd->soon--;
  if (e->state == QUEUED)
    g_queue_unlink(e->later ? &pd->later : &pd->queue, &e->work_link);
  GQueue *same = g_hash_table_lookup(pd->by_der, e->der);
  g_queue_remove(same, e); /* its head: entries leave oldest first */
  if (g_queue_is_empty(same))
    g_hash_table_remove(pd->by_der, e->der);
}

void es_predecode_free(EsPredecode *pd)
{
  if (pd == NULL)
    return;
  g_mutex_lock(&pd->lock);
  pd->stop = TRUE;
  g_cond_signal(&pd->work);
  g_mutex_unlock(&pd->lock);
  g_thread_join(pd->thread);
  GList *link;
  while ((link = g_queue_peek_head_link(&pd->by_age)) != NULL) {
    Entry *e = link->data;
    unlink_entry(pd, e);
    entry_free(e);
  }
  g_hash_table_destroy(pd->by_der);
  X509_STORE_free(pd->trusted);
  es_rand_free(pd->rand);
  g_mutex_clear(&pd->lock);
  g_cond_clear(&pd->work);
  g_cond_clear(&pd->done);
  g_free(pd);
}

void es_predecode_set1_trusted(EsPredecode *pd, X509_STORE *trusted, guint64 seed)
{
  if (trusted == NULL || !X509_STORE_up_ref(trusted))
    return;
  g_mutex_lock(&pd->lock);
  X509_STORE_free(pd->trusted);
  pd->trusted = trusted;
  if (pd->rand == NULL)
    pd->rand = es_rand_new(seed, ES_STREAM_PREDECODE);
  g_mutex_unlock(&pd->lock);
}

void es_predecode_submit(EsPredecode *pd, GBytes *der, gboolean later)
{
  Entry *e = g_new0(Entry, 1);
  e->later = later;
  e->der = g_bytes_ref(der);
  e->age_link.data = e;
  e->work_link.data = e;
  g_mutex_lock(&pd->lock);
  GQueue *same = g_hash_table_lookup(pd->by_der, der);
  if (same == NULL) {
    same = g_queue_new();
    g_hash_table_insert(pd->by_der, g_bytes_ref(der), same);
  }
  g_queue_push_tail(same, e);
  g_queue_push_tail_link(&pd->by_age, &e->age_link);
  if (later || ++pd->soon >= MIN_IN_FLIGHT) {
    e->state = QUEUED;
    g_queue_push_tail_link(later ? &pd->later : &pd->queue, &e->work_link);
    pd->stats.submitted++;
  } else {
    e->state = PARKED;
  }
  if (pd->by_age.length > pd->capacity) {
    Entry *old = g_queue_peek_head(&pd->by_age);
    unlink_entry(pd, old);
    pd->stats.dropped++;
    if (old->state == RUNNING)
      old->dropped = TRUE;
    else
      entry_free(old);
  }
  if (e->state == QUEUED && pd->queue.length + pd->later.length == 1)
    g_cond_signal(&pd->work);
  g_mutex_unlock(&pd->lock);
}

void es_predecode_withdraw(EsPredecode *pd, GBytes *der)
{
  g_mutex_lock(&pd->lock);
  GQueue *same = g_hash_table_lookup(pd->by_der, der);
  Entry *e = same != NULL ? g_queue_peek_head(same) : NULL;
  if (e != NULL) {
    unlink_entry(pd, e);
    if (e->state == RUNNING)
      e->dropped = TRUE;
    else
      entry_free(e);
  }
  g_mutex_unlock(&pd->lock);
}

OSSL_CMP_MSG *es_predecode_take(EsPredecode *pd, const guint8 *der, gsize len, gsize *used)
{
  if (pd == NULL)
    return decode(der, len, used);
  GBytes *key = g_bytes_new_static(der, len);
  g_mutex_lock(&pd->lock);
  GQueue *same = g_hash_table_lookup(pd->by_der, key);
  Entry *e = same != NULL ? g_queue_peek_head(same) : NULL;
  gboolean decoded = FALSE;
  if (e != NULL) {
    unlink_entry(pd, e);
    while (e->state == RUNNING)
      g_cond_wait(&pd->done, &pd->lock);
    decoded = e->state == DONE; /* else not started (or parked), out of the work queue now */
    pd->stats.taken += decoded;
  }
  g_mutex_unlock(&pd->lock);
  g_bytes_unref(key);
  if (e == NULL)
    return decode(der, len, used);
  OSSL_CMP_MSG *msg = decoded ? g_steal_pointer(&e->msg) : decode(der, len, &e->used);
  *used = e->used;
  entry_free(e);
  return msg;
}

void es_predecode_get_stats(EsPredecode *pd, EsPredecodeStats *stats)
{
  g_mutex_lock(&pd->lock);
  *stats = pd->stats;
  stats->pending = pd->queue.length + pd->later.length + pd->running;
  stats->waiting = pd->by_age.length;
  g_mutex_unlock(&pd->lock);
}

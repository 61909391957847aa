/* The fault-injecting engine decorator (engines/es_faults.h): it registers itself with the
 * inner engine as the server, draws a fault per request, hands the request on or not, and
 * marks the exchanges whose answer it will act on (drop_after, delay) until the node answers.
 * Exchanges stay the inner engine's: the decorator never makes its own. */
#include "engines/es_faults.h"

#include <string.h>

#include "config/es_streams.h"
#include "engines/es_decorator.h"
#include "nodes/es_cmp.h"
#include "pki/es_rand.h"

/* Transactions whose lose_certconf draw is remembered (oldest forgotten first): a certConf
 * follows its ip within raca.confirm_wait, so only that many open at once would matter. */
#define TRANSACTIONS_KEPT 65536u

/* What a transaction drew (stored as pointers, so never 0). */
enum { KEPT = 1, LOST = 2 };

/* A delayed answer, sent by the inner engine when its timer fires. */
typedef struct {
  EsFaults *faults;
  EsExchange *exchange;
  guint64 timer;
  gboolean unavailable; /* a 503 with Retry-After, else the reply below */
  guint retry_after_s;
  int status;
  char *content_type;
  GBytes *body;
  GList link;           /* in faults->held */
} Held;

struct EsFaults {
  EsDecorator base;     /* first: its engine is the decorator's */
  EsFaultsConfig config;
  EsRand *rand;
  guint retry_after_s;
  GHashTable *marked;   /* EsExchange* -> GINT_TO_POINTER(1 + EsFaultKind): acted on at answer */
  GHashTable *transactions; /* GBytes transactionID -> KEPT or LOST */
  GQueue order;         /* their keys, oldest first */
  GQueue held;          /* Held */
  EsFaultsStats stats;
};

static EsFaults *of(EsEngine *e) { return (EsFaults *)e; }

/* The lose_certconf draw of a certConf's transaction, made the first time one is seen. */
static gboolean certconf_lost(EsFaults *f, const guint8 *body, gsize len)
{
  if (es_cmp_peek_body_type(body, len) != ES_CMP_CERTCONF)
    return FALSE;
  EsCmpHeader h;
  if (!es_cmp_peek_header(body, len, &h) || h.transaction_id == NULL || h.transaction_id_len == 0)
    return FALSE;
  GBytes *id = g_bytes_new(h.transaction_id, h.transaction_id_len);
  gpointer drawn = g_hash_table_lookup(f->transactions, id);
  if (drawn != NULL) {
    g_bytes_unref(id);
    return GPOINTER_TO_INT(drawn) == LOST;
  }
  gboolean lost = es_rand_double(f->rand) < f->config.lose_certconf;
  if (lost)
    f->stats.lost_transactions++;
  if (f->order.length >= TRANSACTIONS_KEPT) {
    GBytes *oldest = g_queue_pop_head(&f->order);
    g_hash_table_remove(f->transactions, oldest); /* frees it */
  }
  g_hash_table_insert(f->transactions, id, GINT_TO_POINTER(lost ? LOST : KEPT));
  g_queue_push_tail(&f->order, id);
  return lost;
}

/* Which per-request fault a draw u in [0, 1) picks; ES_FAULT_KINDS for none. */
static EsFaultKind pick(const EsFaultsConfig *c, double u)
{
  const double share[] = {c->http_500, c->http_503, c->drop_before, c->drop_after, c->delay};
  double edge = 0;
  for (guint k = 0; k < G_N_ELEMENTS(share); k++) {
    edge += share[k];
    if (u < edge)
      return (EsFaultKind)k;
  }
  return ES_FAULT_KINDS;
}

static void on_request(void *arg, EsExchange *x, const char *content_type, const guint8 *body,
                       gsize len)
{
  static const char injected[] = "injected fault: 500 Internal Server Error";
  EsFaults *f = arg;
  f->stats.requests++;
  double u = es_rand_double(f->rand);
  if (f->config.lose_certconf > 0 && certconf_lost(f, body, len)) {
    f->stats.count[ES_FAULT_LOSE_CERTCONF]++;
    es_engine_drop(f->base.inner, x);
    return;
  }
  EsFaultKind kind = pick(&f->config, u);
  if (kind != ES_FAULT_KINDS)
    f->stats.count[kind]++;
  switch (kind) {
  case ES_FAULT_HTTP_500:
    es_engine_reply(f->base.inner, x, 500, "text/plain", (const guint8 *)injected,
                    sizeof injected - 1);
    return;
  case ES_FAULT_HTTP_503:
    es_engine_reply_unavailable(f->base.inner, x, f->retry_after_s);
    return;
  case ES_FAULT_DROP_BEFORE:
    es_engine_drop(f->base.inner, x);
    return;
  case ES_FAULT_DROP_AFTER:
  case ES_FAULT_DELAY:
    g_hash_table_insert(f->marked, x, GINT_TO_POINTER(1 + kind));
    break;
  default:
    break;
  }
  es_decorator_deliver(&f->base, x, content_type, body, len);
}

/* The fault an exchange was marked with (ES_FAULT_KINDS: none), unmarking it. */
static EsFaultKind take_mark(EsFaults *f, EsExchange *x)
{
  gpointer v = NULL;
  if (!g_hash_table_steal_extended(f->marked, x, NULL, &v))
    return ES_FAULT_KINDS;
  return (EsFaultKind)(GPOINTER_TO_INT(v) - 1);
}

static void held_free(Held *h)
{
  g_free(h->content_type);
  if (h->body != NULL)
    g_bytes_unref(h->body);
  g_free(h);
}

static void on_held_due(void *arg)
{
  Held *h = arg;
  EsFaults *f = h->faults;
  g_queue_unlink(&f->held, &h->link);
  if (h->unavailable) {
    es_engine_reply_unavailable(f->base.inner, h->exchange, h->retry_after_s);
  } else {
    gsize len;
    const guint8 *body = g_bytes_get_data(h->body, &len);
    es_engine_reply(f->base.inner, h->exchange, h->status, h->content_type, body, len);
  }
  held_free(h);
}

static Held *hold(EsFaults *f, EsExchange *x)
{
  Held *h = g_new0(Held, 1);
  h->faults = f;
  h->exchange = x;
  h->link.data = h;
  g_queue_push_tail_link(&f->held, &h->link);
  h->timer = es_engine_timer_add(f->base.inner, f->config.delay_time_s, on_held_due, h);
  return h;
}

/* drop_after and delay act on the node's answer: TRUE when the fault took it, with *held to
 * fill for a delay (NULL for a drop). */
static gboolean intercepted(EsFaults *f, EsExchange *x, Held **held)
{
  *held = NULL;
  switch (take_mark(f, x)) {
  case ES_FAULT_DROP_AFTER:
    es_engine_drop(f->base.inner, x);
    return TRUE;
  case ES_FAULT_DELAY:
    *held = hold(f, x);
    return TRUE;
  default:
    return FALSE;
  }
}

static void faults_reply(EsEngine *e, EsExchange *x, int status, const char *content_type,
                         const guint8 *body, gsize len)
{
  EsFaults *f = of(e);
  Held *h;
  if (!intercepted(f, x, &h)) {
    es_engine_reply(f->base.inner, x, status, content_type, body, len);
  } else if (h != NULL) {
    h->status = status;
    h->content_type = g_strdup(content_type);
    h->body = g_bytes_new(body, len);
  }
}

static void faults_reply_unavailable(EsEngine *e, EsExchange *x, guint retry_after_s)
{
  EsFaults *f = of(e);
  Held *h;
  if (!intercepted(f, x, &h)) {
    es_engine_reply_unavailable(f->base.inner, x, retry_after_s);
  } else if (h != NULL) {
    h->unavailable = TRUE;
    h->retry_after_s = retry_after_s;
  }
}

static void faults_drop(EsEngine *e, EsExchange *x)
{
  EsFaults *f = of(e);
  take_mark(f, x);
  es_engine_drop(f->base.inner, x);
}

static const EsEngineOps faults_ops = {
  .reply = faults_reply, .reply_unavailable = faults_reply_unavailable, .drop = faults_drop,
};

EsFaults *es_faults_new(const EsFaultsConfig *config, guint64 seed, EsEngine *inner)
{
  g_return_val_if_fail(config != NULL && inner != NULL, NULL);
  EsFaults *f = g_new0(EsFaults, 1);
  es_decorator_init(&f->base, inner, &faults_ops, on_request);
  f->config = *config;
  f->rand = es_rand_new(seed, ES_STREAM_FAULTS);
  f->retry_after_s = 1;
  f->marked = g_hash_table_new(g_direct_hash, g_direct_equal);
  f->transactions = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
                                          (GDestroyNotify)g_bytes_unref, NULL);
  g_queue_init(&f->order);
  g_queue_init(&f->held);
  return f;
}

void es_faults_free(EsFaults *f)
{
  if (f == NULL)
    return;
  /* Answers held back are never sent: their connections close. (The exchanges a node never
   * answered stay the inner engine's, as without the decorator.) */
  while (!g_queue_is_empty(&f->held)) {
    Held *h = f->held.head->data;
    g_queue_unlink(&f->held, &h->link);
    es_engine_timer_cancel(f->base.inner, h->timer);
    es_engine_drop(f->base.inner, h->exchange);
    held_free(h);
  }
  es_decorator_clear(&f->base);
  g_queue_clear(&f->order);
  g_hash_table_destroy(f->transactions);
  g_hash_table_destroy(f->marked);
  es_rand_free(f->rand);
  g_free(f);
}

EsEngine *es_faults_get0_engine(EsFaults *f) { return &f->base.engine; }

void es_faults_set_retry_after(EsFaults *f, guint retry_after_s)
{
  f->retry_after_s = MIN(retry_after_s, ES_RETRY_AFTER_MAX);
}

void es_faults_get_stats(const EsFaults *f, EsFaultsStats *stats) { *stats = f->stats; }

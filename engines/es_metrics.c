/* The metrics decorator (engines/es_metrics.h): it registers itself with the inner engine as
 * the server, notes each request's arrival and type, and counts it when the node (or a
 * decorator in front of it) answers. Exchanges stay the inner engine's. */
#include "engines/es_metrics.h"

#include <math.h>
#include <string.h>

#include "engines/es_decorator.h"
#include "nodes/es_cmp.h"
#include "results/es_prom.h"

/* The request types counted, by CMP body type; anything else (garbage included) is "other". */
static const struct {
  int body;
  const char *name;
} types[] = {
  {ES_CMP_IR, "ir"}, {ES_CMP_CR, "cr"}, {ES_CMP_P10CR, "p10cr"}, {ES_CMP_KUR, "kur"},
  {ES_CMP_RR, "rr"}, {ES_CMP_CERTCONF, "certConf"}, {ES_CMP_POLLREQ, "pollReq"},
  {ES_CMP_ERROR, "error"}, {-1, "other"},
};
#define N_TYPES G_N_ELEMENTS(types)
#define OTHER (N_TYPES - 1)
/* Issuing requests: the first four types. */
#define N_ISSUING 4u

#define N_CAUSES ES_RACA_REVOKE_CAUSES
/* RFC 5280 reason codes 0..10, and one slot for any other. */
#define N_REASONS 12

/* Seconds: a fast RA/CA answers in a millisecond, one under load or with an HSM in seconds. */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5,    10};

typedef struct {
  guint type;
  double arrived;
} Pending;

struct EsMetrics {
  EsDecorator base;     /* first: its engine is the decorator's */
  EsLive *live;
  EsRaca *raca;
  GHashTable *pending;  /* EsExchange* -> Pending*: arrived, not answered yet */
  guint64 requests[N_TYPES][ES_METRICS_OUTCOMES];
  EsPromHistogram *duration[N_TYPES];
  guint64 issued[N_ISSUING], revoked[N_CAUSES][N_REASONS];
  guint64 issued_unsettled[N_ISSUING], revoked_unsettled[N_CAUSES][N_REASONS];
  guint waiting, busy;
};

/* The least bound whose cumulative count over every type reaches q of all requests. */
static double quantile_bound(const EsMetrics *m, guint64 total, double q)
{
  if (total == 0)
    return 0;
  guint64 cumulative = 0;
  for (guint b = 0; b < G_N_ELEMENTS(bounds); b++) {
    for (guint t = 0; t < N_TYPES; t++)
      cumulative += es_prom_histogram_get_bucket(m->duration[t], b);
    if ((double)cumulative >= q * (double)total)
      return bounds[b];
  }
  return INFINITY;
}

void es_metrics_get_summary(const EsMetrics *m, EsMetricsSummary *s)
{
  memset(s, 0, sizeof *s);
  guint64 timed = 0;
  for (guint t = 0; t < N_TYPES; t++) {
    for (guint o = 0; o < ES_METRICS_OUTCOMES; o++) {
      s->by_outcome[o] += m->requests[t][o];
      s->requests += m->requests[t][o];
    }
    timed += es_prom_histogram_get_count(m->duration[t]);
  }
  for (guint i = 0; i < N_ISSUING; i++)
    s->issued += m->issued[i];
  for (guint c = 0; c < N_CAUSES; c++)
    for (guint r = 0; r < N_REASONS; r++)
      s->revoked += m->revoked[c][r];
  s->p50_le_s = quantile_bound(m, timed, 0.5);
  s->p99_le_s = quantile_bound(m, timed, 0.99);
  s->waiting = m->waiting;
  s->busy = m->busy;
}

const char *es_metrics_outcome_name(EsMetricsOutcome outcome)
{
  static const char *names[] = {"answered", "error", "refused", "busy", "dropped"};
  return outcome < ES_METRICS_OUTCOMES ? names[outcome] : "unknown";
}

static EsMetrics *of(EsEngine *e) { return (EsMetrics *)e; }

static guint type_index(int body)
{
  for (guint i = 0; i < OTHER; i++)
    if (types[i].body == body)
      return i;
  return OTHER;
}

static void on_request(void *arg, EsExchange *x, const char *content_type, const guint8 *body,
                       gsize len)
{
  EsMetrics *m = arg;
  Pending *p = g_new(Pending, 1);
  p->type = type_index(es_cmp_peek_body_type(body, len));
  p->arrived = es_engine_now(m->base.inner);
  g_hash_table_replace(m->pending, x, p);
  es_decorator_deliver(&m->base, x, content_type, body, len);
}

/* Counts an exchange being answered (before it is freed). */
static void count(EsMetrics *m, EsExchange *x, EsMetricsOutcome outcome)
{
  Pending *p = g_hash_table_lookup(m->pending, x);
  if (p == NULL)
    return;
  m->requests[p->type][outcome]++;
  es_prom_histogram_observe(m->duration[p->type], MAX(0.0, es_engine_now(m->base.inner) - p->arrived));
  g_hash_table_remove(m->pending, x);
}

static void metrics_reply(EsEngine *e, EsExchange *x, int status, const char *content_type,
                          const guint8 *body, gsize len)
{
  EsMetrics *m = of(e);
  EsMetricsOutcome outcome = ES_METRICS_REFUSED;
  if (status == 200)
    outcome = es_cmp_peek_body_type(body, len) == ES_CMP_ERROR ? ES_METRICS_ERROR
                                                                : ES_METRICS_ANSWERED;
  else if (status == 503)
    outcome = ES_METRICS_BUSY;
  count(m, x, outcome);
  es_engine_reply(m->base.inner, x, status, content_type, body, len);
}

static void metrics_reply_unavailable(EsEngine *e, EsExchange *x, guint retry_after_s)
{
  EsMetrics *m = of(e);
  count(m, x, ES_METRICS_BUSY);
  es_engine_reply_unavailable(m->base.inner, x, retry_after_s);
}

static void metrics_drop(EsEngine *e, EsExchange *x)
{
  EsMetrics *m = of(e);
  count(m, x, ES_METRICS_DROPPED);
  es_engine_drop(m->base.inner, x);
}

static const EsEngineOps metrics_ops = {
  .reply = metrics_reply, .reply_unavailable = metrics_reply_unavailable, .drop = metrics_drop,
};

EsMetrics *es_metrics_new(EsEngine *inner)
{
  g_return_val_if_fail(inner != NULL, NULL);
  EsMetrics *m = g_new0(EsMetrics, 1);
  es_decorator_init(&m->base, inner, &metrics_ops, on_request);
  m->pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  for (guint i = 0; i < N_TYPES; i++)
    m->duration[i] = es_prom_histogram_new(bounds, G_N_ELEMENTS(bounds));
  return m;
}

void es_metrics_free(EsMetrics *m)
{
  if (m == NULL)
    return;
  es_decorator_clear(&m->base);
  if (m->live != NULL)
    es_live_set_page(m->live, NULL, NULL, NULL, NULL);
  g_hash_table_destroy(m->pending);
  for (guint i = 0; i < N_TYPES; i++)
    es_prom_histogram_free(m->duration[i]);
  g_free(m);
}

EsEngine *es_metrics_get0_engine(EsMetrics *m) { return &m->base.engine; }

static void page(void *arg, GString *out) { es_metrics_render(arg, out); }

void es_metrics_attach(EsMetrics *m, EsLive *live, EsRaca *raca)
{
  m->live = live;
  m->raca = raca;
  es_live_set_page(live, "/metrics", ES_PROM_CONTENT_TYPE, page, m);
}

void es_metrics_on_event(EsMetrics *m, const EsRacaEvent *ev)
{
  if (ev->kind == ES_RACA_EVENT_ISSUED) {
    guint t = type_index(ev->request);
    if (t < N_ISSUING)
      m->issued_unsettled[t]++;
  } else if ((guint)ev->cause < N_CAUSES) {
    int r = ev->reason >= 0 && ev->reason < N_REASONS - 1 ? ev->reason : N_REASONS - 1;
    m->revoked_unsettled[ev->cause][r]++;
  }
}

void es_metrics_on_settled(EsMetrics *m, gboolean durable)
{
  if (durable) {
    for (guint t = 0; t < N_ISSUING; t++)
      m->issued[t] += m->issued_unsettled[t];
    for (guint c = 0; c < N_CAUSES; c++)
      for (guint r = 0; r < N_REASONS; r++)
        m->revoked[c][r] += m->revoked_unsettled[c][r];
  }
  memset(m->issued_unsettled, 0, sizeof m->issued_unsettled);
  memset(m->revoked_unsettled, 0, sizeof m->revoked_unsettled);
}

void es_metrics_on_queue(EsMetrics *m, guint waiting, guint busy)
{
  m->waiting = waiting;
  m->busy = busy;
}

guint64 es_metrics_get_requests(const EsMetrics *m, const char *type, EsMetricsOutcome outcome)
{
  for (guint t = 0; t < N_TYPES; t++)
    if (g_strcmp0(types[t].name, type) == 0 && outcome < ES_METRICS_OUTCOMES)
      return m->requests[t][outcome];
  return 0;
}

static void gauge(GString *out, const char *name, const char *help, double value)
{
  es_prom_family(out, name, "gauge", help);
  es_prom_sample(out, name, NULL, value);
}

void es_metrics_render(EsMetrics *m, GString *out)
{
  es_prom_family(out, "enrolsim_requests_total", "counter",
                 "CMP requests answered, by message type and outcome");
  for (guint t = 0; t < N_TYPES; t++)
    for (guint o = 0; o < ES_METRICS_OUTCOMES; o++) {
      const char *labels[] = {"type", types[t].name, "outcome", es_metrics_outcome_name(o), NULL};
      es_prom_sample(out, "enrolsim_requests_total", labels, (double)m->requests[t][o]);
    }
  es_prom_family(out, "enrolsim_certificates_issued_total", "counter",
                 "Certificates issued (committed to the CA state), by the request type");
  for (guint t = 0; t < N_ISSUING; t++) {
    const char *labels[] = {"request", types[t].name, NULL};
    es_prom_sample(out, "enrolsim_certificates_issued_total", labels, (double)m->issued[t]);
  }
  es_prom_family(out, "enrolsim_revocations_total", "counter",
                 "Certificates revoked (committed to the CA state), by cause and CRL reason");
  for (guint c = 0; c < N_CAUSES; c++)
    for (guint r = 0; r < N_REASONS; r++) {
      if (m->revoked[c][r] == 0)
        continue;
      const char *labels[] = {"cause", es_raca_revoke_cause_name(c), "reason",
                              r < N_REASONS - 1 ? es_raca_reason_name((int)r) : "other", NULL};
      es_prom_sample(out, "enrolsim_revocations_total", labels, (double)m->revoked[c][r]);
    }
  EsRacaStats st = {0};
  if (m->raca != NULL)
    es_raca_get_stats(m->raca, &st);
  EsLiveServerStats ls = {0};
  if (m->live != NULL)
    es_live_get_server_stats(m->live, NULL, &ls);
  gauge(out, "enrolsim_open_transactions", "Transactions open at the RA/CA",
        st.open_transactions);
  gauge(out, "enrolsim_queue_waiting", "Requests waiting for a worker", m->waiting);
  gauge(out, "enrolsim_workers_busy", "Workers serving a request", m->busy);
  gauge(out, "enrolsim_open_connections",
        "Client connections open (this scrape's own included)", ls.open);
  if (m->live != NULL && es_live_serves_tls(m->live)) {
    es_prom_family(out, "enrolsim_tls_handshakes_total", "counter",
                   "TLS connections by how their handshake ended (resumed: of the completed, "
                   "those that resumed a session)");
    const struct {
      const char *outcome;
      guint64 n;
    } hs[] = {{"completed", ls.tls_handshakes}, {"resumed", ls.tls_resumed},
              {"failed", ls.tls_failures}};
    for (gsize i = 0; i < G_N_ELEMENTS(hs); i++) {
      const char *labels[] = {"outcome", hs[i].outcome, NULL};
      es_prom_sample(out, "enrolsim_tls_handshakes_total", labels, (double)hs[i].n);
    }
  }
  es_prom_family(out, "enrolsim_request_duration_seconds", "histogram",
                 "Time from a request's arrival to its answer, by message type");
  for (guint t = 0; t < N_TYPES; t++) {
    const char *labels[] = {"type", types[t].name, NULL};
    es_prom_histogram_write(out, "enrolsim_request_duration_seconds", labels, m->duration[t]);
  }
}

/* The metrics decorator (engines/es_metrics.h) over the in-process loop engine, in front of a
 * node that answers each request as told: every outcome (a CMP response, a CMP error, an HTTP
 * refusal, 503, a dropped connection) counted under the request's type, garbage as "other",
 * a late answer in the right latency bucket; issues and revocations counted only once
 * settled durably; the queue gauges as the observer reports them. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "engines/es_loop_engine.h"
#include "engines/es_metrics.h"
#include "nodes/es_cmp.h"

#define LATE_S 0.3

typedef enum { ANSWER, CMP_ERROR, REFUSE, BUSY, DROP, LATE } Action;

static const struct {
  int type; /* -1: garbage */
  Action action;
} script[] = {
  {ES_CMP_IR, ANSWER}, {ES_CMP_IR, CMP_ERROR}, {-1, REFUSE},
  {ES_CMP_CERTCONF, BUSY}, {ES_CMP_KUR, DROP}, {ES_CMP_IR, LATE},
};

static void put_tlv(GByteArray *out, guint8 tag, const guint8 *content, gsize len)
{
  guint8 head[2] = {tag, (guint8)len};
  g_assert_cmpuint(len, <, 128);
  g_byte_array_append(out, head, 2);
  if (len > 0)
    g_byte_array_append(out, content, (guint)len);
}

/* PKIMessage { header { pvno 2, sender and recipient directoryName {} }, body [type] {} }. */
static GBytes *cmp_message(int type)
{
  static const guint8 header[] = {0x02, 0x01, 0x02, 0xa4, 0x02, 0x30, 0x00, 0xa4, 0x02, 0x30, 0x00};
  static const guint8 empty_seq[] = {0x30, 0x00};
  GByteArray *inner = g_byte_array_new();
  put_tlv(inner, 0x30, header, sizeof header);
  put_tlv(inner, (guint8)(0xa0 | type), empty_seq, sizeof empty_seq);
  GByteArray *msg = g_byte_array_new();
  put_tlv(msg, 0x30, inner->data, inner->len);
  g_byte_array_unref(inner);
  return g_byte_array_free_to_bytes(msg);
}

typedef struct {
  EsLoopEngine *loop;
  EsMetrics *metrics;
  EsEngine *engine; /* the metrics' */
  EsChannel *channel;
  guint next;       /* the script's request being posted */
  guint handled;    /* the script's request the node sees */
  EsExchange *late;
  GString *trace;   /* per response: status, or 'D' for a dropped connection */
} Bench;

static void reply_cmp(Bench *b, EsExchange *x, int type)
{
  GBytes *rsp = cmp_message(type);
  gsize n;
  const guint8 *data = g_bytes_get_data(rsp, &n);
  es_engine_reply(b->engine, x, 200, "application/pkixcmp", data, n);
  g_bytes_unref(rsp);
}

static void on_late(void *arg)
{
  Bench *b = arg;
  reply_cmp(b, b->late, ES_CMP_IP);
  b->late = NULL;
}

static void node_request(void *arg, EsExchange *x, const char *content_type, const guint8 *body,
                         gsize len)
{
  Bench *b = arg;
  (void)content_type, (void)body, (void)len;
  static const char no[] = "undecodable";
  switch (script[b->handled++].action) {
  case ANSWER: reply_cmp(b, x, ES_CMP_IP); break;
  case CMP_ERROR: reply_cmp(b, x, ES_CMP_ERROR); break;
  case REFUSE: es_engine_reply(b->engine, x, 400, "text/plain", (const guint8 *)no, sizeof no - 1); break;
  case BUSY: es_engine_reply_unavailable(b->engine, x, 2); break;
  case DROP: es_engine_drop(b->engine, x); break;
  case LATE:
    b->late = x;
    es_engine_timer_add(b->engine, LATE_S, on_late, b);
    break;
  }
}

static void post_next(Bench *b);

static void on_response(void *arg, const EsResponse *r)
{
  Bench *b = arg;
  if (r->error != NULL)
    g_string_append(b->trace, "D ");
  else
    g_string_append_printf(b->trace, "%d ", r->http_status);
  if (b->next < G_N_ELEMENTS(script))
    post_next(b);
}

static void post_next(Bench *b)
{
  int type = script[b->next++].type;
  GBytes *req = type >= 0 ? cmp_message(type) : g_bytes_new_static("garbage", 7);
  gsize n;
  const guint8 *data = g_bytes_get_data(req, &n);
  es_channel_post(b->channel, b->engine, "application/pkixcmp", data, n, on_response, b);
  g_bytes_unref(req);
}

static gboolean has_line(const GString *page, const char *line)
{
  g_autofree char *with_nl = g_strconcat("\n", line, "\n", NULL);
  return strstr(page->str, with_nl) != NULL;
}

static void test_outcomes(void)
{
  Bench b = {.trace = g_string_new(NULL)};
  b.loop = es_loop_engine_new(0.001);
  b.metrics = es_metrics_new(es_loop_engine_get0_engine(b.loop));
  b.engine = es_metrics_get0_engine(b.metrics);
  es_engine_server_set(b.engine, 0, node_request, &b);
  b.channel = es_engine_channel_open(b.engine, 1);
  post_next(&b);
  es_loop_engine_run(b.loop, INFINITY);
  g_assert_cmpstr(b.trace->str, ==, "200 200 400 503 D 200 ");

  g_assert_cmpuint(es_metrics_get_requests(b.metrics, "ir", ES_METRICS_ANSWERED), ==, 2);
  g_assert_cmpuint(es_metrics_get_requests(b.metrics, "ir", ES_METRICS_ERROR), ==, 1);
  g_assert_cmpuint(es_metrics_get_requests(b.metrics, "other", ES_METRICS_REFUSED), ==, 1);
  g_assert_cmpuint(es_metrics_get_requests(b.metrics, "certConf", ES_METRICS_BUSY), ==, 1);
  g_assert_cmpuint(es_metrics_get_requests(b.metrics, "kur", ES_METRICS_DROPPED), ==, 1);
  g_assert_cmpuint(es_metrics_get_requests(b.metrics, "ir", ES_METRICS_REFUSED), ==, 0);

  /* Issues and revocations: a rolled back request's never count; a durable one's once. */
  EsRacaEvent ir = {.kind = ES_RACA_EVENT_ISSUED, .request = ES_CMP_IR};
  es_metrics_on_event(b.metrics, &ir);
  es_metrics_on_settled(b.metrics, FALSE);
  EsRacaEvent kur = {.kind = ES_RACA_EVENT_ISSUED, .request = ES_CMP_KUR};
  EsRacaEvent rr = {.kind = ES_RACA_EVENT_REVOKED, .cause = ES_RACA_REVOKED_REQUESTED,
                    .reason = 1};
  EsRacaEvent odd = {.kind = ES_RACA_EVENT_REVOKED, .cause = ES_RACA_REVOKED_CONFIRM_TIMEOUT,
                     .reason = 99};
  es_metrics_on_event(b.metrics, &kur);
  es_metrics_on_event(b.metrics, &rr);
  es_metrics_on_event(b.metrics, &odd);
  es_metrics_on_settled(b.metrics, TRUE);
  es_metrics_on_settled(b.metrics, TRUE);
  es_metrics_on_queue(b.metrics, 3, 2);

  g_autoptr(GString) page = g_string_new("\n");
  es_metrics_render(b.metrics, page);
  const char *want[] = {
    "# TYPE enrolsim_requests_total counter",
    "enrolsim_requests_total{type=\"ir\",outcome=\"answered\"} 2",
    "enrolsim_requests_total{type=\"pollReq\",outcome=\"dropped\"} 0",
    "enrolsim_certificates_issued_total{request=\"ir\"} 0",
    "enrolsim_certificates_issued_total{request=\"kur\"} 1",
    "enrolsim_revocations_total{cause=\"requested\",reason=\"keyCompromise\"} 1",
    "enrolsim_revocations_total{cause=\"confirm_timeout\",reason=\"other\"} 1",
    "enrolsim_queue_waiting 3",
    "enrolsim_workers_busy 2",
    "enrolsim_open_transactions 0",
    "enrolsim_open_connections 0",
    "# TYPE enrolsim_request_duration_seconds histogram",
    /* Two ir answered at once, the late one after LATE_S. */
    "enrolsim_request_duration_seconds_bucket{type=\"ir\",le=\"0.0005\"} 2",
    "enrolsim_request_duration_seconds_bucket{type=\"ir\",le=\"0.25\"} 2",
    "enrolsim_request_duration_seconds_bucket{type=\"ir\",le=\"0.5\"} 3",
    "enrolsim_request_duration_seconds_bucket{type=\"ir\",le=\"+Inf\"} 3",
    "enrolsim_request_duration_seconds_count{type=\"ir\"} 3",
    "enrolsim_request_duration_seconds_count{type=\"kur\"} 1",
    "enrolsim_request_duration_seconds_count{type=\"other\"} 1",
    "enrolsim_request_duration_seconds_count{type=\"rr\"} 0",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
    if (!has_line(page, want[i]))
      g_error("missing \"%s\" in:%s", want[i], page->str);
  g_assert_null(strstr(page->str, "reason=\"unspecified\""));

  es_channel_close(b.channel, b.engine);
  es_metrics_free(b.metrics);
  es_loop_engine_free(b.loop);
  g_string_free(b.trace, TRUE);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/metrics/outcomes", test_outcomes);
  return g_test_run();
}

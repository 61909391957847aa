/* Unit tests of the simulated engine: timers in simulated time, HTTP exchanges over ns-3 TCP
 * on a small tree (with and without loss), keep-alive channels, hostile input, determinism.
 * Routes through every layout and servers on other ports: test_engine_routes.c. */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "sim/es_scenario.h"
#include "engines/es_sim.h"
#include "engines/ns3/es_ns3.h"
#include "topologies/es_topology.h"

/* Path delay eNB -> RA/CA with the default links: access 5 ms + aggregation 2 ms + core 1 ms. */
#define PATH_DELAY_S 0.008
#define SERVICE_S 0.002

static EsTopology *tree(guint enbs, guint aggregations, double access_loss)
{
  g_autoptr(EsScenario) sc = es_scenario_new();
  sc->enbs = enbs;
  sc->topology.aggregations = aggregations;
  sc->topology.access.loss = access_loss;
  return es_topology_new_tree(&sc->topology, sc->enbs);
}

static EsSim *sim_new(const EsTopology *topo, guint64 seed)
{
  GError *error = NULL;
  EsSim *sim = es_sim_new(topo, seed, &error);
  g_assert_no_error(error);
  g_assert_nonnull(sim);
  return sim;
}

/* ---- timers ---------------------------------------------------------------------------- */

typedef struct {
  EsEngine *engine;
  GArray *fired; /* tags in firing order */
  GArray *times;
  guint64 victim; /* cancelled from inside a timer */
} TimerCtx;

typedef struct {
  TimerCtx *ctx;
  int tag;
} TimerArg;

static void on_timer(void *arg)
{
  TimerArg *t = arg;
  double now = es_engine_now(t->ctx->engine);
  g_array_append_val(t->ctx->fired, t->tag);
  g_array_append_val(t->ctx->times, now);
  if (t->tag == 2)
    es_engine_timer_cancel(t->ctx->engine, t->ctx->victim);
}

static void test_timers(void)
{
  g_autoptr(EsTopology) topo = tree(2, 1, 0);
  EsSim *sim = sim_new(topo, 1);
  EsEngine *e = es_sim_get0_engine(sim);
  TimerCtx ctx = { e, g_array_new(FALSE, FALSE, sizeof(int)), g_array_new(FALSE, FALSE, sizeof(double)), 0 };
  TimerArg a[6];
  for (int i = 0; i < 6; i++)
    a[i] = (TimerArg){ &ctx, i };
  g_assert_cmpfloat(es_engine_now(e), ==, 0.0);
  guint64 t3 = es_engine_timer_add(e, 0.300, on_timer, &a[3]);
  guint64 t1 = es_engine_timer_add(e, 0.100, on_timer, &a[1]);
  guint64 t2 = es_engine_timer_add(e, 0.200, on_timer, &a[2]);
  guint64 t4 = es_engine_timer_add(e, 0.150, on_timer, &a[4]); /* cancelled before the run */
  ctx.victim = es_engine_timer_add(e, 0.250, on_timer, &a[5]); /* cancelled by timer 2 */
  guint64 t0 = es_engine_timer_add(e, 0.0, on_timer, &a[0]);
  g_assert_cmpuint(t0, !=, 0);
  g_assert_true(t1 != t2 && t2 != t3 && t3 != t4 && t4 != t0);
  es_engine_timer_cancel(e, t4);
  es_engine_timer_cancel(e, t4); /* twice is harmless */
  es_engine_timer_cancel(e, 0);
  es_sim_run(sim, 10.0);
  es_engine_timer_cancel(e, t1); /* fired already: harmless */

  static const int want[] = { 0, 1, 2, 3 };
  static const double want_t[] = { 0.0, 0.1, 0.2, 0.3 };
  g_assert_cmpuint(ctx.fired->len, ==, G_N_ELEMENTS(want));
  for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
    g_assert_cmpint(g_array_index(ctx.fired, int, i), ==, want[i]);
    g_assert_cmpfloat_with_epsilon(g_array_index(ctx.times, double, i), want_t[i], 1e-9);
  }
  g_assert_cmpuint(es_sim_get_events(sim), >=, 4);

  /* A run ends at its end time; pending timers wait for the next run. */
  g_assert_cmpfloat_with_epsilon(es_engine_now(e), 10.0, 1e-9);
  es_engine_timer_add(e, 5.0, on_timer, &a[1]);
  es_sim_run(sim, 12.0);
  g_assert_cmpuint(ctx.fired->len, ==, 4);
  g_assert_cmpfloat_with_epsilon(es_engine_now(e), 12.0, 1e-9);
  es_sim_run(sim, 5.0); /* in the past: nothing happens */
  g_assert_cmpfloat_with_epsilon(es_engine_now(e), 12.0, 1e-9);
  es_sim_run(sim, INFINITY); /* until no event is left */
  g_assert_cmpuint(ctx.fired->len, ==, 5);
  g_assert_cmpfloat_with_epsilon(g_array_index(ctx.times, double, 4), 15.0, 1e-9);
  g_assert_cmpfloat_with_epsilon(es_engine_now(e), 15.0, 1e-9);

  /* Pending timers never fire once the simulation is gone. */
  es_engine_timer_add(e, 1.0, on_timer, &a[2]);
  es_sim_free(sim);
  g_assert_cmpuint(ctx.fired->len, ==, 5);
  g_array_free(ctx.fired, TRUE);
  g_array_free(ctx.times, TRUE);
}

/* ---- an echo RA/CA: answers with the body reversed after SERVICE_S ---------------------- */

typedef struct {
  EsEngine *engine;
  guint requests;
  gboolean reply_now; /* answer inside the request callback */
  GString *last_ctype;
} Echo;

typedef struct {
  Echo *echo;
  EsExchange *exchange;
  GByteArray *reversed;
} EchoJob;

static void echo_reply(void *arg)
{
  EchoJob *job = arg;
  es_engine_reply(job->echo->engine, job->exchange, 200, "application/pkixcmp",
                  job->reversed->data, job->reversed->len);
  g_byte_array_unref(job->reversed);
  g_free(job);
}

static void echo_request(void *arg, EsExchange *exchange, const char *content_type,
                         const guint8 *body, gsize len)
{
  Echo *echo = arg;
  echo->requests++;
  g_string_assign(echo->last_ctype, content_type != NULL ? content_type : "(none)");
  EchoJob *job = g_new0(EchoJob, 1);
  job->echo = echo;
  job->exchange = exchange;
  job->reversed = g_byte_array_sized_new(len);
  g_byte_array_set_size(job->reversed, len);
  for (gsize i = 0; i < len; i++)
    job->reversed->data[i] = body[len - 1 - i];
  if (echo->reply_now)
    echo_reply(job);
  else
    es_engine_timer_add(echo->engine, SERVICE_S, echo_reply, job);
}

static Echo *echo_new(EsEngine *engine)
{
  Echo *echo = g_new0(Echo, 1);
  echo->engine = engine;
  echo->last_ctype = g_string_new(NULL);
  es_engine_server_set(engine, 0, echo_request, echo);
  return echo;
}

static void echo_free(Echo *echo)
{
  g_string_free(echo->last_ctype, TRUE);
  g_free(echo);
}

/* ---- one client: posts `rounds` bodies one after the other on one channel --------------- */

typedef struct {
  EsEngine *engine;
  EsChannel *channel;
  guint enb;
  guint rounds;
  guint done;
  gsize size;
  GByteArray *sent;
  double t_done;
  int status;
  char *error;
  gboolean body_ok;
  guint good; /* rounds whose body came back reversed */
} Client;

static void fill_body(Client *c)
{
  g_byte_array_set_size(c->sent, c->size + 97 * c->done + 13 * (c->enb % 50));
  for (guint i = 0; i < c->sent->len; i++)
    c->sent->data[i] = (guint8)(i * 7 + c->enb * 31 + c->done * 101);
}

static void client_post(Client *c);

static void on_client_response(void *arg, const EsResponse *r)
{
  Client *c = arg;
  c->t_done = es_engine_now(c->engine);
  c->status = r->http_status;
  g_free(c->error);
  c->error = g_strdup(r->error);
  c->body_ok = r->error == NULL && r->len == c->sent->len;
  for (gsize i = 0; c->body_ok && i < r->len; i++)
    c->body_ok = r->body[i] == c->sent->data[r->len - 1 - i];
  if (c->body_ok && r->content_type != NULL && strcmp(r->content_type, "application/pkixcmp") == 0)
    c->good++;
  c->done++;
  if (c->done < c->rounds && r->error == NULL)
    client_post(c);
}

static void client_post(Client *c)
{
  fill_body(c);
  es_channel_post(c->channel, c->engine, "application/pkixcmp", c->sent->data, c->sent->len,
                  on_client_response, c);
}

static void client_start(void *arg)
{
  Client *c = arg;
  if (c->channel == NULL)
    c->channel = es_engine_channel_open(c->engine, c->enb);
  client_post(c);
}

static Client *client_new(EsEngine *engine, guint enb, gsize size, guint rounds)
{
  Client *c = g_new0(Client, 1);
  c->engine = engine;
  c->enb = enb;
  c->size = size;
  c->rounds = rounds;
  c->sent = g_byte_array_new();
  return c;
}

static void client_free(Client *c)
{
  if (c->channel != NULL)
    es_channel_close(c->channel, c->engine);
  g_byte_array_unref(c->sent);
  g_free(c->error);
  g_free(c);
}

/* One eNB posts `size` bytes once; returns the response time (negative on failure). */
typedef struct {
  double t;
  guint64 events;
  guint64 drops;
} ExchangeResult;

static ExchangeResult one_exchange(double loss, guint64 seed, gsize size)
{
  g_autoptr(EsTopology) topo = tree(2, 1, loss);
  EsSim *sim = sim_new(topo, seed);
  EsEngine *e = es_sim_get0_engine(sim);
  Echo *echo = echo_new(e);
  Client *c = client_new(e, 2, size, 1);
  client_start(c);
  es_sim_run(sim, 600.0);
  g_assert_null(c->error);
  g_assert_cmpint(c->status, ==, 200);
  g_assert_true(c->body_ok);
  g_assert_cmpuint(c->good, ==, 1);
  g_assert_cmpuint(echo->requests, ==, 1);
  g_assert_cmpstr(echo->last_ctype->str, ==, "application/pkixcmp");
  ExchangeResult res = { c->t_done, es_sim_get_events(sim), es_sim_get_loss_drops(sim) };
  client_free(c);
  es_sim_free(sim);
  echo_free(echo);
  return res;
}

static void test_echo(void)
{
  ExchangeResult r = one_exchange(0, 1, 1000);
  /* Handshake, request and response: at least two round trips plus the service time. */
  g_assert_cmpfloat(r.t, >, 2 * 2 * PATH_DELAY_S + SERVICE_S);
  g_assert_cmpfloat(r.t, <, 0.1);
  g_assert_cmpuint(r.drops, ==, 0);
  g_assert_cmpuint(r.events, >, 10);
  g_test_message("1000 B echo: %.6f s, %" G_GUINT64_FORMAT " events", r.t, r.events);
}

static void test_loss(void)
{
  double clean = one_exchange(0, 1, 1000).t;
  guint later = 0;
  for (guint64 seed = 1; seed <= 6; seed++) {
    ExchangeResult r = one_exchange(0.2, seed, 1000);
    g_test_message("seed %" G_GUINT64_FORMAT ": %.6f s, %" G_GUINT64_FORMAT " drops", seed, r.t,
                   r.drops);
    g_assert_cmpfloat(r.t, >=, clean - 1e-9);
    if (r.drops > 0)
      g_assert_cmpfloat(r.t, >=, clean);
    if (r.t > clean + 0.1)
      later++;
  }
  g_assert_cmpuint(later, >=, 1); /* a retransmission timeout shows */
  /* Many segments each way: losses are certain and the exchange still completes. */
  ExchangeResult big = one_exchange(0.2, 7, 60000);
  g_assert_cmpuint(big.drops, >, 0);
  g_assert_cmpfloat(big.t, >, one_exchange(0, 7, 60000).t);
}

static void run_concurrent(guint n, double loss, guint64 seed)
{
  enum { ROUNDS = 3 };
  g_autoptr(EsTopology) topo = tree(n, 7, loss);
  EsSim *sim = sim_new(topo, seed);
  EsEngine *e = es_sim_get0_engine(sim);
  Echo *echo = echo_new(e);
  Client **c = g_new(Client *, n);
  for (guint i = 0; i < n; i++) {
    c[i] = client_new(e, i + 1, 300 + 211 * i, ROUNDS);
    es_engine_timer_add(e, 0.001 * (i % 5), client_start, c[i]); /* bursts at once */
  }
  es_sim_run(sim, 600.0);
  for (guint i = 0; i < n; i++) {
    g_assert_null(c[i]->error);
    g_assert_cmpuint(c[i]->done, ==, ROUNDS);
    g_assert_cmpuint(c[i]->good, ==, ROUNDS);
  }
  g_assert_cmpuint(echo->requests, ==, n * ROUNDS);
  g_assert_cmpuint(es_sim_get_connections(sim), ==, n); /* kept alive between rounds */
  if (loss > 0)
    g_assert_cmpuint(es_sim_get_loss_drops(sim), >, 0);
  for (guint i = 0; i < n; i++)
    client_free(c[i]);
  g_free(c);
  es_sim_free(sim);
  echo_free(echo);
}

static void test_concurrent(void) { run_concurrent(50, 0, 3); }

/* Retransmissions everywhere: every body still arrives intact, in order. */
static void test_concurrent_loss(void) { run_concurrent(20, 0.1, 11); }

/* ---- hostile and unusual input ----------------------------------------------------------- */

typedef struct {
  int status;
  char *error;
  char *body;
  guint calls;
} Outcome;

static void on_outcome(void *arg, const EsResponse *r)
{
  Outcome *o = arg;
  o->calls++;
  o->status = r->http_status;
  g_free(o->error);
  g_free(o->body);
  o->error = g_strdup(r->error);
  o->body = g_strndup((const char *)r->body, r->len);
}

static void outcome_clear(Outcome *o)
{
  g_free(o->error);
  g_free(o->body);
  memset(o, 0, sizeof *o);
}

static void raw(EsSim *sim, EsChannel *ch, const char *bytes, gsize len, Outcome *o)
{
  outcome_clear(o);
  es_sim_channel_post_raw(ch, (const guint8 *)bytes, len, on_outcome, o);
  es_sim_run(sim, es_engine_now(es_sim_get0_engine(sim)) + 100.0);
  g_assert_cmpuint(o->calls, ==, 1);
}

static void post(EsSim *sim, EsChannel *ch, const char *body, Outcome *o)
{
  EsEngine *e = es_sim_get0_engine(sim);
  outcome_clear(o);
  es_channel_post(ch, e, "application/pkixcmp", (const guint8 *)body, strlen(body), on_outcome, o);
  es_sim_run(sim, es_engine_now(e) + 100.0);
  if (o->calls != 1)
    g_test_message("post '%s': %u calls", body, o->calls);
  g_assert_cmpuint(o->calls, ==, 1);
}

static void test_hostile(void)
{
  g_autoptr(EsTopology) topo = tree(2, 1, 0);
  EsSim *sim = sim_new(topo, 5);
  EsEngine *e = es_sim_get0_engine(sim);
  EsChannel *ch = es_engine_channel_open(e, 1);
  Outcome o = { 0 };

  /* Nobody serves yet: refused. */
  post(sim, ch, "hello", &o);
  g_assert_cmpstr(o.error, ==, "connection refused");
  g_assert_cmpint(o.status, ==, 0);

  Echo *echo = echo_new(e);
  echo->reply_now = TRUE;
  post(sim, ch, "abc", &o);
  g_assert_null(o.error);
  g_assert_cmpint(o.status, ==, 200);
  g_assert_cmpstr(o.body, ==, "cba");

  /* Garbage: 400 and the server closes; the next post reconnects. */
  static const char garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not HTTP at all\r\n\r\n";
  raw(sim, ch, garbage, sizeof garbage - 1, &o);
  g_assert_true(o.error != NULL || (o.status >= 400 && o.status < 500));
  g_test_message("garbage: status %d error %s", o.status, o.error);
  guint64 connects = es_sim_get_connections(sim);
  post(sim, ch, "after garbage", &o);
  g_assert_cmpint(o.status, ==, 200);
  g_assert_cmpstr(o.body, ==, "egabrag retfa");
  g_assert_cmpuint(es_sim_get_connections(sim), ==, connects + 1);

  /* A body over the cap is refused before it is read. */
  static const char huge[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmp\r\n"
                             "Content-Length: 999999999\r\n\r\nxxxx";
  raw(sim, ch, huge, sizeof huge - 1, &o);
  g_assert_cmpint(o.status, ==, 413);

  /* A header section over the cap. */
  GString *big = g_string_new("POST / HTTP/1.1\r\nX-Filler: ");
  for (int i = 0; i < 20000; i++)
    g_string_append_c(big, 'a');
  g_string_append(big, "\r\nContent-Length: 0\r\n\r\n");
  raw(sim, ch, big->str, big->len, &o);
  g_assert_cmpint(o.status, ==, 431);
  g_string_free(big, TRUE);

  /* Not a POST: 405, the connection stays. */
  connects = es_sim_get_connections(sim);
  static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  raw(sim, ch, get, sizeof get - 1, &o);
  g_assert_cmpint(o.status, ==, 405);
  /* A chunked POST without Content-Type is still a request. */
  static const char chunked[] = "POST /pkix/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "3\r\nxyz\r\n2\r\n12\r\n0\r\n\r\n";
  raw(sim, ch, chunked, sizeof chunked - 1, &o);
  g_assert_cmpint(o.status, ==, 200);
  g_assert_cmpstr(o.body, ==, "21zyx");
  g_assert_cmpstr(echo->last_ctype->str, ==, "(none)");
  g_assert_cmpuint(es_sim_get_connections(sim), ==, connects + 1);

  /* Closing a channel with a post outstanding: no callback, and the late reply is dropped. */
  echo->reply_now = FALSE;
  outcome_clear(&o);
  es_channel_post(ch, e, "application/pkixcmp", (const guint8 *)"late", 4, on_outcome, &o);
  guint before = echo->requests;
  es_sim_run(sim, es_engine_now(e) + 0.012); /* at the server (8 ms), not answered (2 ms) */
  g_assert_cmpuint(echo->requests, ==, before + 1);
  g_assert_cmpuint(o.calls, ==, 0);
  es_channel_close(ch, e);
  es_sim_run(sim, es_engine_now(e) + 100.0);
  g_assert_cmpuint(o.calls, ==, 0);

  /* A fresh channel still works, with a path of our own. */
  es_sim_set_http_path(sim, "/pkix/");
  EsChannel *ch2 = es_engine_channel_open(e, 2);
  post(sim, ch2, "ok", &o);
  g_assert_cmpint(o.status, ==, 200);
  g_assert_cmpstr(o.body, ==, "ko");
  es_channel_close(ch2, e);

  /* Stop serving: refused again. */
  es_engine_server_set(e, 0, NULL, NULL);
  EsChannel *ch3 = es_engine_channel_open(e, 2);
  post(sim, ch3, "nobody", &o);
  g_assert_cmpstr(o.error, ==, "connection refused");
  es_channel_close(ch3, e);

  outcome_clear(&o);
  es_sim_free(sim);
  echo_free(echo);
}

/* ---- determinism ----------------------------------------------------------------------- */

static void test_determinism(void)
{
  ExchangeResult a = one_exchange(0.2, 42, 20000);
  ExchangeResult b = one_exchange(0.2, 42, 20000);
  g_assert_cmpfloat(a.t, ==, b.t);
  g_assert_cmpuint(a.events, ==, b.events);
  g_assert_cmpuint(a.drops, ==, b.drops);
  g_assert_cmpuint(a.drops, >, 0);
  ExchangeResult c = one_exchange(0.2, 43, 20000);
  g_test_message("seed 42: %.6f s %" G_GUINT64_FORMAT " events; seed 43: %.6f s", a.t, a.events,
                 c.t);
  g_assert_cmpfloat(a.t, !=, c.t);
}

/* ---- full queues: flow control on the links changes nothing ----------------------------- */

#define BURST_ENBS 40

typedef struct {
  double t_done[BURST_ENBS];
  guint64 events;
  EsSimLinkStats links;
} Burst;

/* BURST_ENBS eNBs post 30 KB each at once through a 2 Mbps RA/CA link: its queues (100
 * packets) overflow both ways, and both ends of the connections retransmit. */
static Burst burst(gboolean flow_control)
{
  g_autoptr(EsScenario) sc = es_scenario_new();
  sc->enbs = BURST_ENBS;
  sc->topology.aggregations = 1;
  sc->topology.core.rate_bps = 2e6;
  g_autoptr(EsTopology) topo = es_topology_new_tree(&sc->topology, sc->enbs);
  es_ns3_set_flow_control(flow_control);
  EsSim *sim = sim_new(topo, 5);
  es_ns3_set_flow_control(FALSE);
  EsEngine *e = es_sim_get0_engine(sim);
  Echo *echo = echo_new(e);
  Client *c[BURST_ENBS];
  for (guint i = 0; i < BURST_ENBS; i++) {
    c[i] = client_new(e, i + 1, 30000, 1);
    es_engine_timer_add(e, 0.0001, client_start, c[i]);
  }
  es_sim_run(sim, 600.0);
  Burst b = {.events = es_sim_get_events(sim)};
  es_sim_get_link_stats(sim, &b.links);
  for (guint i = 0; i < BURST_ENBS; i++) {
    g_assert_cmpuint(c[i]->good, ==, 1);
    b.t_done[i] = c[i]->t_done;
    client_free(c[i]);
  }
  es_sim_free(sim);
  echo_free(echo);
  return b;
}

static void test_full_queue(void)
{
  Burst with = burst(TRUE), without = burst(FALSE);
  g_test_message("retransmissions by eNBs %" G_GUINT64_FORMAT ", by the RA/CA %" G_GUINT64_FORMAT
                 ", events %" G_GUINT64_FORMAT ", last done %.6f s",
                 without.links.tcp_retransmissions_enbs, without.links.tcp_retransmissions_racas,
                 without.events, without.t_done[BURST_ENBS - 1]);
  /* The queues did overflow, both ways. */
  g_assert_cmpuint(without.links.tcp_retransmissions_enbs, >, 0);
  g_assert_cmpuint(without.links.tcp_retransmissions_racas, >, 0);
  g_assert_cmpmem(&with.links, sizeof with.links, &without.links, sizeof without.links);
  g_assert_cmpuint(with.events, ==, without.events);
  g_assert_cmpmem(with.t_done, sizeof with.t_done, without.t_done, sizeof without.t_done);
}

/* ---- scale (perf mode): memory per idle eNB and event rate ------------------------------- */

static long vm_rss_kib(void)
{
  long kib = -1;
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
      break;
  if (f != NULL)
    fclose(f);
  return kib;
}

static void test_scale(void)
{
  guint n = 10000;
  const char *env = g_getenv("ES_ENGINE_SCALE_ENBS");
  if (env != NULL)
    n = (guint)g_ascii_strtoull(env, NULL, 10);
  g_autoptr(EsTopology) topo = tree(n, 0, 0);
  long rss0 = vm_rss_kib();
  gint64 w0 = g_get_monotonic_time();
  EsSim *sim = sim_new(topo, 9);
  long rss1 = vm_rss_kib();
  gint64 w1 = g_get_monotonic_time();
  EsEngine *e = es_sim_get0_engine(sim);
  es_sim_run(sim, 0.0001); /* nodes initialise at t=0 */
  long rss2 = vm_rss_kib();
  Echo *echo = echo_new(e);
  Client **c = g_new(Client *, n);
  for (guint i = 0; i < n; i++) {
    c[i] = client_new(e, i + 1, 1000, 2);
    es_engine_timer_add(e, 0.0001 + 1.0 * i / n, client_start, c[i]); /* over one second */
  }
  guint64 ev0 = es_sim_get_events(sim);
  gint64 w2 = g_get_monotonic_time();
  es_sim_run(sim, 1.2);
  printf("# events to 1.2 s: %" G_GUINT64_FORMAT " (%.2f s wall)\n", es_sim_get_events(sim) - ev0,
         (g_get_monotonic_time() - w2) / 1e6);
  es_sim_run(sim, 3600.0);
  gint64 w3 = g_get_monotonic_time();
  long rss3 = vm_rss_kib();
  guint64 ev = es_sim_get_events(sim) - ev0;
  guint good = 0;
  double t_max = 0, t_sum = 0;
  for (guint i = 0; i < n; i++) {
    good += c[i]->good;
    t_max = MAX(t_max, c[i]->t_done);
    t_sum += c[i]->t_done;
  }
  printf("# last exchange done at %.3f s, mean %.3f s; connections %" G_GUINT64_FORMAT "\n", t_max,
         t_sum / n, es_sim_get_connections(sim));
  g_assert_cmpuint(good, ==, 2 * n);
  printf("# %u eNBs (%u nodes): build %.2f s, RSS +%ld KiB after build (%.1f KiB/node), "
         "+%ld KiB after init (%.1f KiB/node)\n",
         n, es_topology_size(topo), (w1 - w0) / 1e6, rss1 - rss0,
         (double)(rss1 - rss0) / es_topology_size(topo), rss2 - rss0,
         (double)(rss2 - rss0) / es_topology_size(topo));
  printf("# %u eNBs x 2 exchanges of 1000 B: %" G_GUINT64_FORMAT " events in %.2f s wall = %.0f "
         "events/s, %.1f events per exchange; RSS after %ld KiB (+%.1f KiB/eNB)\n",
         n, ev, (w3 - w2) / 1e6, ev / ((w3 - w2) / 1e6), (double)ev / (2.0 * n), rss3,
         (double)(rss3 - rss0) / n);
  for (guint i = 0; i < n; i++)
    client_free(c[i]);
  g_free(c);
  es_sim_free(sim);
  echo_free(echo);
}

/* ---- routes: every eNB reaches the RA/CA its topology assigns ---------------------------- */

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/engine/timers", test_timers);
  g_test_add_func("/engine/echo", test_echo);
  g_test_add_func("/engine/loss", test_loss);
  g_test_add_func("/engine/concurrent", test_concurrent);
  g_test_add_func("/engine/concurrent-loss", test_concurrent_loss);
  g_test_add_func("/engine/hostile", test_hostile);
  g_test_add_func("/engine/determinism", test_determinism);
  g_test_add_func("/engine/full-queue", test_full_queue);
  if (g_test_perf())
    g_test_add_func("/engine/scale", test_scale);
  return g_test_run();
}

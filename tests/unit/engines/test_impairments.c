/* Unit tests of link impairments through the simulated engine: HTTP echo exchanges over ns-3
 * TCP on a small tree whose links lose, burst, go down or corrupt; the counters by cause and
 * TCP's retransmissions (total and per eNB); determinism. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sim/es_scenario.h"
#include "engines/es_sim.h"
#include "topologies/es_topology.h"

#define ENBS 12
#define ROUNDS 3
#define SERVICE_S 0.002

/* ---- an echo RA/CA: answers with the body reversed after SERVICE_S ---------------------- */

typedef struct {
  EsEngine *engine;
  EsExchange *exchange;
  GByteArray *reversed;
} EchoJob;

static void echo_reply(void *arg)
{
  EchoJob *job = arg;
  es_engine_reply(job->engine, job->exchange, 200, "application/pkixcmp", job->reversed->data,
                  job->reversed->len);
  g_byte_array_unref(job->reversed);
  g_free(job);
}

static void echo_request(void *arg, EsExchange *exchange, const char *content_type,
                         const guint8 *body, gsize len)
{
  (void)content_type;
  EchoJob *job = g_new0(EchoJob, 1);
  job->engine = arg;
  job->exchange = exchange;
  job->reversed = g_byte_array_sized_new((guint)len);
  g_byte_array_set_size(job->reversed, (guint)len);
  for (gsize i = 0; i < len; i++)
    job->reversed->data[i] = body[len - 1 - i];
  es_engine_timer_add(job->engine, SERVICE_S, echo_reply, job);
}

/* ---- clients: each eNB posts ROUNDS bodies one after the other -------------------------- */

typedef struct {
  EsEngine *engine;
  EsChannel *channel;
  guint enb;
  guint done, good, failed;
  GByteArray *sent;
  double t_done;
} Client;

static void client_post(Client *c);

static void on_response(void *arg, const EsResponse *r)
{
  Client *c = arg;
  c->t_done = es_engine_now(c->engine);
  gboolean ok = r->error == NULL && r->http_status == 200 && r->len == c->sent->len;
  for (gsize i = 0; ok && i < r->len; i++)
    ok = r->body[i] == c->sent->data[r->len - 1 - i];
  c->good += ok;
  c->failed += !ok;
  c->done++;
  if (c->done < ROUNDS && r->error == NULL)
    client_post(c);
}

static void client_post(Client *c)
{
  g_byte_array_set_size(c->sent, 3000 + 211 * c->enb + 97 * c->done);
  for (guint i = 0; i < c->sent->len; i++)
    c->sent->data[i] = (guint8)(i * 7 + c->enb * 31 + c->done * 101);
  es_channel_post(c->channel, c->engine, "application/pkixcmp", c->sent->data, c->sent->len,
                  on_response, c);
}

static void client_start(void *arg)
{
  Client *c = arg;
  c->channel = es_engine_channel_open(c->engine, c->enb);
  client_post(c);
}

typedef struct {
  EsSimLinkStats stats;
  guint64 drops;     /* es_sim_get_loss_drops */
  guint64 retx;      /* es_sim_get_tcp_retransmissions */
  guint64 retx_enbs; /* sum of es_sim_get_enb_tcp_retransmissions */
  guint64 retx_enb[ENBS + 1];
  guint64 events;
  guint good, failed, unanswered;
  double t_last;  /* last response */
  double t_first; /* first response */
} Outcome;

/* ENBS eNBs below 3 aggregation routers, starting at `start_s` (a millisecond apart), with the
 * scenario overrides in `sets` (NULL-terminated). */
static Outcome run(const char *const *sets, guint64 seed, double start_s)
{
  g_autoptr(EsScenario) sc = es_scenario_new();
  GError *error = NULL;
  g_assert_true(es_scenario_set(sc, "scenario.enbs", G_STRINGIFY(ENBS), &error));
  g_assert_true(es_scenario_set(sc, "topology.aggregations=3", NULL, &error));
  for (const char *const *s = sets; s && *s; s++) {
    g_assert_true(es_scenario_set(sc, *s, NULL, &error));
    g_assert_no_error(error);
  }
  g_assert_true(es_scenario_validate(sc, &error));
  g_autoptr(EsTopology) topo = es_topology_new(&sc->topology, sc->enbs, &error);
  g_assert_no_error(error);
  EsSim *sim = es_sim_new(topo, seed, &error);
  g_assert_no_error(error);
  EsEngine *e = es_sim_get0_engine(sim);
  es_engine_server_set(e, 0, echo_request, e);
  Client c[ENBS];
  memset(c, 0, sizeof c);
  for (guint i = 0; i < ENBS; i++) {
    c[i] = (Client){.engine = e, .enb = i + 1, .sent = g_byte_array_new()};
    es_sim_timer_add_at(sim, start_s + 0.001 * i, client_start, &c[i]);
  }
  es_sim_run(sim, 900.0);
  Outcome o = {.t_first = 1e9};
  es_sim_get_link_stats(sim, &o.stats);
  o.drops = es_sim_get_loss_drops(sim);
  o.retx = es_sim_get_tcp_retransmissions(sim);
  for (guint k = 1; k <= ENBS; k++) {
    o.retx_enb[k] = es_sim_get_enb_tcp_retransmissions(sim, k);
    o.retx_enbs += o.retx_enb[k];
  }
  o.events = es_sim_get_events(sim);
  for (guint i = 0; i < ENBS; i++) {
    o.good += c[i].good;
    o.failed += c[i].failed;
    o.unanswered += c[i].done < ROUNDS && c[i].failed == 0;
    if (c[i].done > 0) {
      o.t_last = MAX(o.t_last, c[i].t_done);
      o.t_first = MIN(o.t_first, c[i].t_done);
    }
  }
  for (guint i = 0; i < ENBS; i++) {
    if (c[i].channel)
      es_channel_close(c[i].channel, e);
    g_byte_array_unref(c[i].sent);
  }
  es_engine_server_set(e, 0, NULL, NULL);
  es_sim_free(sim);
  g_test_message("drops %" G_GUINT64_FORMAT " (loss %" G_GUINT64_FORMAT " burst %" G_GUINT64_FORMAT
                 " outage %" G_GUINT64_FORMAT "), corruptions %" G_GUINT64_FORMAT
                 ", retransmissions %" G_GUINT64_FORMAT ", good %u failed %u, last %.3f s",
                 o.drops, o.stats.drops_loss, o.stats.drops_burst, o.stats.drops_outage,
                 o.stats.corruptions, o.retx, o.good, o.failed, o.t_last);
  return o;
}

/* Every retransmission is charged to one eNB here (only eNBs open connections). */
static void assert_consistent(const Outcome *o)
{
  g_assert_cmpuint(o->retx, ==, o->retx_enbs);
  g_assert_cmpuint(o->retx, ==, o->stats.tcp_retransmissions);
  g_assert_cmpuint(o->retx, ==,
                   o->stats.tcp_retransmissions_enbs + o->stats.tcp_retransmissions_racas);
  g_assert_cmpuint(o->drops, ==,
                   o->stats.drops_loss + o->stats.drops_burst + o->stats.drops_outage);
}

static void test_clean(void)
{
  Outcome o = run(NULL, 1, 0);
  assert_consistent(&o);
  g_assert_cmpuint(o.good, ==, ENBS * ROUNDS);
  g_assert_cmpuint(o.retx, ==, 0);
  g_assert_cmpuint(o.drops, ==, 0);
  g_assert_cmpuint(o.stats.corruptions, ==, 0);
}

static void test_loss(void)
{
  static const char *const sets[] = {"backhaul.loss=0.1", "aggregation.loss=0.02", NULL};
  Outcome o = run(sets, 1, 0);
  assert_consistent(&o);
  g_assert_cmpuint(o.good, ==, ENBS * ROUNDS); /* TCP repairs it all */
  g_assert_cmpuint(o.stats.drops_loss, >, 0);
  g_assert_cmpuint(o.stats.drops_burst + o.stats.drops_outage, ==, 0);
  /* Each dropped data segment is sent again; dropped ACKs may cost nothing. */
  g_assert_cmpuint(o.retx, >, 0);
  g_assert_cmpuint(o.retx, <=, 3 * o.drops);
  /* Both directions lose: both ends send again. */
  g_assert_cmpuint(o.stats.tcp_retransmissions_enbs, >, 0);
  g_assert_cmpuint(o.stats.tcp_retransmissions_racas, >, 0);
}

static void test_bursts(void)
{
  static const char *const sets[] = {"backhaul.burst_enter=0.05", "backhaul.burst_exit=0.3",
                                     "backhaul.burst_loss=0.8", NULL};
  Outcome o = run(sets, 2, 0);
  assert_consistent(&o);
  g_assert_cmpuint(o.good, ==, ENBS * ROUNDS);
  g_assert_cmpuint(o.stats.drops_burst, >, 0);
  g_assert_cmpuint(o.stats.drops_loss + o.stats.drops_outage, ==, 0);
  g_assert_cmpuint(o.retx, >, 0);
}

/* The RA/CA's link is down from 0.5 s to 3.5 s while the eNBs start at 1 s: nothing gets
 * through before it comes back, the SYNs are retransmitted, and every exchange completes. */
static void test_outage(void)
{
  static const char *const sets[] = {"core.outages=0.5s+3s", NULL};
  Outcome o = run(sets, 3, 1.0);
  assert_consistent(&o);
  g_assert_cmpuint(o.good, ==, ENBS * ROUNDS);
  g_assert_cmpuint(o.stats.drops_outage, >=, ENBS); /* every first SYN */
  g_assert_cmpuint(o.stats.drops_loss + o.stats.drops_burst, ==, 0);
  g_assert_cmpfloat(o.t_first, >=, 3.5);
  g_assert_cmpuint(o.retx, >=, ENBS);
  /* Only SYNs were in flight during the outage: the eNBs' ends retransmitted. */
  g_assert_cmpuint(o.stats.tcp_retransmissions_enbs, >=, ENBS);
  /* An outage after everything finished changes nothing. */
  static const char *const late[] = {"core.outages=500s+10s", NULL};
  Outcome l = run(late, 3, 1.0);
  Outcome clean = run(NULL, 3, 1.0);
  g_assert_cmpuint(l.stats.drops_outage, ==, 0);
  g_assert_cmpfloat(l.t_last, ==, clean.t_last);
  g_assert_cmpuint(l.events, ==, clean.events);
}

/* Flipped payload bits reach the application (ns-3 checks no TCP checksum): some bodies come
 * back altered or the HTTP framing breaks, and nothing is retransmitted for it. */
static void test_corruption(void)
{
  static const char *const sets[] = {"backhaul.corruption=0.05", NULL};
  Outcome o = run(sets, 4, 0);
  assert_consistent(&o);
  g_assert_cmpuint(o.stats.corruptions, >, 0);
  g_assert_cmpuint(o.drops, ==, 0);
  g_assert_cmpuint(o.retx, ==, 0);
  g_assert_cmpuint(o.failed + o.unanswered, >, 0);
  g_assert_cmpuint(o.failed + o.unanswered, <=, o.stats.corruptions);
}

/* Only eNB 5's link loses (a topology file): its connections carry every retransmission,
 * whichever end sent them. */
static void test_per_enb(void)
{
  GString *topo = g_string_new("node core router\nnode ra raca\nnode agg router\n"
                               "link core ra 10Gbps 1ms\nlink core agg 1Gbps 2ms\n");
  for (guint k = 1; k <= ENBS; k++)
    g_string_append_printf(topo, "node e%u enb\nlink agg e%u 100Mbps 5ms%s\n", k, k,
                           k == 5 ? " loss=0.2 burst_enter=0.1 burst_exit=0.5" : "");
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp("es-impair-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *path = g_build_filename(dir, "one-bad-link.topo", NULL);
  g_assert_true(g_file_set_contents(path, topo->str, -1, NULL));
  g_string_free(topo, TRUE);
  g_autofree char *file_set = g_strconcat("topology.file=", path, NULL);
  const char *const sets[] = {"topology.type=file", file_set, NULL};
  Outcome o = run(sets, 5, 0);
  assert_consistent(&o);
  g_assert_cmpuint(o.good, ==, ENBS * ROUNDS);
  g_assert_cmpuint(o.retx_enb[5], >, 0);
  g_assert_cmpuint(o.retx_enb[5], ==, o.retx);
  g_assert_cmpuint(o.stats.drops_loss, >, 0);
  g_assert_cmpuint(o.stats.drops_burst, >, 0);
  g_remove(path);
  g_rmdir(dir);
}

static void test_determinism(void)
{
  static const char *const sets[] = {"backhaul.loss=0.05",       "backhaul.burst_enter=0.02",
                                     "backhaul.burst_exit=0.25", "aggregation.outages=2s+1s",
                                     "core.corruption=0.01",     NULL};
  Outcome a = run(sets, 42, 1.5);
  Outcome b = run(sets, 42, 1.5);
  Outcome c = run(sets, 43, 1.5);
  g_assert_cmpmem(&a.stats, sizeof a.stats, &b.stats, sizeof b.stats);
  g_assert_cmpuint(a.events, ==, b.events);
  g_assert_cmpfloat(a.t_last, ==, b.t_last);
  g_assert_cmpuint(a.retx, ==, b.retx);
  g_assert_cmpuint(a.stats.drops_outage, >, 0);
  g_assert_true(a.events != c.events || memcmp(&a.stats, &c.stats, sizeof a.stats) != 0);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/impairments/clean", test_clean);
  g_test_add_func("/impairments/loss", test_loss);
  g_test_add_func("/impairments/bursts", test_bursts);
  g_test_add_func("/impairments/outage", test_outage);
  g_test_add_func("/impairments/corruption", test_corruption);
  g_test_add_func("/impairments/per-enb", test_per_enb);
  g_test_add_func("/impairments/determinism", test_determinism);
  return g_test_run();
}

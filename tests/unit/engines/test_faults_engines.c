/* The fault decorator over the two real engines: es_engine_drop means the same on the
 * simulated engine (ns-3 TCP) and the live one (sockets): the client's post fails as a
 * transport error (or, on the live engine, a resend on a fresh connection, as HTTP clients
 * do), and its channel connects again for the next post; 500 and late answers arrive as
 * drawn. (The decorator's draws: test_faults, over the loop engine.) */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "engines/es_faults.h"
#include "engines/es_live.h"
#include "engines/es_sim.h"
#include "sim/es_scenario.h"
#include "topologies/es_topology.h"
#include "tests/unit/engines/live_util.h"

#define POSTS 60
#define SERVICE_S 0.005
#define DELAY_S 0.25

typedef struct {
  EsEngine *engine; /* the decorator's */
  guint seen;
} Node;

typedef struct {
  Node *node;
  EsExchange *x;
} Job;

static void node_answer(void *arg)
{
  Job *job = arg;
  static const char ok[] = "ok";
  es_engine_reply(job->node->engine, job->x, 200, "application/pkixcmp", (const guint8 *)ok, 2);
  g_free(job);
}

static void node_request(void *arg, EsExchange *x, const char *content_type, const guint8 *body,
                         gsize len)
{
  Node *node = arg;
  (void)content_type, (void)body, (void)len;
  node->seen++;
  Job *job = g_new0(Job, 1);
  job->node = node;
  job->x = x;
  es_engine_timer_add(node->engine, SERVICE_S, node_answer, job);
}

typedef struct {
  EsEngine *engine; /* the inner one: the client's */
  EsChannel *channel;
  guint sent, ok, late, failed, errors;
  double sent_at;
} Client;

static void client_post(Client *c);

static void on_response(void *arg, const EsResponse *r)
{
  Client *c = arg;
  if (r->error != NULL) {
    g_assert_cmpint(r->http_status, ==, 0);
    c->errors++;
  } else if (r->http_status == 500) {
    c->failed++;
  } else {
    g_assert_cmpint(r->http_status, ==, 200);
    g_assert_cmpmem(r->body, r->len, "ok", 2);
    if (es_engine_now(c->engine) - c->sent_at >= DELAY_S)
      c->late++;
    else
      c->ok++;
  }
  if (c->sent < POSTS)
    client_post(c);
}

static void client_post(Client *c)
{
  static const char body[] = "request";
  c->sent++;
  c->sent_at = es_engine_now(c->engine);
  es_channel_post(c->channel, c->engine, "application/pkixcmp", (const guint8 *)body,
                  sizeof body - 1, on_response, c);
}

static gboolean client_done(void *arg)
{
  Client *c = arg;
  return c->ok + c->late + c->failed + c->errors == POSTS;
}

static EsFaultsConfig config(void)
{
  EsFaultsConfig fc;
  es_faults_config_init(&fc);
  fc.http_500 = 0.15;
  fc.drop_before = 0.2;
  fc.drop_after = 0.2;
  fc.delay = 0.2;
  fc.delay_time_s = DELAY_S;
  return fc;
}

/* What the client saw is what the decorator drew; the node saw what it let through. The live
 * channel sends a request once more when a kept-alive connection closes before the answer
 * (what HTTP clients do): `resends` such drops went unseen by the client. */
static void check(const Client *c, const Node *node, EsFaults *faults, gboolean resends)
{
  EsFaultsStats st;
  es_faults_get_stats(faults, &st);
  guint64 drops = st.count[ES_FAULT_DROP_BEFORE] + st.count[ES_FAULT_DROP_AFTER];
  g_assert_cmpuint(st.requests, >=, POSTS);
  guint64 resent = st.requests - POSTS;
  if (!resends)
    g_assert_cmpuint(resent, ==, 0);
  g_assert_cmpuint(c->errors + resent, ==, drops);
  g_assert_cmpuint(c->errors, >, 0);
  g_assert_cmpuint(c->failed, ==, st.count[ES_FAULT_HTTP_500]);
  g_assert_cmpuint(c->late, ==, st.count[ES_FAULT_DELAY]);
  g_assert_cmpuint(node->seen, ==,
                   st.requests - st.count[ES_FAULT_HTTP_500] - st.count[ES_FAULT_DROP_BEFORE]);
  for (guint k = ES_FAULT_HTTP_500; k <= ES_FAULT_DELAY; k++)
    if (k != ES_FAULT_HTTP_503)
      g_assert_cmpuint(st.count[k], >, 0);
}

static void test_sim(void)
{
  g_autoptr(EsScenario) sc = es_scenario_new();
  sc->enbs = 2;
  sc->topology.aggregations = 1;
  g_autoptr(EsTopology) topo = es_topology_new_tree(&sc->topology, sc->enbs);
  GError *error = NULL;
  EsSim *sim = es_sim_new(topo, 1, &error);
  g_assert_no_error(error);
  EsEngine *inner = es_sim_get0_engine(sim);
  EsFaultsConfig fc = config();
  EsFaults *faults = es_faults_new(&fc, 5, inner);
  Node node = {.engine = es_faults_get0_engine(faults)};
  es_engine_server_set(node.engine, 0, node_request, &node);
  Client c = {.engine = inner, .channel = es_engine_channel_open(inner, 1)};
  client_post(&c);
  es_sim_run(sim, 600);
  g_assert_true(client_done(&c));
  check(&c, &node, faults, FALSE);
  es_channel_close(c.channel, inner);
  es_faults_free(faults);
  es_sim_free(sim);
}

static void test_live(void)
{
  EsLive *live = es_test_live_new();
  g_autofree char *target = es_test_listen_any(live, NULL);
  GError *error = NULL;
  g_assert_true(es_live_set_target(live, target, "/", &error));
  EsEngine *inner = es_live_get0_engine(live);
  EsFaultsConfig fc = config();
  EsFaults *faults = es_faults_new(&fc, 5, inner);
  Node node = {.engine = es_faults_get0_engine(faults)};
  es_engine_server_set(node.engine, 0, node_request, &node);
  Client c = {.engine = inner, .channel = es_engine_channel_open(inner, 1)};
  client_post(&c);
  es_test_run_until(live, client_done, &c, 30);
  check(&c, &node, faults, TRUE);
  es_channel_close(c.channel, inner);
  es_faults_free(faults);
  es_live_free(live);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/faults/engines/sim", test_sim);
  g_test_add_func("/faults/engines/live", test_live);
  return g_test_run();
}

/* Unit tests of the simulated engine's network: a request from every eNB reaches its own
 * RA/CA through the tree, star, national and file layouts, servers on other ports, and
 * channels from nodes that are no eNB (SeGWs) to the RA/CA they name. */
#include <glib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "sim/es_scenario.h"
#include "engines/es_sim.h"
#include "topologies/es_topology.h"

static EsSim *sim_new(const EsTopology *topo, guint64 seed)
{
  GError *error = NULL;
  EsSim *sim = es_sim_new(topo, seed, &error);
  g_assert_no_error(error);
  g_assert_nonnull(sim);
  return sim;
}

typedef struct {
  EsEngine *engine;
  guint raca;
  guint requests;
} Tagger;

/* Answers with the number of the RA/CA that got the request. */
static void tagger_request(void *arg, EsExchange *x, const char *content_type, const guint8 *body,
                           gsize len)
{
  Tagger *t = arg;
  (void)content_type, (void)body, (void)len;
  t->requests++;
  char tag[16];
  g_snprintf(tag, sizeof tag, "%u", t->raca);
  es_engine_reply(t->engine, x, 200, "text/plain", (const guint8 *)tag, strlen(tag));
}

typedef struct {
  guint enb;
  int answered_by; /* -1: no answer yet */
} Asker;

static void on_tag(void *arg, const EsResponse *r)
{
  Asker *a = arg;
  g_assert_null(r->error);
  g_autofree char *tag = g_strndup((const char *)r->body, r->len);
  a->answered_by = atoi(tag);
}

static void assert_routes(const char *what, const EsTopology *topo)
{
  EsSim *sim = sim_new(topo, 4);
  EsEngine *e = es_sim_get0_engine(sim);
  guint racas = es_topology_racas(topo), n = es_topology_enbs(topo);
  Tagger *taggers = g_new0(Tagger, racas);
  for (guint r = 0; r < racas; r++) {
    taggers[r] = (Tagger){e, r, 0};
    es_engine_server_set(e, r, tagger_request, &taggers[r]);
  }
  Asker *askers = g_new0(Asker, n);
  EsChannel **channels = g_new0(EsChannel *, n);
  for (guint k = 1; k <= n; k++) {
    askers[k - 1] = (Asker){k, -1};
    channels[k - 1] = es_engine_channel_open(e, k);
    es_channel_post(channels[k - 1], e, "application/pkixcmp", (const guint8 *)"?", 1, on_tag,
                    &askers[k - 1]);
  }
  es_sim_run(sim, 600.0);
  guint per_raca_max = 0;
  for (guint k = 1; k <= n; k++)
    g_assert_cmpint(askers[k - 1].answered_by, ==, (int)es_topology_enb_raca(topo, k));
  for (guint r = 0; r < racas; r++)
    per_raca_max = MAX(per_raca_max, taggers[r].requests);
  g_test_message("%s: %u eNBs, %u RA/CAs, %u nodes: every eNB answered by its own RA/CA", what,
                 n, racas, es_topology_size(topo));
  g_assert_cmpuint(per_raca_max, <, n + (racas == 1)); /* with several, the load is shared */
  for (guint k = 0; k < n; k++)
    es_channel_close(channels[k], e);
  es_sim_free(sim);
  g_free(channels);
  g_free(askers);
  g_free(taggers);
}

static void test_routes(void)
{
  g_autoptr(EsScenario) sc = es_scenario_new();
  sc->enbs = 150;
  sc->topology.racas = 3;
  g_assert_true(es_scenario_set(sc, "tree.fanout=2,3,2", NULL, NULL));
  g_autoptr(EsTopology) deep = es_topology_new(&sc->topology, sc->enbs, NULL);
  assert_routes("tree 2,3,2", deep);

  g_assert_true(es_scenario_set(sc, "topology.type=star", NULL, NULL));
  g_autoptr(EsTopology) star = es_topology_new(&sc->topology, sc->enbs, NULL);
  assert_routes("star", star);

  g_assert_true(es_scenario_set(sc, "topology.type=national", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "national.regions=4", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "national.satellite_share=0.1", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "national.fibre_share=0.5", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "national.microwave_loss=0", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "national.satellite_loss=0", NULL, NULL));
  g_autoptr(EsTopology) national = es_topology_new(&sc->topology, sc->enbs, NULL);
  assert_routes("national", national);

  /* RA/CAs deep in the tree, eNBs chained behind each other, and one behind a SeGW (which
   * forwards like a router). */
  static const char text[] = "node core router\nnode a router\nnode b router\n"
                             "node r0 raca\nnode r1 raca\nnode e1 enb\nnode e2 enb\n"
                             "node e3 enb raca=r0\nnode e4 enb\nnode g segw\n"
                             "link core a 1Gbps 1ms\nlink core b 1Gbps 1ms\nlink a r0 1Gbps 1ms\n"
                             "link b r1 1Gbps 1ms\nlink a e1 10Mbps 2ms\nlink e1 e2 10Mbps 2ms\n"
                             "link e2 e3 10Mbps 2ms\nlink b g 1Gbps 1ms\nlink g e4 10Mbps 2ms\n";
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp("es-routes-XXXXXX.topo", &path, NULL);
  g_assert_cmpint(fd, >=, 0);
  close(fd);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  GError *error = NULL;
  g_autoptr(EsTopology) file = es_topology_load(path, &error);
  g_assert_no_error(error);
  assert_routes("file", file);
  g_assert_cmpuint(es_topology_enb_raca(file, 4), ==, 1);
  g_assert_cmpuint(es_topology_node(file, es_topology_enb_node(file, 4))->parent, ==,
                   es_topology_segw_node(file, 0));
  g_remove(path);
}

/* A second server on an RA/CA's node, on another port: only the eNBs sent there reach it,
 * over the same path (es_sim_serve_port, es_sim_set_enb_port; a rogue RA/CA in a run). */
static void test_port_servers(void)
{
  g_autoptr(EsScenario) sc = es_scenario_new();
  sc->enbs = 8;
  sc->topology.racas = 2;
  g_autoptr(EsTopology) topo = es_topology_new(&sc->topology, sc->enbs, NULL);
  EsSim *sim = sim_new(topo, 5);
  EsEngine *e = es_sim_get0_engine(sim);
  Tagger genuine[2], other[2];
  for (guint r = 0; r < 2; r++) {
    genuine[r] = (Tagger){e, r, 0};
    other[r] = (Tagger){e, 100 + r, 0};
    es_engine_server_set(e, r, tagger_request, &genuine[r]);
    es_sim_serve_port(sim, r, 8080, tagger_request, &other[r]);
  }
  Asker askers[8];
  EsChannel *channels[8];
  for (guint k = 1; k <= 8; k++) {
    if (k % 4 == 0 || k == 3)
      es_sim_set_enb_port(sim, k, 8080);
    askers[k - 1] = (Asker){k, -1};
    channels[k - 1] = es_engine_channel_open(e, k);
    es_channel_post(channels[k - 1], e, "application/pkixcmp", (const guint8 *)"?", 1, on_tag,
                    &askers[k - 1]);
  }
  es_sim_run(sim, 60.0);
  for (guint k = 1; k <= 8; k++) {
    int raca = (int)es_topology_enb_raca(topo, k);
    g_assert_cmpint(askers[k - 1].answered_by, ==, k % 4 == 0 || k == 3 ? 100 + raca : raca);
  }
  g_assert_cmpuint(genuine[0].requests + genuine[1].requests, ==, 5);
  g_assert_cmpuint(other[0].requests + other[1].requests, ==, 3);
  for (guint k = 0; k < 8; k++)
    es_channel_close(channels[k], e);
  es_sim_free(sim);
}

/* The distribution point's page, whatever the target: "crl". */
static GBytes *crl_page(void *arg, const char *target, const char **content_type)
{
  (void)arg;
  *content_type = "application/pkix-crl";
  return strcmp(target, "/crl") == 0 ? g_bytes_new_static("crl", 3) : NULL;
}

typedef struct {
  guint status;
  char *body;
} Got;

static void on_page(void *arg, const EsResponse *r)
{
  Got *g = arg;
  g_assert_null(r->error);
  g->status = (guint)r->http_status;
  g->body = g_strndup((const char *)r->body, r->len);
}

/* A SeGW's channel (es_sim_node_channel_open) starts at its node and reaches the RA/CA it
 * names, POST and GET alike, with the eNBs' connection count left alone. */
static void test_node_channels(void)
{
  g_autoptr(EsScenario) sc = es_scenario_new();
  sc->enbs = 60;
  g_assert_true(es_scenario_set(sc, "topology.type=national", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "topology.racas=2", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "national.regions=3", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "national.segws=true", NULL, NULL));
  g_autoptr(EsTopology) topo = es_topology_new(&sc->topology, sc->enbs, NULL);
  g_assert_cmpuint(es_topology_segws(topo), ==, 3);
  EsSim *sim = sim_new(topo, 6);
  EsEngine *e = es_sim_get0_engine(sim);
  Tagger taggers[2];
  for (guint r = 0; r < 2; r++) {
    taggers[r] = (Tagger){e, r, 0};
    es_engine_server_set(e, r, tagger_request, &taggers[r]);
  }
  es_sim_set_pages(sim, crl_page, NULL);
  Asker askers[3];
  Got got[3] = {{0}};
  EsChannel *posts[3], *gets[3];
  for (guint s = 0; s < 3; s++) {
    guint node = es_topology_segw_node(topo, s), raca = es_topology_segw_raca(topo, s);
    askers[s] = (Asker){0, -1};
    posts[s] = es_sim_node_channel_open(sim, node, raca);
    es_channel_post(posts[s], e, "application/pkixcmp", (const guint8 *)"?", 1, on_tag, &askers[s]);
    gets[s] = es_sim_node_channel_open(sim, node, raca);
    es_sim_channel_get(gets[s], "/crl", on_page, &got[s]);
  }
  es_sim_run(sim, 60.0);
  for (guint s = 0; s < 3; s++) {
    g_assert_cmpint(askers[s].answered_by, ==, (int)(s % 2));
    g_assert_cmpuint(got[s].status, ==, 200);
    g_assert_cmpstr(got[s].body, ==, "crl");
    g_free(got[s].body);
    es_channel_close(posts[s], e);
    es_channel_close(gets[s], e);
  }
  g_assert_cmpuint(taggers[0].requests + taggers[1].requests, ==, 3);
  g_assert_cmpuint(es_sim_get_connections(sim), ==, 0);
  g_assert_cmpuint(es_sim_get_upstream_connections(sim), ==, 0);
  g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*raca < sim->racas*");
  g_assert_null(es_sim_node_channel_open(sim, 0, 2));
  g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*node < sim->nodes*");
  g_assert_null(es_sim_node_channel_open(sim, es_topology_size(topo), 0));
  g_test_assert_expected_messages();
  es_sim_free(sim);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/engine/routes", test_routes);
  g_test_add_func("/engine/port-servers", test_port_servers);
  g_test_add_func("/engine/node-channels", test_node_channels);
  return g_test_run();
}

/* Unit tests of security gateways in topologies: one per region of the national layout with
 * national.segws (where it hangs, whose CRLs it fetches, the rest of the layout unchanged), and
 * `segw` nodes in topology files, good and refused. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/es_scenario.h"
#include "topologies/es_topology.h"

static EsScenario *national(guint enbs, guint regions, guint racas, gboolean segws) {
  EsScenario *sc = es_scenario_new();
  sc->enbs = enbs;
  g_autofree char *g = g_strdup_printf("national.regions=%u", regions);
  g_autofree char *r = g_strdup_printf("topology.racas=%u", racas);
  g_assert_true(es_scenario_set(sc, "topology.type=national", NULL, NULL));
  g_assert_true(es_scenario_set(sc, g, NULL, NULL));
  g_assert_true(es_scenario_set(sc, r, NULL, NULL));
  g_assert_true(es_scenario_set(sc, segws ? "national.segws=true" : "national.segws=false", NULL,
                                NULL));
  g_assert_true(es_scenario_validate(sc, NULL));
  return sc;
}

/* Three regions, two RA/CAs: SeGW r-1 is segw-<r> on region-<r>'s router over a metro link of
 * the range's lower delay, fetching from RA/CA (r-1) mod 2, after every other node; those
 * nodes are node for node the layout without SeGWs. */
static void test_national(void) {
  g_autoptr(EsScenario) sc = national(600, 3, 2, TRUE);
  g_autoptr(EsScenario) plain_sc = national(600, 3, 2, FALSE);
  g_autoptr(EsTopology) topo = es_topology_new(&sc->topology, sc->enbs, NULL);
  g_autoptr(EsTopology) plain = es_topology_new(&plain_sc->topology, plain_sc->enbs, NULL);
  g_assert_cmpuint(es_topology_segws(plain), ==, 0);
  g_assert_cmpuint(es_topology_segws(topo), ==, 3);
  guint n = es_topology_size(plain);
  g_assert_cmpuint(es_topology_size(topo), ==, n + 3);
  for (guint i = 0; i < n; i++) {
    const EsTopoNode *x = es_topology_node(topo, i), *y = es_topology_node(plain, i);
    g_assert_cmpint(x->role, ==, y->role);
    g_assert_cmpuint(x->parent, ==, y->parent);
    g_assert_cmpuint(x->number, ==, y->number);
    g_assert_cmpuint(x->raca, ==, y->raca);
    g_assert_cmpfloat(x->uplink.delay_s, ==, y->uplink.delay_s);
    g_assert_cmpfloat(x->uplink.rate_bps, ==, y->uplink.rate_bps);
    g_assert_cmpstr(es_topology_node_name(topo, i), ==, es_topology_node_name(plain, i));
  }
  for (guint s = 0; s < 3; s++) {
    guint i = es_topology_segw_node(topo, s);
    g_assert_cmpuint(i, ==, n + s);
    const EsTopoNode *node = es_topology_node(topo, i);
    g_assert_cmpint(node->role, ==, ES_NODE_SEGW);
    g_assert_cmpuint(node->number, ==, s);
    g_assert_cmpstr(node->access, ==, "segw");
    g_autofree char *name = g_strdup_printf("segw-%u", s + 1);
    g_autofree char *region = g_strdup_printf("region-%u", s + 1);
    g_assert_cmpstr(es_topology_node_name(topo, i), ==, name);
    g_assert_cmpstr(es_topology_node_name(topo, node->parent), ==, region);
    g_assert_cmpfloat(node->uplink.rate_bps, ==, sc->topology.metro_rate_bps);
    g_assert_cmpfloat(node->uplink.delay_s, ==, sc->topology.metro_latency.v[0]);
    g_assert_cmpuint(es_topology_segw_raca(topo, s), ==, s % 2);
    /* The region's eNBs enrol with the RA/CA its SeGW fetches from. */
    g_assert_cmpuint(es_topology_enb_raca(topo, 200 * s + 1), ==, s % 2);
  }
}

/* Only the national layout reads national.segws: any other type warns that it has no effect. */
static void test_readers(void) {
  g_assert_true(es_topology_type_reads(ES_TOPOLOGY_NATIONAL, "national", "segws"));
  g_assert_false(es_topology_type_reads(ES_TOPOLOGY_TREE, "national", "segws"));
  g_assert_false(es_topology_type_reads(ES_TOPOLOGY_FILE, "national", "segws"));
  g_autoptr(EsScenario) sc = es_scenario_new();
  GError *error = NULL;
  g_assert_false(es_scenario_set(sc, "national.segws=2", NULL, &error));
  g_assert_nonnull(error);
  g_error_free(error);
}

static char *write_topo(const char *text) {
  GError *error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp("es-topo-XXXXXX.topo", &path, &error);
  g_assert_no_error(error);
  close(fd);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

static guint node_named(const EsTopology *topo, const char *name) {
  for (guint i = 0; i < es_topology_size(topo); i++)
    if (g_strcmp0(es_topology_node_name(topo, i), name) == 0)
      return i;
  g_assert_not_reached();
}

/* SeGWs numbered in file order; raca= or the nearest RA/CA; a SeGW forwards like a router
 * (an eNB may hang below one). */
static void test_file(void) {
  g_autofree char *path = write_topo("node core router\n"
                                     "node raca-west raca\n"
                                     "node metro-e router\n"
                                     "node raca-east raca\n"
                                     "node gw-east segw\n"
                                     "node gw-core segw raca=raca-east\n"
                                     "node e1 enb\n"
                                     "node e2 enb\n"
                                     "link core raca-west 10Gbps 0.5ms\n"
                                     "link core metro-e 10Gbps 2ms\n"
                                     "link metro-e raca-east 10Gbps 0.5ms\n"
                                     "link metro-e gw-east 10Gbps 0.1ms\n"
                                     "link core gw-core 10Gbps 0.1ms\n"
                                     "link core e1 1Gbps 1ms\n"
                                     "link gw-east e2 1Gbps 1ms\n");
  GError *error = NULL;
  g_autoptr(EsTopology) topo = es_topology_load(path, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(es_topology_segws(topo), ==, 2);
  g_assert_cmpuint(es_topology_enbs(topo), ==, 2);
  g_assert_cmpuint(es_topology_segw_node(topo, 0), ==, node_named(topo, "gw-east"));
  g_assert_cmpuint(es_topology_segw_node(topo, 1), ==, node_named(topo, "gw-core"));
  /* gw-east: nearest is raca-east (2 hops, raca-west 3); gw-core: by name, though raca-west
   * is nearer. */
  g_assert_cmpuint(es_topology_segw_raca(topo, 0), ==, 1);
  g_assert_cmpuint(es_topology_segw_raca(topo, 1), ==, 1);
  const EsTopoNode *gw = es_topology_node(topo, es_topology_segw_node(topo, 0));
  g_assert_cmpint(gw->role, ==, ES_NODE_SEGW);
  g_assert_cmpstr(gw->access, ==, "segw");
  g_assert_cmpfloat(gw->uplink.delay_s, ==, 0.0001);
  /* e2 hangs below the SeGW and enrols with the RA/CA nearest to it. */
  const EsTopoNode *e2 = es_topology_node(topo, es_topology_enb_node(topo, 2));
  g_assert_cmpuint(e2->parent, ==, es_topology_segw_node(topo, 0));
  g_assert_cmpuint(es_topology_enb_raca(topo, 2), ==, 1);
  g_assert_cmpstr(es_topology_enb_access(topo, 2), ==, "gw-east");
  g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*segw*");
  g_assert_cmpuint(es_topology_segw_node(topo, 2), ==, G_MAXUINT);
  g_test_assert_expected_messages();
  g_remove(path);
}

typedef struct {
  const char *name;
  const char *text;
  EsTopologyError code;
  guint line;
  const char *expect;
} BadFile;

#define HEAD "node core router\nnode ra raca\nnode e enb\nlink core ra 10Gbps 1ms\n" \
             "link core e 1Gbps 1ms\n"
static const BadFile bad_files[] = {
    {"raca-unknown", HEAD "node g segw raca=rb\nlink core g 10Gbps 1ms\n",
     ES_TOPOLOGY_ERROR_INVALID, 6, "raca=rb: unknown node"},
    {"raca-not-raca", HEAD "node g segw raca=e\nlink core g 10Gbps 1ms\n",
     ES_TOPOLOGY_ERROR_INVALID, 6, "raca=e: not an RA/CA"},
    {"ca-on-segw", HEAD "node g segw ca=ra\n", ES_TOPOLOGY_ERROR_SYNTAX, 6,
     "only a raca ca=NAME"},
    {"attribute", HEAD "node g segw enbs=e\n", ES_TOPOLOGY_ERROR_SYNTAX, 6,
     "unexpected 'enbs=e'"},
    {"fields", HEAD "node g segw raca=ra extra\n", ES_TOPOLOGY_ERROR_SYNTAX, 6,
     "expected 'node NAME router|raca|enb|ca|segw"},
    {"disconnected", HEAD "node g segw\n", ES_TOPOLOGY_ERROR_INVALID, 6,
     "node 'g' is not connected to 'core'"},
    {"duplicate", HEAD "node e segw\n", ES_TOPOLOGY_ERROR_INVALID, 6,
     "node 'e' already declared on line 3"},
    {"role", HEAD "node g gateway\n", ES_TOPOLOGY_ERROR_SYNTAX, 6,
     "unknown role 'gateway' (expected router, raca, enb, ca or segw)"},
};

static void test_bad_file(gconstpointer data) {
  const BadFile *c = data;
  g_autofree char *path = write_topo(c->text);
  GError *error = NULL;
  g_assert_null(es_topology_load(path, &error));
  g_assert_error(error, ES_TOPOLOGY_ERROR, (gint)c->code);
  g_test_message("%s", error->message);
  g_autofree char *where = g_strdup_printf("%s:%u: ", path, c->line);
  g_assert_true(g_str_has_prefix(error->message, where));
  g_assert_nonnull(strstr(error->message, c->expect));
  g_error_free(error);
  g_remove(path);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/topology/segw/national", test_national);
  g_test_add_func("/topology/segw/readers", test_readers);
  g_test_add_func("/topology/segw/file", test_file);
  for (gsize i = 0; i < G_N_ELEMENTS(bad_files); i++) {
    g_autofree char *name = g_strdup_printf("/topology/segw/bad/%s", bad_files[i].name);
    g_test_add_data_func(name, &bad_files[i], test_bad_file);
  }
  return g_test_run();
}

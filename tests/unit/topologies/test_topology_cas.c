/* Unit tests of split PKIs in topologies: CA nodes of the generated layouts (topology.cas,
 * [ca_link]), the layouts unchanged without them, and CA nodes in topology files. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/es_scenario.h"
#include "topologies/es_topology.h"

static void assert_link(const EsLinkParams *got, const EsLinkParams *want) {
  g_assert_cmpfloat(got->rate_bps, ==, want->rate_bps);
  g_assert_cmpfloat(got->delay_s, ==, want->delay_s);
  g_assert_cmpfloat(got->loss, ==, want->loss);
}

static EsScenario *scenario_of(const char *type, guint enbs, guint racas, guint cas) {
  EsScenario *sc = es_scenario_new();
  sc->enbs = enbs;
  g_autofree char *t = g_strdup_printf("topology.type=%s", type);
  g_autofree char *r = g_strdup_printf("topology.racas=%u", racas);
  g_autofree char *c = g_strdup_printf("topology.cas=%u", cas);
  g_assert_true(es_scenario_set(sc, t, NULL, NULL));
  g_assert_true(es_scenario_set(sc, r, NULL, NULL));
  g_assert_true(es_scenario_set(sc, c, NULL, NULL));
  /* A link no other one has, so a CA on the wrong link shows. */
  g_assert_true(es_scenario_set(sc, "ca_link.rate=300Mbps", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "ca_link.latency=17ms", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "ca_link.loss=0.01", NULL, NULL));
  return sc;
}

/* Node for node, the same uplinks, roles, numbers and names. */
static void assert_same(const EsTopology *a, const EsTopology *b) {
  g_assert_cmpuint(es_topology_size(a), ==, es_topology_size(b));
  for (guint i = 0; i < es_topology_size(a); i++) {
    const EsTopoNode *x = es_topology_node(a, i), *y = es_topology_node(b, i);
    g_assert_cmpint(x->role, ==, y->role);
    g_assert_cmpuint(x->parent, ==, y->parent);
    g_assert_cmpuint(x->number, ==, y->number);
    g_assert_cmpuint(x->raca, ==, y->raca);
    g_assert_cmpuint(x->ca, ==, y->ca);
    assert_link(&x->uplink, &y->uplink);
    g_assert_cmpstr(es_topology_node_name(a, i), ==, es_topology_node_name(b, i));
    g_assert_cmpstr(x->access, ==, y->access);
  }
}

/* With topology.cas = 2 and 3 RA/CAs: CA nodes right after the RA/CAs, on the core router
 * over [ca_link], RA/CA r behind CA r mod 2; the rest of the layout as without CAs, shifted by
 * the two nodes. */
static void test_generated(gconstpointer data) {
  const char *type = data;
  g_autoptr(EsScenario) sc = scenario_of(type, 200, 3, 2);
  GError *error = NULL;
  g_assert_true(es_scenario_validate(sc, &error));
  g_assert_no_error(error);
  g_autoptr(EsTopology) topo = es_topology_new(&sc->topology, sc->enbs, &error);
  g_assert_no_error(error);
  g_autoptr(EsScenario) plain_sc = scenario_of(type, 200, 3, 0);
  g_autoptr(EsTopology) plain = es_topology_new(&plain_sc->topology, plain_sc->enbs, &error);
  g_assert_no_error(error);

  g_assert_cmpuint(es_topology_cas(topo), ==, 2);
  g_assert_cmpuint(es_topology_cas(plain), ==, 0);
  g_assert_cmpuint(es_topology_size(topo), ==, es_topology_size(plain) + 2);
  for (guint c = 0; c < 2; c++) {
    guint i = es_topology_ca_node(topo, c);
    g_assert_cmpuint(i, ==, 1 + 3 + c);
    const EsTopoNode *n = es_topology_node(topo, i);
    g_assert_cmpint(n->role, ==, ES_NODE_CA);
    g_assert_cmpuint(n->number, ==, c);
    g_assert_cmpuint(n->parent, ==, 0);
    g_assert_cmpuint(n->ca, ==, 0);
    assert_link(&n->uplink, &sc->topology.ca_link);
    g_autofree char *name = g_strdup_printf("ca-%u", c);
    g_assert_cmpstr(es_topology_node_name(topo, i), ==, name);
  }
  for (guint r = 0; r < 3; r++) {
    const EsTopoNode *n = es_topology_node(topo, es_topology_raca_node(topo, r));
    g_assert_cmpuint(es_topology_raca_ca(topo, r), ==, r % 2);
    g_assert_cmpuint(n->ca, ==, r % 2);
    g_assert_cmpuint(es_topology_raca_ca(plain, r), ==, G_MAXUINT);
    g_assert_cmpuint(es_topology_node(plain, es_topology_raca_node(plain, r))->ca, ==, 0);
  }
  /* Below the CAs, everything else is the layout without them, two nodes further on. */
  for (guint i = 1 + 3 + 2; i < es_topology_size(topo); i++) {
    const EsTopoNode *x = es_topology_node(topo, i), *y = es_topology_node(plain, i - 2);
    g_assert_cmpint(x->role, ==, y->role);
    g_assert_cmpint(x->role, !=, ES_NODE_CA);
    g_assert_cmpuint(x->number, ==, y->number);
    g_assert_cmpuint(x->raca, ==, y->raca);
    g_assert_cmpuint(x->parent, ==, y->parent < 4 ? y->parent : y->parent + 2);
    assert_link(&x->uplink, &y->uplink);
  }
  for (guint k = 1; k <= 200; k++)
    g_assert_cmpuint(es_topology_enb_raca(topo, k), ==, es_topology_enb_raca(plain, k));
}

/* topology.cas = 0 (the default) is the layout of before CAs, whatever [ca_link] says. */
static void test_no_cas(gconstpointer data) {
  const char *type = data;
  g_autoptr(EsScenario) sc = scenario_of(type, 120, 2, 0);
  g_autoptr(EsScenario) defaults = es_scenario_new();
  defaults->enbs = 120;
  g_autofree char *t = g_strdup_printf("topology.type=%s", type);
  g_assert_true(es_scenario_set(defaults, t, NULL, NULL));
  g_assert_true(es_scenario_set(defaults, "topology.racas=2", NULL, NULL));
  g_assert_cmpuint(defaults->topology.cas, ==, 0);
  g_autoptr(EsTopology) a = es_topology_new(&sc->topology, sc->enbs, NULL);
  g_autoptr(EsTopology) b = es_topology_new(&defaults->topology, defaults->enbs, NULL);
  assert_same(a, b);
  /* Core, RA/CAs, routers, eNBs: tree 11 aggregation routers (about sqrt(120)), national one
   * region with 11 of them and a teleport. */
  guint expect = g_str_equal(type, "star")   ? 1 + 2 + 120
                 : g_str_equal(type, "tree") ? 1 + 2 + 11 + 120
                                             : 1 + 2 + 1 + 11 + 1 + 120;
  g_assert_cmpuint(es_topology_size(a), ==, expect);
  for (guint i = 0; i < es_topology_size(a); i++)
    g_assert_cmpint(es_topology_node(a, i)->role, !=, ES_NODE_CA);
  g_assert_cmpuint(es_topology_cas(a), ==, 0);
}

static char *write_topo(const char *text) {
  char *path = NULL;
  int fd = g_file_open_tmp("es-topo-XXXXXX.topo", &path, NULL);
  g_assert_cmpint(fd, >=, 0);
  close(fd);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

/* The keys: defaults, bounds, cas <= racas, and which layouts read them. */
static void test_keys(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  g_assert_cmpuint(sc->topology.cas, ==, 0);
  g_assert_cmpfloat(sc->topology.ca_link.rate_bps, ==, 1e9);
  g_assert_cmpfloat(sc->topology.ca_link.delay_s, ==, 0.010);
  g_assert_cmpfloat(sc->topology.ca_link.loss, ==, 0);
  g_assert_null(sc->topology.ca_link.outages);
  GError *error = NULL;
  g_assert_false(es_scenario_set(sc, "topology.cas=65", NULL, &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE);
  g_clear_error(&error);
  g_assert_false(es_scenario_set(sc, "ca_link.loss=2", NULL, &error));
  g_clear_error(&error);
  g_assert_true(es_scenario_set(sc, "ca_link.outages=5s+10s", NULL, NULL));
  g_assert_nonnull(sc->topology.ca_link.outages);
  g_assert_true(es_scenario_set(sc, "topology.cas=2", NULL, NULL));
  g_assert_false(es_topology_config_check(&sc->topology, sc->enbs, &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE);
  g_assert_nonnull(strstr(error->message, "topology.cas (2) exceeds topology.racas (1)"));
  g_clear_error(&error);
  g_assert_true(es_scenario_set(sc, "topology.racas=2", NULL, NULL));
  g_assert_true(es_topology_config_check(&sc->topology, sc->enbs, &error));
  g_assert_no_error(error);
  g_assert_true(es_scenario_set(sc, "ca_link.burst_enter=0.1", NULL, NULL));
  g_assert_false(es_topology_config_check(&sc->topology, sc->enbs, &error));
  g_assert_nonnull(strstr(error->message, "ca_link.burst_exit"));
  g_clear_error(&error);

  const EsTopologyType generated[] = {ES_TOPOLOGY_TREE, ES_TOPOLOGY_STAR, ES_TOPOLOGY_NATIONAL};
  for (gsize i = 0; i < G_N_ELEMENTS(generated); i++) {
    g_assert_true(es_topology_type_reads(generated[i], "topology", "cas"));
    g_assert_true(es_topology_type_reads(generated[i], "ca_link", "latency"));
  }
  g_assert_false(es_topology_type_reads(ES_TOPOLOGY_FILE, "topology", "cas"));
  g_assert_false(es_topology_type_reads(ES_TOPOLOGY_FILE, "ca_link", "rate"));
  /* A file is not held to topology.cas: it declares its own CAs. */
  g_assert_true(es_scenario_set(sc, "ca_link.burst_enter=0", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "topology.racas=1", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "topology.type=file", NULL, NULL));
  g_autofree char *path = write_topo("node core router\n");
  g_assert_true(es_scenario_set(sc, "topology.file", path, NULL));
  g_assert_true(es_topology_config_check(&sc->topology, sc->enbs, NULL));
  g_remove(path);
  /* Set under a file, they are named as keys the layout does not read. */
  g_auto(GStrv) warnings = es_scenario_warnings(sc);
  g_autofree char *all = g_strjoinv("\n", warnings);
  g_assert_nonnull(strstr(all, "topology.cas"));
  g_assert_nonnull(strstr(all, "ca_link."));
}

static guint node_named(const EsTopology *topo, const char *name) {
  for (guint i = 0; i < es_topology_size(topo); i++)
    if (g_strcmp0(es_topology_node_name(topo, i), name) == 0)
      return i;
  g_assert_not_reached();
}

/* CAs declared anywhere, numbered in file order; an RA/CA's ca= or the first CA; eNBs pick
 * the nearest RA/CA even where a CA is nearer. */
static const char ca_file[] =
    "node core router\n"
    "node ca-east ca\n"
    "node ra-1 raca ca=ca-west\n"
    "node ra-2 raca\n"
    "node ca-west ca\n"
    "node agg router\n"
    "node site-1 enb\n"
    "node site-2 enb\n"
    "link core ca-east 1Gbps 20ms\n"
    "link core ra-1 10Gbps 1ms\n"
    "link core agg 1Gbps 2ms\n"
    "link agg ra-2 10Gbps 1ms\n"
    "link agg ca-west 1Gbps 5ms 0.001\n"
    "link ca-west site-1 100Mbps 3ms   # a CA forwards, and is still no eNB's RA/CA\n"
    "link core site-2 100Mbps 3ms\n";

static void test_file(void) {
  g_autofree char *path = write_topo(ca_file);
  GError *error = NULL;
  g_autoptr(EsTopology) topo = es_topology_load(path, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(es_topology_size(topo), ==, 8);
  g_assert_cmpuint(es_topology_racas(topo), ==, 2);
  g_assert_cmpuint(es_topology_cas(topo), ==, 2);
  guint east = node_named(topo, "ca-east"), west = node_named(topo, "ca-west");
  g_assert_cmpuint(es_topology_ca_node(topo, 0), ==, east);
  g_assert_cmpuint(es_topology_ca_node(topo, 1), ==, west);
  g_assert_cmpint(es_topology_node(topo, west)->role, ==, ES_NODE_CA);
  g_assert_cmpuint(es_topology_node(topo, west)->parent, ==, node_named(topo, "agg"));
  g_assert_cmpfloat(es_topology_node(topo, west)->uplink.loss, ==, 0.001);
  g_assert_cmpfloat(es_topology_node(topo, east)->uplink.delay_s, ==, 0.020);
  /* ra-1 says ca-west (CA 1); ra-2 says nothing: the first CA declared, ca-east. */
  g_assert_cmpuint(es_topology_raca_ca(topo, 0), ==, 1);
  g_assert_cmpuint(es_topology_raca_ca(topo, 1), ==, 0);
  /* site-1 hangs on ca-west: its nearest RA/CA is ra-2 (three hops), not the CA (one). */
  g_assert_cmpuint(es_topology_enb_raca(topo, 1), ==, 1);
  g_assert_cmpuint(es_topology_enb_raca(topo, 2), ==, 0);
  g_remove(path);

  /* A file without CAs: none, and no RA/CA has one. */
  g_free(path);
  path = write_topo("node core router\nnode ra raca\nnode e enb\n"
                    "link core ra 10Gbps 1ms\nlink core e 1Gbps 1ms\n");
  g_autoptr(EsTopology) none = es_topology_load(path, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(es_topology_cas(none), ==, 0);
  g_assert_cmpuint(es_topology_raca_ca(none, 0), ==, G_MAXUINT);
  g_remove(path);
}

/* Look-ups out of range warn and return an impossible index. */
static void test_out_of_range(void) {
  g_autoptr(EsScenario) sc = scenario_of("tree", 5, 2, 1);
  g_autoptr(EsTopology) topo = es_topology_new(&sc->topology, sc->enbs, NULL);
  g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*ca*");
  g_assert_cmpuint(es_topology_ca_node(topo, 1), ==, G_MAXUINT);
  g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*raca*");
  g_assert_cmpuint(es_topology_raca_ca(topo, 2), ==, G_MAXUINT);
  g_test_assert_expected_messages();
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  static const char *const types[] = {"tree", "star", "national"};
  for (gsize i = 0; i < G_N_ELEMENTS(types); i++) {
    g_autofree char *gen = g_strdup_printf("/topology/cas/generated/%s", types[i]);
    g_autofree char *none = g_strdup_printf("/topology/cas/none/%s", types[i]);
    g_test_add_data_func(gen, types[i], test_generated);
    g_test_add_data_func(none, types[i], test_no_cas);
  }
  g_test_add_func("/topology/cas/keys", test_keys);
  g_test_add_func("/topology/cas/file", test_file);
  g_test_add_func("/topology/cas/out-of-range", test_out_of_range);
  return g_test_run();
}

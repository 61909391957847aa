/* Unit tests of the backhaul tree: node counts and roles, who hangs below whom, which link
 * each uplink gets, an even spread of eNBs over aggregation routers, and 100k-eNB scale. */
#include <glib.h>

#include "es_scenario.h"
#include "es_topology.h"

typedef struct {
  const char *name;
  guint enbs;
  guint aggregations; /* as configured; 0 = automatic */
  guint expect_aggs;
} TreeCase;

static const TreeCase tree_cases[] = {
    {"n1-auto", 1, 0, 1},      {"n10-auto", 10, 0, 3},     {"n100-auto", 100, 0, 10},
    {"n3-auto", 3, 0, 2},      {"n10-explicit", 10, 4, 4}, {"n100-explicit", 100, 7, 7},
    {"n1-explicit", 1, 1, 1},  {"n10-one-agg", 10, 1, 1},  {"n10-all-aggs", 10, 10, 10},
};

static EsScenario *scenario_for(guint enbs, guint aggregations) {
  EsScenario *sc = es_scenario_new();
  sc->enbs = enbs;
  sc->aggregations = aggregations;
  /* Distinct links, so a node with the wrong uplink shows. */
  sc->access = (EsLinkParams){.rate_bps = 1e6, .delay_s = 0.011, .loss = 0.1};
  sc->aggregation = (EsLinkParams){.rate_bps = 2e6, .delay_s = 0.022, .loss = 0.2};
  sc->core = (EsLinkParams){.rate_bps = 3e6, .delay_s = 0.033, .loss = 0.3};
  return sc;
}

static void assert_link(const EsLinkParams *got, const EsLinkParams *want) {
  g_assert_cmpfloat(got->rate_bps, ==, want->rate_bps);
  g_assert_cmpfloat(got->delay_s, ==, want->delay_s);
  g_assert_cmpfloat(got->loss, ==, want->loss);
}

static void test_tree(gconstpointer data) {
  const TreeCase *c = data;
  g_autoptr(EsScenario) sc = scenario_for(c->enbs, c->aggregations);
  g_autoptr(EsTopology) topo = es_topology_new_tree(sc);
  g_assert_nonnull(topo);
  guint a = c->expect_aggs, n = c->enbs;
  g_assert_cmpuint(es_topology_size(topo), ==, 2 + a + n);
  g_assert_cmpuint(es_topology_enbs(topo), ==, n);

  const EsTopoNode *core = es_topology_node(topo, 0);
  g_assert_cmpint(core->role, ==, ES_NODE_ROUTER);
  g_assert_cmpuint(core->parent, ==, 0);

  guint raca = es_topology_raca_node(topo, 0);
  g_assert_cmpuint(raca, ==, 1);
  const EsTopoNode *rn = es_topology_node(topo, raca);
  g_assert_cmpint(rn->role, ==, ES_NODE_RACA);
  g_assert_cmpuint(rn->number, ==, 0);
  g_assert_cmpuint(rn->parent, ==, 0);
  assert_link(&rn->uplink, &sc->core);

  guint routers = 0, racas = 0, enbs = 0;
  g_autofree guint *children = g_new0(guint, es_topology_size(topo));
  for (guint i = 0; i < es_topology_size(topo); i++) {
    const EsTopoNode *node = es_topology_node(topo, i);
    /* Parents precede children, so a single forward pass can build the network. */
    g_assert_cmpuint(node->parent, <=, i);
    if (i > 0)
      g_assert_cmpuint(node->parent, <, i);
    switch (node->role) {
    case ES_NODE_ROUTER: routers++; break;
    case ES_NODE_RACA: racas++; break;
    case ES_NODE_ENB: enbs++; break;
    }
  }
  g_assert_cmpuint(routers, ==, 1 + a);
  g_assert_cmpuint(racas, ==, 1);
  g_assert_cmpuint(enbs, ==, n);

  for (guint k = 1; k <= n; k++) {
    guint idx = es_topology_enb_node(topo, k);
    const EsTopoNode *enb = es_topology_node(topo, idx);
    g_assert_cmpint(enb->role, ==, ES_NODE_ENB);
    g_assert_cmpuint(enb->number, ==, k);
    assert_link(&enb->uplink, &sc->access);
    /* Every eNB sits one aggregation router below the core. */
    const EsTopoNode *agg = es_topology_node(topo, enb->parent);
    g_assert_cmpint(agg->role, ==, ES_NODE_ROUTER);
    g_assert_cmpuint(enb->parent, !=, 0);
    g_assert_cmpuint(agg->parent, ==, 0);
    assert_link(&agg->uplink, &sc->aggregation);
    /* Round-robin: eNB k on router (k-1) mod A. */
    g_assert_cmpuint(enb->parent, ==, 2 + (k - 1) % a);
    children[enb->parent]++;
  }
  guint lo = G_MAXUINT, hi = 0;
  for (guint r = 2; r < 2 + a; r++) {
    lo = MIN(lo, children[r]);
    hi = MAX(hi, children[r]);
  }
  g_assert_cmpuint(hi - lo, <=, 1);
}

/* A 100k-eNB run must not spend its memory or start-up time on the topology. */
static void test_large(void) {
  g_autoptr(EsScenario) sc = scenario_for(100000, 0);
  g_autoptr(EsTopology) topo = es_topology_new_tree(sc);
  g_assert_nonnull(topo);
  g_assert_cmpuint(es_topology_size(topo), ==, 2 + 316 + 100000);
  const EsTopoNode *last = es_topology_node(topo, es_topology_enb_node(topo, 100000));
  g_assert_cmpuint(last->number, ==, 100000);
  g_assert_cmpuint(last->parent, ==, 2 + 99999 % 316);
}

/* Out-of-range look-ups warn and return an impossible index instead of a wrong node. */
static void test_out_of_range(void) {
  g_autoptr(EsScenario) sc = scenario_for(5, 0);
  g_autoptr(EsTopology) topo = es_topology_new_tree(sc);
  g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*enb*");
  g_assert_cmpuint(es_topology_enb_node(topo, 6), ==, G_MAXUINT);
  g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*enb*");
  g_assert_cmpuint(es_topology_enb_node(topo, 0), ==, G_MAXUINT);
  g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*raca*");
  g_assert_cmpuint(es_topology_raca_node(topo, 1), ==, G_MAXUINT);
  g_test_assert_expected_messages();
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(tree_cases); i++) {
    g_autofree char *name = g_strdup_printf("/topology/tree/%s", tree_cases[i].name);
    g_test_add_data_func(name, &tree_cases[i], test_tree);
  }
  g_test_add_func("/topology/large", test_large);
  g_test_add_func("/topology/out-of-range", test_out_of_range);
  return g_test_run();
}

/* Unit tests of backhaul topologies: the tree, star and national generators (node and link
 * counts, roles, who hangs below whom, which link each uplink gets, RA/CA assignment), topology
 * files and each way a file is refused, and 100k-eNB scale. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/es_scenario.h"
#include "topologies/es_topology.h"

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
  sc->topology.aggregations = aggregations;
  /* Distinct links, so a node with the wrong uplink shows. */
  sc->topology.access = (EsLinkParams){.rate_bps = 1e6, .delay_s = 0.011, .loss = 0.1};
  sc->topology.aggregation = (EsLinkParams){.rate_bps = 2e6, .delay_s = 0.022, .loss = 0.2};
  sc->topology.core = (EsLinkParams){.rate_bps = 3e6, .delay_s = 0.033, .loss = 0.3};
  return sc;
}

static void assert_link(const EsLinkParams *got, const EsLinkParams *want) {
  g_assert_cmpfloat(got->rate_bps, ==, want->rate_bps);
  g_assert_cmpfloat(got->delay_s, ==, want->delay_s);
  g_assert_cmpfloat(got->loss, ==, want->loss);
}

/* What every topology must be, whatever made it: node 0 the root, parents before children (one
 * forward pass builds the network), N links for N+1 nodes, eNBs and RA/CAs numbered densely and
 * found where the look-ups say, every eNB assigned an existing RA/CA, positive link rates. */
static void assert_tree_shape(const EsTopology *topo) {
  guint n = es_topology_size(topo), enbs = 0, racas = 0, cas = 0, links = 0;
  g_assert_cmpuint(es_topology_node(topo, 0)->parent, ==, 0);
  for (guint i = 0; i < n; i++) {
    const EsTopoNode *node = es_topology_node(topo, i);
    if (i > 0) {
      g_assert_cmpuint(node->parent, <, i);
      g_assert_cmpfloat(node->uplink.rate_bps, >, 0);
      links++;
    }
    if (node->role == ES_NODE_ENB) {
      enbs++;
      g_assert_cmpuint(es_topology_enb_node(topo, node->number), ==, i);
      g_assert_cmpuint(node->raca, <, es_topology_racas(topo));
      g_assert_cmpuint(es_topology_enb_raca(topo, node->number), ==, node->raca);
    } else if (node->role == ES_NODE_RACA) {
      racas++;
      g_assert_cmpuint(es_topology_raca_node(topo, node->number), ==, i);
      /* Behind an existing CA when there are CAs; G_MAXUINT (none) otherwise. */
      if (es_topology_cas(topo) > 0)
        g_assert_cmpuint(es_topology_raca_ca(topo, node->number), <, es_topology_cas(topo));
      else
        g_assert_cmpuint(es_topology_raca_ca(topo, node->number), ==, G_MAXUINT);
      guint ca = es_topology_cas(topo) > 0 ? es_topology_raca_ca(topo, node->number) : 0;
      g_assert_cmpuint(node->ca, ==, ca);
    } else if (node->role == ES_NODE_CA) {
      cas++;
      g_assert_cmpuint(es_topology_ca_node(topo, node->number), ==, i);
    }
  }
  g_assert_cmpuint(links, ==, n - 1);
  g_assert_cmpuint(enbs, ==, es_topology_enbs(topo));
  g_assert_cmpuint(racas, ==, es_topology_racas(topo));
  g_assert_cmpuint(cas, ==, es_topology_cas(topo));
}

static void test_tree(gconstpointer data) {
  const TreeCase *c = data;
  g_autoptr(EsScenario) sc = scenario_for(c->enbs, c->aggregations);
  g_autoptr(EsTopology) topo = es_topology_new_tree(&sc->topology, sc->enbs);
  g_assert_nonnull(topo);
  assert_tree_shape(topo);
  guint a = c->expect_aggs, n = c->enbs;
  g_assert_cmpuint(es_topology_size(topo), ==, 2 + a + n);
  g_assert_cmpuint(es_topology_enbs(topo), ==, n);

  const EsTopoNode *core = es_topology_node(topo, 0);
  g_assert_cmpint(core->role, ==, ES_NODE_ROUTER);
  g_assert_cmpuint(core->parent, ==, 0);
  g_assert_cmpstr(es_topology_node_name(topo, 0), ==, "core");

  guint raca = es_topology_raca_node(topo, 0);
  g_assert_cmpuint(raca, ==, 1);
  const EsTopoNode *rn = es_topology_node(topo, raca);
  g_assert_cmpint(rn->role, ==, ES_NODE_RACA);
  g_assert_cmpuint(rn->number, ==, 0);
  g_assert_cmpuint(rn->parent, ==, 0);
  g_assert_cmpstr(es_topology_node_name(topo, raca), ==, "raca-0");
  assert_link(&rn->uplink, &sc->topology.core);

  guint routers = 0, racas = 0, enbs = 0;
  g_autofree guint *children = g_new0(guint, es_topology_size(topo));
  for (guint i = 0; i < es_topology_size(topo); i++) {
    switch (es_topology_node(topo, i)->role) {
    case ES_NODE_ROUTER: routers++; break;
    case ES_NODE_RACA: racas++; break;
    case ES_NODE_ENB: enbs++; break;
    case ES_NODE_CA: g_assert_not_reached(); /* topology.cas is 0 */
    case ES_NODE_SEGW: g_assert_not_reached(); /* no national.segws in a tree */
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
    g_assert_null(es_topology_node_name(topo, idx));
    assert_link(&enb->uplink, &sc->topology.access);
    /* Every eNB sits one aggregation router below the core. */
    const EsTopoNode *agg = es_topology_node(topo, enb->parent);
    g_assert_cmpint(agg->role, ==, ES_NODE_ROUTER);
    g_assert_cmpuint(enb->parent, !=, 0);
    g_assert_cmpuint(agg->parent, ==, 0);
    assert_link(&agg->uplink, &sc->topology.aggregation);
    /* Round-robin: eNB k on router (k-1) mod A, as the built-in tree always did. */
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

/* tree.fanout = 3,4: 3 routers below the core, 4 below each of those, eNBs round-robin over the
 * 12 at the bottom; per-level links; two RA/CAs sharing the eNBs round-robin. */
static void test_tree_levels(void) {
  g_autoptr(EsScenario) sc = scenario_for(100, 0);
  g_assert_true(es_scenario_set(sc, "tree.fanout=3,4", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "tree.rate=10Gbps,1Gbps", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "tree.latency=4ms", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "topology.racas=2", NULL, NULL));
  g_assert_true(es_scenario_validate(sc, NULL));
  g_autoptr(EsTopology) topo = es_topology_new(&sc->topology, sc->enbs, NULL);
  g_assert_nonnull(topo);
  assert_tree_shape(topo);
  g_assert_cmpuint(es_topology_size(topo), ==, 1 + 2 + 3 + 12 + 100);
  g_assert_cmpuint(es_topology_racas(topo), ==, 2);
  /* Nodes 3..5 are level 1, 6..17 level 2 (four per level-1 router, in order). */
  for (guint i = 3; i < 6; i++) {
    const EsTopoNode *r = es_topology_node(topo, i);
    g_assert_cmpuint(r->parent, ==, 0);
    g_assert_cmpfloat(r->uplink.rate_bps, ==, 10e9);
    g_assert_cmpfloat(r->uplink.delay_s, ==, 0.004);
    g_assert_cmpfloat(r->uplink.loss, ==, sc->topology.aggregation.loss); /* tree.loss unset */
  }
  g_assert_cmpstr(es_topology_node_name(topo, 3), ==, "l1-1");
  g_assert_cmpstr(es_topology_node_name(topo, 17), ==, "l2-12");
  for (guint j = 0; j < 12; j++) {
    const EsTopoNode *r = es_topology_node(topo, 6 + j);
    g_assert_cmpuint(r->parent, ==, 3 + j / 4);
    g_assert_cmpfloat(r->uplink.rate_bps, ==, 1e9);
  }
  for (guint k = 1; k <= 100; k++) {
    const EsTopoNode *e = es_topology_node(topo, es_topology_enb_node(topo, k));
    g_assert_cmpuint(e->parent, ==, 6 + (k - 1) % 12);
    g_assert_cmpuint(es_topology_enb_raca(topo, k), ==, (k - 1) % 2);
  }
}

static void test_star(void) {
  g_autoptr(EsScenario) sc = scenario_for(50, 0);
  g_assert_true(es_scenario_set(sc, "topology.type=star", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "topology.racas=3", NULL, NULL));
  g_autoptr(EsTopology) topo = es_topology_new(&sc->topology, sc->enbs, NULL);
  assert_tree_shape(topo);
  g_assert_cmpuint(es_topology_size(topo), ==, 1 + 3 + 50);
  for (guint r = 0; r < 3; r++)
    assert_link(&es_topology_node(topo, es_topology_raca_node(topo, r))->uplink, &sc->topology.core);
  guint per_raca[3] = {0};
  for (guint k = 1; k <= 50; k++) {
    const EsTopoNode *e = es_topology_node(topo, es_topology_enb_node(topo, k));
    g_assert_cmpuint(e->parent, ==, 0);
    assert_link(&e->uplink, &sc->topology.access);
    per_raca[es_topology_enb_raca(topo, k)]++;
  }
  g_assert_cmpuint(per_raca[0], ==, 17);
  g_assert_cmpuint(per_raca[2], ==, 16);
}

/* Which access class an eNB's uplink belongs to, from its rate and delay range. */
static int access_of(const EsScenario *sc, const EsLinkParams *l) {
  for (int c = 0; c < ES_ACCESS_CLASSES; c++) {
    const EsAccessClass *ac = &sc->topology.access_class[c];
    if (l->rate_bps == ac->link.rate_bps && l->loss == ac->link.loss && l->delay_s >= ac->latency.v[0] &&
        l->delay_s <= ac->latency.v[ac->latency.n - 1])
      return c;
  }
  return -1;
}

/* The national layout: regions below the core, aggregation routers and a teleport per region,
 * the access mix exactly as configured in every region, link delays within their ranges, and
 * the same network for every run seed. */
static void test_national(void) {
  g_autoptr(EsScenario) sc = scenario_for(20000, 0);
  g_assert_true(es_scenario_set(sc, "topology.type=national", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "topology.racas=2", NULL, NULL));
  g_assert_true(es_scenario_validate(sc, NULL));
  g_autoptr(EsTopology) topo = es_topology_new(&sc->topology, sc->enbs, NULL);
  assert_tree_shape(topo);
  guint regions = 0, teleports = 0, aggs = 0;
  for (guint i = 0; i < es_topology_size(topo); i++) {
    const EsTopoNode *node = es_topology_node(topo, i);
    const char *name = es_topology_node_name(topo, i);
    if (node->role != ES_NODE_ROUTER || i == 0)
      continue;
    g_assert_nonnull(name);
    if (g_str_has_prefix(name, "region-")) {
      regions++;
      g_assert_cmpuint(node->parent, ==, 0);
      g_assert_cmpfloat(node->uplink.rate_bps, ==, sc->topology.backbone_rate_bps);
      g_assert_cmpfloat(node->uplink.delay_s, >=, sc->topology.backbone_latency.v[0]);
      g_assert_cmpfloat(node->uplink.delay_s, <=, sc->topology.backbone_latency.v[1]);
    } else {
      g_assert_true(g_str_has_prefix(name, "agg-") || g_str_has_prefix(name, "teleport-"));
      teleports += g_str_has_prefix(name, "teleport-");
      aggs += g_str_has_prefix(name, "agg-");
      g_assert_true(g_str_has_prefix(es_topology_node_name(topo, node->parent), "region-"));
      g_assert_cmpfloat(node->uplink.delay_s, >=, sc->topology.metro_latency.v[0]);
      g_assert_cmpfloat(node->uplink.delay_s, <=, sc->topology.metro_latency.v[1]);
    }
  }
  g_assert_cmpuint(regions, ==, 4); /* one per 5000 eNBs */
  g_assert_cmpuint(teleports, ==, 4);
  /* 5000 - 100 satellite sites per region: about sqrt(4900) aggregation routers each. */
  g_assert_cmpuint(aggs, ==, 4 * 70);
  g_assert_cmpuint(es_topology_size(topo), ==, 1 + 2 + 4 + 4 * 70 + 4 + 20000);

  guint per_class[4][ES_ACCESS_CLASSES] = {{0}};
  for (guint k = 1; k <= 20000; k++) {
    guint region = (k - 1) / 5000;
    const EsTopoNode *e = es_topology_node(topo, es_topology_enb_node(topo, k));
    int c = access_of(sc, &e->uplink);
    g_assert_cmpint(c, >=, 0);
    per_class[region][c]++;
    const char *parent = es_topology_node_name(topo, e->parent);
    g_assert_true(g_str_has_prefix(parent, c == ES_ACCESS_SATELLITE ? "teleport-" : "agg-"));
    /* eNBs are numbered region by region: parents named after their region. */
    g_autofree char *tag = g_strdup_printf("-%u", region + 1);
    g_assert_nonnull(strstr(parent, tag));
    g_assert_cmpuint(es_topology_enb_raca(topo, k), ==, region % 2);
  }
  for (guint r = 0; r < 4; r++) {
    g_assert_cmpuint(per_class[r][ES_ACCESS_FIBRE], ==, 3000);
    g_assert_cmpuint(per_class[r][ES_ACCESS_MICROWAVE], ==, 1900);
    g_assert_cmpuint(per_class[r][ES_ACCESS_SATELLITE], ==, 100);
  }
  /* The layout does not depend on the run's seed. */
  sc->seed = 99;
  g_autoptr(EsTopology) again = es_topology_new(&sc->topology, sc->enbs, NULL);
  for (guint i = 0; i < es_topology_size(topo); i++)
    assert_link(&es_topology_node(again, i)->uplink, &es_topology_node(topo, i)->uplink);
}

/* A 100k-eNB network builds in well under a second and costs about 40 bytes a node. */
static void test_large(void) {
  g_autoptr(EsScenario) sc = scenario_for(100000, 0);
  g_autoptr(EsTopology) topo = es_topology_new_tree(&sc->topology, sc->enbs);
  g_assert_nonnull(topo);
  g_assert_cmpuint(es_topology_size(topo), ==, 2 + 316 + 100000);
  const EsTopoNode *last = es_topology_node(topo, es_topology_enb_node(topo, 100000));
  g_assert_cmpuint(last->number, ==, 100000);
  g_assert_cmpuint(last->parent, ==, 2 + 99999 % 316);

  g_assert_true(es_scenario_set(sc, "topology.type=national", NULL, NULL));
  gint64 t0 = g_get_monotonic_time();
  g_autoptr(EsTopology) national = es_topology_new(&sc->topology, sc->enbs, NULL);
  double s = (g_get_monotonic_time() - t0) / 1e6;
  g_test_message("national, 100k eNBs: %u nodes in %.3f s", es_topology_size(national), s);
  assert_tree_shape(national);
  g_assert_cmpfloat(s, <, 5);
}

/* Out-of-range look-ups warn and return an impossible index instead of a wrong node. */
static void test_out_of_range(void) {
  g_autoptr(EsScenario) sc = scenario_for(5, 0);
  g_autoptr(EsTopology) topo = es_topology_new_tree(&sc->topology, sc->enbs);
  g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*enb*");
  g_assert_cmpuint(es_topology_enb_node(topo, 6), ==, G_MAXUINT);
  g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*enb*");
  g_assert_cmpuint(es_topology_enb_node(topo, 0), ==, G_MAXUINT);
  g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*raca*");
  g_assert_cmpuint(es_topology_raca_node(topo, 1), ==, G_MAXUINT);
  g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*enb*");
  g_assert_cmpuint(es_topology_enb_raca(topo, 6), ==, G_MAXUINT);
  g_test_assert_expected_messages();
}

/* ---- topology files ------------------------------------------------------------------------ */

static char *write_topo(const char *text) {
  GError *error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp("es-topo-XXXXXX.topo", &path, &error);
  g_assert_no_error(error);
  close(fd);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

/* Declared in any order (links before nodes, children before parents), laid out breadth first
 * from the first node; eNBs and RA/CAs numbered in file order; raca= or the nearest RA/CA. */
static const char good_file[] =
    "# two RA/CAs, a chain of microwave hops and a satellite site\n"
    "node core router\n"
    "link core agg-west 1Gbps 2ms      # links may come before their nodes\n"
    "node site-3 enb raca=raca-east\n"
    "node raca-west raca\n"
    "node agg-west router\n"
    "node agg-east router\n"
    "node raca-east raca\n"
    "node site-1 enb\n"
    "node site-2 enb\n"
    "node hub router\n"
    "link core raca-west 10Gbps 1ms\n"
    "link core agg-east 1Gbps 3ms\n"
    "link agg-east raca-east 10Gbps 250us\n"
    "link agg-west site-1 400Mbps 1.5ms 0.0001\n"
    "link site-1 site-2 400Mbps 1.5ms   # site-2 is daisy-chained behind site-1\n"
    "link agg-west hub 100Mbps 0.5ms\n"
    "link hub site-3 20Mbps 270ms 0.001\n";

static guint node_named(const EsTopology *topo, const char *name) {
  for (guint i = 0; i < es_topology_size(topo); i++)
    if (g_strcmp0(es_topology_node_name(topo, i), name) == 0)
      return i;
  g_assert_not_reached();
}

static void test_file(void) {
  g_autofree char *path = write_topo(good_file);
  GError *error = NULL;
  g_autoptr(EsTopology) topo = es_topology_load(path, &error);
  g_assert_no_error(error);
  assert_tree_shape(topo);
  g_assert_cmpuint(es_topology_size(topo), ==, 9);
  g_assert_cmpuint(es_topology_enbs(topo), ==, 3);
  g_assert_cmpuint(es_topology_racas(topo), ==, 2);
  g_assert_cmpstr(es_topology_node_name(topo, 0), ==, "core");
  /* Numbers follow the file: site-3 was declared first. */
  g_assert_cmpstr(es_topology_node_name(topo, es_topology_enb_node(topo, 1)), ==, "site-3");
  g_assert_cmpstr(es_topology_node_name(topo, es_topology_enb_node(topo, 2)), ==, "site-1");
  g_assert_cmpstr(es_topology_node_name(topo, es_topology_raca_node(topo, 0)), ==, "raca-west");
  g_assert_cmpstr(es_topology_node_name(topo, es_topology_raca_node(topo, 1)), ==, "raca-east");
  /* site-3 says raca-east; site-1 and site-2 are 2 and 3 hops from raca-west, 4 and 5 from
   * raca-east. */
  g_assert_cmpuint(es_topology_enb_raca(topo, 1), ==, 1);
  g_assert_cmpuint(es_topology_enb_raca(topo, 2), ==, 0);
  g_assert_cmpuint(es_topology_enb_raca(topo, 3), ==, 0);

  const EsTopoNode *s2 = es_topology_node(topo, node_named(topo, "site-2"));
  g_assert_cmpuint(s2->parent, ==, node_named(topo, "site-1"));
  g_assert_cmpfloat(s2->uplink.rate_bps, ==, 400e6);
  g_assert_cmpfloat(s2->uplink.loss, ==, 0);
  const EsTopoNode *s3 = es_topology_node(topo, node_named(topo, "site-3"));
  g_assert_cmpuint(s3->parent, ==, node_named(topo, "hub"));
  g_assert_cmpfloat(s3->uplink.delay_s, ==, 0.27);
  g_assert_cmpfloat(s3->uplink.loss, ==, 0.001);
  const EsTopoNode *re = es_topology_node(topo, node_named(topo, "raca-east"));
  g_assert_cmpuint(re->parent, ==, node_named(topo, "agg-east"));
  g_assert_cmpfloat(re->uplink.delay_s, ==, 250e-6);
  g_remove(path);

  /* Through a scenario: the eNB count must agree. */
  g_autoptr(EsScenario) sc = es_scenario_new();
  g_free(path);
  path = write_topo(good_file);
  g_assert_true(es_scenario_set(sc, "topology.type", "file", NULL));
  g_assert_true(es_scenario_set(sc, "topology.file", path, NULL));
  g_assert_null(es_topology_new(&sc->topology, sc->enbs, &error));
  g_assert_error(error, ES_TOPOLOGY_ERROR, ES_TOPOLOGY_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, "3 eNBs, but scenario.enbs is 500"));
  g_clear_error(&error);
  sc->enbs = 3;
  g_autoptr(EsTopology) again = es_topology_new(&sc->topology, sc->enbs, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(es_topology_size(again), ==, 9);
  g_remove(path);
}

typedef struct {
  const char *name;
  const char *text;
  EsTopologyError code;
  guint line;         /* the line the message must name; 0: the file only */
  const char *expect; /* substring of the reason */
} BadFile;

#define HEAD "node core router\nnode ra raca\nlink core ra 10Gbps 1ms\n"
#define HEADE HEAD "node e enb\nlink core e 1Gbps 1ms\n"
static const BadFile bad_files[] = {
    {"disconnected", HEAD "node a enb\nnode b enb\nlink core a 1Gbps 1ms\n",
     ES_TOPOLOGY_ERROR_INVALID, 5, "node 'b' is not connected to 'core'"},
    {"island", HEAD "node a enb\nnode x router\nnode y enb\nlink core a 1Gbps 1ms\nlink x y 1Gbps 1ms\n",
     ES_TOPOLOGY_ERROR_INVALID, 5, "node 'x' is not connected to 'core'"},
    {"loop", HEAD "node a router\nnode b enb\nlink core a 1Gbps 1ms\nlink a b 1Gbps 1ms\n"
                  "link b core 1Gbps 1ms\n",
     ES_TOPOLOGY_ERROR_INVALID, 8, "link b - core closes a loop"},
    {"double-link", HEAD "node a enb\nlink core a 1Gbps 1ms\nlink a core 1Gbps 1ms\n",
     ES_TOPOLOGY_ERROR_INVALID, 6, "closes a loop"},
    {"self-link", HEAD "node a enb\nlink a a 1Gbps 1ms\n", ES_TOPOLOGY_ERROR_INVALID, 5,
     "link from 'a' to itself"},
    {"unknown-node", HEAD "node a enb\nlink core a 1Gbps 1ms\nlink core b 1Gbps 1ms\n",
     ES_TOPOLOGY_ERROR_INVALID, 6, "unknown node 'b'"},
    {"zero-rate", HEAD "node a enb\nlink core a 0Mbps 1ms\n", ES_TOPOLOGY_ERROR_INVALID, 5,
     "rate must be greater than 0 (value '0Mbps')"},
    {"negative-rate", HEAD "node a enb\nlink core a -1Mbps 1ms\n", ES_TOPOLOGY_ERROR_INVALID, 5,
     "rate must be greater than 0 (value '-1Mbps')"},
    {"rate-unit", HEAD "node a enb\nlink core a 100 1ms\n", ES_TOPOLOGY_ERROR_SYNTAX, 5,
     "bad rate '100'"},
    {"delay", HEAD "node a enb\nlink core a 1Gbps soon\n", ES_TOPOLOGY_ERROR_SYNTAX, 5,
     "bad delay 'soon'"},
    {"loss", HEAD "node a enb\nlink core a 1Gbps 1ms 2\n", ES_TOPOLOGY_ERROR_SYNTAX, 5,
     "bad loss '2'"},
    {"link-fields", HEAD "node a enb\nlink core a 1Gbps\n", ES_TOPOLOGY_ERROR_SYNTAX, 5,
     "expected 'link A B RATE DELAY [LOSS] [KEY=VALUE...]'"},
    {"link-attribute", HEAD "node a enb\nlink core a 1Gbps 1ms fading=0.1\n",
     ES_TOPOLOGY_ERROR_SYNTAX, 5, "unknown link attribute 'fading=0.1'"},
    {"link-burst", HEAD "node a enb\nlink core a 1Gbps 1ms burst_enter=1.1\n",
     ES_TOPOLOGY_ERROR_SYNTAX, 5, "bad burst_enter '1.1'"},
    {"link-burst-exit", HEAD "node a enb\nlink core a 1Gbps 1ms burst_enter=0.1\n",
     ES_TOPOLOGY_ERROR_INVALID, 5, "burst_exit must be greater than 0"},
    {"link-outages", HEAD "node a enb\nlink core a 1Gbps 1ms outages=10s+0s\n",
     ES_TOPOLOGY_ERROR_SYNTAX, 5, "bad outages '10s+0s': window 1: the duration"},
    {"link-loss-twice", HEAD "node a enb\nlink core a 1Gbps 1ms 0.1 0.2\n",
     ES_TOPOLOGY_ERROR_SYNTAX, 5, "unknown link attribute '0.2'"},
    {"role", HEAD "node a switch\n", ES_TOPOLOGY_ERROR_SYNTAX, 4, "unknown role 'switch'"},
    {"statement", HEAD "edge core a\n", ES_TOPOLOGY_ERROR_SYNTAX, 4, "unknown statement 'edge'"},
    {"duplicate", HEAD "node a enb\nnode a router\n", ES_TOPOLOGY_ERROR_INVALID, 5,
     "node 'a' already declared on line 4"},
    {"raca-unknown", HEAD "node a enb raca=rb\nlink core a 1Gbps 1ms\n",
     ES_TOPOLOGY_ERROR_INVALID, 4, "raca=rb: unknown node"},
    {"raca-not-raca", HEAD "node a enb raca=core\nlink core a 1Gbps 1ms\n",
     ES_TOPOLOGY_ERROR_INVALID, 4, "raca=core: not an RA/CA"},
    {"raca-on-router", HEAD "node r router raca=ra\n", ES_TOPOLOGY_ERROR_SYNTAX, 4,
     "only an enb or a segw takes raca=NAME"},
    /* CAs: ca= names a CA, an eNB never enrols with one, a file without CAs takes no ca=. */
    {"ca-unknown", HEADE "node c ca\nnode r2 raca ca=cb\nlink core c 1Gbps 10ms\n"
                   "link core r2 1Gbps 1ms\n",
     ES_TOPOLOGY_ERROR_INVALID, 7, "ca=cb: unknown node"},
    {"ca-not-ca", HEADE "node c ca\nnode r2 raca ca=core\nlink core c 1Gbps 10ms\n"
                  "link core r2 1Gbps 1ms\n",
     ES_TOPOLOGY_ERROR_INVALID, 7, "ca=core: not a CA"},
    {"ca-without-cas", HEADE "node r2 raca ca=ra\nlink core r2 1Gbps 1ms\n",
     ES_TOPOLOGY_ERROR_INVALID, 6, "ca=ra: the file declares no CA"},
    {"raca-is-ca", HEAD "node c ca\nnode a enb raca=c\nlink core c 1Gbps 10ms\n"
                   "link core a 1Gbps 1ms\n",
     ES_TOPOLOGY_ERROR_INVALID, 5, "raca=c: not an RA/CA (a CA"},
    {"ca-on-enb", HEAD "node a enb ca=ra\n", ES_TOPOLOGY_ERROR_SYNTAX, 4,
     "only a raca ca=NAME"},
    {"ca-on-ca", HEAD "node c ca ca=c\n", ES_TOPOLOGY_ERROR_SYNTAX, 4, "only a raca ca=NAME"},
    {"raca-on-raca", HEAD "node r2 raca raca=ra\n", ES_TOPOLOGY_ERROR_SYNTAX, 4,
     "only an enb or a segw takes raca=NAME"},
    {"no-raca", "node core router\nnode a enb\nlink core a 1Gbps 1ms\n",
     ES_TOPOLOGY_ERROR_INVALID, 0, "no RA/CA"},
    {"no-enb", HEAD, ES_TOPOLOGY_ERROR_INVALID, 0, "no eNB"},
    {"empty", "# nothing\n\n", ES_TOPOLOGY_ERROR_INVALID, 0, "no nodes"},
};

static void test_bad_file(gconstpointer data) {
  const BadFile *c = data;
  g_autofree char *path = write_topo(c->text);
  GError *error = NULL;
  g_assert_null(es_topology_load(path, &error));
  g_assert_error(error, ES_TOPOLOGY_ERROR, (gint)c->code);
  g_test_message("%s", error->message);
  g_autofree char *where =
      c->line ? g_strdup_printf("%s:%u: ", path, c->line) : g_strdup_printf("%s: ", path);
  g_assert_true(g_str_has_prefix(error->message, where));
  g_assert_nonnull(strstr(error->message, c->expect));
  g_error_free(error);
  g_remove(path);
}

/* Impairment attributes on file links, the scenario's impairments on generated links, and
 * one shared copy of an outage list however many links carry it. */
static void test_impairments(void) {
  g_autofree char *path = write_topo(
      "node core router\nnode ra raca\nnode a enb\nnode b enb\nnode c enb\n"
      "link core ra 10Gbps 1ms outages=5s+1s\n"
      "link core a 400Mbps 2ms 0.001 burst_enter=0.01 burst_exit=0.2 burst_loss=0.5\n"
      "link core b 400Mbps 2ms corruption=1e-4 loss=0.02 outages=100s+30s,500s+10s\n"
      "link core c 400Mbps 2ms outages=100s+30s,500s+10s\n");
  GError *error = NULL;
  g_autoptr(EsTopology) topo = es_topology_load(path, &error);
  g_assert_no_error(error);
  const EsLinkParams *ra = &es_topology_node(topo, node_named(topo, "ra"))->uplink;
  g_assert_nonnull(ra->outages);
  g_assert_cmpuint(ra->outages->n, ==, 1);
  g_assert_cmpfloat(ra->outages->w[0].start_s, ==, 5);
  g_assert_cmpfloat(ra->loss, ==, 0);
  g_assert_cmpfloat(ra->burst_loss, ==, 1); /* the default, as in a scenario */
  const EsLinkParams *a = &es_topology_node(topo, node_named(topo, "a"))->uplink;
  g_assert_cmpfloat(a->loss, ==, 0.001);
  g_assert_cmpfloat(a->burst_enter, ==, 0.01);
  g_assert_cmpfloat(a->burst_exit, ==, 0.2);
  g_assert_cmpfloat(a->burst_loss, ==, 0.5);
  g_assert_null(a->outages);
  g_assert_true(es_link_impaired(a));
  const EsLinkParams *b = &es_topology_node(topo, node_named(topo, "b"))->uplink;
  const EsLinkParams *c = &es_topology_node(topo, node_named(topo, "c"))->uplink;
  g_assert_cmpfloat(b->corruption, ==, 1e-4);
  g_assert_cmpfloat(b->loss, ==, 0.02);
  g_assert_cmpuint(b->outages->n, ==, 2);
  g_assert_cmpfloat(b->outages->w[1].start_s, ==, 500);
  g_assert_cmpfloat(b->outages->w[1].duration_s, ==, 10);
  g_assert_true(b->outages == c->outages);
  g_remove(path);

  /* Generated: every access link carries the scenario's list, the tree levels theirs. */
  g_autoptr(EsScenario) sc = es_scenario_new();
  g_assert_true(es_scenario_set(sc, "scenario.enbs=12", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "tree.fanout=2,3", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "tree.burst_enter=0,0.05", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "tree.burst_exit=0.5", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "aggregation.corruption=0.001", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "aggregation.outages=1s+1s", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "backhaul.outages=100s+30s", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "backhaul.burst_enter=0.001", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "backhaul.burst_exit=0.1", NULL, NULL));
  g_assert_true(es_scenario_validate(sc, &error));
  g_autoptr(EsTopology) tree = es_topology_new(&sc->topology, sc->enbs, &error);
  g_assert_no_error(error);
  const EsOutages *shared = NULL;
  for (guint k = 1; k <= 12; k++) {
    const EsLinkParams *l = &es_topology_node(tree, es_topology_enb_node(tree, k))->uplink;
    g_assert_cmpfloat(l->burst_enter, ==, 0.001);
    g_assert_cmpfloat(l->burst_exit, ==, 0.1);
    g_assert_cmpfloat(l->outages->w[0].start_s, ==, 100);
    g_assert_true(l->outages != sc->topology.access.outages); /* the topology's own copy */
    g_assert_true(shared == NULL || l->outages == shared);
    shared = l->outages;
  }
  for (guint i = 0; i < es_topology_size(tree); i++) {
    const EsTopoNode *n = es_topology_node(tree, i);
    if (n->role != ES_NODE_ROUTER || i == 0)
      continue;
    gboolean top = n->parent == 0;
    g_assert_cmpfloat(n->uplink.burst_enter, ==, top ? 0 : 0.05);
    g_assert_cmpfloat(n->uplink.burst_exit, ==, 0.5);
    g_assert_cmpfloat(n->uplink.corruption, ==, 0.001);
    g_assert_cmpfloat(n->uplink.outages->w[0].duration_s, ==, 1);
  }
  /* Freeing the scenario first leaves the topology's lists intact. */
  g_clear_pointer(&sc, es_scenario_free);
  g_assert_cmpfloat(shared->w[0].duration_s, ==, 30);

  /* National: the microwave sites get the class's fading bursts, fibre none. */
  g_autoptr(EsScenario) nat = es_scenario_new();
  g_assert_true(es_scenario_set(nat, "topology.type=national", NULL, NULL));
  g_assert_true(es_scenario_set(nat, "scenario.enbs=100", NULL, NULL));
  g_assert_true(es_scenario_set(nat, "national.satellite_outages=10s+5s", NULL, NULL));
  g_autoptr(EsTopology) country = es_topology_new(&nat->topology, nat->enbs, &error);
  g_assert_no_error(error);
  guint per_class[ES_ACCESS_CLASSES] = {0};
  for (guint k = 1; k <= 100; k++) {
    const EsLinkParams *l = &es_topology_node(country, es_topology_enb_node(country, k))->uplink;
    int cls = access_of(nat, l);
    g_assert_cmpint(cls, >=, 0);
    per_class[cls]++;
    const EsAccessClass *ac = &nat->topology.access_class[cls];
    g_assert_cmpfloat(l->burst_enter, ==, ac->link.burst_enter);
    g_assert_cmpfloat(l->burst_exit, ==, ac->link.burst_exit);
    g_assert_cmpfloat(l->burst_loss, ==, ac->link.burst_loss);
    g_assert_true((l->outages != NULL) == (cls == ES_ACCESS_SATELLITE));
  }
  g_assert_cmpuint(per_class[ES_ACCESS_MICROWAVE], ==, 38);
  g_assert_cmpuint(per_class[ES_ACCESS_SATELLITE], ==, 2);
}

static void test_missing_file(void) {
  GError *error = NULL;
  g_assert_null(es_topology_load("/nonexistent/net.topo", &error));
  g_assert_error(error, ES_TOPOLOGY_ERROR, ES_TOPOLOGY_ERROR_FILE);
  g_assert_nonnull(strstr(error->message, "/nonexistent/net.topo"));
  g_error_free(error);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(tree_cases); i++) {
    g_autofree char *name = g_strdup_printf("/topology/tree/%s", tree_cases[i].name);
    g_test_add_data_func(name, &tree_cases[i], test_tree);
  }
  g_test_add_func("/topology/tree/levels", test_tree_levels);
  g_test_add_func("/topology/star", test_star);
  g_test_add_func("/topology/national", test_national);
  g_test_add_func("/topology/large", test_large);
  g_test_add_func("/topology/out-of-range", test_out_of_range);
  g_test_add_func("/topology/file/good", test_file);
  g_test_add_func("/topology/file/missing", test_missing_file);
  g_test_add_func("/topology/impairments", test_impairments);
  for (gsize i = 0; i < G_N_ELEMENTS(bad_files); i++) {
    g_autofree char *name = g_strdup_printf("/topology/file/bad/%s", bad_files[i].name);
    g_test_add_data_func(name, &bad_files[i], test_bad_file);
  }
  return g_test_run();
}

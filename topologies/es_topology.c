/* The two-level backhaul tree (core router, RA/CA, aggregation routers, eNBs) as one flat
 * node array in creation order, so parents precede children and lookups are arithmetic. */
#include "es_topology.h"

#include <math.h>

/* Fixed slots at the front of the array; aggregation routers and eNBs follow. */
enum { ES_TOPO_CORE = 0, ES_TOPO_RACA = 1, ES_TOPO_FIRST_AGG = 2 };
#define ES_TOPO_RACAS 1u

struct EsTopology {
  guint n_nodes;
  guint n_aggs;
  guint n_enbs;
  EsTopoNode *nodes; /* one allocation: at 100k eNBs a pointer per node would cost more */
};

/* About sqrt(N) routers with about sqrt(N) eNBs each: ns-3 scans interface and route lists
 * linearly per packet, so neither the core nor an aggregation router should fan out to N. */
static guint auto_aggregations(guint enbs) {
  guint a = (guint)lround(sqrt((double)enbs));
  return MIN(MAX(a, 1u), enbs);
}

EsTopology *es_topology_new_tree(const EsScenario *sc) {
  g_return_val_if_fail(sc != NULL, NULL);
  guint n = sc->enbs;
  guint a = sc->aggregations ? sc->aggregations : auto_aggregations(n);
  /* Round-robin over zero routers is undefined; validated scenarios never get here. */
  g_return_val_if_fail(a > 0 || n == 0, NULL);
  guint64 total = (guint64)ES_TOPO_FIRST_AGG + a + n;
  g_return_val_if_fail(total <= G_MAXUINT, NULL);

  EsTopology *topo = g_new0(EsTopology, 1);
  topo->n_nodes = (guint)total;
  topo->n_aggs = a;
  topo->n_enbs = n;
  topo->nodes = g_new0(EsTopoNode, topo->n_nodes);

  topo->nodes[ES_TOPO_CORE] = (EsTopoNode){.role = ES_NODE_ROUTER, .parent = ES_TOPO_CORE};
  topo->nodes[ES_TOPO_RACA] = (EsTopoNode){
      .role = ES_NODE_RACA, .parent = ES_TOPO_CORE, .number = 0, .uplink = sc->core};
  for (guint i = 0; i < a; i++)
    topo->nodes[ES_TOPO_FIRST_AGG + i] = (EsTopoNode){
        .role = ES_NODE_ROUTER, .parent = ES_TOPO_CORE, .uplink = sc->aggregation};
  guint first_enb = ES_TOPO_FIRST_AGG + a;
  for (guint k = 1; k <= n; k++)
    topo->nodes[first_enb + k - 1] = (EsTopoNode){.role = ES_NODE_ENB,
                                                  .parent = ES_TOPO_FIRST_AGG + (k - 1) % a,
                                                  .number = k,
                                                  .uplink = sc->access};
  return topo;
}

void es_topology_free(EsTopology *topo) {
  if (!topo)
    return;
  g_free(topo->nodes);
  g_free(topo);
}

guint es_topology_size(const EsTopology *topo) {
  g_return_val_if_fail(topo != NULL, 0);
  return topo->n_nodes;
}

const EsTopoNode *es_topology_node(const EsTopology *topo, guint index) {
  g_return_val_if_fail(topo != NULL, NULL);
  g_return_val_if_fail(index < topo->n_nodes, NULL);
  return &topo->nodes[index];
}

/* Returns G_MAXUINT (and warns) for a number outside 1..N. */
guint es_topology_enb_node(const EsTopology *topo, guint enb) {
  g_return_val_if_fail(topo != NULL, G_MAXUINT);
  g_return_val_if_fail(enb >= 1 && enb <= topo->n_enbs, G_MAXUINT);
  return ES_TOPO_FIRST_AGG + topo->n_aggs + enb - 1;
}

/* Returns G_MAXUINT (and warns) for an RA/CA that does not exist; the tree has one. */
guint es_topology_raca_node(const EsTopology *topo, guint raca) {
  g_return_val_if_fail(topo != NULL, G_MAXUINT);
  g_return_val_if_fail(raca < ES_TOPO_RACAS, G_MAXUINT);
  return ES_TOPO_RACA + raca;
}

guint es_topology_enbs(const EsTopology *topo) {
  g_return_val_if_fail(topo != NULL, 0);
  return topo->n_enbs;
}

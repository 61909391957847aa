/* Backhaul topologies as trees: every node but the root has one uplink, so routing is a
 * static default route up the tree and a prefix route per child down it. */
#ifndef ES_TOPOLOGY_H
#define ES_TOPOLOGY_H

#include <glib.h>
#include "es_scenario.h"

typedef enum { ES_NODE_ROUTER, ES_NODE_RACA, ES_NODE_ENB } EsNodeRole;

typedef struct {
  EsNodeRole role;
  guint parent;        /* index of the node at the other end of the uplink; root: itself */
  guint number;        /* eNB number 1..N, RA/CA number 0.., routers 0 */
  EsLinkParams uplink; /* unused for the root */
} EsTopoNode;

typedef struct EsTopology EsTopology;

/* Two-level tree: node 0 is the core router, node 1 the RA/CA (uplink: core link), then
 * the aggregation routers (uplink: aggregation link), then eNBs 1..N spread round-robin over
 * the aggregation routers (uplink: access link). Parents always precede children. */
EsTopology *es_topology_new_tree(const EsScenario *sc);
void es_topology_free(EsTopology *topo);
guint es_topology_size(const EsTopology *topo);
const EsTopoNode *es_topology_node(const EsTopology *topo, guint index);
/* Node index of eNB number `enb` (1..N) and of RA/CA `raca` (0..). */
guint es_topology_enb_node(const EsTopology *topo, guint enb);
guint es_topology_raca_node(const EsTopology *topo, guint raca);
guint es_topology_enbs(const EsTopology *topo);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsTopology, es_topology_free)

#endif

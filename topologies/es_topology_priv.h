/* The layout of EsTopology and the builder the generators and the file loader share; not
 * for use outside topologies/. */
#ifndef ES_TOPOLOGY_PRIV_H
#define ES_TOPOLOGY_PRIV_H

#include "topologies/es_topology.h"

struct EsTopology {
  guint n_nodes, n_enbs, n_racas, n_cas, n_segws;
  guint filled;        /* nodes added so far */
  guint enbs_added, racas_added, cas_added, segws_added;
  EsTopoNode *nodes;   /* one allocation: at 100k eNBs a pointer per node would cost more */
  guint *enb_nodes;    /* eNB k is node enb_nodes[k - 1] */
  guint *raca_nodes;   /* RA/CA r is node raca_nodes[r] */
  guint *ca_nodes;     /* CA c is node ca_nodes[c]; NULL without CAs */
  guint *segw_nodes;   /* SeGW s is node segw_nodes[s]; NULL without SeGWs */
  const char **names;  /* per node, NULL when unnamed; the strings live in `strings` */
  GStringChunk *strings;
  GHashTable *outages; /* the uplinks' outage lists, one copy of each distinct list */
};

/* Room for exactly n_nodes nodes, of which n_enbs eNBs, n_racas RA/CAs and n_cas CAs. */
EsTopology *es_topology_alloc(guint n_nodes, guint n_enbs, guint n_racas, guint n_cas);
/* Room for n_segws of those nodes to be SeGWs; call before adding any. */
void es_topology_alloc_segws(EsTopology *topo, guint n_segws);
/* Appends a node (parents first) and returns its index. eNBs, RA/CAs, CAs and SeGWs are
 * numbered in the order they are added; `server` is an eNB's or a SeGW's RA/CA, or an
 * RA/CA's CA when the topology has CAs, and ignored for other nodes; `name` is copied (may
 * be NULL). */
guint es_topology_add(EsTopology *topo, EsNodeRole role, guint parent, const EsLinkParams *uplink,
                      guint server, const char *name);

/* A copy of `o` that lives as long as the topology (equal lists share one); NULL for NULL. */
EsOutages *es_topology_intern_outages(EsTopology *topo, const EsOutages *o);

#endif

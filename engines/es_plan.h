/* Addresses and routes of a tree network, as plain arithmetic: every link a /30 of
 * 10.0.0.0/8, and a subtree's links one aligned power-of-two block, so a router reaches a
 * child's whole subtree with one prefix route and everything else with its default route. */
#ifndef ES_PLAN_H
#define ES_PLAN_H

#include <glib.h>

#define ES_PLAN_NET_BASE 0x0a000000u /* 10.0.0.0/8 holds 2^22 point-to-point /30 subnets */
#define ES_PLAN_UNITS (1u << 22)

typedef struct {
  guint32 addr;        /* the node's address: on its uplink (the root: on its first child's) */
  guint32 peer;        /* the parent's end of the uplink (addr - 1; the root: 0) */
  guint32 subtree_net; /* the block of the node's subtree, uplink included (the root: 0) */
  guint subtree_plen;  /* its prefix length: the parent's route to every node below it */
} EsPlanNode;

/* A plan for nodes 0..n-1 where parents[0] == 0 is the root and every other node's parent
 * has a smaller index; NULL with an error (ES_SIM_ERROR_TOPOLOGY) when it is not such a tree or
 * needs more than ES_PLAN_UNITS links. g_free it. */
EsPlanNode *es_plan_new(const guint *parents, guint n, GError **error);

#endif

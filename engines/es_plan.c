/* The address and route plan of a tree network. */
#include "engines/es_plan.h"

#include "engines/es_sim.h"

static guint32 next_pow2(guint64 v)
{
  guint64 p = 1;
  while (p < v)
    p <<= 1;
  return p > ES_PLAN_UNITS ? ES_PLAN_UNITS + 1 : (guint32)p;
}

static guint log2_u32(guint32 v)
{
  guint l = 0;
  while (v > 1) {
    v >>= 1;
    l++;
  }
  return l;
}

typedef struct {
  const guint32 *units;
} ChildOrder;

/* Bigger subtrees first: consecutive power-of-two blocks then stay aligned. */
static gint child_cmp(gconstpointer a, gconstpointer b, gpointer data)
{
  const guint32 *units = ((const ChildOrder *)data)->units;
  guint x = *(const guint *)a, y = *(const guint *)b;
  if (units[x] != units[y])
    return units[x] > units[y] ? -1 : 1;
  return x < y ? -1 : (x > y);
}

EsPlanNode *es_plan_new(const guint *parent, guint n, GError **error)
{
  g_return_val_if_fail(parent != NULL && n > 0, NULL);
  EsPlanNode *plan = NULL;
  guint32 *units = g_new0(guint32, n);
  guint64 *childsum = g_new0(guint64, n);
  guint32 *base = g_new0(guint32, n);
  guint *first = g_new0(guint, n + 1);
  guint *children = g_new(guint, n);

  for (guint i = 0; i < n; i++) {
    if ((i == 0) != (parent[i] == i) || parent[i] > i) {
      g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY,
                  "node %u: parent %u (node 0 must be the only root; parents precede children)",
                  i, parent[i]);
      goto out;
    }
  }
  for (guint i = n - 1; i >= 1; i--) {
    units[i] = next_pow2(1 + childsum[i]);
    childsum[parent[i]] += units[i];
  }
  if (childsum[0] > ES_PLAN_UNITS) {
    /* Each level doubles a subtree's block at least: depth is the usual culprit. */
    guint deepest = 0;
    guint *depth = g_new0(guint, n);
    for (guint i = 1; i < n; i++)
      deepest = MAX(deepest, depth[i] = depth[parent[i]] + 1);
    g_free(depth);
    g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY,
                "the network needs %" G_GUINT64_FORMAT " /30 links' worth of 10.0.0.0/8 and at "
                "most %u fit: every subtree takes an aligned power-of-two block, so a path from "
                "the root is at most 22 links long (here %u)",
                childsum[0], ES_PLAN_UNITS, deepest);
    goto out;
  }
  /* Children per node, in index order, then largest subtree first. */
  for (guint i = 1; i < n; i++)
    first[parent[i] + 1]++;
  for (guint i = 0; i < n; i++)
    first[i + 1] += first[i];
  {
    guint *fill = g_memdup2(first, sizeof(guint) * n);
    for (guint i = 1; i < n; i++)
      children[fill[parent[i]]++] = i;
    g_free(fill);
  }
  ChildOrder order = {units};
  for (guint v = 0; v < n; v++) {
    guint cnt = first[v + 1] - first[v];
    if (cnt > 1)
      g_qsort_with_data(children + first[v], cnt, sizeof(guint), child_cmp, &order);
    guint32 cursor = v == 0 ? 0 : base[v];
    for (guint k = first[v]; k < first[v + 1]; k++) {
      base[children[k]] = cursor;
      cursor += units[children[k]];
    }
  }

  /* A subtree's own uplink is the last unit of its block; the node takes its .2. */
  plan = g_new0(EsPlanNode, n);
  for (guint v = 1; v < n; v++) {
    plan[v].addr = ES_PLAN_NET_BASE + 4u * (base[v] + (guint32)childsum[v]) + 2;
    plan[v].peer = plan[v].addr - 1;
    plan[v].subtree_net = ES_PLAN_NET_BASE + 4u * base[v];
    plan[v].subtree_plen = 30 - log2_u32(units[v]);
  }
  if (n > 1)
    plan[0].addr = plan[children[first[0]]].addr - 1;
out:
  g_free(units);
  g_free(childsum);
  g_free(base);
  g_free(first);
  g_free(children);
  return plan;
}

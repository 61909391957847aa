/* Unit tests of the address and route plan: unique addresses, both ends of a link in one
 * /30, every subtree reachable through its one prefix route and nothing else, every eNB's
 * packets reaching each RA/CA and back, and the limit of 10.0.0.0/8. */
#include <glib.h>

#include "engines/es_plan.h"
#include "engines/es_sim.h"

static gboolean in_prefix(guint32 addr, guint32 net, guint plen)
{
  guint32 mask = plen == 0 ? 0 : 0xffffffffu << (32 - plen);
  return (addr & mask) == net;
}

/* Node v is below (or is) node u. */
static gboolean below(const guint *parent, guint v, guint u)
{
  for (;; v = parent[v]) {
    if (v == u)
      return TRUE;
    if (v == 0)
      return FALSE;
  }
}

static void check_tree(const guint *parent, guint n)
{
  GError *error = NULL;
  g_autofree EsPlanNode *plan = es_plan_new(parent, n, &error);
  g_assert_no_error(error);
  g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
  for (guint v = n > 1 ? 0 : 1; v < n; v++) {
    g_assert_true(in_prefix(plan[v].addr, ES_PLAN_NET_BASE, 8));
    g_assert_false(g_hash_table_contains(seen, GUINT_TO_POINTER(plan[v].addr)));
    g_hash_table_add(seen, GUINT_TO_POINTER(plan[v].addr));
  }
  for (guint v = 1; v < n; v++) {
    /* The uplink: v and its parent's end in one /30, neither the network nor broadcast. */
    g_assert_cmpuint(plan[v].peer, ==, plan[v].addr - 1);
    g_assert_cmpuint(plan[v].peer & ~3u, ==, plan[v].addr & ~3u);
    g_assert_cmpuint(plan[v].peer & 3u, ==, 1);
    g_assert_false(g_hash_table_contains(seen, GUINT_TO_POINTER(plan[v].peer)) &&
                   plan[v].peer != plan[0].addr && parent[v] != 0);
    /* The parent's route to v's block reaches exactly the nodes below v. */
    for (guint d = 1; d < n; d++)
      g_assert_cmpint(in_prefix(plan[d].addr, plan[v].subtree_net, plan[v].subtree_plen), ==,
                      below(parent, d, v));
  }
}

static void test_trees(void)
{
  /* One chain, one star, and a tree with uneven subtrees (largest first in each block). */
  guint chain[] = {0, 0, 1, 2, 3, 4};
  guint star[] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
  guint uneven[] = {0, 0, 0, 1, 1, 1, 2, 3, 3, 3, 3, 6, 6, 0};
  check_tree(chain, G_N_ELEMENTS(chain));
  check_tree(star, G_N_ELEMENTS(star));
  check_tree(uneven, G_N_ELEMENTS(uneven));
  guint one[] = {0};
  check_tree(one, 1);
  /* A generated tree: a core, 20 routers, 2000 leaves. */
  guint n = 1 + 20 + 2000;
  g_autofree guint *big = g_new(guint, n);
  big[0] = 0;
  for (guint i = 1; i <= 20; i++)
    big[i] = 0;
  for (guint i = 21; i < n; i++)
    big[i] = 1 + (i - 21) % 20;
  check_tree(big, n);
}

/* Forwards a packet for `dst` from node `from` as the nodes' routes do: into the child whose
 * block holds dst, else up the default route. Returns the node it ends at (G_MAXUINT: no
 * route), within n hops. */
static guint forward(const EsPlanNode *plan, const guint *parent, guint n, guint from, guint32 dst)
{
  guint u = from;
  for (guint hops = 0; hops <= n; hops++) {
    if (plan[u].addr == dst)
      return u;
    guint next = G_MAXUINT;
    for (guint c = 1; c < n; c++)
      if (parent[c] == u && in_prefix(dst, plan[c].subtree_net, plan[c].subtree_plen))
        next = c;
    if (next == G_MAXUINT && u == 0)
      return G_MAXUINT;
    u = next != G_MAXUINT ? next : parent[u];
  }
  return G_MAXUINT;
}

/* A backhaul as the tree topology makes it: RA/CAs on the core, eNBs below aggregation
 * routers. Every eNB reaches every RA/CA and back. */
static void test_routes(void)
{
  const guint racas = 3, routers = 7, enbs = 150;
  guint n = 1 + racas + routers + enbs;
  g_autofree guint *parent = g_new0(guint, n);
  for (guint i = 1 + racas + routers; i < n; i++)
    parent[i] = 1 + racas + (i % routers);
  GError *error = NULL;
  g_autofree EsPlanNode *plan = es_plan_new(parent, n, &error);
  g_assert_no_error(error);
  for (guint e = 1 + racas + routers; e < n; e++)
    for (guint r = 1; r <= racas; r++) {
      g_assert_cmpuint(forward(plan, parent, n, e, plan[r].addr), ==, r);
      g_assert_cmpuint(forward(plan, parent, n, r, plan[e].addr), ==, e);
    }
  /* An address in no block goes up to the root and no further. */
  g_assert_cmpuint(forward(plan, parent, n, n - 1, 0x0b000001u), ==, G_MAXUINT);
}

static void test_refused(void)
{
  GError *error = NULL;
  guint backwards[] = {0, 2, 0};
  g_assert_null(es_plan_new(backwards, 3, &error));
  g_assert_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY);
  g_clear_error(&error);
  guint two_roots[] = {0, 1};
  g_assert_null(es_plan_new(two_roots, 2, &error));
  g_assert_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY);
  g_clear_error(&error);
  /* 2^22 + 1 links do not fit in 10.0.0.0/8. */
  guint n = ES_PLAN_UNITS + 2;
  guint *flat = g_new0(guint, n);
  g_assert_null(es_plan_new(flat, n, &error));
  g_assert_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY);
  g_assert_nonnull(g_strstr_len(error->message, -1, "at most"));
  g_clear_error(&error);
  g_free(flat);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/plan/trees", test_trees);
  g_test_add_func("/plan/routes", test_routes);
  g_test_add_func("/plan/refused", test_refused);
  return g_test_run();
}

/* Backhaul trees (built-in tree, star, national layout) as one flat node array in creation
 * order, so parents precede children and addressing can be done in one pass. */
#include "topologies/es_topology_priv.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK(es-topology-error-quark, es_topology_error)

/* The national layout's randomness: fixed, so every run seed sees the same network. */
#define NATIONAL_LAYOUT_SEED 0x6e617469u
/* Sites per region when national.regions is 0. */
#define NATIONAL_SITES_PER_REGION 5000

EsTopology *es_topology_alloc(guint n_nodes, guint n_enbs, guint n_racas, guint n_cas) {
  EsTopology *topo = g_new0(EsTopology, 1);
  topo->n_nodes = n_nodes;
  topo->n_enbs = n_enbs;
  topo->n_racas = n_racas;
  topo->n_cas = n_cas;
  topo->nodes = g_new0(EsTopoNode, n_nodes);
  topo->enb_nodes = g_new0(guint, MAX(n_enbs, 1));
  topo->raca_nodes = g_new0(guint, MAX(n_racas, 1));
  topo->ca_nodes = n_cas > 0 ? g_new0(guint, n_cas) : NULL;
  topo->names = g_new0(const char *, n_nodes);
  topo->strings = g_string_chunk_new(4096);
  return topo;
}

void es_topology_alloc_segws(EsTopology *topo, guint n_segws) {
  g_return_if_fail(topo->segw_nodes == NULL && topo->segws_added == 0);
  topo->n_segws = n_segws;
  topo->segw_nodes = n_segws > 0 ? g_new0(guint, n_segws) : NULL;
}

static guint outages_hash(gconstpointer p) {
  const EsOutages *o = p;
  guint h = o->n;
  for (guint i = 0; i < o->n; i++)
    h = h * 31 + g_double_hash(&o->w[i].start_s) * 7 + g_double_hash(&o->w[i].duration_s);
  return h;
}

static gboolean outages_equal(gconstpointer a, gconstpointer b) {
  const EsOutages *x = a, *y = b;
  return x->n == y->n && memcmp(x->w, y->w, sizeof(EsOutage) * x->n) == 0;
}

/* Generated topologies give thousands of links the same list: keep one copy per list, not
 * one per link. */
EsOutages *es_topology_intern_outages(EsTopology *topo, const EsOutages *o) {
  if (!o || o->n == 0)
    return NULL;
  if (!topo->outages)
    topo->outages = g_hash_table_new_full(outages_hash, outages_equal, g_free, NULL);
  EsOutages *known = g_hash_table_lookup(topo->outages, o);
  if (known)
    return known;
  EsOutages *copy = es_outages_copy(o);
  g_hash_table_add(topo->outages, copy);
  return copy;
}

guint es_topology_add(EsTopology *topo, EsNodeRole role, guint parent, const EsLinkParams *uplink,
                      guint server, const char *name) {
  g_assert(topo->filled < topo->n_nodes);
  guint i = topo->filled++;
  EsTopoNode *node = &topo->nodes[i];
  node->role = role;
  node->parent = i == 0 ? 0 : parent;
  if (uplink) {
    node->uplink = *uplink;
    node->uplink.outages = es_topology_intern_outages(topo, uplink->outages);
  }
  if (role == ES_NODE_ENB) {
    g_assert(topo->enbs_added < topo->n_enbs);
    node->number = ++topo->enbs_added;
    node->raca = server;
    node->access = "backhaul";
    topo->enb_nodes[node->number - 1] = i;
  } else if (role == ES_NODE_RACA) {
    g_assert(topo->racas_added < topo->n_racas);
    node->number = topo->racas_added++;
    node->ca = topo->n_cas > 0 ? server : 0;
    topo->raca_nodes[node->number] = i;
  } else if (role == ES_NODE_CA) {
    g_assert(topo->cas_added < topo->n_cas);
    node->number = topo->cas_added++;
    topo->ca_nodes[node->number] = i;
  } else if (role == ES_NODE_SEGW) {
    g_assert(topo->segws_added < topo->n_segws);
    node->number = topo->segws_added++;
    node->raca = server;
    node->access = "segw";
    topo->segw_nodes[node->number] = i;
  }
  if (name)
    topo->names[i] = g_string_chunk_insert_const(topo->strings, name);
  return i;
}

/* About sqrt(N) routers with about sqrt(N) eNBs each: ns-3 scans interface lists per packet,
 * so neither the core nor an aggregation router should fan out to N. */
static guint auto_aggregations(guint enbs) {
  guint a = (guint)lround(sqrt((double)enbs));
  return MIN(MAX(a, 1u), MAX(enbs, 1u));
}

/* Core router, RA/CAs 0..R-1 below it, then the CAs 0..C-1 (if any), named core, raca-<r>
 * and ca-<c>: without CAs the nodes are those of the layouts before CAs existed. RA/CA r is
 * served by CA r mod C. */
static void add_core(EsTopology *topo, guint racas, const EsTopologyConfig *sc) {
  guint cas = topo->n_cas;
  char name[32];
  es_topology_add(topo, ES_NODE_ROUTER, 0, NULL, 0, "core");
  for (guint r = 0; r < racas; r++) {
    g_snprintf(name, sizeof name, "raca-%u", r);
    es_topology_add(topo, ES_NODE_RACA, 0, &sc->core, cas > 0 ? r % cas : 0, name);
  }
  for (guint c = 0; c < cas; c++) {
    g_snprintf(name, sizeof name, "ca-%u", c);
    es_topology_add(topo, ES_NODE_CA, 0, &sc->ca_link, 0, name);
  }
}

EsTopology *es_topology_new_tree(const EsTopologyConfig *sc, guint enbs) {
  g_return_val_if_fail(sc != NULL, NULL);
  guint n = enbs, racas = MAX(sc->racas, 1u);
  /* Routers per level: tree.fanout multiplied out, or one level of aggregation routers. */
  guint levels = sc->tree_fanout.n > 0 ? sc->tree_fanout.n : 1;
  guint64 per_level[ES_CONFIG_LIST_MAX];
  guint64 routers = 0;
  for (guint l = 0; l < levels; l++) {
    guint64 fan = sc->tree_fanout.n > 0 ? (guint64)sc->tree_fanout.v[l]
                  : sc->aggregations    ? sc->aggregations
                                        : auto_aggregations(n);
    per_level[l] = (l == 0 ? 1 : per_level[l - 1]) * fan;
    routers += per_level[l];
    g_return_val_if_fail(per_level[l] > 0 && routers <= G_MAXUINT / 2, NULL);
  }
  guint64 total = 1 + racas + (guint64)sc->cas + routers + n;
  g_return_val_if_fail(total <= G_MAXUINT, NULL);

  EsTopology *topo = es_topology_alloc((guint)total, n, racas, sc->cas);
  add_core(topo, racas, sc);
  guint level_start = 0; /* index of the first router of the level above (0: the core) */
  for (guint l = 0; l < levels; l++) {
    const EsLinkParams *agg = &sc->aggregation;
    EsLinkParams up = {
        .rate_bps = es_value_list_get(&sc->tree_rate, l, agg->rate_bps),
        .delay_s = es_value_list_get(&sc->tree_latency, l, agg->delay_s),
        .loss = es_value_list_get(&sc->tree_loss, l, agg->loss),
        .burst_enter = es_value_list_get(&sc->tree_burst_enter, l, agg->burst_enter),
        .burst_exit = es_value_list_get(&sc->tree_burst_exit, l, agg->burst_exit),
        .burst_loss = es_value_list_get(&sc->tree_burst_loss, l, agg->burst_loss),
        .corruption = es_value_list_get(&sc->tree_corruption, l, agg->corruption),
        .outages = agg->outages,
    };
    guint64 fan = per_level[l] / (l == 0 ? 1 : per_level[l - 1]);
    guint first = topo->filled;
    for (guint64 j = 0; j < per_level[l]; j++) {
      char name[48];
      if (levels == 1)
        g_snprintf(name, sizeof name, "agg-%" G_GUINT64_FORMAT, j + 1);
      else
        g_snprintf(name, sizeof name, "l%u-%" G_GUINT64_FORMAT, l + 1, j + 1);
      guint parent = l == 0 ? 0 : level_start + (guint)(j / fan);
      es_topology_add(topo, ES_NODE_ROUTER, parent, &up, 0, name);
    }
    level_start = first;
  }
  guint leaves = (guint)per_level[levels - 1];
  for (guint k = 1; k <= n; k++)
    es_topology_add(topo, ES_NODE_ENB, level_start + (k - 1) % leaves, &sc->access,
                    (k - 1) % racas, NULL);
  return topo;
}

EsTopology *es_topology_new_star(const EsTopologyConfig *sc, guint enbs) {
  g_return_val_if_fail(sc != NULL, NULL);
  guint n = enbs, racas = MAX(sc->racas, 1u);
  g_return_val_if_fail((guint64)1 + racas + sc->cas + n <= G_MAXUINT, NULL);
  EsTopology *topo = es_topology_alloc(1 + racas + sc->cas + n, n, racas, sc->cas);
  add_core(topo, racas, sc);
  for (guint k = 1; k <= n; k++)
    es_topology_add(topo, ES_NODE_ENB, 0, &sc->access, (k - 1) % racas, NULL);
  return topo;
}

/* A delay from a one-value list or uniformly within a min,max range. */
static double draw_delay(GRand *rng, const EsValueList *range) {
  if (range->n < 2)
    return es_value_list_get(range, 0, 0);
  return range->v[0] + (range->v[1] - range->v[0]) * g_rand_double(rng);
}

typedef struct {
  guint first_enb, enbs;               /* eNB numbers first_enb .. first_enb+enbs-1 */
  guint per_class[ES_ACCESS_CLASSES];  /* how many of them use each access class */
  guint aggs;                          /* aggregation routers (0 when all are satellite) */
  guint first_agg, teleport;           /* node indexes */
} Region;

/* Exact class counts for n sites: the shares rounded by largest remainder, so every region
 * has the mix and the counts add up to n. */
static void split_classes(const EsTopologyConfig *sc, guint n, guint out[ES_ACCESS_CLASSES]) {
  double rem[ES_ACCESS_CLASSES];
  guint given = 0;
  for (int c = 0; c < ES_ACCESS_CLASSES; c++) {
    double exact = sc->access_class[c].share * n;
    out[c] = (guint)floor(exact);
    rem[c] = exact - out[c];
    given += out[c];
  }
  while (given < n) {
    int best = 0;
    for (int c = 1; c < ES_ACCESS_CLASSES; c++)
      if (rem[c] > rem[best])
        best = c;
    out[best]++;
    rem[best] = -1;
    given++;
  }
}

EsTopology *es_topology_new_national(const EsTopologyConfig *sc, guint enbs) {
  g_return_val_if_fail(sc != NULL, NULL);
  guint n = enbs, racas = MAX(sc->racas, 1u);
  guint n_regions = sc->national_regions;
  if (n_regions == 0)
    n_regions = MAX(1u, (guint)lround((double)n / NATIONAL_SITES_PER_REGION));
  n_regions = MIN(n_regions, MAX(n, 1u));

  Region *regions = g_new0(Region, n_regions);
  guint64 total = 1 + racas + (guint64)sc->cas + n_regions + n;
  if (sc->national_segws)
    total += n_regions;
  for (guint r = 0, next = 1; r < n_regions; r++) {
    Region *g = &regions[r];
    g->first_enb = next;
    g->enbs = n / n_regions + (r < n % n_regions);
    next += g->enbs;
    split_classes(sc, g->enbs, g->per_class);
    guint terrestrial = g->enbs - g->per_class[ES_ACCESS_SATELLITE];
    g->aggs = terrestrial == 0 ? 0
              : sc->national_aggregations ? MIN(sc->national_aggregations, terrestrial)
                                          : auto_aggregations(terrestrial);
    total += g->aggs + (g->per_class[ES_ACCESS_SATELLITE] > 0);
  }
  g_return_val_if_fail(total <= G_MAXUINT, NULL);

  GRand *rng = g_rand_new_with_seed(NATIONAL_LAYOUT_SEED);
  EsTopology *topo = es_topology_alloc((guint)total, n, racas, sc->cas);
  es_topology_alloc_segws(topo, sc->national_segws ? n_regions : 0);
  add_core(topo, racas, sc);
  guint first_region = topo->filled;
  char name[64];
  for (guint r = 0; r < n_regions; r++) {
    EsLinkParams up = {.rate_bps = sc->backbone_rate_bps,
                       .delay_s = draw_delay(rng, &sc->backbone_latency)};
    g_snprintf(name, sizeof name, "region-%u", r + 1);
    es_topology_add(topo, ES_NODE_ROUTER, 0, &up, 0, name);
  }
  for (guint r = 0; r < n_regions; r++) {
    Region *g = &regions[r];
    g->first_agg = topo->filled;
    for (guint a = 0; a < g->aggs; a++) {
      EsLinkParams up = {.rate_bps = sc->metro_rate_bps,
                         .delay_s = draw_delay(rng, &sc->metro_latency)};
      g_snprintf(name, sizeof name, "agg-%u-%u", r + 1, a + 1);
      es_topology_add(topo, ES_NODE_ROUTER, first_region + r, &up, 0, name);
    }
    if (g->per_class[ES_ACCESS_SATELLITE] > 0) {
      /* The earth station of the region's satellite sites, at its regional point of presence. */
      EsLinkParams up = {.rate_bps = sc->metro_rate_bps,
                         .delay_s = draw_delay(rng, &sc->metro_latency)};
      g_snprintf(name, sizeof name, "teleport-%u", r + 1);
      g->teleport = es_topology_add(topo, ES_NODE_ROUTER, first_region + r, &up, 0, name);
    }
  }
  for (guint r = 0; r < n_regions; r++) {
    Region *g = &regions[r];
    /* The region's class labels, shuffled so that each aggregation router gets a mix. */
    guint8 *cls = g_new(guint8, MAX(g->enbs, 1));
    for (guint c = 0, k = 0; c < ES_ACCESS_CLASSES; c++)
      for (guint j = 0; j < g->per_class[c]; j++)
        cls[k++] = (guint8)c;
    for (guint k = g->enbs; k > 1; k--) {
      guint j = (guint)g_rand_int_range(rng, 0, (gint32)k);
      guint8 t = cls[k - 1];
      cls[k - 1] = cls[j];
      cls[j] = t;
    }
    guint terrestrial = 0;
    for (guint k = 0; k < g->enbs; k++) {
      const EsAccessClass *ac = &sc->access_class[cls[k]];
      EsLinkParams up = ac->link;
      up.delay_s = draw_delay(rng, &ac->latency);
      guint parent = cls[k] == ES_ACCESS_SATELLITE ? g->teleport
                                                   : g->first_agg + terrestrial++ % g->aggs;
      static const char *const access_names[ES_ACCESS_CLASSES] = {"fibre", "microwave",
                                                                  "satellite"};
      guint i = es_topology_add(topo, ES_NODE_ENB, parent, &up, r % racas, NULL);
      topo->nodes[i].access = access_names[cls[k]];
    }
    g_free(cls);
  }
  /* The region's SeGW terminates the IPsec tunnels of all its sites, so it sits where their
   * traffic meets before the backbone: in the regional point of presence, on the regional
   * router, over a metro link of the range's lower delay (the same building). Added last and
   * drawing nothing, so the other nodes and their delays stay those of the layout without. */
  for (guint r = 0; r < n_regions && sc->national_segws; r++) {
    EsLinkParams up = {.rate_bps = sc->metro_rate_bps,
                       .delay_s = es_value_list_get(&sc->metro_latency, 0, 0)};
    g_snprintf(name, sizeof name, "segw-%u", r + 1);
    es_topology_add(topo, ES_NODE_SEGW, first_region + r, &up, r % racas, name);
  }
  g_rand_free(rng);
  g_free(regions);
  return topo;
}

EsTopology *es_topology_new(const EsTopologyConfig *c, guint enbs, GError **error) {
  g_return_val_if_fail(c != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  switch (c->type) {
  case ES_TOPOLOGY_TREE:
    return es_topology_new_tree(c, enbs);
  case ES_TOPOLOGY_STAR:
    return es_topology_new_star(c, enbs);
  case ES_TOPOLOGY_NATIONAL:
    return es_topology_new_national(c, enbs);
  case ES_TOPOLOGY_FILE: {
    EsTopology *topo = es_topology_load(c->file, error);
    if (topo != NULL && topo->n_enbs != enbs) {
      g_set_error(error, ES_TOPOLOGY_ERROR, ES_TOPOLOGY_ERROR_INVALID,
                  "%s: %u eNBs, but scenario.enbs is %u (set scenario.enbs = %u)",
                  c->file, topo->n_enbs, enbs, topo->n_enbs);
      es_topology_free(topo);
      return NULL;
    }
    return topo;
  }
  }
  g_set_error(error, ES_TOPOLOGY_ERROR, ES_TOPOLOGY_ERROR_INVALID, "unknown topology type %d",
              (int)c->type);
  return NULL;
}

void es_topology_free(EsTopology *topo) {
  if (!topo)
    return;
  g_free(topo->nodes);
  g_free(topo->enb_nodes);
  g_free(topo->raca_nodes);
  g_free(topo->ca_nodes);
  g_free(topo->segw_nodes);
  g_free(topo->names);
  g_string_chunk_free(topo->strings);
  if (topo->outages)
    g_hash_table_destroy(topo->outages);
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

const char *es_topology_node_name(const EsTopology *topo, guint index) {
  g_return_val_if_fail(topo != NULL, NULL);
  g_return_val_if_fail(index < topo->n_nodes, NULL);
  return topo->names[index];
}

/* Returns G_MAXUINT (and warns) for a number outside 1..N. */
guint es_topology_enb_node(const EsTopology *topo, guint enb) {
  g_return_val_if_fail(topo != NULL, G_MAXUINT);
  g_return_val_if_fail(enb >= 1 && enb <= topo->n_enbs, G_MAXUINT);
  return topo->enb_nodes[enb - 1];
}

/* Returns G_MAXUINT (and warns) for an RA/CA that does not exist. */
guint es_topology_raca_node(const EsTopology *topo, guint raca) {
  g_return_val_if_fail(topo != NULL, G_MAXUINT);
  g_return_val_if_fail(raca < topo->n_racas, G_MAXUINT);
  return topo->raca_nodes[raca];
}

guint es_topology_enbs(const EsTopology *topo) {
  g_return_val_if_fail(topo != NULL, 0);
  return topo->n_enbs;
}

guint es_topology_racas(const EsTopology *topo) {
  g_return_val_if_fail(topo != NULL, 0);
  return topo->n_racas;
}

guint es_topology_cas(const EsTopology *topo) {
  g_return_val_if_fail(topo != NULL, 0);
  return topo->n_cas;
}

guint es_topology_segws(const EsTopology *topo) {
  g_return_val_if_fail(topo != NULL, 0);
  return topo->n_segws;
}

guint es_topology_segw_node(const EsTopology *topo, guint segw) {
  g_return_val_if_fail(topo != NULL, G_MAXUINT);
  g_return_val_if_fail(segw < topo->n_segws, G_MAXUINT);
  return topo->segw_nodes[segw];
}

guint es_topology_segw_raca(const EsTopology *topo, guint segw) {
  g_return_val_if_fail(topo != NULL, G_MAXUINT);
  g_return_val_if_fail(segw < topo->n_segws, G_MAXUINT);
  return topo->nodes[topo->segw_nodes[segw]].raca;
}

/* Returns G_MAXUINT (and warns) for a CA that does not exist. */
guint es_topology_ca_node(const EsTopology *topo, guint ca) {
  g_return_val_if_fail(topo != NULL, G_MAXUINT);
  g_return_val_if_fail(ca < topo->n_cas, G_MAXUINT);
  return topo->ca_nodes[ca];
}

/* G_MAXUINT without CAs (no warning: that is the usual PKI); warns for an RA/CA that does
 * not exist. */
guint es_topology_raca_ca(const EsTopology *topo, guint raca) {
  g_return_val_if_fail(topo != NULL, G_MAXUINT);
  g_return_val_if_fail(raca < topo->n_racas, G_MAXUINT);
  if (topo->n_cas == 0)
    return G_MAXUINT;
  return topo->nodes[topo->raca_nodes[raca]].ca;
}

/* Returns NULL (and warns) for a number outside 1..N. */
const char *es_topology_enb_access(const EsTopology *topo, guint enb) {
  g_return_val_if_fail(topo != NULL, NULL);
  g_return_val_if_fail(enb >= 1 && enb <= topo->n_enbs, NULL);
  return topo->nodes[topo->enb_nodes[enb - 1]].access;
}

guint es_topology_enb_raca(const EsTopology *topo, guint enb) {
  g_return_val_if_fail(topo != NULL, G_MAXUINT);
  g_return_val_if_fail(enb >= 1 && enb <= topo->n_enbs, G_MAXUINT);
  return topo->nodes[topo->enb_nodes[enb - 1]].raca;
}

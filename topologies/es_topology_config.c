/* The [topology], [tree] and [national] keys, the links of the generated layouts (the CAs'
 * link included), and the rules between them, beside EsTopologyConfig. */
#include "topologies/es_topology.h"

#include <math.h>
#include <string.h>

static const char *const topology_words[] = {"tree", "star", "national", "file", NULL};
G_STATIC_ASSERT(ES_TOPOLOGY_TREE == 0 && ES_TOPOLOGY_FILE == 3);

#define KEY(...) ES_CONFIG_KEY(EsTopologyConfig, __VA_ARGS__)

/* The impairments every link has besides its loss: Gilbert-Elliott bursts, outage windows
 * and corruption. `field` is the EsLinkParams holding them. */
#define IMPAIRMENT_KEYS(sec, prefix, field, def_enter, def_exit, def_bloss)                        \
  KEY(sec, prefix "burst_enter", ES_CONFIG_PROBABILITY, field.burst_enter, def_enter,              \
      ES_UNIT_RANGE),                                                                              \
      KEY(sec, prefix "burst_exit", ES_CONFIG_PROBABILITY, field.burst_exit, def_exit,             \
          ES_UNIT_RANGE),                                                                          \
      KEY(sec, prefix "burst_loss", ES_CONFIG_PROBABILITY, field.burst_loss, def_bloss,            \
          ES_UNIT_RANGE),                                                                          \
      KEY(sec, prefix "outages", ES_CONFIG_OUTAGES, field.outages, "", ES_ANY),                    \
      KEY(sec, prefix "corruption", ES_CONFIG_PROBABILITY, field.corruption, "0", ES_UNIT_RANGE)

/* Access-link classes of the national layout: share, rate, latency (one value or a min,max
 * range), loss and the other impairments. Defaults and their sources: README, "National
 * layout". */
#define ACCESS_KEYS(cls, idx, def_share, def_rate, def_latency, def_loss, def_enter, def_exit,     \
                    def_bloss)                                                                     \
  KEY("national", cls "_share", ES_CONFIG_PROBABILITY, access_class[idx].share, def_share,        \
      ES_UNIT_RANGE),                                                                              \
      KEY("national", cls "_rate", ES_CONFIG_RATE, access_class[idx].link.rate_bps, def_rate,      \
          ES_POSITIVE),                                                                            \
      KEY("national", cls "_latency", ES_CONFIG_DURATION_LIST, access_class[idx].latency,         \
          def_latency, ES_ANY),                                                                    \
      KEY("national", cls "_loss", ES_CONFIG_PROBABILITY, access_class[idx].link.loss, def_loss,   \
          ES_UNIT_RANGE),                                                                          \
      IMPAIRMENT_KEYS("national", cls "_", access_class[idx].link, def_enter, def_exit, def_bloss)

static const EsConfigKey keys[] = {
    ES_CONFIG_CHOICE_KEY(EsTopologyConfig, "topology", "type", type, "tree", topology_words),
    KEY("topology", "file", ES_CONFIG_PATH, file, "", ES_ANY),
    KEY("topology", "racas", ES_CONFIG_UINT, racas, "1", ES_RANGE(1, 64)),
    KEY("topology", "aggregations", ES_CONFIG_UINT, aggregations, "0", ES_RANGE(0, 1000000)),
    KEY("topology", "cas", ES_CONFIG_UINT, cas, "0", ES_RANGE(0, 64)),
    KEY("tree", "fanout", ES_CONFIG_UINT_LIST, tree_fanout, "", ES_RANGE(1, 1000000)),
    KEY("tree", "rate", ES_CONFIG_RATE_LIST, tree_rate, "", ES_POSITIVE),
    KEY("tree", "latency", ES_CONFIG_DURATION_LIST, tree_latency, "", ES_ANY),
    KEY("tree", "loss", ES_CONFIG_PROBABILITY_LIST, tree_loss, "", ES_UNIT_RANGE),
    KEY("tree", "burst_enter", ES_CONFIG_PROBABILITY_LIST, tree_burst_enter, "", ES_UNIT_RANGE),
    KEY("tree", "burst_exit", ES_CONFIG_PROBABILITY_LIST, tree_burst_exit, "", ES_UNIT_RANGE),
    KEY("tree", "burst_loss", ES_CONFIG_PROBABILITY_LIST, tree_burst_loss, "", ES_UNIT_RANGE),
    KEY("tree", "corruption", ES_CONFIG_PROBABILITY_LIST, tree_corruption, "", ES_UNIT_RANGE),
    KEY("national", "regions", ES_CONFIG_UINT, national_regions, "0", ES_RANGE(0, 100000)),
    KEY("national", "aggregations", ES_CONFIG_UINT, national_aggregations, "0",
        ES_RANGE(0, 1000000)),
    KEY("national", "backbone_rate", ES_CONFIG_RATE, backbone_rate_bps, "10Gbps", ES_POSITIVE),
    KEY("national", "backbone_latency", ES_CONFIG_DURATION_LIST, backbone_latency, "1ms,6ms",
        ES_ANY),
    KEY("national", "metro_rate", ES_CONFIG_RATE, metro_rate_bps, "10Gbps", ES_POSITIVE),
    KEY("national", "metro_latency", ES_CONFIG_DURATION_LIST, metro_latency, "0.1ms,1ms",
        ES_ANY),
    ACCESS_KEYS("fibre", ES_ACCESS_FIBRE, "0.6", "1Gbps", "0.1ms,1ms", "0", "0", "0", "1"),
    /* Fading in bursts: a fade below the margin 1e-4 of the time (enter/(enter+exit)), 5
     * packets long on average, losing half of them. README, "National layout", says why. */
    ACCESS_KEYS("microwave", ES_ACCESS_MICROWAVE, "0.38", "400Mbps", "1ms,4ms", "0.0001",
                "0.00002", "0.2", "0.5"),
    ACCESS_KEYS("satellite", ES_ACCESS_SATELLITE, "0.02", "20Mbps", "250ms,280ms", "0.001", "0",
                "0", "1"),
    /* Off by default: the layout and every result are then those from before SeGWs. */
    ES_CONFIG_CHOICE_KEY(EsTopologyConfig, "national", "segws", national_segws, "false",
                         es_config_bool_words),
};

/* The links of the generated layouts: eNB access, aggregation routers, the RA/CAs' link, the
 * CAs' link (a WAN hop to a central CA by default). */
#define LINK_KEYS(sec, field, def_rate, def_latency)                                         \
  KEY(sec, "rate", ES_CONFIG_RATE, field.rate_bps, def_rate, ES_POSITIVE),                   \
      KEY(sec, "latency", ES_CONFIG_DURATION, field.delay_s, def_latency, ES_ANY),           \
      KEY(sec, "loss", ES_CONFIG_PROBABILITY, field.loss, "0", ES_UNIT_RANGE),               \
      IMPAIRMENT_KEYS(sec, "", field, "0", "0", "1")
static const EsConfigKey link_keys[] = {
    LINK_KEYS("backhaul", access, "100Mbps", "5ms"),
    LINK_KEYS("aggregation", aggregation, "1Gbps", "2ms"),
    LINK_KEYS("core", core, "10Gbps", "1ms"),
    LINK_KEYS("ca_link", ca_link, "1Gbps", "10ms"),
};

const EsConfigSchema *es_topology_config_schema(void) {
  static const EsConfigPart part = ES_CONFIG_PART(keys, 0);
  static const EsConfigSchema schema = {
      .parts = &part, .n_parts = 1, .size = sizeof(EsTopologyConfig)};
  return &schema;
}

const EsConfigSchema *es_topology_link_schema(void) {
  static const EsConfigPart part = ES_CONFIG_PART(link_keys, 0);
  static const EsConfigSchema schema = {
      .parts = &part, .n_parts = 1, .size = sizeof(EsTopologyConfig)};
  return &schema;
}

/* The keys each layout reads, by section ("tree") or key ("topology.file"); keys not listed
 * here are read by every layout. A file's links and CAs come from the file alone. */
#define TYPE(t) (1u << (t))
#define GENERATED (TYPE(ES_TOPOLOGY_TREE) | TYPE(ES_TOPOLOGY_STAR) | TYPE(ES_TOPOLOGY_NATIONAL))
static const struct {
  const char *name;
  guint types;
} readers[] = {
    {"topology.file", TYPE(ES_TOPOLOGY_FILE)},
    {"topology.racas", GENERATED},
    {"topology.cas", GENERATED},
    {"topology.aggregations", TYPE(ES_TOPOLOGY_TREE)},
    {"tree", TYPE(ES_TOPOLOGY_TREE)},
    {"national", TYPE(ES_TOPOLOGY_NATIONAL)},
    {"backhaul", TYPE(ES_TOPOLOGY_TREE) | TYPE(ES_TOPOLOGY_STAR)},
    {"aggregation", TYPE(ES_TOPOLOGY_TREE)},
    {"core", GENERATED},
    {"ca_link", GENERATED},
};

gboolean es_topology_type_reads(EsTopologyType type, const char *section, const char *key) {
  g_return_val_if_fail(section != NULL && key != NULL, TRUE);
  g_autofree char *name = g_strconcat(section, ".", key, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(readers); i++)
    if (strcmp(readers[i].name, section) == 0 || strcmp(readers[i].name, name) == 0)
      return (readers[i].types & TYPE(type)) != 0;
  return TRUE;
}

const char *es_topology_type_name(EsTopologyType type) {
  g_return_val_if_fail((guint)type < G_N_ELEMENTS(topology_words) - 1, "?");
  return topology_words[type];
}

/* A latency key of the national layout: one value, or min,max with min <= max. */
static gboolean check_range(const char *key, const EsValueList *l, GError **error) {
  if (l->n == 1 || (l->n == 2 && l->v[0] <= l->v[1]))
    return TRUE;
  g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
              "%s: expected one latency or a range min,max (min <= max), got %u values", key,
              l->n);
  return FALSE;
}

static gboolean check_tree(const EsTopologyConfig *c, guint enbs, GError **error) {
  guint levels = MAX(c->tree_fanout.n, 1);
  if (c->tree_fanout.n > 0 && c->aggregations > 0) {
    g_set_error_literal(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                        "set topology.aggregations or tree.fanout, not both");
    return FALSE;
  }
  const struct {
    const char *key;
    const EsValueList *list;
  } per_level[] = {{"tree.rate", &c->tree_rate},
                   {"tree.latency", &c->tree_latency},
                   {"tree.loss", &c->tree_loss},
                   {"tree.burst_enter", &c->tree_burst_enter},
                   {"tree.burst_exit", &c->tree_burst_exit},
                   {"tree.burst_loss", &c->tree_burst_loss},
                   {"tree.corruption", &c->tree_corruption}};
  for (gsize i = 0; i < G_N_ELEMENTS(per_level); i++)
    if (per_level[i].list->n > 1 && per_level[i].list->n != levels) {
      g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                  "%s has %u values: give one for every router level (%u) or one for all",
                  per_level[i].key, per_level[i].list->n, levels);
      return FALSE;
    }
  /* Spare routers would sit idle and skew per-router load figures. */
  double leaves = 1;
  for (guint i = 0; i < c->tree_fanout.n; i++)
    leaves *= c->tree_fanout.v[i];
  if (c->tree_fanout.n > 0 && leaves > enbs) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                "tree.fanout makes %.0f lowest-level routers, more than scenario.enbs (%u)",
                leaves, enbs);
    return FALSE;
  }
  if (c->aggregations > enbs) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                "topology.aggregations (%u) exceeds scenario.enbs (%u)", c->aggregations, enbs);
    return FALSE;
  }
  return TRUE;
}

static gboolean check_national(const EsTopologyConfig *c, guint enbs, GError **error) {
  static const char *const names[] = {"national.fibre_latency", "national.microwave_latency",
                                      "national.satellite_latency"};
  double shares = 0;
  for (int k = 0; k < ES_ACCESS_CLASSES; k++) {
    shares += c->access_class[k].share;
    if (!check_range(names[k], &c->access_class[k].latency, error))
      return FALSE;
  }
  if (fabs(shares - 1) > 1e-9) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                "national.fibre_share + microwave_share + satellite_share must be 1, not %g",
                shares);
    return FALSE;
  }
  if (!check_range("national.backbone_latency", &c->backbone_latency, error) ||
      !check_range("national.metro_latency", &c->metro_latency, error))
    return FALSE;
  if (c->national_regions > enbs) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                "national.regions (%u) exceeds scenario.enbs (%u)", c->national_regions, enbs);
    return FALSE;
  }
  return TRUE;
}

/* Every link the keys describe, whatever the layout: a scenario is checked whole. */
static gboolean check_links(const EsTopologyConfig *c, GError **error) {
  static const char *const classes[] = {"national.fibre_", "national.microwave_",
                                        "national.satellite_"};
  if (!es_link_check(&c->access, "backhaul.", TRUE, error) ||
      !es_link_check(&c->aggregation, "aggregation.", TRUE, error) ||
      !es_link_check(&c->core, "core.", TRUE, error) ||
      !es_link_check(&c->ca_link, "ca_link.", TRUE, error))
    return FALSE;
  for (int k = 0; k < ES_ACCESS_CLASSES; k++)
    if (!es_link_check(&c->access_class[k].link, classes[k], TRUE, error))
      return FALSE;
  for (guint l = 0; l < ES_CONFIG_LIST_MAX; l++) {
    const EsLinkParams *agg = &c->aggregation;
    EsLinkParams level = {
        .rate_bps = es_value_list_get(&c->tree_rate, l, agg->rate_bps),
        .delay_s = es_value_list_get(&c->tree_latency, l, agg->delay_s),
        .loss = es_value_list_get(&c->tree_loss, l, agg->loss),
        .burst_enter = es_value_list_get(&c->tree_burst_enter, l, agg->burst_enter),
        .burst_exit = es_value_list_get(&c->tree_burst_exit, l, agg->burst_exit),
        .burst_loss = es_value_list_get(&c->tree_burst_loss, l, agg->burst_loss),
        .corruption = es_value_list_get(&c->tree_corruption, l, agg->corruption),
    };
    if (!es_link_check(&level, "tree.", TRUE, error))
      return FALSE;
  }
  return TRUE;
}

gboolean es_topology_config_check(const EsTopologyConfig *c, guint enbs, GError **error) {
  g_return_val_if_fail(c != NULL, FALSE);
  gboolean ok = TRUE;
  /* A CA behind no RA would idle and skew per-CA figures; a file declares its own CAs. */
  if (c->type != ES_TOPOLOGY_FILE && c->cas > MAX(c->racas, 1u)) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                "topology.cas (%u) exceeds topology.racas (%u): CA c serves RA/CAs c, c + cas, "
                "..., so a CA would serve none",
                c->cas, MAX(c->racas, 1u));
    return FALSE;
  }
  switch (c->type) {
  case ES_TOPOLOGY_FILE:
    if (!c->file || !*c->file) {
      g_set_error_literal(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                          "topology.type = file needs topology.file");
      return FALSE;
    }
    break;
  case ES_TOPOLOGY_STAR:
    break;
  case ES_TOPOLOGY_TREE:
    ok = check_tree(c, enbs, error);
    break;
  case ES_TOPOLOGY_NATIONAL:
    ok = check_national(c, enbs, error);
    break;
  }
  return ok && check_links(c, error);
}

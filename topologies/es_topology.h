/* Backhaul topologies as trees: every node but the root has one uplink, so routing is a
 * static default route up the tree and a prefix route per child down it. */
#ifndef ES_TOPOLOGY_H
#define ES_TOPOLOGY_H

#include <glib.h>
#include "config/es_config.h"
#include "config/es_link.h"

#define ES_TOPOLOGY_ERROR (es_topology_error_quark())
GQuark es_topology_error_quark(void);
typedef enum {
  ES_TOPOLOGY_ERROR_FILE,    /* the file cannot be read */
  ES_TOPOLOGY_ERROR_SYNTAX,  /* a line that is not a statement, a bad value */
  ES_TOPOLOGY_ERROR_INVALID, /* not a tree: loop, disconnected, unknown node, no RA/CA... */
} EsTopologyError;

/* topology.type: the built-in tree, every eNB on the core router, the national layout, or a
 * topology file (topology.file). */
typedef enum {
  ES_TOPOLOGY_TREE,
  ES_TOPOLOGY_STAR,
  ES_TOPOLOGY_NATIONAL,
  ES_TOPOLOGY_FILE
} EsTopologyType;

/* One kind of access link in the national layout: its share of the eNBs, and a link whose
 * delay each eNB draws from `latency` (one value or a min,max range). */
typedef struct {
  double share;
  EsValueList latency;
  EsLinkParams link; /* delay_s unused */
} EsAccessClass;
typedef enum { ES_ACCESS_FIBRE, ES_ACCESS_MICROWAVE, ES_ACCESS_SATELLITE, ES_ACCESS_CLASSES } EsAccess;

/* The [topology], [tree] and [national] sections (es_topology_config_keys) and the links of
 * the generated layouts, [backhaul], [aggregation], [core] and [ca_link]
 * (es_topology_link_keys). */
typedef struct {
  EsTopologyType type;     /* topology.type            tree */
  char *file;              /* topology.file            "": the file of type file (owned) */
  guint racas;             /* topology.racas           1: RA/CAs of a generated topology */
  guint aggregations;      /* topology.aggregations    0: about sqrt(enbs) */
  guint cas;               /* topology.cas             0: every RA/CA is its own CA; C >= 1:
                              the PKI is split, C CA nodes on the core router ([ca_link]),
                              RA/CA r obtains its certificates from CA r mod C (at most
                              topology.racas) */
  EsValueList tree_fanout; /* tree.fanout              "": one level of topology.aggregations */
  EsValueList tree_rate, tree_latency, tree_loss; /* tree.*: per router level; "": aggregation.* */
  EsValueList tree_burst_enter, tree_burst_exit, tree_burst_loss, tree_corruption; /* likewise;
                              outages of every level: aggregation.outages */
  guint national_regions;  /* national.regions         0: one per 5000 eNBs */
  guint national_aggregations; /* national.aggregations 0: about sqrt(eNBs per region) */
  double backbone_rate_bps;    /* national.backbone_rate     10Gbps: core to region */
  EsValueList backbone_latency;/* national.backbone_latency  1ms,6ms */
  double metro_rate_bps;       /* national.metro_rate        10Gbps: region to aggregation */
  EsValueList metro_latency;   /* national.metro_latency     0.1ms,1ms */
  EsAccessClass access_class[ES_ACCESS_CLASSES]; /* national.fibre_* microwave_* satellite_* */
  gboolean national_segws; /* national.segws            false: true puts a security gateway in
                              each region (es_topology_new_national) */
  EsLinkParams access;     /* backhaul.rate/latency/loss          100Mbps, 5ms, 0 */
  EsLinkParams aggregation;/* aggregation.rate/latency/loss       1Gbps, 2ms, 0 */
  EsLinkParams core;       /* core.rate/latency/loss (RA/CA link) 10Gbps, 1ms, 0 */
  EsLinkParams ca_link;    /* ca_link.rate/latency/loss (CA link) 1Gbps, 10ms, 0: a WAN hop
                            * to a central CA; only with topology.cas >= 1 */
                           /* each also .burst_enter/.burst_exit/.burst_loss  0, 0, 1;
                            * .outages ""; .corruption 0 */
} EsTopologyConfig;

/* Its keys in dump order: a scenario writes the links after the rollout. */
const EsConfigSchema *es_topology_config_schema(void);
const EsConfigSchema *es_topology_link_schema(void);
/* Whether a topology of `type` reads `section`.`key` (TRUE for keys of other sections): star
 * has no aggregation routers, tree and star no national classes, a file brings its own links
 * and declares its own CAs (topology.cas, [ca_link]). */
gboolean es_topology_type_reads(EsTopologyType type, const char *section, const char *key);
/* "tree", "star", "national" or "file": the word of topology.type. */
const char *es_topology_type_name(EsTopologyType type);
/* What no single key can say: keys that only make sense together (topology.cas at most
 * topology.racas: a CA behind no RA would sit idle), for `enbs` eNBs, and every link's
 * impairments (es_link_check). */
gboolean es_topology_config_check(const EsTopologyConfig *config, guint enbs, GError **error);

/* ES_NODE_CA: a CA behind RA/CAs that act as RAs (a split PKI); eNBs never enrol with it.
 * ES_NODE_SEGW: a security gateway, where the eNBs' IPsec tunnels end (TS 33.210, 33.310): it
 * authenticates eNB certificates, so it is a relying node of CRL distribution; it forwards
 * like a router and enrols nothing. */
typedef enum { ES_NODE_ROUTER, ES_NODE_RACA, ES_NODE_ENB, ES_NODE_CA, ES_NODE_SEGW } EsNodeRole;

typedef struct {
  EsNodeRole role;
  guint parent;        /* index of the node at the other end of the uplink; root: itself */
  guint number;        /* eNB number 1..N, RA/CA, CA and SeGW number 0.., routers 0 */
  guint raca;          /* eNBs: number of the RA/CA that serves it; SeGWs: whose CRL
                          distribution point it fetches from; others 0 */
  guint ca;            /* RA/CAs of a topology with CAs: number of the CA behind it; others 0 */
  const char *access;  /* eNBs: access class, the topology's string; SeGWs: "segw"; others
                          NULL */
  EsLinkParams uplink; /* unused for the root */
} EsTopoNode;

typedef struct EsTopology EsTopology;

/* The topology of `enbs` eNBs a checked config describes (topology.type). Generators cannot
 * fail; a file can (ES_TOPOLOGY_ERROR, the message names the file, the line and why), and so
 * can a file whose eNB count differs from `enbs`. */
EsTopology *es_topology_new(const EsTopologyConfig *config, guint enbs, GError **error);

/* Generated layouts with topology.cas = C >= 1 have C CA nodes right after the RA/CAs
 * (nodes R+1..R+C, named ca-<c>, children of the core router over the [ca_link] link); RA/CA r
 * is served by CA r mod C. With C = 0 there are none and the layouts are as below.
 *
 * Tree: node 0 is the core router, nodes 1..R the RA/CAs (uplink: core link), then the
 * routers level by level (tree.fanout per level, or one level of topology.aggregations, about
 * sqrt(N) by default; uplinks: tree.* per level, default the aggregation link), then eNBs
 * 1..N spread round-robin over the lowest level (uplink: access link). eNB k is served by
 * RA/CA (k-1) mod R. */
EsTopology *es_topology_new_tree(const EsTopologyConfig *config, guint enbs);
/* Star: the core router, the RA/CAs, then every eNB directly on the core (access link). */
EsTopology *es_topology_new_star(const EsTopologyConfig *config, guint enbs);
/* National layout: core router and RA/CAs; per region a regional router (backbone link),
 * aggregation routers (metro links) with the fibre and microwave sites round-robin below
 * them, and a teleport (metro link) with the region's satellite sites. eNBs are numbered
 * region by region; region r is served by RA/CA r mod R. Link delays are drawn within the
 * configured ranges from a fixed seed: the network is the same for every run seed. With
 * national.segws, SeGW r-1 (named segw-<r>) hangs on region r's router over a metro link of
 * the range's lower delay, after every other node, and fetches from RA/CA (r-1) mod R; the
 * other nodes, their numbers and their delays are those of the layout without SeGWs. */
EsTopology *es_topology_new_national(const EsTopologyConfig *config, guint enbs);
/* Bounds of a topology: the 1,000,000 eNBs scenario.enbs allows and 100,000 routers,
 * RA/CAs and CAs; a file of at most 256 MiB. */
#define ES_TOPOLOGY_MAX_NODES 1100000u
#define ES_TOPOLOGY_MAX_BYTES (256 << 20)
/* Reads a topology file (format: README, "Topology files"); refuses more than
 * ES_TOPOLOGY_MAX_NODES nodes (at the line that declares one more) and a file that is not a
 * regular one or larger than ES_TOPOLOGY_MAX_BYTES. */
EsTopology *es_topology_load(const char *path, GError **error);

void es_topology_free(EsTopology *topo);
/* Nodes are indexed 0..size-1, parents before children, node 0 the root. */
guint es_topology_size(const EsTopology *topo);
const EsTopoNode *es_topology_node(const EsTopology *topo, guint index);
/* The node's name (from the file; generated routers, RA/CAs and CAs get names like "core",
 * "raca-0", "ca-0", "agg-3"), NULL for an unnamed node (generated eNBs: "enb-<number>"). */
const char *es_topology_node_name(const EsTopology *topo, guint index);
/* Node index of eNB number `enb` (1..N) and of RA/CA `raca` (0..). */
guint es_topology_enb_node(const EsTopology *topo, guint enb);
guint es_topology_raca_node(const EsTopology *topo, guint raca);
guint es_topology_enbs(const EsTopology *topo);
guint es_topology_racas(const EsTopology *topo);
/* SeGW nodes: 0 unless national.segws or a file's `segw` nodes. */
guint es_topology_segws(const EsTopology *topo);
/* Node index of SeGW `segw` (0..segws-1), and the RA/CA number whose distribution point it
 * fetches CRLs from; G_MAXUINT (and a warning) for a SeGW that does not exist. */
guint es_topology_segw_node(const EsTopology *topo, guint segw);
guint es_topology_segw_raca(const EsTopology *topo, guint segw);
/* CA nodes: 0 when the PKI is not split (every RA/CA is its own CA, the default). */
guint es_topology_cas(const EsTopology *topo);
/* Node index of CA `ca` (0..cas-1). */
guint es_topology_ca_node(const EsTopology *topo, guint ca);
/* The CA (0..cas-1) behind RA/CA `raca`; G_MAXUINT when the topology has no CAs. */
guint es_topology_raca_ca(const EsTopology *topo, guint raca);
/* The RA/CA number (0..racas-1) that eNB `enb` enrols with. */
guint es_topology_enb_raca(const EsTopology *topo, guint enb);
/* Its access class, to group results by: "fibre", "microwave" or "satellite" (national),
 * "backhaul" (tree, star: the [backhaul] link), or in a topology file the class= of its
 * uplink, else the name of the node it hangs on. */
const char *es_topology_enb_access(const EsTopology *topo, guint enb);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsTopology, es_topology_free)

#endif

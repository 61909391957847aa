/* Scenarios: a GLib key file plus `section.key=value` overrides, checked before anything
 * runs; durations carry a unit (20ms, 1.5s), rates too (100Mbps), probabilities in [0, 1]. */
#ifndef ES_SCENARIO_H
#define ES_SCENARIO_H

#include <glib.h>

#define ES_SCENARIO_ERROR (es_scenario_error_quark())
GQuark es_scenario_error_quark(void);
typedef enum { ES_SCENARIO_ERROR_FILE, ES_SCENARIO_ERROR_KEY, ES_SCENARIO_ERROR_VALUE } EsScenarioError;

typedef enum { ES_CONFIRM_EXPLICIT, ES_CONFIRM_IMPLICIT } EsConfirm;
/* topology.type: the built-in tree, every eNB on the core router, the national layout, or a
 * topology file (topology.file). */
typedef enum {
  ES_TOPOLOGY_TREE,
  ES_TOPOLOGY_STAR,
  ES_TOPOLOGY_NATIONAL,
  ES_TOPOLOGY_FILE
} EsTopologyType;
/* rollout.schedule: when each eNB powers on. */
typedef enum {
  ES_SCHEDULE_BURST,   /* all at t=0: power restored after an outage */
  ES_SCHEDULE_UNIFORM, /* independently uniform over rollout.window */
  ES_SCHEDULE_WAVES,   /* rollout.wave_size sites every rollout.wave_period */
  ES_SCHEDULE_POISSON  /* a Poisson process of rollout.rate eNBs per second */
} EsSchedule;

/* enb.retry: what an eNB does when a response does not come within enb.msg_timeout. */
typedef enum {
  ES_RETRY_RESEND,  /* POST the same DER again: the RA/CA answers a duplicate from its cache */
  ES_RETRY_RESTART, /* abandon the transaction and begin a new one */
} EsRetryPolicy;

/* Link outages: windows of simulated time in which a link drops everything, both ways.
 * Written "100s+30s,500s+10s" (start+duration); one allocation, n windows in file order. */
typedef struct {
  double start_s, duration_s;
} EsOutage;
typedef struct {
  guint n;
  EsOutage w[];
} EsOutages;
#define ES_OUTAGES_MAX 64

/* A link and its impairments, each applying to each direction on its own. All zero (and no
 * outages) is a perfect link: ns-3 then gets no error model, so results stay as they were. */
typedef struct {
  double rate_bps;
  double delay_s;
  double loss;        /* probability that a packet is dropped, independently */
  /* Gilbert-Elliott bursts, a two-state chain stepped once per packet: good -> bad with
   * burst_enter, bad -> good with burst_exit (mean burst 1/burst_exit packets), and in the bad
   * state a packet is dropped with burst_loss. burst_enter 0: no bursts. */
  double burst_enter, burst_exit, burst_loss;
  double corruption;  /* probability that a data segment arrives with one payload bit flipped */
  EsOutages *outages; /* NULL: none. Owned by the scenario or the topology holding the link */
} EsLinkParams;

/* A comma-separated list of numbers (per-level tree parameters, min,max ranges); n == 0
 * means the key was left empty. */
#define ES_SCENARIO_LIST_MAX 8
typedef struct {
  guint n;
  double v[ES_SCENARIO_LIST_MAX];
} EsValueList;

/* One kind of access link in the national layout. latency is one value or a min,max range
 * that each link draws from. */
typedef struct {
  double share; /* fraction of the eNBs */
  double rate_bps;
  EsValueList latency;
  double loss;
  double burst_enter, burst_exit, burst_loss, corruption; /* as in EsLinkParams */
  EsOutages *outages;                                     /* owned; NULL: none */
} EsAccessClass;

typedef enum { ES_ACCESS_FIBRE, ES_ACCESS_MICROWAVE, ES_ACCESS_SATELLITE, ES_ACCESS_CLASSES } EsAccess;

/* Plain values, filled with the built-in defaults by es_scenario_new. */
typedef struct {
  char *name;              /* scenario.name            default "default" */
  guint64 seed;            /* scenario.seed            1 */
  guint enbs;              /* scenario.enbs            500 */
  gint64 epoch;            /* scenario.epoch           2026-11-01T00:00:00Z (simulated t=0) */
  double stop_time_s;      /* scenario.stop_time       3600s: the run ends then at the latest */
  EsTopologyType topology_type; /* topology.type       tree */
  char *topology_file;     /* topology.file            "": the file of type file */
  guint racas;             /* topology.racas           1: RA/CAs of a generated topology */
  guint aggregations;      /* topology.aggregations    0: about sqrt(enbs) */
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
  EsSchedule schedule;     /* rollout.schedule         uniform */
  double start_window_s;   /* rollout.window           1s (also scenario.start_window) */
  guint wave_size;         /* rollout.wave_size        100 */
  double wave_period_s;    /* rollout.wave_period      60s */
  double wave_spread_s;    /* rollout.wave_spread      0s: a wave's sites start together */
  double arrival_rate;     /* rollout.rate             10/s: Poisson arrivals per second */
  EsLinkParams access;     /* backhaul.rate/latency/loss          100Mbps, 5ms, 0 */
  EsLinkParams aggregation;/* aggregation.rate/latency/loss       1Gbps, 2ms, 0 */
  EsLinkParams core;       /* core.rate/latency/loss (RA/CA link) 10Gbps, 1ms, 0 */
                           /* each also .burst_enter/.burst_exit/.burst_loss  0, 0, 1;
                            * .outages ""; .corruption 0 */
  char *pki_key;           /* pki.key                  p256 (p256, p384, rsa2048) */
  double cert_validity_s;  /* pki.cert_validity        3650d */
  EsConfirm confirm;       /* raca.confirm             explicit */
  double confirm_wait_s;   /* raca.confirm_wait        60s: covers an eNB resending its certConf */
  guint workers;           /* raca.workers             2 */
  guint queue_limit;       /* raca.queue_limit         0 (none): requests waiting beyond it get 503 */
  double retry_after_s;    /* raca.retry_after         2s: that 503's Retry-After (whole seconds) */
  int service_dist;        /* raca.service             fixed (EsServiceDist: fixed, exponential) */
  double ir_service_s;     /* raca.ir_service          1ms: CPU time to verify an ir, issue, sign the ip
                            * (measured by bench-inmem: 0.90 ms; README) */
  double kur_service_s;    /* raca.kur_service         1ms */
  double certconf_service_s; /* raca.certconf_service  0.5ms (measured: 0.49 ms) */
  double rr_service_s;     /* raca.rr_service          0.5ms */
  double crl_validity_s;   /* raca.crl_validity        3650d: nextUpdate - thisUpdate */
  double crl_interval_s;   /* raca.crl_interval        0s: one CRL at the end; else one every
                            * interval of simulated time and one at the end */
  gboolean keep_superseded;/* raca.keep_superseded     false: a confirmed kur or re-enrolment
                            * revokes the certificate it replaces */
  gboolean raca_cross;     /* raca.cross               true; false: the RA/CAs lack the cross
                            * certificate (late-binding misconfiguration) */
  char *enb_key;           /* enb.key                  p256 */
  double enb_keygen_s;     /* enb.keygen_time          20ms: new key pair before the ir */
  double enb_sign_s;       /* enb.sign_time            5ms: signing each request */
  double enb_cpu_spread;   /* enb.cpu_spread           0: each eNB's keygen and sign times are
                            * scaled by its own factor, uniform in [1 - spread, 1 + spread] */
  double msg_timeout_s;    /* enb.msg_timeout          10s: no response by then: retry */
  EsRetryPolicy enb_retry; /* enb.retry                resend */
  guint enb_max_attempts;  /* enb.max_attempts         4: per message (resend), per enrolment (restart) */
  double enb_backoff_s;    /* enb.backoff              1s: first wait before a retry, doubling */
  double enb_backoff_max_s;/* enb.backoff_max          60s */
  double enb_backoff_jitter; /* enb.backoff_jitter     0.5: each wait is scaled by 1 +- jitter */
  double enb_renew_after_s; /* enb.renew_after         0s (never): kur this long after enrolling */
  /* Hostile and broken eNBs: probabilities per eNB, drawn from the seed; they add up to 1 at
   * most (an eNB is in one class at most). */
  double hostile_unknown_vendor; /* hostile.unknown_vendor 0: device cert of an unknown vendor */
  double hostile_expired_device; /* hostile.expired_device 0: device cert expired at the epoch */
  double hostile_rogue_raca;     /* hostile.rogue_raca     0: answered by a rogue RA/CA */
} EsScenario;

EsScenario *es_scenario_new(void);
void es_scenario_free(EsScenario *sc);
/* Applies a key file over the current values. Errors name the file, the key and why:
 * a missing or unreadable file, an unknown group or key, a bad value. */
gboolean es_scenario_load(EsScenario *sc, const char *path, GError **error);
/* Applies one `section.key=value` (or separate key and value). */
gboolean es_scenario_set(EsScenario *sc, const char *key, const char *value, GError **error);
/* Cross-field checks (e.g. at least one eNB). */
gboolean es_scenario_validate(const EsScenario *sc, GError **error);
/* The effective scenario as a key file text (every key, canonical units). */
char *es_scenario_to_keyfile(const EsScenario *sc);

/* Unit parsers, exposed for tests: "20ms" "1.5s" "2m" "1h" "3650d" "250us"; "100Mbps"
 * "1Gbps" "64kbps" "9600bps". Reject negatives, NaN, missing or unknown units. */
gboolean es_parse_duration(const char *text, double *out_s);
gboolean es_parse_rate(const char *text, double *out_bps);
gboolean es_parse_probability(const char *text, double *out);
/* "100s+30s,500s+10s" (start+duration, both durations with a unit, duration > 0, at most
 * ES_OUTAGES_MAX windows); "" is no outages (*out NULL). On failure *why says what is wrong. */
gboolean es_parse_outages(const char *text, EsOutages **out, char **why);
/* The canonical text es_parse_outages reads back ("" for NULL). */
char *es_outages_to_string(const EsOutages *o);
/* A copy (NULL for NULL or no windows); g_free it. */
EsOutages *es_outages_copy(const EsOutages *o);
/* TRUE when the link has any impairment (loss, bursts, outages or corruption). */
gboolean es_link_impaired(const EsLinkParams *l);

/* A copy that owns its strings. */
EsScenario *es_scenario_copy(const EsScenario *sc);
/* Value i of a list key, or `fallback` when the list is empty; a one-value list applies to
 * every i. */
double es_value_list_get(const EsValueList *list, guint i, double fallback);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsScenario, es_scenario_free)

#endif

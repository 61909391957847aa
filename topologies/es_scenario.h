/* Scenarios: a GLib key file plus `section.key=value` overrides, checked before anything
 * runs; durations carry a unit (20ms, 1.5s), rates too (100Mbps), probabilities in [0, 1]. */
#ifndef ES_SCENARIO_H
#define ES_SCENARIO_H

#include <glib.h>

#define ES_SCENARIO_ERROR (es_scenario_error_quark())
GQuark es_scenario_error_quark(void);
typedef enum { ES_SCENARIO_ERROR_FILE, ES_SCENARIO_ERROR_KEY, ES_SCENARIO_ERROR_VALUE } EsScenarioError;

typedef enum { ES_CONFIRM_EXPLICIT, ES_CONFIRM_IMPLICIT } EsConfirm;

typedef struct {
  double rate_bps;
  double delay_s;
  double loss; /* probability that a packet is dropped, each direction */
} EsLinkParams;

/* Plain values, filled with the built-in defaults by es_scenario_new. */
typedef struct {
  char *name;              /* scenario.name            default "default" */
  guint64 seed;            /* scenario.seed            1 */
  guint enbs;              /* scenario.enbs            500 */
  gint64 epoch;            /* scenario.epoch           2026-11-01T00:00:00Z (simulated t=0) */
  double start_window_s;   /* scenario.start_window    1s: power-on times uniform over it */
  double stop_time_s;      /* scenario.stop_time       3600s: the run ends then at the latest */
  guint aggregations;      /* topology.aggregations    0: about sqrt(enbs) */
  EsLinkParams access;     /* backhaul.rate/latency/loss          100Mbps, 5ms, 0 */
  EsLinkParams aggregation;/* aggregation.rate/latency/loss       1Gbps, 2ms, 0 */
  EsLinkParams core;       /* core.rate/latency/loss (RA/CA link) 10Gbps, 1ms, 0 */
  char *pki_key;           /* pki.key                  p256 (p256, p384, rsa2048) */
  double cert_validity_s;  /* pki.cert_validity        3650d */
  EsConfirm confirm;       /* raca.confirm             explicit */
  double confirm_wait_s;   /* raca.confirm_wait        30s */
  guint workers;           /* raca.workers             2 */
  double ir_service_s;     /* raca.ir_service          2ms: CPU time to verify an ir, issue, sign the ip */
  double certconf_service_s; /* raca.certconf_service  1ms */
  double crl_validity_s;   /* raca.crl_validity        3650d: nextUpdate - thisUpdate */
  char *enb_key;           /* enb.key                  p256 */
  double enb_keygen_s;     /* enb.keygen_time          20ms: new key pair before the ir */
  double enb_sign_s;       /* enb.sign_time            5ms: signing each request */
  double msg_timeout_s;    /* enb.msg_timeout          60s: no response by then fails the eNB */
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsScenario, es_scenario_free)

#endif

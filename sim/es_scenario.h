/* Scenarios: a GLib key file plus `section.key=value` overrides, checked before anything
 * runs; durations carry a unit (20ms, 1.5s), rates too (100Mbps), probabilities in [0, 1].
 * A scenario is the composition of the sections each layer declares beside its own config:
 * [scenario] and [hostile] here, the topology's and the rollout's, [pki], [raca], [enb],
 * [transport], and [faults] (serve). */
#ifndef ES_SCENARIO_H
#define ES_SCENARIO_H

#include <glib.h>
#include "config/es_config.h"
#include "engines/es_faults.h"
#include "sim/es_crl_dist.h"
#include "sim/es_rollover.h"
#include "engines/es_sim.h"
#include "nodes/es_enb.h"
#include "nodes/es_raca.h"
#include "pki/es_pki_config.h"
#include "topologies/es_rollout.h"
#include "topologies/es_topology.h"

/* Hostile and broken eNBs: probabilities per eNB, drawn from the seed; they add up to 1 at
 * most (an eNB is in one class at most). */
typedef struct {
  double unknown_vendor; /* hostile.unknown_vendor 0: device cert of an unknown vendor */
  double expired_device; /* hostile.expired_device 0: device cert expired at the epoch */
  double rogue_raca;     /* hostile.rogue_raca     0: answered by a rogue RA/CA */
  double forger;         /* hostile.forger         0: an on-path forger beside the eNB (which
                          * enrols as usual) posts a certConf and an ir with a bad signature
                          * under the transactionID of the next enrolment it sees issued */
  double replayer;       /* hostile.replayer       0: likewise, posts that enrolment's ir again
                          * once raca.confirm_wait + 1s have passed */
} EsHostileConfig;

/* Plain values, filled with the built-in defaults by es_scenario_new. */
typedef struct {
  char *name;              /* scenario.name            default "default" */
  guint64 seed;            /* scenario.seed            1 */
  guint enbs;              /* scenario.enbs            500 */
  gint64 epoch;            /* scenario.epoch           2026-11-01T00:00:00Z (simulated t=0) */
  double stop_time_s;      /* scenario.stop_time       3600s: the run ends then at the latest */
  EsTopologyConfig topology;
  EsRolloutConfig rollout;
  EsPkiConfig pki;
  EsRacaConfig raca;       /* its fields without a key stay 0: the run sets them */
  EsEnbConfig enb;         /* likewise */
  EsTransportConfig transport; /* TLS on the backhaul (simulation only) */
  EsHostileConfig hostile;
  EsCrlDistConfig crl_dist; /* [revocation], [crl_fetch] (simulation only) */
  EsRolloverConfig rollover; /* [rollover] (simulation only) */
  EsFaultsConfig faults;   /* serve's injected faults; a simulation does not read them */
  EsConfigGiven *given;    /* the keys a file or --set gave a value (the config core's) */
} EsScenario;

EsScenario *es_scenario_new(void);
void es_scenario_free(EsScenario *sc);
/* Applies a key file over the current values. Errors (ES_CONFIG_ERROR) name the file, the
 * key and why: a missing or unreadable file, an unknown group or key, a bad value. */
gboolean es_scenario_load(EsScenario *sc, const char *path, GError **error);
/* Applies one `section.key=value` (or separate key and value). */
gboolean es_scenario_set(EsScenario *sc, const char *key, const char *value, GError **error);
/* Every key within its bounds, then what no single key can know (e.g. at least one eNB). */
gboolean es_scenario_validate(const EsScenario *sc, GError **error);
/* Choices that are legal but likely not meant, one sentence each (NULL-terminated; g_strfreev
 * it): a raca.confirm_wait shorter than the eNBs' certConf resend window; keys given (in a
 * file or with --set, whatever the value) that topology.type does not read, such as national.*
 * under tree: a warning, not a refusal, since a sweep over topology.type shares one file. */
char **es_scenario_warnings(const EsScenario *sc);
/* The same for a live run (serve, enrol): the keys given that neither live command reads (the
 * network, hostile shares, the eNBs' modelled CPU times, the epoch); an empty list when none
 * was given. One scenario file serves both, so a key the other command reads is no warning. */
char **es_scenario_live_warnings(const EsScenario *sc);
/* Whether a file or --set gave `name` ("raca.ir_service") a value, even its default. */
gboolean es_scenario_is_given(const EsScenario *sc, const char *name);
/* The effective scenario as a key file text (every key, canonical units). */
char *es_scenario_to_keyfile(const EsScenario *sc);
/* A copy that owns its strings. */
EsScenario *es_scenario_copy(const EsScenario *sc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsScenario, es_scenario_free)

#endif

/* The one owner of a run's results, simulated or live: it turns the eNBs' and RA/CAs' typed
 * events into enrolments.csv, revocations.csv and raca_queue.csv, names outcomes in the
 * files' words, and starts every summary.json with the metrics those events give. */
#ifndef ES_COLLECTOR_H
#define ES_COLLECTOR_H

#include <glib.h>
#include "nodes/es_enb.h"
#include "nodes/es_raca.h"
#include "results/es_queue_log.h"
#include "results/es_recorder.h"
#include "results/es_revocation_log.h"
#include "results/es_summary.h"
#include "sim/es_scenario.h"

typedef struct EsCollector EsCollector;

/* For eNBs 1..n_enbs. */
EsCollector *es_collector_new(guint n_enbs);
void es_collector_free(EsCollector *c);

/* Feeds one eNB event (an EsEnbEventFn with the collector as `arg`). */
void es_collector_enb_event(void *collector, const EsEnbEvent *event);
/* The observer to give every RA/CA, with the collector as its `arg`. */
const EsRacaObserver *es_collector_raca_observer(void);
/* Engine time of the last revocation. */
double es_collector_get_last_activity(const EsCollector *c);
/* Where eNB `enb` sits: enrolments.csv's access and raca columns, summary.json's by_access. */
void es_collector_set_site(EsCollector *c, guint enb, const char *access, guint raca);
/* TCP segments the engine resent on eNB `enb`'s connections. */
void es_collector_add_tcp_retransmissions(EsCollector *c, guint enb, guint n);
/* A CRL was published at engine time t: revocations.csv's crl_s column, time to CRL. */
void es_collector_crl_published(EsCollector *c, double t);
/* eNB `enb` holds `cert` from the start (rollout.start = enrolled), issued at engine time
 * `issued_s` (before 0): revocations.csv knows it; enrolments.csv says "installed" until a
 * renewal (then "renewed", dated by its first renewal's marks). */
void es_collector_installed(EsCollector *c, guint enb, X509 *cert, double issued_s);
guint64 es_collector_get_installed(const EsCollector *c);
/* RA/CA `raca` starts with an empty queue at engine time 0. */
void es_collector_raca_started(EsCollector *c, guint raca);
/* The figures so far: per eNB, and of revocations.csv. */
const EsRecorder *es_collector_get0_recorder(const EsCollector *c);
void es_collector_revocation_stats(const EsCollector *c, EsRevocationStats *stats);
/* Certificates the RA/CAs issued, and revoked for `cause`. */
guint64 es_collector_get_issued(const EsCollector *c);
guint64 es_collector_get_revoked(const EsCollector *c, EsRacaRevokeCause cause);

/* What summary.json says about the run besides the events. */
typedef struct {
  const char *scenario;   /* scenario name */
  guint64 seed;
  guint replication;
  gboolean has_racas;     /* the RA/CAs ran in this process: revocation figures are known */
  double sim_time_s;
  guint64 events;         /* engine events executed */
  double wall_time_s;     /* under "wall_clock" */
  int interrupted_by;     /* the signal that stopped the run early (SIGINT, SIGTERM), or 0 */
  double interrupted_at_s; /* the run's clock then */
} EsCollectorRun;
/* A summary with the run's identity, {"interrupted": {"signal", "sim_time_s"}} when a signal
 * stopped it, and every metric the events give: enrolment times and
 * outcomes, retransmissions, and (has_racas) revocations by cause and their timing. The
 * caller adds its own figures and writes it (es_summary_write). */
EsSummary *es_collector_summary_new(const EsCollector *c, const EsCollectorRun *run);
/* An RA/CA's figures under `prefix` ("racas.0", or serve's "raca"): workers, requests, issued,
 * confirmed, revoked, errors, duplicates, busy_rejections, queueing_delay_s.{mean,max}, busy_s,
 * utilisation (busy_s over workers x duration_s), max_queue. */
void es_collector_summary_set_raca(EsSummary *s, const char *prefix, guint workers,
                                   const EsRacaStats *st, double duration_s);
/* The attributes of every summary.json: `engine` ("simulated" or "live": compare refuses to
 * set one against the other unless told), the build (ns-3's version with `ns3`), how to run it
 * again, and the effective scenario (attributes.parameters). */
gboolean es_collector_summary_set_attributes(EsSummary *s, const char *engine, gboolean ns3,
                                             const char *reproduce, const EsScenario *sc,
                                             GError **error);
/* enrolments.csv, and with RA/CAs in this process raca_queue.csv and revocations.csv, into
 * `dir`, each whole or not at all. */
gboolean es_collector_write_files(const EsCollector *c, const char *dir, gboolean has_racas,
                                  GError **error);
/* Queue figures of RA/CA `raca` over [0, sim_time_s]. */
void es_collector_queue_stats(const EsCollector *c, guint raca, double sim_time_s,
                              EsQueueStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsCollector, es_collector_free)

#endif

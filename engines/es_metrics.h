/* What serve exposes at GET /metrics (Prometheus text format 0.0.4): an engine decorator in
 * front of the live engine (or of the faults decorator) that times each request from arrival
 * to answer and counts it by CMP message type and outcome, plus what the RA/CA's observer
 * reports (certificates issued, revocations, the service queue) and gauges read at scrape
 * time (open transactions, open connections). The RA/CA node itself is unchanged. */
#ifndef ES_METRICS_H
#define ES_METRICS_H

#include <glib.h>
#include "engines/es_live.h"
#include "nodes/es_engine.h"
#include "nodes/es_raca.h"

/* How a request ended, as the server answered it:
 *   answered  200 with a CMP response other than an error message;
 *   error     200 with a CMP error message (the RA/CA refused it in CMP);
 *   refused   an HTTP error status (400 undecodable, 415 not CMP, 500...);
 *   busy      503 with Retry-After (queue full, or the RA/CA stopped issuing);
 *   dropped   the connection closed without an answer (an injected fault). */
typedef enum {
  ES_METRICS_ANSWERED,
  ES_METRICS_ERROR,
  ES_METRICS_REFUSED,
  ES_METRICS_BUSY,
  ES_METRICS_DROPPED,
  ES_METRICS_OUTCOMES
} EsMetricsOutcome;
const char *es_metrics_outcome_name(EsMetricsOutcome outcome);

typedef struct EsMetrics EsMetrics;

/* `inner` must outlive it. Free it after the nodes that use its engine, before `inner`. */
EsMetrics *es_metrics_new(EsEngine *inner);
void es_metrics_free(EsMetrics *metrics);
/* The engine to hand on (to the faults decorator or the RA/CA). */
EsEngine *es_metrics_get0_engine(EsMetrics *metrics);
/* Serves the page at GET /metrics of `live` (es_live_set_page, until es_metrics_free), its
 * gauges read from `live` and `raca` at each scrape (`raca` may be NULL: zeros). */
void es_metrics_attach(EsMetrics *metrics, EsLive *live, EsRaca *raca);

/* The RA/CA observer's reports: an issue or revocation counts once the request that caused
 * it settled durably (on_settled TRUE); a rolled back one never counts. */
void es_metrics_on_event(EsMetrics *metrics, const EsRacaEvent *event);
void es_metrics_on_settled(EsMetrics *metrics, gboolean durable);
void es_metrics_on_queue(EsMetrics *metrics, guint waiting, guint busy);

/* Requests answered so far with this CMP body type name ("ir", ..., "other") and outcome. */
guint64 es_metrics_get_requests(const EsMetrics *metrics, const char *type,
                                EsMetricsOutcome outcome);
/* The figures of serve's progress line: requests so far by outcome, the bound of the latency
 * bucket that holds the q-quantile of all requests (INFINITY when above the last bound, 0
 * when none were answered), and certificates issued and revoked once settled. */
typedef struct {
  guint64 requests, by_outcome[ES_METRICS_OUTCOMES], issued, revoked;
  double p50_le_s, p99_le_s;
  guint waiting, busy;
} EsMetricsSummary;
void es_metrics_get_summary(const EsMetrics *metrics, EsMetricsSummary *summary);

/* The page: every family, every label set of the fixed sets (zeros included). */
void es_metrics_render(EsMetrics *metrics, GString *out);

#endif

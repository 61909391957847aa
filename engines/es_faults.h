/* Faults a server injects into its own answers, to test real CMP clients: an HTTP 500 or 503,
 * a connection dropped before or after the request is processed, a late answer, a certConf
 * never processed. The [faults] section of a scenario, read by `serve`; draws come from the
 * run's seed. */
#ifndef ES_FAULTS_H
#define ES_FAULTS_H

#include <glib.h>
#include "config/es_config.h"

/* Per request, one fault at most: the per-request shares add up to 1 at most. */
typedef struct {
  double http_500;       /* faults.http_500       0: answered 500 instead of processed */
  double http_503;       /* faults.http_503       0: answered 503 with Retry-After
                          * (raca.retry_after) instead of processed */
  double drop_before;    /* faults.drop_before    0: connection closed, request unprocessed */
  double drop_after;     /* faults.drop_after     0: processed, then the connection closed
                          * instead of answered (the client must resend; the RA/CA answers a
                          * resend from its cache and never issues twice) */
  double delay;          /* faults.delay          0: processed, answered faults.delay_time late */
  double delay_time_s;   /* faults.delay_time     2s */
  double lose_certconf;  /* faults.lose_certconf  0: per transaction: its certConfs are never
                          * processed (each closes the connection), so confirm-wait revokes
                          * its certificate */
} EsFaultsConfig;

/* Its keys, in dump order. */
const EsConfigSchema *es_faults_config_schema(void);
void es_faults_config_init(EsFaultsConfig *config);
/* The per-request shares add up to 1 at most (ES_CONFIG_ERROR_VALUE). */
gboolean es_faults_config_check(const EsFaultsConfig *config, GError **error);
/* Any fault has a non-zero share. */
gboolean es_faults_config_any(const EsFaultsConfig *config);

#endif

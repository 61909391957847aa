/* Mass revocation and CRL distribution in a simulated run: the operator revokes a share of
 * the certificates at once, and the eNBs fetch CRLs from the distribution point on their RA/CA's
 * node over the backhaul (HTTP GET, full or delta CRLs), so that the time until every relying
 * node enforces a revocation can be measured. */
#ifndef ES_CRL_DIST_H
#define ES_CRL_DIST_H

#include <glib.h>
#include "config/es_config.h"

typedef enum { ES_CRL_FETCH_NONE, ES_CRL_FETCH_PERIODIC, ES_CRL_FETCH_TRIGGER } EsCrlFetchMode;
typedef enum { ES_REVOKE_BY_CA, ES_REVOKE_BY_RR } EsRevokeBy;

/* The [revocation] and [crl_fetch] sections. */
typedef struct {
  double revoke_at_s;      /* revocation.at        0s: when the operator revokes ... */
  double revoke_share;     /* revocation.share     0 (none): ... this share of the eNBs' certificates
                            * held then (which ones: drawn from the run's seed) ... */
  int revoke_reason;       /* revocation.reason    keyCompromise: ... with this CRL reason */
  EsRevokeBy by;           /* revocation.by        ca: the operator has the CA revoke them;
                            * rr: each eNB drawn sends an rr for its certificate, and the CA
                            * publishes once every rr has been answered or given up */
  guint history;           /* revocation.history   0: revocations already on the CRL at the
                            * start (retired sites, earlier recalls): serials of no certificate
                            * of the run, revoked a year before the epoch */
  EsCrlFetchMode mode;     /* crl_fetch.mode       none: eNBs fetch no CRL; periodic: every
                            * crl_fetch.interval (each eNB at its own phase); trigger: each once
                            * within crl_fetch.jitter of a mass revocation (told out of band) */
  double interval_s;       /* crl_fetch.interval   1h */
  double jitter_s;         /* crl_fetch.jitter     60s */
  gboolean delta;          /* crl_fetch.form       full: each fetch is the full CRL; delta: the
                            * CA publishes a delta CRL on its latest full one every
                            * crl_fetch.delta_interval and at a mass revocation, and an eNB that
                            * holds that base fetches only the delta */
  double delta_interval_s; /* crl_fetch.delta_interval 15min */
} EsCrlDistConfig;

const EsConfigSchema *es_crl_dist_config_schema(void);
/* What no single key can say: a revocation before the stop time, a trigger needs a
 * revocation, and an rr needs an RA/CA that takes it (with `cas` CAs behind RAs it does not). */
gboolean es_crl_dist_config_check(const EsCrlDistConfig *config, double stop_time_s, guint cas,
                                  GError **error);

#endif

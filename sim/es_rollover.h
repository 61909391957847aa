/* Operator-root rollover in a simulated run: the CA takes a new root key at rollover.at, every
 * eNB asks for the root CA key update (genm/genp) within rollover.spread and renews under the
 * new root, and the run measures when each one trusts it and holds a certificate under it. */
#ifndef ES_ROLLOVER_H
#define ES_ROLLOVER_H

#include <glib.h>
#include "config/es_config.h"

/* The [rollover] section. */
typedef struct {
  double at_s;        /* rollover.at      0s (none): when the CA rolls over to the new root */
  double spread_s;    /* rollover.spread  1h: each eNB asks for the update at a time uniform
                       * over this window from rollover.at (from the run's seed) */
  double retry_s;     /* rollover.retry   1h: an eNB whose request failed (after its own
                       * retries, enb.give_up_after) asks again this much later */
  gboolean renew;     /* rollover.renew   true: an eNB that learnt the new root renews (kur)
                       * at once, under the new root; false: it keeps its certificate */
} EsRolloverConfig;

const EsConfigSchema *es_rollover_config_schema(void);
/* What no single key can say: the rollover falls inside the run, and starts from an installed
 * base (rollout.start = enrolled) without mass revocation or CRL fetches, which it does not
 * model beside it. */
gboolean es_rollover_config_check(const EsRolloverConfig *config, double stop_time_s,
                                  gboolean start_enrolled, gboolean crl_dist, GError **error);

#endif

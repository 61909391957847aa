/* Rollout schedules: when each eNB powers on (burst, uniform, waves, Poisson), drawn from a
 * caller's uniform generator so that a run's seed fixes every time. */
#ifndef ES_ROLLOUT_H
#define ES_ROLLOUT_H

#include <glib.h>
#include "topologies/es_scenario.h"

/* Uniform in [0, 1); the same sequence for the same seed. */
typedef double (*EsUniformFn)(void *arg);

typedef struct EsRollout EsRollout;

/* Power-on times of eNBs 1..scenario.enbs for rollout.schedule:
 * - burst: all at 0;
 * - uniform: eNB k at rollout.window * u_k;
 * - waves: eNB k in wave (k-1) / wave_size, which starts at wave * wave_period; within it at
 *   wave_spread * u_k (no draw when the spread is 0);
 * - poisson: eNB k is the k-th arrival of a Poisson process of rollout.rate per second
 *   (exponential gaps -ln(1 - u_k) / rate).
 * u_k is the k-th draw. Fails (ES_SCENARIO_ERROR_VALUE) when an eNB would power on at or after
 * scenario.stop_time: it would never be observed. */
EsRollout *es_rollout_new(const EsScenario *sc, EsUniformFn uniform, void *arg, GError **error);
void es_rollout_free(EsRollout *rollout);
guint es_rollout_enbs(const EsRollout *rollout);
/* Power-on time of eNB `enb` (1..N), seconds from the start of the run. */
double es_rollout_time(const EsRollout *rollout, guint enb);
/* The eNB that powers on i-th (i = 0..N-1): by time, ties by eNB number. */
guint es_rollout_nth(const EsRollout *rollout, guint i);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsRollout, es_rollout_free)

#endif

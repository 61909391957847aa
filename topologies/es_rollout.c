/* Rollout schedules: one power-on time per eNB, and the eNBs in power-on order so that a run
 * can keep one pending power-on event instead of N. */
#include "topologies/es_rollout.h"

#include <math.h>

struct EsRollout {
  guint n;
  double *times; /* eNB k at times[k - 1] */
  guint *order;  /* eNB numbers by power-on time */
};

/* A total order (ties by number), so the result does not depend on the sort algorithm. */
static gint by_time(gconstpointer a, gconstpointer b, gpointer data) {
  const double *times = data;
  guint x = *(const guint *)a, y = *(const guint *)b;
  double tx = times[x - 1], ty = times[y - 1];
  if (tx != ty)
    return tx < ty ? -1 : 1;
  return x < y ? -1 : x > y;
}

EsRollout *es_rollout_new(const EsScenario *sc, EsUniformFn uniform, void *arg, GError **error) {
  g_return_val_if_fail(sc != NULL && uniform != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  guint n = sc->enbs;
  g_autofree double *times = g_new(double, MAX(n, 1u));
  double t = 0;
  for (guint k = 1; k <= n; k++) {
    switch (sc->schedule) {
    case ES_SCHEDULE_BURST:
      t = 0;
      break;
    case ES_SCHEDULE_UNIFORM:
      t = sc->start_window_s * uniform(arg);
      break;
    case ES_SCHEDULE_WAVES:
      t = (double)((k - 1) / MAX(sc->wave_size, 1u)) * sc->wave_period_s;
      if (sc->wave_spread_s > 0)
        t += sc->wave_spread_s * uniform(arg);
      break;
    case ES_SCHEDULE_POISSON:
      t += -log1p(-uniform(arg)) / sc->arrival_rate;
      break;
    }
    times[k - 1] = t;
  }
  double last = 0;
  for (guint k = 0; k < n; k++)
    last = MAX(last, times[k]);
  if (n == 0 || !(last < sc->stop_time_s)) {
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                n == 0 ? "the rollout starts no eNB"
                       : "rollout.schedule: the last eNB would power on at %.3f s, not before "
                         "scenario.stop_time (%.3f s): raise the stop time or the rate",
                last, sc->stop_time_s);
    return NULL;
  }

  EsRollout *r = g_new0(EsRollout, 1);
  r->n = n;
  r->times = g_steal_pointer(&times);
  r->order = g_new(guint, n);
  for (guint k = 0; k < n; k++)
    r->order[k] = k + 1;
  /* Poisson and wave times already ascend; only draws within a window need sorting. */
  g_qsort_with_data(r->order, (gint)n, sizeof(guint), by_time, r->times);
  return r;
}

void es_rollout_free(EsRollout *rollout) {
  if (!rollout)
    return;
  g_free(rollout->times);
  g_free(rollout->order);
  g_free(rollout);
}

guint es_rollout_enbs(const EsRollout *rollout) {
  g_return_val_if_fail(rollout != NULL, 0);
  return rollout->n;
}

double es_rollout_time(const EsRollout *rollout, guint enb) {
  g_return_val_if_fail(rollout != NULL && enb >= 1 && enb <= rollout->n, NAN);
  return rollout->times[enb - 1];
}

guint es_rollout_nth(const EsRollout *rollout, guint i) {
  g_return_val_if_fail(rollout != NULL && i < rollout->n, 0);
  return rollout->order[i];
}

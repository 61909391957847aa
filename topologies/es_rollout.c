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

static const char *const schedule_words[] = {"burst", "uniform", "waves", "poisson", NULL};
static const char *const start_words[] = {"factory", "enrolled", NULL};
G_STATIC_ASSERT(ES_SCHEDULE_BURST == 0 && ES_SCHEDULE_POISSON == 3);

#define KEY(...) ES_CONFIG_KEY(EsRolloutConfig, "rollout", __VA_ARGS__)
static const EsConfigKey keys[] = {
    ES_CONFIG_CHOICE_KEY(EsRolloutConfig, "rollout", "schedule", schedule, "uniform",
                         schedule_words),
    KEY("window", ES_CONFIG_DURATION, window_s, "1s", ES_ANY),
    KEY("wave_size", ES_CONFIG_UINT, wave_size, "100", ES_RANGE(1, 1000000)),
    KEY("wave_period", ES_CONFIG_DURATION, wave_period_s, "60s", ES_POSITIVE),
    KEY("wave_spread", ES_CONFIG_DURATION, wave_spread_s, "0s", ES_ANY),
    KEY("rate", ES_CONFIG_ARRIVALS, rate, "10/s", ES_POSITIVE),
    ES_CONFIG_CHOICE_KEY(EsRolloutConfig, "rollout", "start", start_enrolled, "factory",
                         start_words),
    KEY("installed_over", ES_CONFIG_DURATION, installed_over_s, "365d", ES_ANY),
    KEY("installed_age", ES_CONFIG_DURATION, installed_age_s, "0s", ES_ANY),
};

const EsConfigSchema *es_rollout_config_schema(void) {
  static const EsConfigPart part = ES_CONFIG_PART(keys, 0);
  static const EsConfigSchema schema = {
      .parts = &part, .n_parts = 1, .size = sizeof(EsRolloutConfig)};
  return &schema;
}

gboolean es_rollout_config_check(const EsRolloutConfig *c, guint enbs, double stop_time_s,
                                 GError **error) {
  g_return_val_if_fail(c != NULL, FALSE);
  g_autofree char *stop = es_format_duration(stop_time_s);
  if (c->schedule == ES_SCHEDULE_UNIFORM && !(c->window_s < stop_time_s)) {
    g_autofree char *w = es_format_duration(c->window_s);
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                "rollout.window (%s) must be shorter than scenario.stop_time (%s)", w, stop);
    return FALSE;
  }
  if (c->schedule != ES_SCHEDULE_WAVES)
    return TRUE;
  if (c->wave_spread_s > c->wave_period_s) {
    g_autofree char *a = es_format_duration(c->wave_spread_s);
    g_autofree char *b = es_format_duration(c->wave_period_s);
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                "rollout.wave_spread (%s) must not exceed rollout.wave_period (%s)", a, b);
    return FALSE;
  }
  double last_wave = (double)((enbs - 1) / c->wave_size) * c->wave_period_s;
  if (!(last_wave + c->wave_spread_s < stop_time_s)) {
    g_autofree char *a = es_format_duration(last_wave);
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                "rollout: the last wave of %u eNBs in waves of %u starts at %s, too late for "
                "scenario.stop_time (%s)",
                enbs, c->wave_size, a, stop);
    return FALSE;
  }
  return TRUE;
}

EsRollout *es_rollout_new(const EsRolloutConfig *c, guint enbs, double stop_time_s,
                          EsUniformFn uniform, void *arg, GError **error) {
  g_return_val_if_fail(c != NULL && uniform != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  guint n = enbs;
  g_autofree double *times = g_new(double, MAX(n, 1u));
  double t = 0;
  for (guint k = 1; k <= n; k++) {
    switch (c->schedule) {
    case ES_SCHEDULE_BURST:
      t = 0;
      break;
    case ES_SCHEDULE_UNIFORM:
      t = c->window_s * uniform(arg);
      break;
    case ES_SCHEDULE_WAVES:
      t = (double)((k - 1) / MAX(c->wave_size, 1u)) * c->wave_period_s;
      if (c->wave_spread_s > 0)
        t += c->wave_spread_s * uniform(arg);
      break;
    case ES_SCHEDULE_POISSON:
      t += -log1p(-uniform(arg)) / c->rate;
      break;
    }
    times[k - 1] = t;
  }
  double last = 0;
  for (guint k = 0; k < n; k++)
    last = MAX(last, times[k]);
  if (n == 0 || !(last < stop_time_s)) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                n == 0 ? "the rollout starts no eNB"
                       : "rollout.schedule: the last eNB would power on at %.3f s, not before "
                         "scenario.stop_time (%.3f s): raise the stop time or the rate",
                last, stop_time_s);
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

/* Rollout schedules: when each eNB powers on (burst, uniform, waves, Poisson), drawn from a
 * caller's uniform generator so that a run's seed fixes every time. */
#ifndef ES_ROLLOUT_H
#define ES_ROLLOUT_H

#include <glib.h>
#include "config/es_config.h"

/* rollout.schedule: when each eNB powers on. */
typedef enum {
  ES_SCHEDULE_BURST,   /* all at t=0: power restored after an outage */
  ES_SCHEDULE_UNIFORM, /* independently uniform over rollout.window */
  ES_SCHEDULE_WAVES,   /* rollout.wave_size sites every rollout.wave_period */
  ES_SCHEDULE_POISSON  /* a Poisson process of rollout.rate eNBs per second */
} EsSchedule;

/* The [rollout] section (es_rollout_config_keys). */
typedef struct {
  EsSchedule schedule;     /* rollout.schedule         uniform */
  double window_s;         /* rollout.window           1s (also scenario.start_window) */
  guint wave_size;         /* rollout.wave_size        100 */
  double wave_period_s;    /* rollout.wave_period      60s */
  double wave_spread_s;    /* rollout.wave_spread      0s: a wave's sites start together */
  double rate;             /* rollout.rate             10/s: Poisson arrivals per second */
  gboolean start_enrolled; /* rollout.start            factory: eNBs power on with their
                            * factory credential only and enrol (the schedule above); enrolled:
                            * an installed base, every eNB holding an operator certificate at
                            * t=0, issued at set-up without CMP, at a time uniform over: */
  double installed_over_s; /* rollout.installed_over   365d: ... this long, ending ... */
  double installed_age_s;  /* rollout.installed_age    0s: ... this long before scenario.epoch */
} EsRolloutConfig;

/* Its keys, in dump order. */
const EsConfigSchema *es_rollout_config_schema(void);
/* A schedule whose last eNB would power on at or after `stop_time_s` starts eNBs nobody
 * observes (ES_CONFIG_ERROR_VALUE). Poisson times are random: es_rollout_new checks those. */
gboolean es_rollout_config_check(const EsRolloutConfig *config, guint enbs, double stop_time_s,
                                 GError **error);

/* Uniform in [0, 1); the same sequence for the same seed. */
typedef double (*EsUniformFn)(void *arg);

typedef struct EsRollout EsRollout;

/* Power-on times of eNBs 1..enbs for rollout.schedule:
 * - burst: all at 0;
 * - uniform: eNB k at rollout.window * u_k;
 * - waves: eNB k in wave (k-1) / wave_size, which starts at wave * wave_period; within it at
 *   wave_spread * u_k (no draw when the spread is 0);
 * - poisson: eNB k is the k-th arrival of a Poisson process of rollout.rate per second
 *   (exponential gaps -ln(1 - u_k) / rate).
 * u_k is the k-th draw. Fails (ES_CONFIG_ERROR_VALUE) when an eNB would power on at or after
 * stop_time_s: it would never be observed. */
EsRollout *es_rollout_new(const EsRolloutConfig *config, guint enbs, double stop_time_s,
                          EsUniformFn uniform, void *arg, GError **error);
void es_rollout_free(EsRollout *rollout);
guint es_rollout_enbs(const EsRollout *rollout);
/* Power-on time of eNB `enb` (1..N), seconds from the start of the run. */
double es_rollout_time(const EsRollout *rollout, guint enb);
/* The eNB that powers on i-th (i = 0..N-1): by time, ties by eNB number. */
guint es_rollout_nth(const EsRollout *rollout, guint i);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsRollout, es_rollout_free)

#endif

/* A parameter sweep's results: one row per grid point with the mean and 95 % confidence
 * interval of the main metrics over its replications, written as sweep.csv. Knows only GLib. */
#ifndef ES_SWEEP_H
#define ES_SWEEP_H

#include "results/es_summary_file.h"
#include <glib.h>
#include "results/es_summary.h"

/* A main metric: its sweep.csv column stem, an axis label with the unit, and where a run's
 * value comes from: a summary metric path, or a pattern with '*' whose largest match counts
 * (the busiest RA/CA). */
/* A main metric of summary.json (es_summary.h's schema): its sweep.csv column stem, label and
 * path. */
typedef EsMetricSpec EsSweepMetric;

const EsSweepMetric *es_sweep_metrics(guint *n);

/* Two-sided 95 % quantile of Student's t with `dof` degrees of freedom (dof >= 1): exact to
 * three decimals up to 30, a Cornish-Fisher expansion beyond. */
double es_student_t975(guint dof);

typedef struct EsSweepTable EsSweepTable;

/* `keys`: the varied scenario keys, in --vary order. */
EsSweepTable *es_sweep_table_new(const char *const *keys);
void es_sweep_table_free(EsSweepTable *t);
/* A grid point: one value per key, as the user wrote it. Returns its index. */
guint es_sweep_table_add_point(EsSweepTable *t, const char *const *values);
/* One finished replication of point `point`. */
void es_sweep_table_add_run(EsSweepTable *t, guint point, const EsSummaryFile *run);

guint es_sweep_table_get_n_keys(const EsSweepTable *t);
const char *es_sweep_table_get_key(const EsSweepTable *t, guint k);
/* The distinct values of key k, in the order the points brought them. */
const char *const *es_sweep_table_get_key_values(const EsSweepTable *t, guint k);
guint es_sweep_table_get_n_points(const EsSweepTable *t);
const char *es_sweep_table_get_value(const EsSweepTable *t, guint point, guint k);
guint es_sweep_table_get_runs(const EsSweepTable *t, guint point);
/* Mean and CI half-width (t * s / sqrt(n)) over the replications that have a value (a
 * completion level never reached has none). FALSE when none has; *ci95 is NaN below two. */
gboolean es_sweep_table_get_stat(const EsSweepTable *t, guint point, guint metric, double *mean,
                                 double *ci95, guint *n);

/* Header `point,<keys...>,runs,<metric>_mean,<metric>_ci95,...`; empty cells where a
 * statistic has no value. Written atomically. */
gboolean es_sweep_table_write_csv(const EsSweepTable *t, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsSweepTable, es_sweep_table_free)

#endif

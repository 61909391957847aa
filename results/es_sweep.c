/* Sweep aggregation: per grid point, each main metric's values over the replications, reduced
 * to a mean and a Student-t 95 % confidence interval when sweep.csv is written. */
#include "results/es_sweep.h"

#include <math.h>
#include <string.h>

/* The main metrics of summary.json's schema, in sweep.csv's order. */
const EsSweepMetric *es_sweep_metrics(guint *n)
{
  return es_summary_metrics(NULL, n);
}

double es_student_t975(guint dof)
{
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                                 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                                 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                                 2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  g_return_val_if_fail(dof >= 1, NAN);
  if (dof <= G_N_ELEMENTS(table))
    return table[dof - 1];
  const double z = 1.959964, v = dof;
  return z + (z * z * z + z) / (4 * v) + (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * v * v);
}

typedef struct {
  char **values; /* one per key */
  guint runs;
  GArray *samples[ES_SUMMARY_MAIN_METRICS]; /* double */
} Point;

struct EsSweepTable {
  char **keys;
  guint n_keys;
  GPtrArray **key_values; /* per key: distinct values, NULL-terminated */
  GPtrArray *points;      /* Point * */
};

static void point_free(gpointer p)
{
  Point *pt = p;
  g_strfreev(pt->values);
  for (gsize m = 0; m < ES_SUMMARY_MAIN_METRICS; m++)
    g_array_unref(pt->samples[m]);
  g_free(pt);
}

EsSweepTable *es_sweep_table_new(const char *const *keys)
{
  g_return_val_if_fail(keys != NULL, NULL);
  EsSweepTable *t = g_new0(EsSweepTable, 1);
  t->keys = g_strdupv((char **)keys);
  t->n_keys = g_strv_length(t->keys);
  t->key_values = g_new0(GPtrArray *, MAX(t->n_keys, 1));
  for (guint k = 0; k < t->n_keys; k++) {
    t->key_values[k] = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(t->key_values[k], NULL);
  }
  t->points = g_ptr_array_new_with_free_func(point_free);
  return t;
}

void es_sweep_table_free(EsSweepTable *t)
{
  if (!t)
    return;
  for (guint k = 0; k < t->n_keys; k++)
    g_ptr_array_unref(t->key_values[k]);
  g_free(t->key_values);
  g_strfreev(t->keys);
  g_ptr_array_unref(t->points);
  g_free(t);
}

guint es_sweep_table_add_point(EsSweepTable *t, const char *const *values)
{
  g_return_val_if_fail(t != NULL && values != NULL, 0);
  g_return_val_if_fail(g_strv_length((char **)values) == t->n_keys, 0);
  Point *p = g_new0(Point, 1);
  p->values = g_strdupv((char **)values);
  for (gsize m = 0; m < ES_SUMMARY_MAIN_METRICS; m++)
    p->samples[m] = g_array_new(FALSE, FALSE, sizeof(double));
  for (guint k = 0; k < t->n_keys; k++) {
    GPtrArray *vals = t->key_values[k];
    if (!g_strv_contains((const char *const *)vals->pdata, values[k])) {
      g_ptr_array_index(vals, vals->len - 1) = g_strdup(values[k]);
      g_ptr_array_add(vals, NULL);
    }
  }
  g_ptr_array_add(t->points, p);
  return t->points->len - 1;
}

/* The run's value of a main metric; FALSE when it has none (null, or absent). */
static gboolean metric_value(const EsSummaryFile *f, const EsSweepMetric *m, double *out)
{
  if (!strchr(m->path, '*')) {
    const EsMetric *v = es_summary_file_find_metric(f, m->path);
    if (!v || v->is_null)
      return FALSE;
    *out = v->value;
    return TRUE;
  }
  gboolean found = FALSE;
  for (guint i = 0; i < es_summary_file_get_n_metrics(f); i++) {
    const EsMetric *v = es_summary_file_get_metric(f, i);
    if (v->is_null || !g_pattern_match_simple(m->path, v->path))
      continue;
    *out = found ? MAX(*out, v->value) : v->value;
    found = TRUE;
  }
  return found;
}

void es_sweep_table_add_run(EsSweepTable *t, guint point, const EsSummaryFile *run)
{
  g_return_if_fail(t != NULL && run != NULL && point < t->points->len);
  Point *p = g_ptr_array_index(t->points, point);
  p->runs++;
  for (gsize m = 0; m < ES_SUMMARY_MAIN_METRICS; m++) {
    double v;
    if (metric_value(run, &es_sweep_metrics(NULL)[m], &v))
      g_array_append_val(p->samples[m], v);
  }
}

guint es_sweep_table_get_n_keys(const EsSweepTable *t)
{
  return t->n_keys;
}
const char *es_sweep_table_get_key(const EsSweepTable *t, guint k)
{
  return t->keys[k];
}

const char *const *es_sweep_table_get_key_values(const EsSweepTable *t, guint k)
{
  g_return_val_if_fail(k < t->n_keys, NULL);
  return (const char *const *)t->key_values[k]->pdata;
}

guint es_sweep_table_get_n_points(const EsSweepTable *t)
{
  return t->points->len;
}

const char *es_sweep_table_get_value(const EsSweepTable *t, guint point, guint k)
{
  g_return_val_if_fail(point < t->points->len && k < t->n_keys, NULL);
  return ((Point *)g_ptr_array_index(t->points, point))->values[k];
}

guint es_sweep_table_get_runs(const EsSweepTable *t, guint point)
{
  g_return_val_if_fail(point < t->points->len, 0);
  return ((Point *)g_ptr_array_index(t->points, point))->runs;
}

gboolean es_sweep_table_get_stat(const EsSweepTable *t, guint point, guint metric, double *mean,
                                 double *ci95, guint *n)
{
  g_return_val_if_fail(point < t->points->len && metric < ES_SUMMARY_MAIN_METRICS, FALSE);
  GArray *a = ((Point *)g_ptr_array_index(t->points, point))->samples[metric];
  *mean = NAN;
  *ci95 = NAN;
  if (n)
    *n = a->len;
  if (a->len == 0)
    return FALSE;
  double sum = 0;
  for (guint i = 0; i < a->len; i++)
    sum += g_array_index(a, double, i);
  *mean = sum / a->len;
  if (a->len >= 2) {
    double ss = 0;
    for (guint i = 0; i < a->len; i++) {
      double d = g_array_index(a, double, i) - *mean;
      ss += d * d;
    }
    double sd = sqrt(ss / (a->len - 1));
    *ci95 = es_student_t975(a->len - 1) * sd / sqrt((double)a->len);
  }
  return TRUE;
}

static void append_number(GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE + 320];
  g_string_append_c(out, ',');
  if (isfinite(v))
    g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.6f", v));
}

gboolean es_sweep_table_write_csv(const EsSweepTable *t, const char *path, GError **error)
{
  g_return_val_if_fail(t != NULL && path != NULL, FALSE);
  GString *out = g_string_new("point");
  for (guint k = 0; k < t->n_keys; k++)
    g_string_append_printf(out, ",%s", t->keys[k]);
  g_string_append(out, ",runs");
  for (gsize m = 0; m < ES_SUMMARY_MAIN_METRICS; m++)
    g_string_append_printf(out, ",%s_mean,%s_ci95", es_sweep_metrics(NULL)[m].name,
                           es_sweep_metrics(NULL)[m].name);
  g_string_append_c(out, '\n');
  for (guint p = 0; p < t->points->len; p++) {
    const Point *pt = g_ptr_array_index(t->points, p);
    g_string_append_printf(out, "%u", p);
    for (guint k = 0; k < t->n_keys; k++)
      g_string_append_printf(out, ",%s", pt->values[k]);
    g_string_append_printf(out, ",%u", pt->runs);
    for (guint m = 0; m < ES_SUMMARY_MAIN_METRICS; m++) {
      double mean, ci;
      es_sweep_table_get_stat(t, p, m, &mean, &ci, NULL);
      append_number(out, mean);
      append_number(out, ci);
    }
    g_string_append_c(out, '\n');
  }
  gboolean ok = es_results_write_file(path, out, error);
  g_string_free(out, TRUE);
  return ok;
}

/* Unit tests of sweep aggregation: Student-t quantiles, mean and confidence interval per grid
 * point, the busiest RA/CA, missing values, and sweep.csv. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "results/es_summary.h"
#include "results/es_sweep.h"

static char *dir;
static guint n_files;

/* A run's summary with p99 latency `p99`, two RA/CAs, and completion p100 when >= 0. */
static EsSummaryFile *run_summary(double p99, double util0, double util1, double p100)
{
  g_autoptr(EsSummary) s = es_summary_new();
  es_summary_set_string(s, "scenario", "small");
  es_summary_set_uint(s, "enrolled", 100);
  es_summary_set_double(s, "latency_s.p99", p99);
  es_summary_set_double(s, "completion_s.p100", p100 >= 0 ? p100 : NAN);
  es_summary_set_double(s, "racas.0.utilisation", util0);
  es_summary_set_double(s, "racas.1.utilisation", util1);
  g_assert_true(es_summary_set_parameters(s, "attributes.parameters",
                                          "[scenario]\nname=small\nseed=1\n", NULL));
  char name[32];
  g_snprintf(name, sizeof name, "run%u.json", n_files++);
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_assert_true(es_summary_write(s, path, NULL));
  EsSummaryFile *f = es_summary_file_load(path, NULL);
  g_assert_nonnull(f);
  return f;
}

static guint metric_index(const char *name)
{
  guint n;
  const EsSweepMetric *m = es_sweep_metrics(&n);
  for (guint i = 0; i < n; i++)
    if (strcmp(m[i].name, name) == 0)
      return i;
  g_assert_not_reached();
}

static void test_student_t(void)
{
  g_assert_cmpfloat(es_student_t975(1), ==, 12.706);
  g_assert_cmpfloat(es_student_t975(2), ==, 4.303);
  g_assert_cmpfloat(es_student_t975(30), ==, 2.042);
  /* tables: 2.021 at 40, 2.000 at 60, 1.980 at 120 */
  g_assert_cmpfloat_with_epsilon(es_student_t975(40), 2.021, 0.001);
  g_assert_cmpfloat_with_epsilon(es_student_t975(60), 2.000, 0.001);
  g_assert_cmpfloat_with_epsilon(es_student_t975(120), 1.980, 0.001);
  g_assert_cmpfloat_with_epsilon(es_student_t975(100000), 1.960, 0.001);
  /* decreasing all the way */
  for (guint d = 1; d < 200; d++)
    g_assert_cmpfloat(es_student_t975(d + 1), <, es_student_t975(d));
}

static void test_table(void)
{
  const char *keys[] = {"raca.workers", "backhaul.loss", NULL};
  g_autoptr(EsSweepTable) t = es_sweep_table_new(keys);
  const char *p0[] = {"1", "0", NULL}, *p1[] = {"1", "0.01", NULL}, *p2[] = {"2", "0", NULL};
  g_assert_cmpuint(es_sweep_table_add_point(t, p0), ==, 0);
  g_assert_cmpuint(es_sweep_table_add_point(t, p1), ==, 1);
  g_assert_cmpuint(es_sweep_table_add_point(t, p2), ==, 2);
  const char *const *v0 = es_sweep_table_get_key_values(t, 0);
  g_assert_cmpstr(v0[0], ==, "1");
  g_assert_cmpstr(v0[1], ==, "2");
  g_assert_null(v0[2]);
  g_assert_cmpuint(g_strv_length((char **)es_sweep_table_get_key_values(t, 1)), ==, 2);

  /* Point 0: p99 1, 2, 3 -> mean 2, s = 1, CI = 4.303 / sqrt(3). */
  double p99s[] = {1, 2, 3};
  for (int i = 0; i < 3; i++) {
    g_autoptr(EsSummaryFile) f = run_summary(p99s[i], 0.5, 0.25 * (i + 1), i == 0 ? -1 : 10);
    es_sweep_table_add_run(t, 0, f);
  }
  /* Point 1: one run: a mean, no interval. Point 2: none. */
  g_autoptr(EsSummaryFile) one = run_summary(7, 0.1, 0.2, 5);
  es_sweep_table_add_run(t, 1, one);

  double mean, ci;
  guint n;
  g_assert_true(es_sweep_table_get_stat(t, 0, metric_index("latency_p99_s"), &mean, &ci, &n));
  g_assert_cmpuint(n, ==, 3);
  g_assert_cmpfloat_with_epsilon(mean, 2.0, 1e-12);
  g_assert_cmpfloat_with_epsilon(ci, 4.303 / sqrt(3), 1e-12);
  /* the busiest RA/CA of each run: 0.5, 0.5, 0.75 */
  g_assert_true(es_sweep_table_get_stat(t, 0, metric_index("raca_utilisation"), &mean, &ci, &n));
  g_assert_cmpfloat_with_epsilon(mean, 1.75 / 3, 1e-12);
  /* completion never reached in one run: averaged over the two that have it */
  g_assert_true(es_sweep_table_get_stat(t, 0, metric_index("completion_p100_s"), &mean, &ci, &n));
  g_assert_cmpuint(n, ==, 2);
  g_assert_cmpfloat(mean, ==, 10);
  g_assert_cmpfloat(ci, ==, 0);
  g_assert_true(es_sweep_table_get_stat(t, 1, metric_index("latency_p99_s"), &mean, &ci, &n));
  g_assert_cmpfloat(mean, ==, 7);
  g_assert_true(isnan(ci));
  g_assert_false(es_sweep_table_get_stat(t, 2, metric_index("latency_p99_s"), &mean, &ci, &n));
  g_assert_cmpuint(es_sweep_table_get_runs(t, 0), ==, 3);
  g_assert_cmpuint(es_sweep_table_get_runs(t, 2), ==, 0);
  /* absent from these summaries: no value rather than 0 */
  g_assert_false(es_sweep_table_get_stat(t, 0, metric_index("sim_time_s"), &mean, &ci, &n));

  g_autofree char *csv = g_build_filename(dir, "sweep.csv", NULL);
  GError *error = NULL;
  g_assert_true(es_sweep_table_write_csv(t, csv, &error));
  g_assert_no_error(error);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(csv, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 5); /* header, 3 points, "" after the last \n */
  g_assert_true(g_str_has_prefix(lines[0], "point,raca.workers,backhaul.loss,runs,"
                                           "enrolled_mean,enrolled_ci95,failed_mean,"));
  g_assert_nonnull(strstr(lines[0], ",latency_p99_s_mean,latency_p99_s_ci95,"));
  g_auto(GStrv) head = g_strsplit(lines[0], ",", -1);
  guint col = 0;
  while (head[col] && strcmp(head[col], "latency_p99_s_mean") != 0)
    col++;
  g_auto(GStrv) r0 = g_strsplit(lines[1], ",", -1);
  g_auto(GStrv) r1 = g_strsplit(lines[2], ",", -1);
  g_auto(GStrv) r2 = g_strsplit(lines[3], ",", -1);
  g_assert_cmpuint(g_strv_length(r0), ==, g_strv_length(head));
  g_assert_cmpstr(r0[0], ==, "0");
  g_assert_cmpstr(r0[1], ==, "1");
  g_assert_cmpstr(r0[2], ==, "0");
  g_assert_cmpstr(r0[3], ==, "3");
  g_assert_cmpstr(r0[col], ==, "2.000000");
  g_assert_cmpstr(r0[col + 1], ==, "2.484338");
  g_assert_cmpstr(r1[col], ==, "7.000000");
  g_assert_cmpstr(r1[col + 1], ==, "");
  g_assert_cmpstr(r2[3], ==, "0");
  g_assert_cmpstr(r2[col], ==, "");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  dir = g_dir_make_tmp("es-sweep-XXXXXX", NULL);
  g_test_add_func("/sweep/student-t", test_student_t);
  g_test_add_func("/sweep/table", test_table);
  int status = g_test_run();
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    char *p = g_build_filename(dir, name, NULL);
    g_remove(p);
    g_free(p);
  }
  if (d)
    g_dir_close(d);
  g_rmdir(dir);
  g_free(dir);
  return status;
}

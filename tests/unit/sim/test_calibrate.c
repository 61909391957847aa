/* The fit of a calibration from synthetic figures whose answer is known: service times less
 * the round trips, workers from the saturated throughput, the distribution from the spread;
 * and calibration.ini read back as a scenario. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sim/es_calibrate.h"
#include "sim/es_scenario.h"

/* A TCP connect, and an HTTP exchange (the larger: both ends' HTTP and the wake-ups). */
#define CONNECT_S 0.0002
#define EXCHANGE_S 0.0005
#define IR_S 0.020
#define CC_S 0.010
#define THINK_S 0.004 /* the client's own time per enrolment */

/* A closed system of c clients in front of K workers: X = min(c / (D + Z), K / D). */
static EsCalibStep step_of(guint c, guint k, double demand)
{
  EsCalibStep st = {.concurrency = c, .enrolments = 40};
  st.throughput = MIN(c / (demand + THINK_S), k / demand);
  st.enrolled = 40;
  return st;
}

static void fixed_samples(EsCalibSample *s, guint n)
{
  for (guint i = 0; i < n; i++)
    s[i] = (EsCalibSample){IR_S + CONNECT_S + EXCHANGE_S, CC_S + EXCHANGE_S};
}

static void test_exact_recovery(void)
{
  EsCalibSample s[40];
  fixed_samples(s, 40);
  for (guint k = 1; k <= 5; k++) {
    EsCalibStep steps[6];
    guint n = 0;
    for (guint c = 1; c <= 32 && n < 6; c *= 2)
      steps[n++] = step_of(c, k, IR_S + CC_S);
    EsCalibFit f;
    es_calib_fit(s, 40, CONNECT_S, EXCHANGE_S, steps, n, &f);
    g_assert_cmpuint(f.samples, ==, 40);
    g_assert_cmpfloat_with_epsilon(f.ir_service_s, IR_S, 1e-12);
    g_assert_cmpfloat_with_epsilon(f.certconf_service_s, CC_S, 1e-12);
    g_assert_cmpfloat_with_epsilon(f.ir_mean_s, IR_S + CONNECT_S + EXCHANGE_S, 1e-12);
    g_assert_cmpfloat_with_epsilon(f.ir_cv, 0, 1e-9);
    g_assert_cmpint(f.dist, ==, ES_SERVICE_FIXED);
    g_assert_cmpfloat_with_epsilon(f.demand_s, IR_S + CC_S, 1e-12);
    g_assert_cmpfloat_with_epsilon(f.x_max, k / (IR_S + CC_S), 1e-9);
    g_assert_cmpfloat_with_epsilon(f.workers_exact, k, 1e-9);
    g_assert_cmpuint(f.workers, ==, k);
    g_assert_true(f.saturated);
    g_assert_false(f.sheds_load);
  }
}

/* Exponential service: the samples are the exponential distribution's quantiles, so their
 * coefficient of variation is close to 1; the mean is still recovered. */
static void test_exponential(void)
{
  enum { N = 400 };
  EsCalibSample s[N];
  double sum_ir = 0, sum_cc = 0;
  for (guint i = 0; i < N; i++) {
    double q = -log(1 - (i + 0.5) / N);
    s[i] = (EsCalibSample){IR_S * q + CONNECT_S + EXCHANGE_S, CC_S * q + EXCHANGE_S};
    sum_ir += IR_S * q;
    sum_cc += CC_S * q;
  }
  EsCalibFit f;
  es_calib_fit(s, N, CONNECT_S, EXCHANGE_S, NULL, 0, &f);
  g_assert_cmpfloat_with_epsilon(f.ir_service_s, sum_ir / N, 1e-12);
  g_assert_cmpfloat_with_epsilon(f.certconf_service_s, sum_cc / N, 1e-12);
  g_assert_cmpfloat(fabs(f.ir_cv - 1), <, 0.1);
  g_assert_cmpfloat(fabs(f.certconf_cv - 1), <, 0.1);
  g_assert_cmpint(f.dist, ==, ES_SERVICE_EXPONENTIAL);
  /* No steps: nothing said about workers but the floor. */
  g_assert_cmpuint(f.workers, ==, 1);
  g_assert_false(f.saturated);
}

/* Throughput that still grows at the cap: workers is only a lower bound; a 503 is noted with
 * its Retry-After and the concurrency it came at. */
static void test_unsaturated_and_shedding(void)
{
  EsCalibSample s[10];
  fixed_samples(s, 10);
  EsCalibStep steps[3];
  for (guint i = 0; i < 3; i++)
    steps[i] = step_of(1u << i, 8, IR_S + CC_S);
  EsCalibFit f;
  es_calib_fit(s, 10, CONNECT_S, EXCHANGE_S, steps, 3, &f);
  g_assert_false(f.saturated);
  g_assert_cmpuint(f.x_max_concurrency, ==, 4);
  g_assert_cmpuint(f.workers, ==, (guint)lround(4 / (IR_S + CC_S + THINK_S) * (IR_S + CC_S)));

  steps[2].busy_503 = 3;
  steps[2].retry_after_s = 7;
  steps[2].throughput = steps[1].throughput; /* shedding, not growing */
  es_calib_fit(s, 10, CONNECT_S, EXCHANGE_S, steps, 3, &f);
  g_assert_true(f.sheds_load);
  g_assert_true(f.saturated);
  g_assert_cmpuint(f.first_503_concurrency, ==, 4);
  g_assert_cmpuint(f.retry_after_s, ==, 7);
}

/* A round trip longer than a measured interval leaves a service time of 0, not a negative. */
static void test_clamped(void)
{
  EsCalibSample s[2] = {{0.001, 0.001}, {0.001, 0.001}};
  EsCalibFit f;
  es_calib_fit(s, 2, 0.002, 0.002, NULL, 0, &f);
  g_assert_cmpfloat(f.ir_service_s, ==, 0);
  g_assert_cmpfloat(f.certconf_service_s, ==, 0);
  g_assert_cmpfloat(f.ir_cv, ==, 0);
}

static EsCalibration *synthetic(guint k)
{
  EsCalibration *cal = es_calibration_new("127.0.0.1:4242", NULL);
  cal->crypto_samples = 30;
  cal->keygen_s = 0.000031;
  cal->sign_s = 0.000287;
  cal->rtt_samples = 9;
  cal->rtt_s = CONNECT_S;
  cal->exchange_samples = 9;
  cal->exchange_s = EXCHANGE_S;
  EsCalibSample s[40];
  fixed_samples(s, 40);
  g_array_append_vals(cal->samples, s, 40);
  for (guint c = 1; c <= 8; c *= 2) {
    EsCalibStep st = step_of(c, k, IR_S + CC_S);
    g_array_append_val(cal->steps, st);
  }
  es_calibration_refit(cal);
  return cal;
}

/* calibration.ini loads as a scenario with the fitted values, in any locale's hands. */
static void test_ini_loads(void)
{
  g_autoptr(EsCalibration) cal = synthetic(3);
  cal->stop_reason = g_strdup("throughput grew by less than 10 % at concurrency 8");
  g_autofree char *ini = es_calibration_to_ini(cal);
  g_autofree char *dir = g_dir_make_tmp("calib-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "calibration.ini", NULL);
  g_assert_true(g_file_set_contents(path, ini, -1, NULL));
  g_autoptr(EsScenario) sc = es_scenario_new();
  GError *error = NULL;
  g_assert_true(es_scenario_load(sc, path, &error));
  g_assert_no_error(error);
  g_assert_true(es_scenario_validate(sc, NULL));
  g_assert_cmpuint(sc->raca.workers, ==, 3);
  g_assert_cmpfloat(fabs(sc->raca.ir_service_s - IR_S), <, 1e-6);
  g_assert_cmpfloat(fabs(sc->raca.certconf_service_s - CC_S), <, 1e-6);
  g_assert_cmpfloat(fabs(sc->raca.kur_service_s - IR_S), <, 1e-6);
  g_assert_cmpfloat(fabs(sc->raca.rr_service_s - CC_S), <, 1e-6);
  g_assert_cmpint(sc->raca.service_dist, ==, ES_SERVICE_FIXED);
  g_assert_cmpfloat(fabs(sc->enb.keygen_s - 0.000031), <, 1e-6);
  g_assert_cmpfloat(fabs(sc->enb.sign_s - 0.000287), <, 1e-6);
  g_assert_false(es_scenario_is_given(sc, "raca.retry_after"));
  g_assert_nonnull(strstr(ini, "# The measuring ended: throughput grew"));
  g_assert_nonnull(strstr(ini, "# HTTP exchange: 0.500 ms, the median time of 9 GETs"));
  g_unlink(path);
  g_rmdir(dir);
}

/* Without a timed HTTP exchange (TLS, or a GET left unanswered), the connect's round trip
 * stands for it, and the file says so. */
static void test_no_exchange(void)
{
  g_autoptr(EsCalibration) cal = synthetic(2);
  cal->exchange_samples = 0;
  es_calibration_refit(cal);
  g_assert_cmpfloat_with_epsilon(cal->fit.ir_service_s, IR_S + EXCHANGE_S - CONNECT_S, 1e-12);
  g_assert_cmpfloat_with_epsilon(cal->fit.certconf_service_s, CC_S + EXCHANGE_S - CONNECT_S,
                                 1e-12);
  g_autofree char *ini = es_calibration_to_ini(cal);
  g_assert_nonnull(strstr(ini, "# HTTP exchange not timed"));
}

/* Only what was measured: crypto alone gives an [enb] section and no [raca]. */
static void test_ini_partial(void)
{
  g_autoptr(EsCalibration) cal = es_calibration_new("127.0.0.1:4242", "/cmp");
  cal->crypto_samples = 5;
  cal->keygen_s = 0.1;
  cal->sign_s = 0.002;
  es_calibration_refit(cal);
  g_autofree char *ini = es_calibration_to_ini(cal);
  g_assert_null(strstr(ini, "[raca]"));
  g_assert_nonnull(strstr(ini, "[enb]\nkey = p256\n"));
  g_assert_nonnull(strstr(ini, "keygen_time = 100.000ms\n"));
  g_assert_nonnull(strstr(ini, "(path /cmp)"));
}

static void test_csv(void)
{
  g_autoptr(EsCalibration) cal = synthetic(2);
  g_array_index(cal->steps, EsCalibStep, 3).busy_503 = 2;
  g_autofree char *csv = es_calibration_to_csv(cal);
  g_auto(GStrv) lines = g_strsplit(csv, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 6); /* header, 4 rows, "" after the last \n */
  g_assert_cmpstr(lines[0], ==,
                  "concurrency,enrolments,errors,busy_503,throughput_per_s,p50_s,p99_s,"
                  "ir_latency_mean_s,certconf_latency_mean_s");
  g_assert_true(g_str_has_prefix(lines[1], "1,40,0,0,29.412,"));
  g_assert_true(g_str_has_prefix(lines[4], "8,40,0,2,66.667,"));
  g_autofree char *gp = es_calibration_to_gnuplot(cal);
  g_assert_nonnull(strstr(gp, "'calibration.csv'"));
  g_assert_nonnull(strstr(gp, "set output 'calibration.'.fmt"));
}

/* The standard error of the service demand: sqrt((sd_ir^2 + sd_cc^2) / n) over the demand. */
static void test_demand_error(void)
{
  const EsCalibSample samples[] = {{0.010, 0.010}, {0.030, 0.010}};
  EsCalibFit f;
  es_calib_fit(samples, 2, 0, 0, NULL, 0, &f);
  g_assert_cmpfloat_with_epsilon(f.demand_s, 0.030, 1e-12);
  g_assert_cmpfloat_with_epsilon(f.demand_se, sqrt(0.0002 / 2) / 0.030, 1e-9);
  const EsCalibSample fixed[] = {{0.020, 0.010}, {0.020, 0.010}, {0.020, 0.010}};
  es_calib_fit(fixed, 3, 0, 0, NULL, 0, &f);
  g_assert_cmpfloat(f.demand_se, ==, 0);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/calibrate/demand-error", test_demand_error);
  g_test_add_func("/calibrate/exact_recovery", test_exact_recovery);
  g_test_add_func("/calibrate/exponential", test_exponential);
  g_test_add_func("/calibrate/unsaturated_and_shedding", test_unsaturated_and_shedding);
  g_test_add_func("/calibrate/clamped", test_clamped);
  g_test_add_func("/calibrate/ini_loads", test_ini_loads);
  g_test_add_func("/calibrate/ini_partial", test_ini_partial);
  g_test_add_func("/calibrate/no_exchange", test_no_exchange);
  g_test_add_func("/calibrate/csv", test_csv);
  return g_test_run();
}

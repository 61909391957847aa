/* Unit tests of rollout schedules: each schedule's power-on times (shape and distribution,
 * checked with Kolmogorov-Smirnov and dispersion statistics), power-on order, determinism for
 * a seed, and schedules that would start eNBs after the run are refused. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "topologies/es_rollout.h"
#include "sim/es_scenario.h"

static double grand_uniform(void *arg) {
  return g_rand_double(arg);
}

static EsRollout *rollout_for(EsScenario *sc, guint32 seed) {
  GRand *rng = g_rand_new_with_seed(seed);
  GError *error = NULL;
  es_scenario_validate(sc, &error);
  g_assert_no_error(error);
  EsRollout *r = es_rollout_new(&sc->rollout, sc->enbs, sc->stop_time_s, grand_uniform, rng, &error);
  g_assert_no_error(error);
  g_rand_free(rng);
  return r;
}

static EsScenario *scenario(guint enbs, const char *schedule) {
  EsScenario *sc = es_scenario_new();
  sc->enbs = enbs;
  g_assert_true(es_scenario_set(sc, "rollout.schedule", schedule, NULL));
  return sc;
}

/* Power-on order is by time, ties by eNB number, and covers every eNB once. */
static void assert_order(const EsRollout *r) {
  guint n = es_rollout_enbs(r);
  g_autofree gboolean *seen = g_new0(gboolean, n + 1);
  for (guint i = 0; i < n; i++) {
    guint e = es_rollout_nth(r, i);
    g_assert_cmpuint(e, >=, 1);
    g_assert_cmpuint(e, <=, n);
    g_assert_false(seen[e]);
    seen[e] = TRUE;
    if (i > 0) {
      guint p = es_rollout_nth(r, i - 1);
      double tp = es_rollout_time(r, p), te = es_rollout_time(r, e);
      g_assert_true(tp < te || (tp == te && p < e));
    }
  }
}

static int cmp_double(gconstpointer a, gconstpointer b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Kolmogorov-Smirnov distance between the sample and a distribution function. */
static double ks_distance(double *x, guint n, double (*cdf)(double x, double param), double param) {
  qsort(x, n, sizeof *x, cmp_double);
  double d = 0;
  for (guint i = 0; i < n; i++) {
    double f = cdf(x[i], param);
    d = MAX(d, MAX(fabs(f - (double)i / n), fabs((double)(i + 1) / n - f)));
  }
  return d;
}

static double uniform_cdf(double x, double window) {
  return CLAMP(x / window, 0, 1);
}

static double exponential_cdf(double x, double rate) {
  return x <= 0 ? 0 : 1 - exp(-rate * x);
}

/* At 1% significance the KS critical value is 1.628 / sqrt(n). */
#define KS_CRITICAL(n) (1.628 / sqrt((double)(n)))

static void test_burst(void) {
  g_autoptr(EsScenario) sc = scenario(1000, "burst");
  g_autoptr(EsRollout) r = rollout_for(sc, 1);
  for (guint k = 1; k <= 1000; k++)
    g_assert_cmpfloat(es_rollout_time(r, k), ==, 0);
  assert_order(r);
  /* All at once: power-on order is eNB order. */
  for (guint i = 0; i < 1000; i++)
    g_assert_cmpuint(es_rollout_nth(r, i), ==, i + 1);
}

static void test_uniform(void) {
  enum { N = 20000 };
  g_autoptr(EsScenario) sc = scenario(N, "uniform");
  sc->rollout.window_s = 600;
  g_autoptr(EsRollout) r = rollout_for(sc, 2);
  assert_order(r);
  g_autofree double *t = g_new(double, N);
  for (guint k = 1; k <= N; k++) {
    t[k - 1] = es_rollout_time(r, k);
    g_assert_cmpfloat(t[k - 1], >=, 0);
    g_assert_cmpfloat(t[k - 1], <, 600);
  }
  double d = ks_distance(t, N, uniform_cdf, 600);
  g_test_message("uniform over 600 s: KS distance %.5f (critical %.5f)", d, KS_CRITICAL(N));
  g_assert_cmpfloat(d, <, KS_CRITICAL(N));
}

static void test_waves(void) {
  g_autoptr(EsScenario) sc = scenario(1050, "waves");
  g_assert_true(es_scenario_set(sc, "rollout.wave_size=100", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "rollout.wave_period=10m", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "scenario.stop_time=2h", NULL, NULL));
  /* Without a spread a wave's sites start together, at the wave's start. */
  g_autoptr(EsRollout) r = rollout_for(sc, 3);
  assert_order(r);
  for (guint k = 1; k <= 1050; k++)
    g_assert_cmpfloat(es_rollout_time(r, k), ==, ((k - 1) / 100) * 600.0);

  /* With one, each wave's sites spread uniformly over its first 5 minutes. */
  g_assert_true(es_scenario_set(sc, "rollout.wave_spread=5m", NULL, NULL));
  g_autoptr(EsRollout) s = rollout_for(sc, 3);
  assert_order(s);
  g_autofree double *offsets = g_new(double, 1050);
  guint per_wave[11] = {0};
  for (guint k = 1; k <= 1050; k++) {
    double t = es_rollout_time(s, k);
    guint wave = (guint)(t / 600);
    per_wave[wave]++;
    g_assert_cmpuint(wave, ==, (k - 1) / 100);
    offsets[k - 1] = t - wave * 600.0;
    g_assert_cmpfloat(offsets[k - 1], <, 300);
  }
  for (guint w = 0; w < 10; w++)
    g_assert_cmpuint(per_wave[w], ==, 100);
  g_assert_cmpuint(per_wave[10], ==, 50);
  double d = ks_distance(offsets, 1050, uniform_cdf, 300);
  g_assert_cmpfloat(d, <, KS_CRITICAL(1050));
}

/* A Poisson process: exponential gaps with mean 1/rate, and counts per interval whose variance
 * equals their mean (index of dispersion 1), unlike evenly spaced or bunched arrivals. */
static void test_poisson(void) {
  enum { N = 20000 };
  g_autoptr(EsScenario) sc = scenario(N, "poisson");
  g_assert_true(es_scenario_set(sc, "rollout.rate=25/s", NULL, NULL));
  g_autoptr(EsRollout) r = rollout_for(sc, 4);
  assert_order(r);
  g_autofree double *gaps = g_new(double, N);
  double prev = 0, sum = 0;
  for (guint k = 1; k <= N; k++) {
    double t = es_rollout_time(r, k);
    g_assert_cmpfloat(t, >=, prev); /* eNB k is the k-th arrival */
    gaps[k - 1] = t - prev;
    sum += gaps[k - 1];
    prev = t;
  }
  double mean = sum / N;
  g_test_message("Poisson 25/s: mean gap %.5f s (expected 0.04), last arrival %.1f s", mean, prev);
  /* The mean of N exponential gaps has a relative standard deviation of 1/sqrt(N) = 0.7%. */
  g_assert_cmpfloat(fabs(mean - 0.04) / 0.04, <, 0.03);
  double last = prev;
  guint bins = (guint)last;
  g_autofree guint *count = g_new0(guint, bins);
  for (guint k = 1; k <= N; k++) {
    guint b = (guint)es_rollout_time(r, k);
    if (b < bins)
      count[b]++;
  }
  double m = 0, v = 0;
  for (guint b = 0; b < bins; b++)
    m += count[b];
  m /= bins;
  for (guint b = 0; b < bins; b++)
    v += (count[b] - m) * (count[b] - m);
  v /= bins - 1;
  g_test_message("arrivals per second: mean %.2f, variance %.2f", m, v);
  g_assert_cmpfloat(fabs(m - 25), <, 1);
  g_assert_cmpfloat(v / m, >, 0.8);
  g_assert_cmpfloat(v / m, <, 1.2);
  double d = ks_distance(gaps, N, exponential_cdf, 25);
  g_assert_cmpfloat(d, <, KS_CRITICAL(N));
}

/* The same seed gives the same times; another seed other times. */
static void test_determinism(void) {
  const char *const schedules[] = {"uniform", "waves", "poisson"};
  for (gsize i = 0; i < G_N_ELEMENTS(schedules); i++) {
    g_autoptr(EsScenario) sc = scenario(500, schedules[i]);
    g_assert_true(es_scenario_set(sc, "rollout.wave_spread=30s", NULL, NULL));
    g_autoptr(EsRollout) a = rollout_for(sc, 7);
    g_autoptr(EsRollout) b = rollout_for(sc, 7);
    g_autoptr(EsRollout) c = rollout_for(sc, 8);
    guint differ = 0;
    for (guint k = 1; k <= 500; k++) {
      g_assert_cmpfloat(es_rollout_time(a, k), ==, es_rollout_time(b, k));
      g_assert_cmpuint(es_rollout_nth(a, k - 1), ==, es_rollout_nth(b, k - 1));
      differ += es_rollout_time(a, k) != es_rollout_time(c, k);
    }
    g_assert_cmpuint(differ, >, 400);
  }
}

/* Uniform draws k-th for eNB k: the built-in default scenario's power-on times stay what they
 * were before schedules existed (window * the k-th draw of the run's schedule stream). */
static void test_uniform_draw_order(void) {
  g_autoptr(EsScenario) sc = scenario(50, "uniform");
  GRand *rng = g_rand_new_with_seed(11);
  g_autoptr(EsRollout) r = rollout_for(sc, 11);
  for (guint k = 1; k <= 50; k++)
    g_assert_cmpfloat(es_rollout_time(r, k), ==, sc->rollout.window_s * g_rand_double(rng));
  g_rand_free(rng);
}

/* A Poisson rollout too slow for the run: refused, not an empty success. */
static void test_too_slow(void) {
  g_autoptr(EsScenario) sc = scenario(1000, "poisson");
  g_assert_true(es_scenario_set(sc, "rollout.rate=6/min", NULL, NULL));
  g_assert_true(es_scenario_validate(sc, NULL));
  GRand *rng = g_rand_new_with_seed(5);
  GError *error = NULL;
  g_assert_null(es_rollout_new(&sc->rollout, sc->enbs, sc->stop_time_s, grand_uniform, rng, &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE);
  g_test_message("%s", error->message);
  g_assert_nonnull(strstr(error->message, "scenario.stop_time"));
  g_error_free(error);
  g_rand_free(rng);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/schedule/burst", test_burst);
  g_test_add_func("/schedule/uniform", test_uniform);
  g_test_add_func("/schedule/uniform-draw-order", test_uniform_draw_order);
  g_test_add_func("/schedule/waves", test_waves);
  g_test_add_func("/schedule/poisson", test_poisson);
  g_test_add_func("/schedule/determinism", test_determinism);
  g_test_add_func("/schedule/too-slow", test_too_slow);
  return g_test_run();
}

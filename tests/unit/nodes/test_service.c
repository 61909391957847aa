/* The RA/CA's service station against queueing theory: with Poisson arrivals and exponential
 * service, the mean queueing delay must match Erlang C; fixed service, bursts and the bound. */
#include <glib.h>
#include <math.h>

#include "engines/es_loop_engine.h"
#include "pki/es_rand.h"
#include "nodes/es_service.h"

typedef struct {
  EsLoopEngine *loop;
  EsEngine *engine;
  EsService *service;
  EsRand *arrivals;
  double rate, mean_s;
  guint64 left;
  guint64 done;
} Station;

static void on_done(void *arg, void *job)
{
  (void)job;
  ((Station *)arg)->done++;
}

static void on_arrival(void *arg)
{
  Station *st = arg;
  es_service_submit(st->service, st, st->mean_s);
  if (--st->left > 0)
    es_engine_timer_add(st->engine, -log(1.0 - es_rand_double(st->arrivals)) / st->rate,
                        on_arrival, st);
}

/* P(wait > 0) in an M/M/k queue with offered load a = lambda / mu (Erlang C). */
static double erlang_c(guint k, double a)
{
  double term = 1, sum = 1;
  for (guint i = 1; i < k; i++) {
    term *= a / i;
    sum += term;
  }
  double top = term * a / k * (k / (k - a));
  return top / (sum + top);
}

/* Mean queueing delay of `n` Poisson arrivals at utilisation rho, k workers, mean service 1 s. */
static double simulate_mm(guint k, double rho, guint64 n, guint64 seed, guint64 *served)
{
  Station st = {.loop = es_loop_engine_new(0), .rate = rho * k, .mean_s = 1.0, .left = n};
  st.engine = es_loop_engine_get0_engine(st.loop);
  EsServiceConfig config = {.workers = k, .dist = ES_SERVICE_EXPONENTIAL, .seed = seed, .stream = 1};
  st.service = es_service_new(&config, st.engine, on_done, &st);
  st.arrivals = es_rand_new(seed, 2);
  es_engine_timer_add(st.engine, 0, on_arrival, &st);
  es_loop_engine_run(st.loop, INFINITY);
  EsServiceStats stats;
  es_service_get_stats(st.service, &stats);
  *served = st.done;
  g_assert_cmpuint(stats.started, ==, n);
  /* Utilisation as measured: service time drawn over the time the run took. */
  double busy = stats.busy_s / (k * es_engine_now(st.engine));
  g_assert_cmpfloat(fabs(busy - rho), <, 0.02);
  es_service_free(st.service, NULL);
  es_rand_free(st.arrivals);
  es_loop_engine_free(st.loop);
  return stats.wait_sum_s / (double)stats.started;
}

static void test_erlang_c(gconstpointer data)
{
  double rho = GPOINTER_TO_UINT(data) / 100.0;
  const guint k = 2;
  /* Near saturation the mean converges slowly (the delay's autocorrelation time grows like
   * 1/(1-rho)^2): more arrivals there. Seeds are fixed, so the test is deterministic; the
   * sample sizes keep the estimate within about 1% (standard deviation over seeds 1-6). */
  guint64 n = rho < 0.9 ? 2000000 : 6000000, served;
  double want = erlang_c(k, rho * k) / (k * 1.0 - rho * k);
  double got = simulate_mm(k, rho, n, 11, &served);
  g_test_message("rho %.2f: Erlang C %.4f s, simulated %.4f s (%+.2f%%)", rho, want, got,
                 100 * (got - want) / want);
  g_assert_cmpuint(served, ==, n);
  g_assert_cmpfloat(fabs(got - want) / want, <, 0.05);
}

/* One worker, fixed service, a burst of n at t=0: job i waits i services. */
static void test_burst_fixed(void)
{
  Station st = {.loop = es_loop_engine_new(0)};
  st.engine = es_loop_engine_get0_engine(st.loop);
  EsServiceConfig config = {.workers = 1, .dist = ES_SERVICE_FIXED};
  st.service = es_service_new(&config, st.engine, on_done, &st);
  for (guint i = 0; i < 10; i++)
    g_assert_true(es_service_submit(st.service, &st, 0.05));
  g_assert_cmpuint(es_service_get_busy(st.service), ==, 1);
  g_assert_cmpuint(es_service_get_waiting(st.service), ==, 9);
  es_loop_engine_run(st.loop, INFINITY);
  EsServiceStats stats;
  es_service_get_stats(st.service, &stats);
  g_assert_cmpuint(stats.served, ==, 10);
  /* Waits 0, 0.05, ..., 0.45: mean 0.225, max 0.45; the last is done at 0.5. */
  g_assert_cmpfloat_with_epsilon(stats.wait_sum_s / stats.started, 0.225, 1e-9);
  g_assert_cmpfloat_with_epsilon(stats.wait_max_s, 0.45, 1e-9);
  g_assert_cmpfloat_with_epsilon(es_engine_now(st.engine), 0.5, 1e-9);
  g_assert_cmpuint(stats.max_waiting, ==, 9);
  es_service_free(st.service, NULL);
  es_loop_engine_free(st.loop);
}

static void count_free(gpointer job) { (*(guint *)job)++; }

/* The bound counts waiting jobs only; a refused job stays the caller's. */
static void test_queue_limit(void)
{
  Station st = {.loop = es_loop_engine_new(0)};
  st.engine = es_loop_engine_get0_engine(st.loop);
  EsServiceConfig config = {.workers = 2, .queue_limit = 3, .dist = ES_SERVICE_FIXED};
  st.service = es_service_new(&config, st.engine, on_done, &st);
  guint accepted = 0, freed = 0;
  for (guint i = 0; i < 8; i++)
    accepted += es_service_submit(st.service, &freed, 1.0);
  g_assert_cmpuint(accepted, ==, 5);
  EsServiceStats stats;
  es_service_get_stats(st.service, &stats);
  g_assert_cmpuint(stats.rejected, ==, 3);
  es_loop_engine_run(st.loop, 1.5); /* two served, two more started */
  g_assert_cmpuint(st.done, ==, 2);
  g_assert_true(es_service_submit(st.service, &freed, 1.0));
  g_assert_true(es_service_submit(st.service, &freed, 1.0));
  g_assert_false(es_service_submit(st.service, &freed, 1.0));
  /* Freeing the station hands back what it still holds: 2 in service, 3 waiting. */
  es_service_free(st.service, count_free);
  g_assert_cmpuint(freed, ==, 5);
  es_loop_engine_free(st.loop);
}

/* Exponential service times come from the station's own stream: same seed, same times. */
static void test_deterministic(void)
{
  guint64 a, b;
  double x = simulate_mm(1, 0.7, 20000, 3, &a), y = simulate_mm(1, 0.7, 20000, 3, &b);
  g_assert_cmpfloat(x, ==, y);
  g_assert_cmpfloat(simulate_mm(1, 0.7, 20000, 4, &b), !=, x);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_data_func("/service/erlang-c/rho-0.50", GUINT_TO_POINTER(50), test_erlang_c);
  g_test_add_data_func("/service/erlang-c/rho-0.80", GUINT_TO_POINTER(80), test_erlang_c);
  g_test_add_data_func("/service/erlang-c/rho-0.95", GUINT_TO_POINTER(95), test_erlang_c);
  g_test_add_func("/service/burst-fixed", test_burst_fixed);
  g_test_add_func("/service/queue-limit", test_queue_limit);
  g_test_add_func("/service/deterministic", test_deterministic);
  return g_test_run();
}

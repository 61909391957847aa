/* Validation against theory: polls per enrolment under an exponential CA approval delay.
 * With delay D (mean m), poll threshold T, checkAfter c and the time d a poll round adds on
 * top of c (round trip, signing the pollReq, its service), the RA/CA answers `waiting` when
 * D > T, OpenSSL polls once at once (processed d after the `waiting` left, at T + d) and then
 * every c + d; the k-th pollReq gets the certificate when T + d + (k-1)(c + d) >= D. So
 * P(N >= 1) = P(D > T) and P(N >= k) = P(D > T + d + (k-2)(c + d)) for k >= 2, and by
 * memorylessness E[N] = e^(-T/m) (1 + e^(-d/m) / (1 - e^(-(c + d)/m))). */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/es_run.h"
#include "sim/es_scenario.h"

#define ENBS 500
#define MEAN_S 1.0      /* raca.approval_delay, exponential */
#define THRESHOLD_S 0.0 /* raca.poll_threshold */
#define CHECK_AFTER_S 1 /* raca.check_after */
#define ONE_WAY_S                                                                                  \
  0.0025 /* backhaul 1ms + aggregation 1ms + core 0.5ms; serialisation at 1 Gbps                   \
          * is below a microsecond per message */
#define SIGN_S 0.005
#define POLL_SERVICE_S 0.0005 /* raca.certconf_service: a pollReq's */

/* Mean and count of the `polls` column (the last) over enrolled eNBs. */
static double mean_polls(const char *csv, guint *enrolled, guint *polled)
{
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(csv, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_assert_true(g_str_has_suffix(lines[0], ",polls"));
  guint64 sum = 0;
  *enrolled = *polled = 0;
  for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++) {
    if (strstr(lines[i], ",enrolled,") == NULL)
      continue;
    guint polls = (guint)strtoul(strrchr(lines[i], ',') + 1, NULL, 10);
    sum += polls;
    *polled += polls > 0;
    (*enrolled)++;
  }
  return *enrolled > 0 ? (double)sum / *enrolled : NAN;
}

static void test_mean_polls(void)
{
  g_autoptr(EsScenario) sc = es_scenario_new();
  g_autofree char *n = g_strdup_printf("scenario.enbs=%d", ENBS);
  const char *sets[] = {
      n,
      "rollout.schedule=uniform",
      "rollout.window=200s",
      "backhaul.rate=1Gbps",
      "backhaul.latency=1ms",
      "aggregation.rate=1Gbps",
      "aggregation.latency=1ms",
      "core.rate=1Gbps",
      "core.latency=0.5ms",
      "enb.sign_time=5ms",
      "raca.certconf_service=0.5ms",
      "raca.approval=exponential",
      "raca.approval_delay=1s",
      "raca.poll_threshold=0s",
      "raca.check_after=1s",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(sets); i++)
    g_assert_true(es_scenario_set(sc, sets[i], NULL, NULL));
  GError *error = NULL;
  g_assert_true(es_scenario_validate(sc, &error));
  g_autofree char *dir = g_dir_make_tmp("es-theory-poll-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *out = g_build_filename(dir, "run", NULL);
  EsRunOptions options = {.out_dir = out, .quiet = TRUE};
  EsRunResult result = {0};
  g_assert_true(es_run_scenario(sc, &options, &result, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(result.stats.enrolled, ==, ENBS);
  es_run_result_clear(&result);

  g_autofree char *csv = g_build_filename(out, "enrolments.csv", NULL);
  guint enrolled, polled;
  double measured = mean_polls(csv, &enrolled, &polled);
  g_assert_cmpuint(enrolled, ==, ENBS);
  double d = 2 * ONE_WAY_S + SIGN_S + POLL_SERVICE_S;
  double theory = exp(-THRESHOLD_S / MEAN_S) *
                  (1 + exp(-d / MEAN_S) / (1 - exp(-(CHECK_AFTER_S + d) / MEAN_S)));
  g_test_message("polls per enrolment: theory %.4f (d = %.4f s), simulated %.4f over %u eNBs "
                 "(%u polled); difference %.2f%%",
                 theory, d, measured, enrolled, polled, 100 * (measured - theory) / theory);
  g_assert_cmpfloat(fabs(measured - theory) / theory, <, 0.05);
  /* With no threshold every eNB is answered `waiting` and polls at least once. */
  g_assert_cmpuint(polled, ==, ENBS);

  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  g_assert_cmpint(system(cmd), ==, 0);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/theory/mean-polls", test_mean_polls);
  return g_test_run();
}

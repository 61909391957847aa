/* Unit tests of compare: tolerances, directions, wall-clock metrics, nulls, refusals, and
 * the table a CI log shows. Summaries are built with EsSummary and read back from disk. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "results/es_compare.h"
#include "results/es_summary.h"

typedef struct {
  char *dir;
  guint n;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
  (void)data;
  f->dir = g_dir_make_tmp("es-compare-XXXXXX", NULL);
  g_assert_nonnull(f->dir);
}

static void teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  GDir *d = g_dir_open(f->dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    char *p = g_build_filename(f->dir, name, NULL);
    g_remove(p);
    g_free(p);
  }
  if (d)
    g_dir_close(d);
  g_rmdir(f->dir);
  g_free(f->dir);
}

/* A run's summary; `edit` changes it before it is written. */
typedef void (*Edit)(EsSummary *s);

static EsSummaryFile *summary(Fixture *f, Edit edit)
{
  g_autoptr(EsSummary) s = es_summary_new();
  es_summary_set_string(s, "scenario", "small");
  es_summary_set_uint(s, "seed", 1);
  es_summary_set_uint(s, "replication", 1);
  es_summary_set_uint(s, "enbs.total", 100);
  es_summary_set_uint(s, "enbs.enrolled", 100);
  es_summary_set_uint(s, "certificates.revoked", 0);
  es_summary_set_double(s, "latency_s.p50", 0.08);
  es_summary_set_double(s, "latency_s.p99", 0.1);
  es_summary_set_double(s, "completion_s.p100", 1.2);
  es_summary_set_double(s, "throughput.enrolments_per_s", 80);
  es_summary_set_uint(s, "events", 10000);
  es_summary_set_double(s, ES_SUMMARY_WALL_CLOCK ".wall_time_s", 2.0);
  es_summary_set_double(s, ES_SUMMARY_WALL_CLOCK ".enrolments_per_wall_s", 50);
  es_summary_set_string(s, ES_SUMMARY_WALL_CLOCK ".started_at", "2026-11-01T00:00:00Z");
  es_summary_set_string(s, "attributes.enrolsim_version", "0.1.0");
  es_summary_set_string(s, "attributes.git_revision", "0123456789abcdef0123");
  g_assert_true(es_summary_set_parameters(
      s, "attributes.parameters", "[scenario]\nname=small\nseed=1\n[raca]\nworkers=2\n", NULL));
  if (edit)
    edit(s);
  char name[32];
  g_snprintf(name, sizeof name, "s%u.json", f->n++);
  g_autofree char *path = g_build_filename(f->dir, name, NULL);
  g_assert_true(es_summary_write(s, path, NULL));
  GError *error = NULL;
  EsSummaryFile *file = es_summary_file_load(path, &error);
  g_assert_no_error(error);
  return file;
}

static const EsCompareRow *row(EsCompare *c, const char *metric)
{
  for (guint i = 0; i < es_compare_get_n_rows(c); i++)
    if (strcmp(es_compare_get_row(c, i)->metric, metric) == 0)
      return es_compare_get_row(c, i);
  g_assert_not_reached();
}

/* Runs compare with `tolerances` (NULL-terminated); returns the failures. */
static guint run(EsCompare *c, EsSummaryFile *b, EsSummaryFile *r, const char *const *tol)
{
  for (const char *const *t = tol; t && *t; t++)
    g_assert_true(es_compare_add_tolerance(c, *t, NULL));
  GError *error = NULL;
  g_assert_true(es_compare_run(c, b, r, &error));
  g_assert_no_error(error);
  return es_compare_get_failures(c);
}

static void p99_up(EsSummary *s)
{
  es_summary_set_double(s, "latency_s.p99", 0.105);
}
static void p99_down(EsSummary *s)
{
  es_summary_set_double(s, "latency_s.p99", 0.09);
}

static void test_identical(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(EsSummaryFile) a = summary(f, NULL), b = summary(f, NULL);
  g_autoptr(EsCompare) c = es_compare_new();
  g_assert_cmpuint(run(c, a, b, NULL), ==, 0);
  /* Every number outside attributes, identity members excluded. */
  g_assert_cmpuint(es_compare_get_n_rows(c), ==, 10);
  g_assert_cmpint(row(c, "latency_s.p99")->verdict, ==, ES_VERDICT_OK);
  g_assert_cmpfloat(row(c, "latency_s.p99")->change_pct, ==, 0);
  g_assert_cmpint(row(c, "wall_clock.wall_time_s")->verdict, ==, ES_VERDICT_INFO);
  g_autofree char *text = es_compare_format(c);
  g_assert_nonnull(strstr(text, "PASS: 10 metrics compared"));
}

/* The default is exact: a deterministic run reproduces every simulated metric. */
static void test_regression(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(EsSummaryFile) a = summary(f, NULL), b = summary(f, p99_up);
  g_autoptr(EsCompare) c = es_compare_new();
  g_assert_cmpuint(run(c, a, b, NULL), ==, 1);
  const EsCompareRow *r = row(c, "latency_s.p99");
  g_assert_cmpint(r->verdict, ==, ES_VERDICT_WORSE);
  g_assert_true(r->fails);
  g_assert_cmpfloat_with_epsilon(r->change_pct, 5.0, 1e-9);
  g_autofree char *text = es_compare_format(c);
  g_assert_nonnull(strstr(text, "FAIL: 1 of 10 metrics beyond tolerance: latency_s.p99 (WORSE)"));
  /* The row reads as a table line. */
  g_assert_true(g_regex_match_simple("\\nlatency_s\\.p99 +0\\.100000 +0\\.105000 +\\+5\\.00% +"
                                     "0\\.00% +WORSE\\n",
                                     text, 0, 0));
}

static void test_tolerances(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(EsSummaryFile) a = summary(f, NULL), b = summary(f, p99_up);
  struct {
    const char *tol[3];
    guint failures;
  } cases[] = {
      {{"latency_s.p99=5", NULL}, 0}, /* exactly at the tolerance */
      {{"latency_s.p99=4.9%", NULL}, 1},
      {{"latency_s.*=10", NULL}, 0},
      {{"*=10", NULL}, 0},
      {{"latency_s.*=10", "latency_s.p99=1", NULL}, 1}, /* the last match wins */
      {{"latency_s.p99=1", "latency_s.*=10", NULL}, 0},
      {{"latency_s.p50=50", NULL}, 1}, /* another metric: no effect */
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(EsCompare) c = es_compare_new();
    g_assert_cmpuint(run(c, a, b, cases[i].tol), ==, cases[i].failures);
  }
}

static void test_bad_tolerance(void)
{
  static const char *const bad[] = {"latency", "latency=", "=5",    "x=-1",
                                    "x=abc",   "x=5%%",    "x=inf", "x=.5"};
  g_autoptr(EsCompare) c = es_compare_new();
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    GError *error = NULL;
    g_assert_false(es_compare_add_tolerance(c, bad[i], &error));
    g_assert_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_USAGE);
    g_assert_nonnull(strstr(error->message, bad[i]));
    g_clear_error(&error);
  }
  g_assert_true(es_compare_add_tolerance(c, "x=0.5%", NULL));
}

/* Better beyond tolerance passes, unless strict: then it means the model changed. */
static void test_better_and_strict(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(EsSummaryFile) a = summary(f, NULL), b = summary(f, p99_down);
  g_autoptr(EsCompare) c = es_compare_new();
  g_assert_cmpuint(run(c, a, b, NULL), ==, 0);
  g_assert_cmpint(row(c, "latency_s.p99")->verdict, ==, ES_VERDICT_BETTER);
  g_autoptr(EsCompare) strict = es_compare_new();
  es_compare_set_strict(strict, TRUE);
  g_assert_cmpuint(run(strict, a, b, NULL), ==, 1);
  g_autofree char *text = es_compare_format(strict);
  g_assert_nonnull(strstr(text, "latency_s.p99 (BETTER)"));
}

static void wall_slower(EsSummary *s)
{
  es_summary_set_double(s, ES_SUMMARY_WALL_CLOCK ".wall_time_s", 5.0);
  es_summary_set_double(s, ES_SUMMARY_WALL_CLOCK ".enrolments_per_wall_s", 20);
}

/* Wall-clock metrics never fail unless a tolerance names wall_clock. */
static void test_wall_clock(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(EsSummaryFile) a = summary(f, NULL), b = summary(f, wall_slower);
  const char *const star[] = {"*=5", NULL};
  g_autoptr(EsCompare) c1 = es_compare_new();
  g_assert_cmpuint(run(c1, a, b, star), ==, 0);
  g_assert_cmpint(row(c1, "wall_clock.wall_time_s")->verdict, ==, ES_VERDICT_INFO);
  g_assert_cmpfloat_with_epsilon(row(c1, "wall_clock.wall_time_s")->change_pct, 150, 1e-9);
  g_assert_true(isnan(row(c1, "wall_clock.wall_time_s")->tolerance_pct));
  const char *const wall[] = {"wall_clock.*=50", NULL};
  g_autoptr(EsCompare) c2 = es_compare_new();
  g_assert_cmpuint(run(c2, a, b, wall), ==, 2);
  g_assert_cmpint(row(c2, "wall_clock.wall_time_s")->verdict, ==, ES_VERDICT_WORSE);
  g_assert_cmpint(row(c2, "wall_clock.enrolments_per_wall_s")->verdict, ==, ES_VERDICT_WORSE);
  /* and the other way round, faster is better */
  g_autoptr(EsCompare) c3 = es_compare_new();
  g_assert_cmpuint(run(c3, b, a, wall), ==, 0);
  g_assert_cmpint(row(c3, "wall_clock.wall_time_s")->verdict, ==, ES_VERDICT_BETTER);
}

static void more_events(EsSummary *s)
{
  es_summary_set_uint(s, "events", 10001);
}
static void revoked_one(EsSummary *s)
{
  es_summary_set_uint(s, "certificates.revoked", 1);
}
static void fewer_enrolled(EsSummary *s)
{
  es_summary_set_uint(s, "enbs.enrolled", 99);
}

/* A baseline of summary format 2 compares with a format 3 result under the new names: the
 * same numbers are unchanged, an eNB fewer enrolled is worse. */
static void test_format2_baseline(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *path = g_build_filename(f->dir, "v2.json", NULL);
  g_assert_true(g_file_set_contents(
      path,
      "{\"format\": 2, \"scenario\": \"small\", \"seed\": 1, \"replication\": 1,\n"
      " \"enbs\": 100, \"enrolled\": 100,\n"
      " \"revocations\": {\"total\": 0},\n"
      " \"latency_s\": {\"p50\": 0.08, \"p99\": 0.1}, \"completion_s\": {\"p100\": 1.2},\n"
      " \"throughput\": {\"enrolments_per_s\": 80}, \"events\": 10000,\n"
      " \"wall_clock\": {\"wall_time_s\": 2.0, \"enrolments_per_wall_s\": 50},\n"
      " \"attributes\": {\"enrolsim_version\": \"0.1.0\", \"git_revision\": \"0123\",\n"
      "   \"parameters\": {\"scenario\": {\"name\": \"small\", \"seed\": \"1\"},\n"
      "   \"raca\": {\"workers\": \"2\"}}}}\n",
      -1, NULL));
  GError *error = NULL;
  g_autoptr(EsSummaryFile) old = es_summary_file_load(path, &error);
  g_assert_no_error(error);
  g_autoptr(EsSummaryFile) same = summary(f, NULL);
  const char *const wall[] = {"wall_clock.*=1000", NULL};
  g_autoptr(EsCompare) c = es_compare_new();
  guint failures = run(c, old, same, wall);
  if (failures != 0)
    g_test_message("%s", es_compare_format(c));
  g_assert_cmpuint(failures, ==, 0);
  g_assert_cmpint(row(c, "enbs.enrolled")->verdict, ==, ES_VERDICT_OK);
  g_assert_cmpint(row(c, "certificates.revoked")->verdict, ==, ES_VERDICT_OK);
  g_autoptr(EsSummaryFile) fewer = summary(f, fewer_enrolled);
  g_autoptr(EsCompare) d = es_compare_new();
  g_assert_cmpuint(run(d, old, fewer, wall), ==, 1);
  g_assert_cmpint(row(d, "enbs.enrolled")->verdict, ==, ES_VERDICT_WORSE);
}

/* Directions: which way is worse depends on the metric; no direction fails either way. */
static void test_directions(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(EsSummaryFile) a = summary(f, NULL);
  struct {
    Edit edit;
    const char *metric;
    EsVerdict verdict;
  } cases[] = {
      {more_events, "events", ES_VERDICT_CHANGED},
      {revoked_one, "certificates.revoked", ES_VERDICT_WORSE},
      {fewer_enrolled, "enbs.enrolled", ES_VERDICT_WORSE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(EsSummaryFile) b = summary(f, cases[i].edit);
    /* a generous tolerance: 0 to 1 is no percentage at all */
    const char *const tol[] = {"*=50", NULL};
    g_autoptr(EsCompare) c = es_compare_new();
    guint expect = cases[i].edit == revoked_one ? 1 : 0;
    g_assert_cmpuint(run(c, a, b, tol), ==, expect);
    g_autoptr(EsCompare) exact = es_compare_new();
    g_assert_cmpuint(run(exact, a, b, NULL), ==, 1);
    g_assert_cmpint(row(exact, cases[i].metric)->verdict, ==, cases[i].verdict);
  }
}

static void never_complete(EsSummary *s)
{
  es_summary_set_double(s, "completion_s.p100", NAN);
}

/* null means "never reached": the worst value, equal only to itself. */
static void test_nulls(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(EsSummaryFile) a = summary(f, NULL), b = summary(f, never_complete);
  g_autoptr(EsCompare) c = es_compare_new();
  g_assert_cmpuint(run(c, a, b, NULL), ==, 1);
  g_assert_cmpint(row(c, "completion_s.p100")->verdict, ==, ES_VERDICT_WORSE);
  g_assert_true(isnan(row(c, "completion_s.p100")->change_pct));
  g_autoptr(EsCompare) back = es_compare_new();
  g_assert_cmpuint(run(back, b, a, NULL), ==, 0);
  g_assert_cmpint(row(back, "completion_s.p100")->verdict, ==, ES_VERDICT_BETTER);
  g_autoptr(EsCompare) same = es_compare_new();
  g_assert_cmpuint(run(same, b, b, NULL), ==, 0);
  g_assert_cmpint(row(same, "completion_s.p100")->verdict, ==, ES_VERDICT_OK);
  g_autofree char *text = es_compare_format(c);
  g_assert_nonnull(strstr(text, " null "));
}

static void added_metric(EsSummary *s)
{
  es_summary_set_uint(s, "retransmissions.cmp", 3);
}

/* A metric lost since the baseline fails; one added since is reported. */
static void test_missing_and_new(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(EsSummaryFile) a = summary(f, NULL), b = summary(f, added_metric);
  g_autoptr(EsCompare) c = es_compare_new();
  g_assert_cmpuint(run(c, a, b, NULL), ==, 0);
  g_assert_cmpint(row(c, "retransmissions.cmp")->verdict, ==, ES_VERDICT_NEW);
  g_autoptr(EsCompare) back = es_compare_new();
  g_assert_cmpuint(run(back, b, a, NULL), ==, 1);
  g_assert_cmpint(row(back, "retransmissions.cmp")->verdict, ==, ES_VERDICT_MISSING);
}

static void other_scenario(EsSummary *s)
{
  es_summary_set_string(s, "scenario", "region");
}
static void other_workers(EsSummary *s)
{
  es_summary_set_string(s, "attributes.parameters.raca.workers", "4");
}
static void new_key(EsSummary *s)
{
  es_summary_set_string(s, "attributes.parameters.raca.queue_limit", "1000");
}

static void test_identity(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(EsSummaryFile) a = summary(f, NULL);
  g_autoptr(EsSummaryFile) other = summary(f, other_scenario);
  g_autoptr(EsSummaryFile) workers = summary(f, other_workers);
  g_autoptr(EsSummaryFile) added = summary(f, new_key);
  GError *error = NULL;
  g_autoptr(EsCompare) c = es_compare_new();
  g_assert_false(es_compare_run(c, a, other, &error));
  g_assert_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_MISMATCH);
  g_assert_nonnull(strstr(error->message, "'small'"));
  g_assert_nonnull(strstr(error->message, "'region'"));
  g_clear_error(&error);
  g_assert_false(es_compare_run(c, a, workers, &error));
  g_assert_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_MISMATCH);
  g_assert_nonnull(strstr(error->message, "raca.workers 2 -> 4"));
  g_clear_error(&error);
  /* on purpose: compared, and the difference is noted */
  es_compare_set_allow_parameter_changes(c, TRUE);
  g_assert_true(es_compare_run(c, a, workers, &error));
  g_autofree char *text = es_compare_format(c);
  g_assert_nonnull(strstr(text, "note: parameters differ: raca.workers 2 -> 4"));
  /* a scenario.name difference is never allowed */
  g_assert_false(es_compare_run(c, a, other, &error));
  g_clear_error(&error);
  /* a key the baseline did not know yet: noted, not refused */
  g_autoptr(EsCompare) c2 = es_compare_new();
  g_assert_true(es_compare_run(c2, a, added, &error));
  g_autofree char *text2 = es_compare_format(c2);
  g_assert_nonnull(strstr(text2, "note: parameter raca.queue_limit = 1000 only in the result"));
  g_assert_nonnull(strstr(text2, "baseline: "));
  g_assert_nonnull(strstr(text2, "(scenario small, seed 1, replication 1, enrolsim 0.1.0, "
                                 "revision 0123456789ab)"));
}

static void interrupted(EsSummary *s)
{
  es_summary_set_interrupted(s, 2 /* SIGINT */, 12.5);
}

/* An interrupted run compares like any other, and the table says which side stopped early. */
static void test_interrupted(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(EsSummaryFile) b = summary(f, NULL);
  g_autoptr(EsSummaryFile) r = summary(f, interrupted);
  double at = 0;
  g_assert_null(es_summary_file_get_interrupted(b, &at));
  g_assert_cmpstr(es_summary_file_get_interrupted(r, &at), ==, "SIGINT");
  g_assert_cmpfloat(at, ==, 12.5);
  g_autoptr(EsCompare) c = es_compare_new();
  g_assert_cmpuint(run(c, b, r, NULL), ==, 0); /* interrupted.sim_time_s: new, reported only */
  g_autofree char *text = es_compare_format(c);
  g_assert_nonnull(strstr(text, "note: the result was interrupted by SIGINT at 12.500 s"));
}

static void simulated_engine(EsSummary *s)
{
  es_summary_set_string(s, "attributes.engine", "simulated");
}
static void live_engine(EsSummary *s)
{
  es_summary_set_string(s, "attributes.engine", "live");
  es_summary_set_string(s, "attributes.server", "127.0.0.1:8080/pkix/");
  es_summary_set_string(s, "attributes.host", "bench-1");
}
static void sim_with_racas(EsSummary *s)
{
  simulated_engine(s);
  es_summary_set_uint(s, "racas.0.max_queue", 3);
}
static void live_slower(EsSummary *s)
{
  live_engine(s);
  es_summary_set_double(s, "latency_s.p99", 0.105);
}

/* A live run (enrolsim enrol) against a simulated one is refused, either way round, unless
 * asked for; a summary without attributes.engine is a simulated run of an older enrolsim. Two
 * live runs compare as two simulated ones do. */
static void test_engines(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(EsSummaryFile) old = summary(f, NULL);
  g_autoptr(EsSummaryFile) sim = summary(f, simulated_engine);
  g_autoptr(EsSummaryFile) live = summary(f, live_engine);
  g_autoptr(EsSummaryFile) live2 = summary(f, live_slower);
  g_assert_cmpstr(es_summary_file_get_engine(old), ==, "simulated");
  g_assert_cmpstr(es_summary_file_get_engine(sim), ==, "simulated");
  g_assert_cmpstr(es_summary_file_get_engine(live), ==, "live");
  const EsSummaryFile *pairs[][2] = {{old, live}, {sim, live}, {live, sim}, {live, old}};
  for (gsize i = 0; i < G_N_ELEMENTS(pairs); i++) {
    GError *error = NULL;
    g_autoptr(EsCompare) c = es_compare_new();
    es_compare_set_allow_parameter_changes(c, TRUE); /* not the option that allows this */
    g_assert_false(es_compare_run(c, pairs[i][0], pairs[i][1], &error));
    g_assert_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_MISMATCH);
    const char *first = i < 2 ? "the baseline is a simulated run, the result a live one"
                              : "the baseline is a live run, the result a simulated one";
    g_assert_nonnull(strstr(error->message, first));
    g_assert_nonnull(strstr(error->message, "--allow-mixed-engines"));
    g_clear_error(&error);
    /* on purpose: compared, and the table says so */
    es_compare_set_allow_mixed_engines(c, TRUE);
    g_assert_true(es_compare_run(c, pairs[i][0], pairs[i][1], &error));
    g_assert_no_error(error);
    g_assert_cmpuint(es_compare_get_failures(c), ==, 0);
    g_autofree char *text = es_compare_format(c);
    g_assert_nonnull(strstr(text, "note: engines differ: "));
  }
  /* Across engines, a metric only the baseline has is reported, not failed; within one
   * engine it fails. */
  g_autoptr(EsSummaryFile) sim_more = summary(f, sim_with_racas);
  g_autoptr(EsCompare) across = es_compare_new();
  es_compare_set_allow_mixed_engines(across, TRUE);
  g_assert_cmpuint(run(across, sim_more, live, NULL), ==, 0);
  g_assert_cmpint(row(across, "racas.0.max_queue")->verdict, ==, ES_VERDICT_MISSING);
  g_assert_false(row(across, "racas.0.max_queue")->fails);
  g_autofree char *missing = es_compare_format(across);
  g_assert_nonnull(strstr(missing, " missing\n"));
  g_autoptr(EsCompare) within = es_compare_new();
  g_assert_cmpuint(run(within, sim_more, sim, NULL), ==, 1);
  g_assert_cmpint(row(within, "racas.0.max_queue")->verdict, ==, ES_VERDICT_MISSING);
  /* One engine: an older simulated run against a new one, two live runs. */
  g_autoptr(EsCompare) same = es_compare_new();
  g_assert_cmpuint(run(same, old, sim, NULL), ==, 0);
  g_autoptr(EsCompare) lives = es_compare_new();
  g_assert_cmpuint(run(lives, live, live2, NULL), ==, 1);
  g_assert_cmpint(row(lives, "latency_s.p99")->verdict, ==, ES_VERDICT_WORSE);
  g_autofree char *text = es_compare_format(lives);
  g_assert_null(strstr(text, "engines differ"));
  g_assert_nonnull(strstr(text, "(scenario small, seed 1, live against 127.0.0.1:8080/pkix/ "
                                "from bench-1, enrolsim 0.1.0, revision 0123456789ab)"));
  g_autoptr(EsCompare) loose = es_compare_new();
  const char *const tol[] = {"latency_s.*=10", NULL};
  g_assert_cmpuint(run(loose, live, live2, tol), ==, 0);
}

/* A summary without parameters (a live run of an older enrolsim) is refused, saying what it
 * lacks. */
static void test_no_parameters(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *path = g_build_filename(f->dir, "old-live.json", NULL);
  g_assert_true(g_file_set_contents(
      path, "{\"format\": 3, \"scenario\": \"live\", \"seed\": 0,\n"
            " \"enbs\": {\"total\": 1}, \"latency_s\": {\"p50\": 0.1}}\n", -1, NULL));
  GError *error = NULL;
  g_assert_null(es_summary_file_load(path, &error));
  g_assert_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_FORMAT);
  g_assert_nonnull(strstr(error->message, "no attributes.parameters: not the summary of a run "
                                          "of a scenario"));
  g_clear_error(&error);
}

/* A summary nested beyond any enrolsim writes is refused before it is parsed (the parser and
 * the flattening recurse per level); brackets inside strings do not count. */
static void test_nesting(Fixture *f, gconstpointer data)
{
  (void)data;
  GString *deep = g_string_new(NULL);
  for (int i = 0; i < 100000; i++)
    g_string_append(deep, "{\"a\":");
  g_string_append(deep, "1");
  for (int i = 0; i < 100000; i++)
    g_string_append_c(deep, '}');
  g_autofree char *path = g_build_filename(f->dir, "deep.json", NULL);
  g_assert_true(g_file_set_contents(path, deep->str, (gssize)deep->len, NULL));
  g_string_free(deep, TRUE);
  GError *error = NULL;
  g_assert_null(es_summary_file_load(path, &error));
  g_assert_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_PARSE);
  g_assert_nonnull(strstr(error->message, "nested more than 64 deep"));
  g_clear_error(&error);
  /* 70 brackets in a string are text: the file is read (and refused for what it lacks). */
  g_autofree char *text_path = g_build_filename(f->dir, "text.json", NULL);
  g_autofree char *brackets = g_strnfill(70, '{');
  g_autofree char *json = g_strdup_printf("{\"format\": 3, \"note\": \"\\\"%s\"}", brackets);
  g_assert_true(g_file_set_contents(text_path, json, -1, NULL));
  g_assert_null(es_summary_file_load(text_path, &error));
  g_assert_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_FORMAT);
  g_clear_error(&error);
  /* Not a regular file. */
  g_assert_null(es_summary_file_load("/dev/zero", &error));
  g_assert_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_PARSE);
  g_assert_nonnull(strstr(error->message, "not a regular file"));
  g_clear_error(&error);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
  ADD("/compare/identical", test_identical);
  ADD("/compare/regression", test_regression);
  ADD("/compare/tolerances", test_tolerances);
  g_test_add_func("/compare/bad-tolerance", test_bad_tolerance);
  ADD("/compare/format-2-baseline", test_format2_baseline);
  ADD("/compare/better-and-strict", test_better_and_strict);
  ADD("/compare/wall-clock", test_wall_clock);
  ADD("/compare/directions", test_directions);
  ADD("/compare/nulls", test_nulls);
  ADD("/compare/missing-and-new", test_missing_and_new);
  ADD("/compare/identity", test_identity);
  ADD("/compare/interrupted", test_interrupted);
  ADD("/compare/nesting", test_nesting);
  ADD("/compare/engines", test_engines);
  ADD("/compare/no-parameters", test_no_parameters);
  return g_test_run();
}

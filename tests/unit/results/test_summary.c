/* Unit tests of summary.json: the exact text (ordering, number formats, escaping), the
 * metrics derived from the recorder, the queue log, and reading a summary back. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "results/es_queue_log.h"
#include "results/es_summary.h"
#include "results/es_summary_file.h"

static char *tmp_dir(void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp("es-summary-XXXXXX", &error);
  g_assert_no_error(error);
  return dir;
}

static void rm_dir(char *dir)
{
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
}

/* Members in the order first set, replaced in place, nested by dots, fixed number formats. */
static void test_tree_text(void)
{
  g_autoptr(EsSummary) s = es_summary_new();
  es_summary_set_string(s, "scenario", "say \"hi\"\\\t\x01");
  es_summary_set_uint(s, "seed", G_MAXUINT64);
  es_summary_set_double(s, "a.b.c", 0.1);
  es_summary_set_double(s, "a.x", NAN);
  es_summary_set_double(s, "a.y", INFINITY);
  es_summary_set_double(s, "a.b.c", 1.0 / 3); /* replaced, keeps its place */
  es_summary_add_uint(s, "counts.lost", 2);
  es_summary_add_uint(s, "counts.lost", 3);
  es_summary_set_object(s, "empty");
  es_summary_set_string(s, "none", NULL);
  g_autofree char *text = es_summary_to_json(s);
  g_assert_cmpstr(text, ==,
                  "{\n"
                  "  \"format\": 3,\n"
                  "  \"scenario\": \"say \\\"hi\\\"\\\\\\u0009\\u0001\",\n"
                  "  \"seed\": 18446744073709551615,\n"
                  "  \"a\": {\n"
                  "    \"b\": {\n"
                  "      \"c\": 0.333333\n"
                  "    },\n"
                  "    \"x\": null,\n"
                  "    \"y\": null\n"
                  "  },\n"
                  "  \"counts\": {\n"
                  "    \"lost\": 5\n"
                  "  },\n"
                  "  \"empty\": {},\n"
                  "  \"none\": null\n"
                  "}\n");
}

/* Three of four eNBs enrolled, at 2.5 s, 1.5 s and 4 s (power-on 1, 1, 2); one timed out. */
static EsRecorder *four_enbs(void)
{
  EsRecorder *rec = es_recorder_new(4);
  double start[] = {1, 1, 2, 0.5}, done[] = {2.5, 1.5, 4, 60.5};
  const char *outcome[] = {"enrolled", "enrolled", "enrolled", "timeout"};
  guint attempts[] = {1, 2, 1, 3};
  for (guint k = 1; k <= 4; k++) {
    es_recorder_mark(rec, k, ES_MARK_START, start[k - 1]);
    es_recorder_mark(rec, k, ES_MARK_DONE, done[k - 1]);
    es_recorder_set_outcome(rec, k, outcome[k - 1]);
    es_recorder_set_attempts(rec, k, attempts[k - 1]);
  }
  es_recorder_set_serial(rec, 3, "7F03");
  es_recorder_set_revoked(rec, 3, TRUE);
  es_recorder_set_polls(rec, 2, 3);
  return rec;
}

static void test_recorder_metrics(void)
{
  g_autoptr(EsRecorder) rec = four_enbs();
  g_autoptr(EsSummary) s = es_summary_new();
  es_summary_add_recorder(s, rec);
  g_autofree char *text = es_summary_to_json(s);
  g_assert_cmpstr(text, ==,
                  "{\n"
                  "  \"format\": 3,\n"
                  /* eNBs apart from certificates: "revoked" would not say which */
                  "  \"enbs\": {\n"
                  "    \"total\": 4,\n"
                  "    \"enrolled\": 3,\n"
                  "    \"failed\": 1,\n"
                  "    \"unfinished\": 0,\n"
                  "    \"holding_revoked\": 1,\n"
                  "    \"by_outcome\": {\n"
                  "      \"enrolled\": 3,\n"
                  "      \"timeout\": 1\n"
                  "    }\n"
                  "  },\n"
                  "  \"latency_s\": {\n"
                  /* latencies 1.5, 0.5, 2: nearest rank */
                  "    \"p50\": 1.500000,\n"
                  "    \"p90\": 2.000000,\n"
                  "    \"p99\": 2.000000,\n"
                  "    \"max\": 2.000000,\n"
                  "    \"mean\": 1.333333\n"
                  "  },\n"
                  /* of all 4 eNBs: 2 enrolled by 2.5 s, 3 (75 %) by 4 s, never 4 */
                  "  \"completion_s\": {\n"
                  "    \"p50\": 2.500000,\n"
                  "    \"p90\": null,\n"
                  "    \"p99\": null,\n"
                  "    \"p100\": null\n"
                  "  },\n"
                  /* 3 enrolments from the first power-on (0.5 s) to the last (4 s) */
                  "  \"throughput\": {\n"
                  "    \"enrolments_per_s\": 0.857143,\n"
                  "    \"first_start_s\": 0.500000,\n"
                  "    \"last_enrolled_s\": 4.000000\n"
                  "  },\n"
                  "  \"attempts\": {\n"
                  "    \"total\": 7,\n"
                  "    \"max\": 3\n"
                  "  },\n"
                  "  \"retransmissions\": {\n"
                  "    \"ir_retries\": 3,\n"
                  "    \"cmp_retransmissions\": 0,\n"
                  "    \"tcp_retransmissions\": 0,\n"
                  "    \"busy_retries\": 0,\n"
                  "    \"abandoned\": 0,\n"
                  "    \"raca_duplicates\": 0\n"
                  "  },\n"
                  /* eNB 2 polled 3 times: 3 pollReqs over 3 enrolled */
                  "  \"polls\": {\n"
                  "    \"total\": 3,\n"
                  "    \"per_enrolment\": 1.000000,\n"
                  "    \"enrolled_polled\": 1,\n"
                  "    \"latency_polled_s\": {\n"
                  "      \"mean\": 0.500000,\n"
                  "      \"p50\": 0.500000,\n"
                  "      \"p90\": 0.500000\n"
                  "    },\n"
                  "    \"latency_unpolled_s\": {\n"
                  "      \"mean\": 1.750000,\n"
                  "      \"p50\": 1.500000,\n"
                  "      \"p90\": 2.000000\n"
                  "    }\n"
                  "  }\n"
                  "}\n");
}

/* Completion levels count all eNBs, with nearest-rank arithmetic: 99 % of 100 is the 99th. */
static void test_completion_hundred(void)
{
  g_autoptr(EsRecorder) rec = es_recorder_new(100);
  for (guint k = 1; k <= 100; k++) {
    es_recorder_mark(rec, k, ES_MARK_START, 0);
    es_recorder_mark(rec, k, ES_MARK_DONE, 101 - k); /* finishing order reversed */
    es_recorder_set_outcome(rec, k, "enrolled");
  }
  es_recorder_set_outcome(rec, 50, NULL); /* never started: "not_started" in by_outcome */
  g_autoptr(EsSummary) s = es_summary_new();
  es_summary_add_recorder(s, rec);
  g_autofree char *text = es_summary_to_json(s);
  /* 99 eNBs enrolled at 1..100 minus 51: the 50th is at 50, the 90th at 91, the 99th at 100. */
  g_assert_nonnull(strstr(text, "\"p50\": 50.000000,\n    \"p90\": 91.000000,\n"
                                "    \"p99\": 100.000000,\n    \"p100\": null"));
  g_assert_nonnull(strstr(text, "\"not_started\": 1"));
}

static void test_nothing_enrolled(void)
{
  g_autoptr(EsRecorder) rec = es_recorder_new(2);
  es_recorder_set_outcome(rec, 1, "timeout");
  g_autoptr(EsSummary) s = es_summary_new();
  es_summary_add_recorder(s, rec);
  g_autofree char *text = es_summary_to_json(s);
  g_assert_nonnull(strstr(text, "\"enrolments_per_s\": null"));
  /* No latency of no eNB: null, never a 0 that reads as instant enrolment. */
  g_assert_nonnull(strstr(text, "  \"latency_s\": {\n    \"p50\": null,\n    \"p90\": null,\n"
                                "    \"p99\": null,\n    \"max\": null,\n    \"mean\": null\n"));
  g_assert_null(strstr(text, "0.000000"));
}

static void test_parameters(void)
{
  g_autoptr(EsSummary) s = es_summary_new();
  GError *error = NULL;
  g_assert_true(es_summary_set_parameters(s, "attributes.parameters",
                                          "[scenario]\nname=small\nseed=7\n[raca]\nworkers=2\n"
                                          "confirm_wait=30s\n",
                                          &error));
  g_assert_no_error(error);
  g_autofree char *text = es_summary_to_json(s);
  g_assert_cmpstr(text, ==,
                  "{\n"
                  "  \"format\": 3,\n"
                  "  \"attributes\": {\n"
                  "    \"parameters\": {\n"
                  "      \"scenario\": {\n"
                  "        \"name\": \"small\",\n"
                  "        \"seed\": \"7\"\n"
                  "      },\n"
                  "      \"raca\": {\n"
                  "        \"workers\": \"2\",\n"
                  "        \"confirm_wait\": \"30s\"\n"
                  "      }\n"
                  "    }\n"
                  "  }\n"
                  "}\n");
  g_assert_false(es_summary_set_parameters(s, "p", "not a key file\n", &error));
  g_assert_nonnull(error);
  g_clear_error(&error);
}

static void test_queue_log(void)
{
  g_autoptr(EsQueueLog) log = es_queue_log_new();
  es_queue_log_record(log, 0, 0, 0, 0.0);
  es_queue_log_record(log, 0, 1, 0, 1.0); /* arrives ... */
  es_queue_log_record(log, 0, 0, 1, 1.0); /* ... and starts at once: never waited */
  es_queue_log_record(log, 0, 0, 1, 1.5); /* no change: no row */
  es_queue_log_record(log, 0, 2, 2, 2.0);
  es_queue_log_record(log, 1, 0, 0, 0.0);
  es_queue_log_record(log, 1, 3, 1, 2.0);
  es_queue_log_record(log, 0, 0, 2, 3.0);
  es_queue_log_record(log, 0, 5, 1, 4.0);
  es_queue_log_record(log, 0, 0, 2, 4.0); /* back to the previous state within the instant */
  es_queue_log_record_waiting(log, 1, 2, 2.5); /* the CA's backlog: the queue stays 3, 1 */
  es_queue_log_record_waiting(log, 1, 2, 2.6); /* no change: no row */
  EsQueueStats st;
  g_assert_true(es_queue_log_stats(log, 0, 5.0, &st));
  g_assert_cmpuint(st.max_queued, ==, 2);
  g_assert_cmpuint(st.max_busy, ==, 2);
  g_assert_cmpuint(st.samples, ==, 4);
  /* queued 2 during [2, 3) over [0, 5] */
  g_assert_cmpfloat_with_epsilon(st.mean_queued, 2.0 / 5, 1e-12);
  /* busy 1 on [1, 2), 2 on [2, 5] */
  g_assert_cmpfloat_with_epsilon(st.mean_busy, 7.0 / 5, 1e-12);
  g_assert_false(es_queue_log_stats(log, 7, 5.0, &st));

  char *dir = tmp_dir();
  g_autofree char *path = g_build_filename(dir, "raca_queue.csv", NULL);
  GError *error = NULL;
  g_assert_true(es_queue_log_write_csv(log, path, &error));
  g_assert_no_error(error);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_assert_cmpstr(text, ==,
                  "time_s,raca,queued,busy,waiting\n"
                  "0.000000,0,0,0,0\n"
                  "0.000000,1,0,0,0\n"
                  "1.000000,0,0,1,0\n"
                  "2.000000,0,2,2,0\n"
                  "2.000000,1,3,1,0\n"
                  "2.500000,1,3,1,2\n"
                  "3.000000,0,0,2,0\n");
  rm_dir(dir);
}

static void test_queue_log_backwards(void)
{
  if (g_test_subprocess()) {
    g_autoptr(EsQueueLog) log = es_queue_log_new();
    es_queue_log_record(log, 0, 1, 1, 2.0);
    es_queue_log_record(log, 0, 2, 1, 1.0);
    return;
  }
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed();
  g_test_trap_assert_stderr("*CRITICAL*");
}

static char *write_file(const char *dir, const char *name, const char *text)
{
  char *path = g_build_filename(dir, name, NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

/* What es_run writes, read back: identity, parameters, metrics flattened in file order. */
static void test_read_back(void)
{
  g_autoptr(EsRecorder) rec = four_enbs();
  g_autoptr(EsSummary) s = es_summary_new();
  es_summary_set_string(s, "scenario", "small");
  es_summary_set_uint(s, "seed", 7);
  es_summary_set_uint(s, "replication", 2);
  es_summary_add_recorder(s, rec);
  es_summary_set_double(s, "racas.0.utilisation", 0.25);
  es_summary_set_double(s, ES_SUMMARY_WALL_CLOCK ".wall_time_s", 1.5);
  es_summary_set_string(s, ES_SUMMARY_WALL_CLOCK ".started_at", "2026-01-01T00:00:00Z");
  es_summary_set_string(s, "attributes.git_revision", "abc");
  es_summary_set_uint(s, "attributes.not_a_metric", 5);
  g_assert_true(es_summary_set_parameters(s, "attributes.parameters",
                                          "[scenario]\nname=small\nseed=7\n", NULL));
  char *dir = tmp_dir();
  g_autofree char *path = g_build_filename(dir, "summary.json", NULL);
  g_assert_true(es_summary_write(s, path, NULL));

  GError *error = NULL;
  g_autoptr(EsSummaryFile) f = es_summary_file_load(dir, &error); /* a folder works too */
  g_assert_no_error(error);
  g_assert_cmpstr(es_summary_file_get_path(f), ==, path);
  g_assert_cmpstr(es_summary_file_get_scenario(f), ==, "small");
  g_assert_cmpstr(es_summary_file_get_seed(f), ==, "7");
  g_assert_cmpuint(es_summary_file_get_replication(f), ==, 2);
  g_assert_cmpstr(es_summary_file_get_attribute(f, "git_revision"), ==, "abc");
  g_assert_cmpstr(es_summary_file_get_parameter(f, "scenario.name"), ==, "small");
  const char *const *names = es_summary_file_get_parameter_names(f);
  g_assert_cmpstr(names[0], ==, "scenario.name");
  g_assert_cmpstr(names[1], ==, "scenario.seed");
  g_assert_null(names[2]);
  /* identity members and attributes are not metrics */
  g_assert_null(es_summary_file_find_metric(f, "format"));
  g_assert_null(es_summary_file_find_metric(f, "seed"));
  g_assert_null(es_summary_file_find_metric(f, "attributes.not_a_metric"));
  g_assert_cmpstr(es_summary_file_get_metric(f, 0)->path, ==, "enbs.total");
  const EsMetric *m = es_summary_file_find_metric(f, "latency_s.p50");
  g_assert_nonnull(m);
  g_assert_cmpfloat(m->value, ==, 1.5);
  m = es_summary_file_find_metric(f, "completion_s.p100");
  g_assert_true(m->is_null);
  g_assert_nonnull(es_summary_file_find_metric(f, "racas.0.utilisation"));
  g_assert_nonnull(es_summary_file_find_metric(f, "wall_clock.wall_time_s"));
  g_assert_null(es_summary_file_find_metric(f, "wall_clock.started_at"));
  rm_dir(dir);
}

/* A format 2 summary (an old baseline) reads under format 3's names: its "revoked" counted
 * eNBs, its certificates sat under invariants and revocations; duplicates are dropped. */
static void test_read_format2(void)
{
  char *dir = tmp_dir();
  g_autofree char *path = write_file(
      dir, "v2.json",
      "{\"format\": 2, \"scenario\": \"small\", \"seed\": 1, \"enbs\": 10, \"enrolled\": 9,\n"
      " \"failed\": 1, \"revoked\": 2, \"latency_s\": {\"p50\": 0.5},\n"
      " \"outcomes\": {\"enrolled\": 9, \"timeout\": 1},\n"
      " \"revocations\": {\"total\": 4, \"by_reason\": {\"confirm_timeout\": 3,\n"
      "   \"superseded\": 1}, \"time_to_crl_s\": {\"max\": 2.0}},\n"
      " \"invariants\": {\"issued\": 14, \"held\": 9, \"revoked\": 4, \"unheld_valid\": 1,\n"
      "   \"held_revoked\": 2},\n"
      " \"attributes\": {\"parameters\": {\"scenario\": {\"name\": \"small\", \"seed\": \"1\"}}}}\n");
  GError *error = NULL;
  g_autoptr(EsSummaryFile) f = es_summary_file_load(path, &error);
  g_assert_no_error(error);
  static const struct {
    const char *path;
    double value;
  } want[] = {
      {"enbs.total", 10}, {"enbs.enrolled", 9}, {"enbs.failed", 1}, {"enbs.holding_revoked", 2},
      {"latency_s.p50", 0.5}, {"enbs.by_outcome.timeout", 1}, {"certificates.revoked", 4},
      {"certificates.revoked_by_reason.confirm_timeout", 3},
      {"certificates.revoked_by_reason.superseded", 1}, {"revocations.time_to_crl_s.max", 2},
      {"certificates.issued", 14}, {"certificates.held_valid", 9},
      {"certificates.valid_unheld", 1},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
    const EsMetric *m = es_summary_file_find_metric(f, want[i].path);
    g_assert_nonnull(m);
    g_assert_cmpfloat(m->value, ==, want[i].value);
  }
  /* No metric keeps its format 2 name, and none is there twice. */
  static const char *const gone[] = {"enrolled", "revoked", "revocations.total",
                                     "invariants.revoked", "invariants.held_revoked",
                                     "outcomes.enrolled"};
  for (gsize i = 0; i < G_N_ELEMENTS(gone); i++)
    g_assert_null(es_summary_file_find_metric(f, gone[i]));
  g_assert_cmpuint(es_summary_file_get_n_metrics(f), ==, 14);
  rm_dir(dir);
}

/* Refusals say why: the reason is what a CI log shows. */
static void test_read_refusals(void)
{
  char *dir = tmp_dir();
  GError *error = NULL;
  struct {
    const char *name, *text;
    int code;
    const char *says;
  } cases[] = {
      {"old.json", "{\"scenario\": \"default\", \"seed\": 1, \"enrolled\": 5, \"latency_s\": {}}",
       ES_RESULTS_ERROR_FORMAT, "older summary format"},
      {"newer.json", "{\"format\": 99, \"scenario\": \"x\"}", ES_RESULTS_ERROR_FORMAT, "newer"},
      {"one.json", "{\"format\": 1, \"scenario\": \"x\"}", ES_RESULTS_ERROR_FORMAT, "older"},
      {"other.json", "{\"hello\": 1}", ES_RESULTS_ERROR_FORMAT, "not an enrolsim summary"},
      {"array.json", "[1, 2]", ES_RESULTS_ERROR_PARSE, "not a JSON object"},
      {"broken.json", "{\"format\": 2,", ES_RESULTS_ERROR_PARSE, "not valid JSON"},
      {"noparams.json", "{\"format\": 2, \"scenario\": \"x\"}", ES_RESULTS_ERROR_FORMAT,
       "attributes.parameters"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *path = write_file(dir, cases[i].name, cases[i].text);
    g_assert_null(es_summary_file_load(path, &error));
    g_assert_error(error, ES_RESULTS_ERROR, cases[i].code);
    g_assert_nonnull(strstr(error->message, cases[i].says));
    g_assert_nonnull(strstr(error->message, cases[i].name));
    g_clear_error(&error);
  }
  g_autofree char *missing = g_build_filename(dir, "missing.json", NULL);
  g_assert_null(es_summary_file_load(missing, &error));
  g_assert_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_IO);
  g_clear_error(&error);
  rm_dir(dir);
}

/* The schema: main metrics first, each with a column and label, the rest patterns; the first
 * match decides, so the wall-clock rate is the one wall_clock figure where higher is better. */
static void test_schema(void)
{
  guint n = 0, n_main = 0;
  const EsMetricSpec *m = es_summary_metrics(&n, &n_main);
  g_assert_cmpuint(n_main, ==, ES_SUMMARY_MAIN_METRICS);
  for (guint i = 0; i < n; i++) {
    g_assert_true((m[i].name != NULL) == (i < n_main));
    g_assert_true((m[i].label != NULL) == (i < n_main));
    g_assert_nonnull(m[i].unit);
  }
  g_assert_cmpint(es_summary_metric_spec("latency_s.p99")->better, ==, ES_BETTER_LOWER);
  g_assert_cmpint(es_summary_metric_spec("latency_s.p42")->better, ==, ES_BETTER_LOWER);
  g_assert_cmpint(es_summary_metric_spec("racas.3.max_queue")->better, ==, ES_BETTER_LOWER);
  g_assert_cmpint(es_summary_metric_spec("throughput.first_start_s")->better, ==, ES_BETTER_NONE);
  g_assert_cmpint(es_summary_metric_spec("wall_clock.enrolments_per_wall_s")->better, ==,
                  ES_BETTER_HIGHER);
  g_assert_cmpint(es_summary_metric_spec("wall_clock.peak_rss_kib")->better, ==, ES_BETTER_LOWER);
  g_assert_null(es_summary_metric_spec("events"));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/summary/tree-text", test_tree_text);
  g_test_add_func("/summary/recorder-metrics", test_recorder_metrics);
  g_test_add_func("/summary/completion-hundred", test_completion_hundred);
  g_test_add_func("/summary/nothing-enrolled", test_nothing_enrolled);
  g_test_add_func("/summary/parameters", test_parameters);
  g_test_add_func("/queue-log/steps", test_queue_log);
  g_test_add_func("/queue-log/backwards", test_queue_log_backwards);
  g_test_add_func("/summary-file/read-back", test_read_back);
  g_test_add_func("/summary-file/refusals", test_read_refusals);
  g_test_add_func("/summary-file/format-2", test_read_format2);
  g_test_add_func("/summary/schema", test_schema);
  return g_test_run();
}

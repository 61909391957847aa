/* enrolsim compare: a result against a baseline, metric by metric, as a table; the exit
 * status tells CI whether a metric regressed beyond its tolerance. */
#include <glib.h>
#include <stdio.h>

#include "cli/cmd.h"
#include "results/es_compare.h"

int es_cmd_compare(int argc, char **argv)
{
  g_auto(GStrv) tolerances = NULL;
  gboolean strict = FALSE, allow_params = FALSE, allow_engines = FALSE;
  GOptionEntry entries[] = {
      {"tolerance", 't', 0, G_OPTION_ARG_STRING_ARRAY, &tolerances,
       "Allowed change of a metric or glob in percent, e.g. latency_s.*=5 (repeatable; the last "
       "match wins)",
       "METRIC=PCT"},
      {"strict", 0, 0, G_OPTION_ARG_NONE, &strict,
       "Fail on changes beyond tolerance in the good direction too", NULL},
      {"allow-parameter-changes", 0, 0, G_OPTION_ARG_NONE, &allow_params,
       "Compare runs whose effective parameters differ (A/B) instead of refusing", NULL},
      {"allow-mixed-engines", 0, 0, G_OPTION_ARG_NONE, &allow_engines,
       "Compare a live run (enrolsim enrol) with a simulated one instead of refusing", NULL},
      {NULL}};
  g_autoptr(GOptionContext) opts =
      g_option_context_new("BASELINE RESULT - compare a result with a baseline");
  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_set_summary(
      opts,
      "BASELINE and RESULT are result folders or their summary.json files, of the same scenario\n"
      "and parameters, and of the same engine: two simulated runs (enrolsim run) or two live ones\n"
      "(enrolsim enrol). Every metric is compared: simulated ones must match exactly unless a\n"
      "--tolerance allows more; wall-clock ones (wall_clock.*) are reported, and judged only by\n"
      "a tolerance naming them. Exit status: 0 nothing regressed, 1 a metric regressed beyond\n"
      "its tolerance, 2 unusable input (missing file, other format, other scenario, other\n"
      "parameters, a live run against a simulated one).");
  GError *error = NULL;
  if (!g_option_context_parse(opts, &argc, &argv, &error))
    return es_cmd_fail("compare", error, 2);
  if (argc != 3) {
    fprintf(stderr,
            "enrolsim: usage: enrolsim compare BASELINE RESULT [--tolerance METRIC=PCT ...]\n");
    return 2;
  }
  g_autoptr(EsCompare) cmp = es_compare_new();
  es_compare_set_strict(cmp, strict);
  es_compare_set_allow_parameter_changes(cmp, allow_params);
  es_compare_set_allow_mixed_engines(cmp, allow_engines);
  for (char **t = tolerances; t != NULL && *t != NULL; t++)
    if (!es_compare_add_tolerance(cmp, *t, &error))
      return es_cmd_fail("compare", error, 2);
  g_autoptr(EsSummaryFile) baseline = es_summary_file_load(argv[1], &error);
  if (baseline == NULL)
    return es_cmd_fail("compare: baseline", error, 2);
  g_autoptr(EsSummaryFile) result = es_summary_file_load(argv[2], &error);
  if (result == NULL)
    return es_cmd_fail("compare: result", error, 2);
  if (!es_compare_run(cmp, baseline, result, &error))
    return es_cmd_fail("compare", error, 2);
  g_autofree char *table = es_compare_format(cmp);
  fputs(table, stdout);
  return es_compare_get_failures(cmp) > 0 ? 1 : 0;
}

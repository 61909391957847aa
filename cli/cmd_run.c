/* enrolsim run: a scenario (built-in default, a key file, --set overrides) simulated over
 * ns-3, results written to a folder. */
#include <stdio.h>
#include <glib.h>

#include "cli/cmd.h"
#include "cli/es_interrupt.h"
#include "cli/es_pcap_spec.h"
#include "cli/es_progress.h"
#include "results/es_outdir.h"
#include "results/es_plot.h"
#include "results/es_summary.h"
#include "sim/es_run.h"
#include "sim/es_scenario.h"

int es_cmd_run(int argc, char **argv)
{
  g_autofree char *scenario_file = NULL, *out = NULL, *pcap = NULL;
  g_auto(GStrv) sets = NULL;
  gint64 seed = -1;
  gboolean keep_certs = FALSE, quiet = FALSE, print_scenario = FALSE, plot = FALSE;
  gboolean one_thread = FALSE, overwrite = FALSE;
  gint replication = 1;
  GOptionEntry entries[] = {
    {"scenario", 's', 0, G_OPTION_ARG_FILENAME, &scenario_file, "Scenario key file (default: the built-in scenario)", "FILE"},
    {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a scenario key, e.g. --set backhaul.loss=0.01 (repeatable)", "SECTION.KEY=VALUE"},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of all randomness (overrides scenario.seed)", "N"},
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Result folder (default: out/<scenario>-seed<N>)", "DIR"},
    {"overwrite", 0, 0, G_OPTION_ARG_NONE, &overwrite, "DIR holds an earlier run's results: remove the files enrolsim wrote there first (others stay)", NULL},
    {"keep-certs", 0, 0, G_OPTION_ARG_NONE, &keep_certs, "Write each enrolled eNB's certificate to DIR/certs/enb-<i>.pem", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing but errors", NULL},
    {"one-thread", 0, 0, G_OPTION_ARG_NONE, &one_thread, "Run on one thread: no device-factory or offload thread (same results, slower)", NULL},
    {"print-scenario", 0, 0, G_OPTION_ARG_NONE, &print_scenario, "Print the effective scenario (every key) and exit", NULL},
    {"replication", 0, 0, G_OPTION_ARG_INT, &replication, "Replication number recorded in summary.json (default 1; sweeps count 1..R)", "N"},
    {"pcap", 0, 0, G_OPTION_ARG_STRING, &pcap, "Capture packets of these nodes to DIR/pcap/, e.g. raca,enb:1-10", "NODES"},
    {"plot", 0, 0, G_OPTION_ARG_NONE, &plot, "Draw the plots (enrolsim plot DIR) at the end; needs gnuplot", NULL},
    {NULL}};
  g_autoptr(GOptionContext) opts = g_option_context_new("- simulate eNBs enrolling with an RA/CA over an ns-3 backhaul");
  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_set_summary(opts,
    "Runs a scenario: eNBs behind a two-level backhaul tree enrol operator certificates with\n"
    "real CMPv2 (OpenSSL) over ns-3 TCP, and writes enrolments.csv, revocations.csv,\n"
    "hostile.csv, raca_queue.csv, summary.json, crl.pem, scenario.ini and pki/ to the result\n"
    "folder.");
  GError *error = NULL;
  if (!g_option_context_parse(opts, &argc, &argv, &error))
    return es_cmd_fail("run", error, 2);
  if (argc > 1) {
    fprintf(stderr, "enrolsim: run: unexpected argument '%s'\n", argv[1]);
    return 2;
  }

  g_autoptr(EsScenario) sc = es_scenario_new();
  if (scenario_file != NULL && !es_scenario_load(sc, scenario_file, &error))
    return es_cmd_fail("", error, 2);
  for (char **s = sets; s != NULL && *s != NULL; s++)
    if (!es_scenario_set(sc, *s, NULL, &error))
      return es_cmd_fail("--set", error, 2);
  if (seed >= 0)
    sc->seed = (guint64)seed;
  if (!es_scenario_validate(sc, &error))
    return es_cmd_fail(scenario_file != NULL ? scenario_file : "scenario", error, 2);
  /* Legal, so the run goes on, but likely not meant: said even with --quiet. */
  g_auto(GStrv) warnings = es_scenario_warnings(sc);
  for (char **w = warnings; *w != NULL; w++)
    fprintf(stderr, "enrolsim: warning: %s\n", *w);
  if (replication < 0) {
    fprintf(stderr, "enrolsim: run: --replication must be at least 0\n");
    return 2;
  }
  g_autoptr(GArray) captures = NULL;
  if (pcap != NULL && (captures = es_pcap_spec_parse(pcap, sc->enbs, &error)) == NULL)
    return es_cmd_fail("run", error, 2);
  if (print_scenario) {
    g_autofree char *text = es_scenario_to_keyfile(sc);
    fputs(text, stdout);
    return 0;
  }

  if (out == NULL)
    out = g_strdup_printf("out/%s-seed%" G_GUINT64_FORMAT, sc->name, sc->seed);
  EsRunOptions options = {.out_dir = out, .keep_certs = keep_certs, .quiet = quiet,
                          .one_thread = one_thread, .overwrite = overwrite,
                          .replication = (guint)replication};
  if (captures != NULL) {
    options.captures = (const EsRunCapture *)(void *)captures->data;
    options.n_captures = captures->len;
  }
  EsProgress *progress = quiet ? NULL : es_progress_new();
  if (progress != NULL) {
    options.progress = es_progress_report;
    options.progress_arg = progress;
  }
  /* Ctrl-C or SIGTERM: the run stops at the next event and writes what it has. */
  es_interrupt_install("stopping the run at the next event and writing its results");
  es_interrupt_ignore_file_size_limit();
  options.interrupt = &es_interrupt_signal;
  EsRunResult r = {0};
  gboolean ran = es_run_scenario(sc, &options, &r, &error);
  es_progress_free(progress);
  int interrupted = es_interrupt_exit_status();
  if (!ran) {
    es_run_result_clear(&r);
    /* A topology file or a rollout that cannot work is bad input, found before the run;
     * so is a result folder that holds an earlier run's. */
    gboolean bad_input = g_error_matches(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO)
                         || g_error_matches(error, ES_OUTDIR_ERROR, ES_OUTDIR_ERROR_HOLDS_RESULTS);
    return es_cmd_fail("run", error, bad_input ? 2 : interrupted ? interrupted : 1);
  }
  if (!quiet)
    fputs(r.report, stdout);
  if (r.interrupted_by != 0)
    fprintf(stderr, "enrolsim: run interrupted by %s at %.3f s simulated; results (marked "
                    "interrupted) in %s\n",
            es_summary_signal_name(r.interrupted_by), r.interrupted_at_s, out);
  /* Results that are likely misread without them: said even with --quiet. */
  for (char **d = r.diagnostics; d != NULL && *d != NULL; d++)
    fprintf(stderr, "enrolsim: warning: %s\n", *d);
  es_run_result_clear(&r);
  if (interrupted)
    return interrupted;
  /* The CSV files are written by now: a plot that cannot be drawn leaves them usable. */
  if (plot) {
    g_auto(GStrv) written = NULL;
    if (!es_plot_run_dir(out, &written, &error))
      return es_cmd_fail("run --plot", error, 1);
    if (!quiet)
      for (char **w = written; *w != NULL; w++)
        printf("plot: %s\n", *w);
  }
  return 0;
}

/* enrolsim plot DIR: draws a run's plots with gnuplot from the CSV files the run wrote, so
 * they can be redrawn (or restyled, editing the .gp scripts) without running again. */
#include <glib.h>
#include <stdio.h>

#include "cli/cmd.h"
#include "results/es_plot.h"

int es_cmd_plot(int argc, char **argv)
{
  GOptionEntry entries[] = {{NULL}};
  g_autoptr(GOptionContext) opts = g_option_context_new("DIR - draw a run's plots with gnuplot");
  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_set_summary(
      opts,
      "Writes DIR/plots/latency_cdf, enrolled_over_time and raca_queue as PNG and SVG, from\n"
      "DIR/enrolments.csv and DIR/raca_queue.csv, with the gnuplot script of each beside it;\n"
      "crl_size when DIR has crl.csv, and day2_transitions when eNBs renewed or DIR has\n"
      "crl_enforcement.csv or rollover.csv.\n"
      "Needs gnuplot (Debian: gnuplot-nox; ENROLSIM_GNUPLOT names another). Exit status: 0\n"
      "drawn, 1 gnuplot missing or failed, 2 no usable result folder.");
  GError *error = NULL;
  if (!g_option_context_parse(opts, &argc, &argv, &error))
    return es_cmd_fail("plot", error, 2);
  if (argc != 2) {
    fprintf(stderr, "enrolsim: usage: enrolsim plot DIR\n");
    return 2;
  }
  g_auto(GStrv) written = NULL;
  if (!es_plot_run_dir(argv[1], &written, &error)) {
    gboolean gnuplot = g_error_matches(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_GNUPLOT_MISSING) ||
                       g_error_matches(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_GNUPLOT);
    return es_cmd_fail("plot", error, gnuplot ? 1 : 2);
  }
  for (char **w = written; *w != NULL; w++)
    printf("%s\n", *w);
  return 0;
}

/* enrolsim sweep: a grid of scenario values times R replications, each run a separate
 * process in its own folder (locally J at a time, or as a Slurm job array), then sweep.csv
 * with means and 95 % confidence intervals, and plots. The model is sim/es_sweep. */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/cmd.h"
#include "cli/es_interrupt.h"
#include "results/es_summary.h"
#include "results/es_sweep.h"
#include "sim/es_scenario.h"
#include "sim/es_sweep.h"

/* Bad input (nothing ran) is status 2, a failure while running 1. */
static int fail(const char *what, GError *error)
{
  int status = g_error_matches(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT) ? 2 : 1;
  return es_cmd_fail(what, error, status);
}

/* enrolsim sweep --task I DIR: one run of the grid, in its folder, then the done marker. */
static int run_task(const char *dir, gint task)
{
  GError *error = NULL;
  g_autoptr(EsSweep) sw = es_sweep_load(dir, &error);
  if (!sw)
    return es_cmd_fail("sweep --task", error, 2);
  guint n = es_sweep_get_n_tasks(sw);
  if (task < 0 || (guint)task >= n) {
    fprintf(stderr, "enrolsim: sweep --task: %d is not a task of %s (0 to %u)\n", task, dir, n - 1);
    return 2;
  }
  gboolean already;
  EsRunResult r = {0};
  es_interrupt_install("stopping this run at the next event and writing its results");
  es_interrupt_ignore_file_size_limit();
  es_sweep_set_interrupt(sw, &es_interrupt_signal);
  if (!es_sweep_run_task(sw, (guint)task, &already, &r, &error)) {
    es_run_result_clear(&r);
    if (g_error_matches(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INTERRUPTED))
      return es_cmd_fail("sweep --task", error, es_interrupt_exit_status());
    return fail("sweep --task", error);
  }
  g_autofree char *out = es_sweep_dup_task_dir(sw, (guint)task);
  if (already)
    printf("%s: already done\n", out);
  else
    printf("%s: %u of %u eNBs enrolled, p99 %.3f s, %.1f s wall\n", out, r.stats.enrolled,
           r.stats.enbs, r.stats.p99, r.wall_time_s);
  for (char **d = r.diagnostics; d != NULL && *d != NULL; d++)
    fprintf(stderr, "enrolsim: warning: %s: %s\n", out, *d);
  es_run_result_clear(&r);
  return 0;
}

static void print_note(void *arg, const char *note)
{
  (void)arg;
  fprintf(stderr, "enrolsim: sweep: %s\n", note);
}

/* sweep.csv and the plots, and the figures a capacity planner reads first. */
static int collect(const EsSweep *sw, gboolean plot)
{
  GError *error = NULL;
  g_auto(EsSweepCollected) c = {0};
  g_autoptr(EsSweepTable) table = es_sweep_collect(sw, print_note, NULL, &c, &error);
  if (!table)
    return fail("sweep", error);

  /* What a planner reads first: eNBs that enrolled and certificates revoked (never one
   * number for both), then time and load. */
  static const char *const shown[] = {"enrolled", "certs_revoked", "latency_p99_s",
                                      "completion_p99_s", "raca_utilisation"};
  guint n_metrics, ms[G_N_ELEMENTS(shown)] = {0};
  const EsSweepMetric *metrics = es_sweep_metrics(&n_metrics);
  for (guint m = 0; m < n_metrics; m++)
    for (guint i = 0; i < G_N_ELEMENTS(shown); i++)
      if (strcmp(metrics[m].name, shown[i]) == 0)
        ms[i] = m;
  printf("%-36s %4s  %-18s  %-18s  %-18s  %-18s  %s\n", "grid point", "runs", "eNBs enrolled",
         "certs revoked", "p99 latency (s)", "99 % enrolled at (s)", "RA/CA utilisation");
  for (guint p = 0; p < es_sweep_get_n_points(sw); p++) {
    g_autofree char *label = es_sweep_dup_point_label(sw, p);
    char cells[G_N_ELEMENTS(shown)][64];
    for (guint i = 0; i < G_N_ELEMENTS(shown); i++) {
      double mean, ci;
      if (!es_sweep_table_get_stat(table, p, ms[i], &mean, &ci, NULL))
        g_snprintf(cells[i], sizeof cells[i], "-");
      else if (isnan(ci))
        g_snprintf(cells[i], sizeof cells[i], "%.4g", mean);
      else
        g_snprintf(cells[i], sizeof cells[i], "%.4g ± %.2g", mean, ci);
    }
    printf("%-36s %4u  %-18s  %-18s  %-18s  %-18s  %s\n", label,
           es_sweep_table_get_runs(table, p), cells[0], cells[1], cells[2], cells[3], cells[4]);
  }
  guint total = es_sweep_get_n_tasks(sw);
  printf("sweep.csv: %s (%u of %u runs)\n", c.csv_path, c.found, total);
  if (c.missing > 0)
    fprintf(stderr,
            "enrolsim: sweep: %u of %u runs not finished: their points have fewer "
            "replications in sweep.csv\n",
            c.missing, total);
  if (plot) {
    guint n_images;
    if (!es_sweep_write_plots(sw, table, c.scenario, &n_images, &error))
      return es_cmd_fail("sweep: plots", error, 1);
    /* Each plot is a PNG, an SVG and the gnuplot script that draws both. */
    printf("plots: %s/plots (%u plots: %u files, PNG, SVG and gnuplot script each)\n",
           es_sweep_get_dir(sw), n_images / 2, n_images / 2 * 3);
  }
  return c.missing > 0 ? 1 : 0;
}

static void print_task_end(void *arg, const EsSweepTaskEnd *end)
{
  const EsSweep *sw = arg;
  guint runs = es_sweep_get_runs(sw), total = es_sweep_get_n_tasks(sw);
  g_autofree char *label = es_sweep_dup_point_label(sw, end->task / runs);
  int st = end->wait_status;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
    printf("[%u/%u] %s rep %u: done in %.1f s\n", end->ended, total, label, end->task % runs + 1,
           end->wall_s);
  } else if (es_interrupt_signal != 0 && WIFEXITED(st) && WEXITSTATUS(st) > 128) {
    g_autofree char *dir = es_sweep_dup_task_dir(sw, end->task);
    printf("[%u/%u] %s rep %u: interrupted after %.1f s (results in %s, not marked done)\n",
           end->ended, total, label, end->task % runs + 1, end->wall_s, dir);
  } else {
    g_autofree char *dir = es_sweep_dup_task_dir(sw, end->task);
    printf("[%u/%u] %s rep %u: FAILED (%s %d), see %s/run.log\n", end->ended, total, label,
           end->task % runs + 1, WIFEXITED(st) ? "exit status" : "signal",
           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), dir);
  }
  fflush(stdout);
}

/* The base scenario: built-in defaults, the --scenario file, --set, --seed. */
static EsScenario *base_scenario(const char *file, char **sets, gint64 seed, GError **error)
{
  g_autoptr(EsScenario) sc = es_scenario_new();
  if (file != NULL && !es_scenario_load(sc, file, error))
    return NULL;
  for (char **s = sets; s != NULL && *s != NULL; s++)
    if (!es_scenario_set(sc, *s, NULL, error)) {
      g_prefix_error(error, "--set: ");
      return NULL;
    }
  if (seed >= 0)
    sc->seed = (guint64)seed;
  return g_steal_pointer(&sc);
}

int es_cmd_sweep(int argc, char **argv)
{
  g_autofree char *scenario_file = NULL, *out = NULL, *emit = NULL, *collect_dir = NULL;
  g_auto(GStrv) varies = NULL, sets = NULL;
  gint runs = 1, jobs = 0, task = -1;
  gint64 seed = -1;
  gboolean no_plot = FALSE;
  GOptionEntry entries[] = {
      {"scenario", 's', 0, G_OPTION_ARG_FILENAME, &scenario_file,
       "Base scenario key file (default: the built-in scenario)", "FILE"},
      {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets,
       "Override a key of the base scenario (repeatable)", "SECTION.KEY=VALUE"},
      {"vary", 'v', 0, G_OPTION_ARG_STRING_ARRAY, &varies,
       "Values of a key to sweep; several --vary make a grid (repeatable)",
       "SECTION.KEY=V1,V2,..."},
      {"runs", 'r', 0, G_OPTION_ARG_INT, &runs,
       "Replications per grid point, seeds SEED, SEED+1, ... (default 1)", "R"},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &seed,
       "Seed of the first replication (default: the scenario's)", "SEED"},
      {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs,
       "Runs at once (default: the number of CPUs); with --emit slurm, array tasks at once "
       "(default: no limit)",
       "J"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
       "Sweep folder: one subfolder per run, sweep.csv, plots/", "DIR"},
      {"emit", 0, 0, G_OPTION_ARG_STRING, &emit,
       "Write DIR/sweep.slurm (a Slurm job array) instead of running", "slurm"},
      {"collect", 0, 0, G_OPTION_ARG_FILENAME, &collect_dir,
       "Aggregate the finished runs of DIR into sweep.csv and plots", "DIR"},
      {"no-plot", 0, 0, G_OPTION_ARG_NONE, &no_plot, "Write sweep.csv but no plots", NULL},
      {"task", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &task,
       "Run task I of the sweep in DIR (what jobs and array tasks execute)", "I"},
      {NULL}};
  g_autoptr(GOptionContext) opts = g_option_context_new("- run a parameter grid with replications");
  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_set_summary(
      opts,
      "Runs every combination of the --vary values, R times each with seeds SEED..SEED+R-1, as\n"
      "separate processes, J at a time, each in its own folder DIR/<key=value,...>/rep-<r>/.\n"
      "Then writes DIR/sweep.csv (per grid point: mean and 95 % confidence interval of the\n"
      "main metrics) and DIR/plots/ (each metric against each varied key). Started again, a\n"
      "sweep skips the runs that finished. --emit slurm writes DIR/sweep.slurm instead;\n"
      "after the array job, --collect DIR aggregates.");
  GError *error = NULL;
  if (!g_option_context_parse(opts, &argc, &argv, &error))
    return es_cmd_fail("sweep", error, 2);

  if (task >= 0) {
    if (argc != 2) {
      fprintf(stderr, "enrolsim: usage: enrolsim sweep --task I DIR\n");
      return 2;
    }
    return run_task(argv[1], task);
  }
  if (argc > 1) {
    fprintf(stderr, "enrolsim: sweep: unexpected argument '%s'\n", argv[1]);
    return 2;
  }
  if (collect_dir != NULL) {
    g_autoptr(EsSweep) sw = es_sweep_load(collect_dir, &error);
    if (!sw)
      return es_cmd_fail("sweep --collect", error, 2);
    return collect(sw, !no_plot);
  }

  if (out == NULL) {
    fprintf(stderr, "enrolsim: sweep: --out DIR is required\n");
    return 2;
  }
  if (runs < 1 || jobs < 0) {
    fprintf(stderr, "enrolsim: sweep: --runs and --jobs must be at least 1\n");
    return 2;
  }
  if (emit != NULL && strcmp(emit, "slurm") != 0) {
    fprintf(stderr, "enrolsim: sweep: --emit %s: only slurm is known\n", emit);
    return 2;
  }
  g_autoptr(EsScenario) base = base_scenario(scenario_file, sets, seed, &error);
  if (!base)
    return es_cmd_fail("sweep", error, 2);
  if (!es_scenario_validate(base, &error))
    return es_cmd_fail(scenario_file != NULL ? scenario_file : "sweep", error, 2);
  g_autoptr(EsSweep) sw = es_sweep_new(out, base, (const char *const *)varies, (guint)runs, &error);
  if (!sw)
    return es_cmd_fail("sweep", error, 2);

  /* A folder already holding this very sweep is resumed; one holding another is refused. */
  gboolean resumed;
  if (!es_sweep_check_folder(sw, &resumed, &error))
    return fail("sweep", error);
  if (resumed)
    printf("resuming the sweep in %s\n", es_sweep_get_dir(sw));
  if (!es_sweep_write_manifest(sw, &error))
    return es_cmd_fail("sweep", error, 1);

  g_autofree char *self = g_file_read_link("/proc/self/exe", &error);
  if (!self)
    return es_cmd_fail("sweep", error, 1);
  if (emit != NULL) {
    g_autofree char *path = NULL;
    if (!es_sweep_write_slurm(sw, self, (guint)jobs, &path, &error))
      return es_cmd_fail("sweep", error, 1);
    /* Quoted, so the commands can be pasted as they are. */
    g_autofree char *q_path = g_shell_quote(path);
    g_autofree char *q_dir = g_shell_quote(es_sweep_get_dir(sw));
    printf("wrote %s: %u array tasks\n"
           "submit it with `sbatch %s`, then run `enrolsim sweep --collect %s`\n",
           path, es_sweep_get_n_tasks(sw), q_path, q_dir);
    return 0;
  }
  if (jobs == 0)
    jobs = (gint)g_get_num_processors();

  printf("sweep: %u grid points x %u replications = %u runs, %d at a time, in %s\n",
         es_sweep_get_n_points(sw), es_sweep_get_runs(sw), es_sweep_get_n_tasks(sw), jobs,
         es_sweep_get_dir(sw));
  fflush(stdout);
  guint failed, skipped;
  es_interrupt_install("starting no further run; the runs under way stop and keep their results");
  es_interrupt_ignore_file_size_limit();
  es_sweep_set_interrupt(sw, &es_interrupt_signal);
  gboolean ran =
      es_sweep_run_local(sw, self, (guint)jobs, print_task_end, sw, &failed, &skipped, &error);
  if (skipped > 0)
    printf("%u of %u runs were already done (skipped)\n", skipped, es_sweep_get_n_tasks(sw));
  if (!ran)
    return es_cmd_fail("sweep", error, 1);
  /* Half a grid must not pass for a whole one: no sweep.csv, and a status that says so. */
  if (es_interrupt_exit_status() != 0) {
    guint done = 0;
    for (guint t = 0; t < es_sweep_get_n_tasks(sw); t++) {
      gboolean d = FALSE;
      if (es_sweep_task_is_done(sw, t, &d, NULL) && d)
        done++;
    }
    fprintf(stderr, "enrolsim: sweep: interrupted by %s: %u of %u runs done, no sweep.csv "
                    "written; the same command resumes it (runs cut short start afresh)\n",
            es_summary_signal_name(es_interrupt_signal), done, es_sweep_get_n_tasks(sw));
    return es_interrupt_exit_status();
  }
  int status = collect(sw, !no_plot);
  if (failed > 0) {
    fprintf(stderr, "enrolsim: sweep: %u run%s failed; start the sweep again to retry them\n",
            failed, failed == 1 ? "" : "s");
    return 1;
  }
  return status;
}

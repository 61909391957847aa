/* enrolsim sweep: a grid of scenario values times R replications, each run a separate
 * process in its own folder (locally J at a time, or as a Slurm job array), then sweep.csv
 * with means and 95 % confidence intervals, and plots. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "results/es_plot.h"
#include "sim/es_run.h"
#include "sim/es_scenario.h"
#include "results/es_summary_file.h"
#include "results/es_sweep.h"

/* DIR/sweep.ini says what the sweep is (the grid, R, the base seed); DIR/base.ini is the
 * effective scenario every grid point starts from. Together they let a task, a resumed sweep
 * or --collect rebuild every run's scenario without the original command line. */
#define MANIFEST "sweep.ini"
#define BASE "base.ini"
#define DONE "run.done" /* written after a run finished: its results are complete */

typedef struct {
  char *dir;
  guint runs;
  guint64 seed;
  GPtrArray *keys;   /* char *, --vary order */
  GPtrArray *values; /* GStrv per key */
  guint n_points;
} Sweep;

static void sweep_free(Sweep *sw)
{
  if (!sw)
    return;
  g_free(sw->dir);
  g_ptr_array_unref(sw->keys);
  g_ptr_array_unref(sw->values);
  g_free(sw);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Sweep, sweep_free)

static Sweep *sweep_new(const char *dir)
{
  Sweep *sw = g_new0(Sweep, 1);
  sw->dir = g_canonicalize_filename(dir, NULL);
  sw->keys = g_ptr_array_new_with_free_func(g_free);
  sw->values = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
  sw->n_points = 1;
  return sw;
}

static guint n_tasks(const Sweep *sw)
{
  return sw->n_points * sw->runs;
}

/* Point p's value of each key: the first --vary key changes slowest. */
static const char *point_value(const Sweep *sw, guint p, guint k)
{
  guint stride = 1;
  for (guint j = sw->keys->len; j-- > k + 1;)
    stride *= g_strv_length(g_ptr_array_index(sw->values, j));
  char **vals = g_ptr_array_index(sw->values, k);
  return vals[(p / stride) % g_strv_length(vals)];
}

/* "raca.workers=2,backhaul.loss=0.01"; '/' would make a subfolder. */
static char *point_label(const Sweep *sw, guint p)
{
  GString *s = g_string_new(NULL);
  for (guint k = 0; k < sw->keys->len; k++)
    g_string_append_printf(s, "%s%s=%s", k ? "," : "", (char *)g_ptr_array_index(sw->keys, k),
                           point_value(sw, p, k));
  g_strdelimit(s->str, "/", '_');
  return g_string_free(s, FALSE);
}

static char *task_dir(const Sweep *sw, guint task)
{
  g_autofree char *label = point_label(sw, task / sw->runs);
  char rep[32];
  g_snprintf(rep, sizeof rep, "rep-%u", task % sw->runs + 1);
  return g_build_filename(sw->dir, label, rep, NULL);
}

static char *manifest_text(const Sweep *sw)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_key_file_set_integer(kf, "sweep", "format", 1);
  g_key_file_set_integer(kf, "sweep", "runs", (gint)sw->runs);
  g_key_file_set_uint64(kf, "sweep", "seed", sw->seed);
  for (guint k = 0; k < sw->keys->len; k++) {
    char **vals = g_ptr_array_index(sw->values, k);
    g_key_file_set_string_list(kf, "vary", g_ptr_array_index(sw->keys, k),
                               (const char *const *)vals, g_strv_length(vals));
  }
  return g_key_file_to_data(kf, NULL, NULL);
}

static Sweep *sweep_load(const char *dir, GError **error)
{
  g_autoptr(Sweep) sw = sweep_new(dir);
  g_autofree char *path = g_build_filename(sw->dir, MANIFEST, NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  GError *inner = NULL;
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &inner)) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: not a sweep folder (%s)", dir,
                inner->message);
    g_error_free(inner);
    return NULL;
  }
  gint runs = g_key_file_get_integer(kf, "sweep", "runs", &inner);
  guint64 seed = inner ? 0 : g_key_file_get_uint64(kf, "sweep", "seed", &inner);
  g_auto(GStrv) keys = inner ? NULL : g_key_file_get_keys(kf, "vary", NULL, &inner);
  if (inner || runs < 1 || !keys || !keys[0]) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: damaged sweep manifest%s%s", path,
                inner ? ": " : "", inner ? inner->message : "");
    g_clear_error(&inner);
    return NULL;
  }
  sw->runs = (guint)runs;
  sw->seed = seed;
  for (char **k = keys; *k; k++) {
    char **vals = g_key_file_get_string_list(kf, "vary", *k, NULL, NULL);
    if (!vals || !vals[0]) {
      g_strfreev(vals);
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: no values for %s", path, *k);
      return NULL;
    }
    g_ptr_array_add(sw->keys, g_strdup(*k));
    g_ptr_array_add(sw->values, vals);
    sw->n_points *= g_strv_length(vals);
  }
  return g_steal_pointer(&sw);
}

/* The scenario of one run: base.ini, the point's values, the replication's seed. */
static EsScenario *task_scenario(const Sweep *sw, guint task, GError **error)
{
  g_autofree char *base = g_build_filename(sw->dir, BASE, NULL);
  g_autoptr(EsScenario) sc = es_scenario_new();
  if (!es_scenario_load(sc, base, error))
    return NULL;
  guint p = task / sw->runs;
  for (guint k = 0; k < sw->keys->len; k++)
    if (!es_scenario_set(sc, g_ptr_array_index(sw->keys, k), point_value(sw, p, k), error))
      return NULL;
  /* Replication r of every grid point has the same seed: the points differ only in the
   * varied values (common random numbers make their differences sharper). */
  sc->seed = sw->seed + task % sw->runs;
  if (!es_scenario_validate(sc, error))
    return NULL;
  return g_steal_pointer(&sc);
}

/* A finished run of exactly this scenario; a folder holding another is an error (it would
 * be silently mixed into the statistics). */
static gboolean task_is_done(const Sweep *sw, guint task, gboolean *done, GError **error)
{
  *done = FALSE;
  g_autofree char *dir = task_dir(sw, task);
  g_autofree char *marker = g_build_filename(dir, DONE, NULL);
  if (!g_file_test(marker, G_FILE_TEST_EXISTS))
    return TRUE;
  g_autoptr(EsScenario) sc = task_scenario(sw, task, error);
  if (!sc)
    return FALSE;
  g_autofree char *want = es_scenario_to_keyfile(sc);
  g_autofree char *ini = g_build_filename(dir, "scenario.ini", NULL);
  g_autofree char *have = NULL;
  if (!g_file_get_contents(ini, &have, NULL, NULL) || strcmp(have, want) != 0) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                "%s holds a run of another scenario than this sweep's: remove it or use another "
                "--out",
                dir);
    return FALSE;
  }
  *done = TRUE;
  return TRUE;
}

/* enrolsim sweep --task I DIR: one run of the grid, in its folder, then the done marker. */
static int run_task(const char *dir, gint task)
{
  GError *error = NULL;
  g_autoptr(Sweep) sw = sweep_load(dir, &error);
  if (!sw)
    return es_cmd_fail("sweep --task", error, 2);
  if (task < 0 || (guint)task >= n_tasks(sw)) {
    fprintf(stderr, "enrolsim: sweep --task: %d is not a task of %s (0 to %u)\n", task, dir,
            n_tasks(sw) - 1);
    return 2;
  }
  gboolean done;
  if (!task_is_done(sw, (guint)task, &done, &error))
    return es_cmd_fail("sweep --task", error, 2);
  g_autofree char *out = task_dir(sw, (guint)task);
  if (done) {
    printf("%s: already done\n", out);
    return 0;
  }
  g_autoptr(EsScenario) sc = task_scenario(sw, (guint)task, &error);
  if (!sc)
    return es_cmd_fail("sweep --task", error, 2);
  EsRunOptions options = {.out_dir = out, .quiet = TRUE, .replication = (guint)task % sw->runs + 1};
  EsRunResult r;
  if (!es_run_scenario(sc, &options, &r, &error))
    return es_cmd_fail("sweep --task", error, 1);
  g_autofree char *marker = g_build_filename(out, DONE, NULL);
  if (!g_file_set_contents(marker, "complete\n", -1, &error))
    return es_cmd_fail("sweep --task", error, 1);
  printf("%s: %u of %u eNBs enrolled, p99 %.3f s, %.1f s wall\n", out, r.stats.enrolled,
         r.stats.enbs, r.stats.p99, r.wall_time_s);
  return 0;
}

/* ---- collecting --------------------------------------------------------------------- */

static int collect(const Sweep *sw, gboolean plot)
{
  GError *error = NULL;
  const char **keys = g_new0(const char *, sw->keys->len + 1);
  for (guint k = 0; k < sw->keys->len; k++)
    keys[k] = g_ptr_array_index(sw->keys, k);
  g_autoptr(EsSweepTable) table = es_sweep_table_new(keys);
  guint missing = 0, found = 0, mixed = 0;
  g_autofree char *scenario = NULL, *revision = NULL;
  for (guint p = 0; p < sw->n_points; p++) {
    for (guint k = 0; k < sw->keys->len; k++)
      keys[k] = point_value(sw, p, k);
    es_sweep_table_add_point(table, keys);
    for (guint r = 0; r < sw->runs; r++) {
      guint task = p * sw->runs + r;
      gboolean done;
      if (!task_is_done(sw, task, &done, &error)) {
        g_free(keys);
        return es_cmd_fail("sweep", error, 2);
      }
      if (!done) {
        if (missing++ < 5) {
          g_autofree char *d = task_dir(sw, task);
          fprintf(stderr, "enrolsim: sweep: not finished: %s\n", d);
        }
        continue;
      }
      g_autofree char *d = task_dir(sw, task);
      g_autoptr(EsSummaryFile) f = es_summary_file_load(d, &error);
      if (!f) {
        g_free(keys);
        return es_cmd_fail("sweep", error, 2);
      }
      if (!scenario)
        scenario = g_strdup(es_summary_file_get_scenario(f));
      /* Runs of different builds (enrolsim rebuilt while a sweep ran) do not belong in one
       * statistic; say so rather than average them silently. */
      const char *rev = es_summary_file_get_attribute(f, "git_revision");
      if (rev && !revision)
        revision = g_strdup(rev);
      else if (rev && strcmp(rev, revision) != 0 && mixed++ == 0)
        fprintf(stderr, "enrolsim: sweep: warning: %s was built from %s, earlier runs from %s\n", d,
                rev, revision);
      es_sweep_table_add_run(table, p, f);
      found++;
    }
  }
  g_free(keys);
  g_autofree char *csv = g_build_filename(sw->dir, "sweep.csv", NULL);
  if (!es_sweep_table_write_csv(table, csv, &error))
    return es_cmd_fail("sweep", error, 1);

  /* The figures a capacity planner reads first; the rest are in sweep.csv. */
  guint n_metrics, p99 = 0, c99 = 0, util = 0;
  const EsSweepMetric *metrics = es_sweep_metrics(&n_metrics);
  for (guint m = 0; m < n_metrics; m++) {
    if (strcmp(metrics[m].name, "latency_p99_s") == 0)
      p99 = m;
    else if (strcmp(metrics[m].name, "completion_p99_s") == 0)
      c99 = m;
    else if (strcmp(metrics[m].name, "raca_utilisation") == 0)
      util = m;
  }
  printf("%-40s %4s  %-22s  %-22s  %s\n", "grid point", "runs", "p99 latency (s)",
         "99 % enrolled at (s)", "RA/CA utilisation");
  for (guint p = 0; p < sw->n_points; p++) {
    g_autofree char *label = point_label(sw, p);
    char cells[3][64];
    guint ms[3] = {p99, c99, util};
    for (int i = 0; i < 3; i++) {
      double mean, ci;
      if (!es_sweep_table_get_stat(table, p, ms[i], &mean, &ci, NULL))
        g_snprintf(cells[i], sizeof cells[i], "-");
      else if (isnan(ci))
        g_snprintf(cells[i], sizeof cells[i], "%.4f", mean);
      else
        g_snprintf(cells[i], sizeof cells[i], "%.4f ± %.4f", mean, ci);
    }
    printf("%-40s %4u  %-22s  %-22s  %s\n", label, es_sweep_table_get_runs(table, p), cells[0],
           cells[1], cells[2]);
  }
  printf("sweep.csv: %s (%u of %u runs)\n", csv, found, n_tasks(sw));
  int status = missing > 0 ? 1 : 0;
  if (missing > 0)
    fprintf(stderr,
            "enrolsim: sweep: %u of %u runs not finished: their points have fewer "
            "replications in sweep.csv\n",
            missing, n_tasks(sw));
  if (plot) {
    g_autofree char *subtitle = g_strdup_printf(
        "sweep of scenario %s, %u replication%s per point, mean and 95 %% confidence interval",
        scenario ? scenario : "?", sw->runs, sw->runs == 1 ? "" : "s");
    g_auto(GStrv) written = NULL;
    if (!es_plot_sweep(table, sw->dir, subtitle, &written, &error))
      return es_cmd_fail("sweep: plots", error, 1);
    printf("plots: %s/plots (%u files)\n", sw->dir, g_strv_length(written));
  }
  return status;
}

/* ---- running locally --------------------------------------------------------------- */

typedef struct {
  guint task;
  gint64 start;
} Running;

static gboolean spawn_task(const Sweep *sw, const char *self, guint task, GPid *pid, GError **error)
{
  g_autofree char *dir = task_dir(sw, task);
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s", dir,
                g_strerror(errno));
    return FALSE;
  }
  g_autofree char *log = g_build_filename(dir, "run.log", NULL);
  int fd = g_open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s", log,
                g_strerror(errno));
    return FALSE;
  }
  char num[16];
  g_snprintf(num, sizeof num, "%u", task);
  const char *argv[] = {self, "sweep", "--task", num, sw->dir, NULL};
  gboolean ok = g_spawn_async_with_fds(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                       NULL, pid, -1, fd, fd, error);
  close(fd);
  return ok;
}

/* Runs every unfinished task, `jobs` at a time; returns the number that failed. */
static guint run_local(const Sweep *sw, const char *self, guint jobs, GError **error)
{
  guint total = n_tasks(sw), next = 0, finished = 0, failed = 0, skipped = 0;
  GHashTable *running = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  gboolean ok = TRUE;
  while (ok && (next < total || g_hash_table_size(running) > 0)) {
    while (ok && next < total && g_hash_table_size(running) < jobs) {
      guint task = next++;
      gboolean done;
      if (!(ok = task_is_done(sw, task, &done, error)))
        break;
      if (done) {
        skipped++;
        continue;
      }
      GPid pid;
      if (!(ok = spawn_task(sw, self, task, &pid, error)))
        break;
      Running *r = g_new(Running, 1);
      *r = (Running){task, g_get_monotonic_time()};
      g_hash_table_insert(running, GINT_TO_POINTER(pid), r);
    }
    if (g_hash_table_size(running) == 0)
      continue;
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    Running *r = g_hash_table_lookup(running, GINT_TO_POINTER(pid));
    if (!r)
      continue;
    g_autofree char *label = point_label(sw, r->task / sw->runs);
    double secs = (g_get_monotonic_time() - r->start) / 1e6;
    finished++;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      printf("[%u/%u] %s rep %u: done in %.1f s\n", finished + skipped, total, label,
             r->task % sw->runs + 1, secs);
    } else {
      g_autofree char *dir = task_dir(sw, r->task);
      failed++;
      printf("[%u/%u] %s rep %u: FAILED (%s %d), see %s/run.log\n", finished + skipped, total,
             label, r->task % sw->runs + 1, WIFEXITED(status) ? "exit status" : "signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), dir);
    }
    fflush(stdout);
    g_hash_table_remove(running, GINT_TO_POINTER(pid));
  }
  /* An error above leaves runs in flight: let them finish rather than orphan them. */
  while (g_hash_table_size(running) > 0) {
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0 && errno != EINTR)
      break;
    if (pid > 0)
      g_hash_table_remove(running, GINT_TO_POINTER(pid));
  }
  g_hash_table_destroy(running);
  if (skipped > 0)
    printf("%u of %u runs were already done (skipped)\n", skipped, total);
  return ok ? failed : G_MAXUINT;
}

/* ---- Slurm ------------------------------------------------------------------------- */

static int emit_slurm(const Sweep *sw, const char *self, guint jobs, guint enbs)
{
  g_autofree char *path = g_build_filename(sw->dir, "sweep.slurm", NULL);
  g_autofree char *q_dir = g_shell_quote(sw->dir);
  g_autofree char *q_self = g_shell_quote(self);
  /* Peak memory grows with the eNBs (tens of KiB each, more while enrolling); leave room. */
  guint mem_mib = 512 + enbs / 8;
  /* --jobs caps the array tasks running at once; without it the scheduler decides. */
  char throttle[16] = "";
  if (jobs > 0)
    g_snprintf(throttle, sizeof throttle, "%%%u", jobs);
  g_autofree char *text = g_strdup_printf(
      "#!/bin/bash\n"
      "# enrolsim sweep: %u runs (%u grid points x %u replications), one per array task.\n"
      "# Submit:   sbatch %s/sweep.slurm\n"
      "# Then:     enrolsim sweep --collect %s   (writes sweep.csv and the plots)\n"
      "# A task whose run is already done exits at once, so resubmitting after failures or a\n"
      "# timeout only runs what is missing. Adjust the resources below to your cluster; set\n"
      "# ENROLSIM when enrolsim lives elsewhere on the compute nodes.\n"
      "#SBATCH --job-name=enrolsim-sweep\n"
      "#SBATCH --array=0-%u%s\n"
      "#SBATCH --cpus-per-task=1\n"
      "#SBATCH --mem=%uM\n"
      "#SBATCH --time=02:00:00\n"
      "#SBATCH --output=%s/slurm-%%A_%%a.log\n"
      "set -euo pipefail\n"
      "ENROLSIM=${ENROLSIM:-%s}\n"
      "exec \"$ENROLSIM\" sweep --task \"$SLURM_ARRAY_TASK_ID\" %s\n",
      n_tasks(sw), sw->n_points, sw->runs, sw->dir, sw->dir, n_tasks(sw) - 1, throttle, mem_mib,
      sw->dir, q_self, q_dir);
  GError *error = NULL;
  if (!g_file_set_contents(path, text, -1, &error))
    return es_cmd_fail("sweep", error, 1);
  g_chmod(path, 0755);
  printf("wrote %s: %u array tasks\n"
         "submit it with `sbatch %s`, then run `enrolsim sweep --collect %s`\n",
         path, n_tasks(sw), path, sw->dir);
  return 0;
}

/* ---- the command ------------------------------------------------------------------- */

/* Builds the sweep from the command line and checks every grid point's scenario, so a bad
 * key or value stops everything before anything runs. */
static Sweep *sweep_from_args(const char *out, EsScenario *base, char **varies, guint runs,
                              GError **error)
{
  g_autoptr(Sweep) sw = sweep_new(out);
  sw->runs = runs;
  sw->seed = base->seed;
  for (char **v = varies; v && *v; v++) {
    const char *eq = strchr(*v, '=');
    if (!eq || eq == *v || !eq[1]) {
      g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY,
                  "--vary '%s': expected SECTION.KEY=V1,V2,...", *v);
      return NULL;
    }
    g_autofree char *key = g_strstrip(g_strndup(*v, (gsize)(eq - *v)));
    if (strcmp(key, "scenario.seed") == 0) {
      g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY,
                  "--vary scenario.seed: replications already vary the seed (--runs, --seed)");
      return NULL;
    }
    for (guint k = 0; k < sw->keys->len; k++)
      if (strcmp(g_ptr_array_index(sw->keys, k), key) == 0) {
        g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY, "--vary %s given twice", key);
        return NULL;
      }
    char **vals = g_strsplit(eq + 1, ",", -1);
    for (guint i = 0; vals[i]; i++) {
      g_strstrip(vals[i]);
      GError *inner = NULL;
      g_autoptr(EsScenario) probe = es_scenario_new();
      if (!*vals[i] || !es_scenario_set(probe, key, vals[i], &inner)) {
        g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE, "--vary %s: %s", key,
                    inner ? inner->message : "empty value");
        g_clear_error(&inner);
        g_strfreev(vals);
        return NULL;
      }
      for (guint j = 0; j < i; j++)
        if (strcmp(vals[j], vals[i]) == 0) {
          g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                      "--vary %s: value %s given twice", key, vals[i]);
          g_strfreev(vals);
          return NULL;
        }
    }
    sw->n_points *= g_strv_length(vals);
    g_ptr_array_add(sw->keys, g_steal_pointer(&key));
    g_ptr_array_add(sw->values, vals);
  }
  if (sw->keys->len == 0) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY,
                "nothing to vary: give at least one --vary SECTION.KEY=V1,V2,...");
    return NULL;
  }
  return g_steal_pointer(&sw);
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

/* Every grid point's scenario must validate (say, topology.aggregations <= scenario.enbs);
 * *max_enbs is the largest point, for sizing cluster jobs. */
static gboolean check_points(const Sweep *sw, const char *file, char **sets, gint64 seed,
                             guint *max_enbs, GError **error)
{
  *max_enbs = 0;
  for (guint p = 0; p < sw->n_points; p++) {
    g_autoptr(EsScenario) sc = base_scenario(file, sets, seed, error);
    if (!sc)
      return FALSE;
    for (guint k = 0; k < sw->keys->len; k++)
      if (!es_scenario_set(sc, g_ptr_array_index(sw->keys, k), point_value(sw, p, k), error))
        return FALSE;
    GError *inner = NULL;
    if (!es_scenario_validate(sc, &inner)) {
      g_autofree char *label = point_label(sw, p);
      g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE, "grid point %s: %s", label,
                  inner->message);
      g_error_free(inner);
      return FALSE;
    }
    *max_enbs = MAX(*max_enbs, sc->enbs);
  }
  return TRUE;
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
    g_autoptr(Sweep) sw = sweep_load(collect_dir, &error);
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
  g_autofree char *base_text = es_scenario_to_keyfile(base);
  g_autoptr(Sweep) sw = sweep_from_args(out, base, varies, (guint)runs, &error);
  guint max_enbs = 0;
  if (!sw || !check_points(sw, scenario_file, sets, seed, &max_enbs, &error))
    return es_cmd_fail("sweep", error, 2);

  /* A folder already holding this very sweep is resumed; one holding another is refused. */
  g_autofree char *manifest = manifest_text(sw);
  g_autofree char *manifest_path = g_build_filename(sw->dir, MANIFEST, NULL);
  g_autofree char *base_path = g_build_filename(sw->dir, BASE, NULL);
  g_autofree char *old_manifest = NULL, *old_base = NULL;
  if (g_file_get_contents(manifest_path, &old_manifest, NULL, NULL)) {
    if (!g_file_get_contents(base_path, &old_base, NULL, NULL) ||
        strcmp(old_manifest, manifest) != 0 || strcmp(old_base, base_text) != 0) {
      fprintf(stderr,
              "enrolsim: sweep: %s holds another sweep (different grid, runs, seed or "
              "base scenario): use another --out\n",
              sw->dir);
      return 2;
    }
    printf("resuming the sweep in %s\n", sw->dir);
  }
  if (g_mkdir_with_parents(sw->dir, 0755) != 0) {
    fprintf(stderr, "enrolsim: sweep: cannot create %s: %s\n", sw->dir, g_strerror(errno));
    return 1;
  }
  if (!g_file_set_contents(base_path, base_text, -1, &error) ||
      !g_file_set_contents(manifest_path, manifest, -1, &error))
    return es_cmd_fail("sweep", error, 1);

  g_autofree char *self = g_file_read_link("/proc/self/exe", &error);
  if (!self)
    return es_cmd_fail("sweep", error, 1);
  if (emit != NULL)
    return emit_slurm(sw, self, (guint)jobs, max_enbs);
  if (jobs == 0)
    jobs = (gint)g_get_num_processors();

  printf("sweep: %u grid points x %u replications = %u runs, %d at a time, in %s\n", sw->n_points,
         sw->runs, n_tasks(sw), jobs, sw->dir);
  fflush(stdout);
  guint failed = run_local(sw, self, (guint)jobs, &error);
  if (failed == G_MAXUINT)
    return es_cmd_fail("sweep", error, 1);
  int status = collect(sw, !no_plot);
  if (failed > 0) {
    fprintf(stderr, "enrolsim: sweep: %u run%s failed; start the sweep again to retry them\n",
            failed, failed == 1 ? "" : "s");
    return 1;
  }
  return status;
}

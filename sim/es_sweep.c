/* The sweep model: grid expansion, the folder's manifest, one task's run, the local process
 * pool, the Slurm job array and the collection into sweep.csv and plots. */
#include "sim/es_sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "results/es_plot.h"
#include "results/es_summary_file.h"

G_DEFINE_QUARK(es-sweep-error-quark, es_sweep_error)

/* DIR/sweep.ini says what the sweep is (the grid, R, the base seed); DIR/base.ini is the
 * effective scenario every grid point starts from. Together they let a task, a resumed sweep
 * or a collection rebuild every run's scenario without the original command line. */
#define MANIFEST "sweep.ini"
#define BASE "base.ini"
#define DONE "run.done" /* written after a run finished: its results are complete */

/* Unfinished runs named while collecting; the rest are only counted. */
#define NAMED_MISSING 5

struct EsSweep {
  char *dir;
  guint runs;
  guint64 seed;
  GPtrArray *keys;   /* char *, --vary order */
  GPtrArray *values; /* GStrv per key */
  guint n_points;
  char *base_text; /* DIR/base.ini's text; NULL for a loaded sweep */
  guint max_enbs;
  const volatile sig_atomic_t *interrupt; /* es_sweep_set_interrupt */
};

void es_sweep_set_interrupt(EsSweep *sw, const volatile sig_atomic_t *flag)
{
  g_return_if_fail(sw != NULL);
  sw->interrupt = flag;
}

void es_sweep_free(EsSweep *sw)
{
  if (!sw)
    return;
  g_free(sw->dir);
  g_ptr_array_unref(sw->keys);
  g_ptr_array_unref(sw->values);
  g_free(sw->base_text);
  g_free(sw);
}

static EsSweep *sweep_alloc(const char *dir)
{
  EsSweep *sw = g_new0(EsSweep, 1);
  sw->dir = g_canonicalize_filename(dir, NULL);
  sw->keys = g_ptr_array_new_with_free_func(g_free);
  sw->values = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
  sw->n_points = 1;
  return sw;
}

/* An error of another module becomes bad input of the sweep, its message kept. */
static void set_input_error(GError **error, GError *inner)
{
  g_set_error_literal(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT, inner->message);
  g_error_free(inner);
}

const char *es_sweep_get_dir(const EsSweep *sw)
{
  return sw->dir;
}
guint es_sweep_get_runs(const EsSweep *sw)
{
  return sw->runs;
}
guint es_sweep_get_n_points(const EsSweep *sw)
{
  return sw->n_points;
}
guint es_sweep_get_n_tasks(const EsSweep *sw)
{
  return sw->n_points * sw->runs;
}
guint es_sweep_get_n_keys(const EsSweep *sw)
{
  return sw->keys->len;
}
const char *es_sweep_get_key(const EsSweep *sw, guint k)
{
  return sw->keys->pdata[k];
}
guint es_sweep_get_max_enbs(const EsSweep *sw)
{
  return sw->max_enbs;
}

const char *es_sweep_get_value(const EsSweep *sw, guint p, guint k)
{
  guint stride = 1;
  for (guint j = sw->keys->len; j-- > k + 1;)
    stride *= g_strv_length(g_ptr_array_index(sw->values, j));
  char **vals = g_ptr_array_index(sw->values, k);
  return vals[(p / stride) % g_strv_length(vals)];
}

char *es_sweep_dup_point_label(const EsSweep *sw, guint p)
{
  GString *s = g_string_new(NULL);
  for (guint k = 0; k < sw->keys->len; k++)
    g_string_append_printf(s, "%s%s=%s", k ? "," : "", (char *)g_ptr_array_index(sw->keys, k),
                           es_sweep_get_value(sw, p, k));
  g_strdelimit(s->str, "/", '_'); /* '/' would make a subfolder */
  return g_string_free(s, FALSE);
}

char *es_sweep_dup_task_dir(const EsSweep *sw, guint task)
{
  g_autofree char *label = es_sweep_dup_point_label(sw, task / sw->runs);
  char rep[32];
  g_snprintf(rep, sizeof rep, "rep-%u", task % sw->runs + 1);
  return g_build_filename(sw->dir, label, rep, NULL);
}

/* ---- the grid ---------------------------------------------------------------------- */

/* One --vary: its key must not repeat one before it, each value must parse (probed on a
 * fresh scenario) and appear once. */
static gboolean add_vary(EsSweep *sw, const char *vary, GError **error)
{
  const char *eq = strchr(vary, '=');
  if (!eq || eq == vary || !eq[1]) {
    g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT,
                "--vary '%s': expected SECTION.KEY=V1,V2,...", vary);
    return FALSE;
  }
  g_autofree char *key = g_strstrip(g_strndup(vary, (gsize)(eq - vary)));
  if (strcmp(key, "scenario.seed") == 0) {
    g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT,
                "--vary scenario.seed: replications already vary the seed (--runs, --seed)");
    return FALSE;
  }
  for (guint k = 0; k < sw->keys->len; k++)
    if (strcmp(g_ptr_array_index(sw->keys, k), key) == 0) {
      g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT, "--vary %s given twice", key);
      return FALSE;
    }
  g_auto(GStrv) vals = g_strsplit(eq + 1, ",", -1);
  for (guint i = 0; vals[i]; i++) {
    g_strstrip(vals[i]);
    GError *inner = NULL;
    g_autoptr(EsScenario) probe = es_scenario_new();
    if (!*vals[i] || !es_scenario_set(probe, key, vals[i], &inner)) {
      g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT, "--vary %s: %s", key,
                  inner ? inner->message : "empty value");
      g_clear_error(&inner);
      return FALSE;
    }
    for (guint j = 0; j < i; j++)
      if (strcmp(vals[j], vals[i]) == 0) {
        g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT, "--vary %s: value %s given twice",
                    key, vals[i]);
        return FALSE;
      }
  }
  sw->n_points *= g_strv_length(vals);
  g_ptr_array_add(sw->keys, g_steal_pointer(&key));
  g_ptr_array_add(sw->values, g_steal_pointer(&vals));
  return TRUE;
}

/* Every grid point's scenario must validate (say, topology.aggregations <= scenario.enbs);
 * the largest point sizes cluster jobs. */
static gboolean check_points(EsSweep *sw, const EsScenario *base, GError **error)
{
  sw->max_enbs = 0;
  for (guint p = 0; p < sw->n_points; p++) {
    g_autoptr(EsScenario) sc = es_scenario_copy(base);
    GError *inner = NULL;
    for (guint k = 0; k < sw->keys->len; k++)
      if (!es_scenario_set(sc, g_ptr_array_index(sw->keys, k), es_sweep_get_value(sw, p, k),
                           &inner)) {
        set_input_error(error, inner);
        return FALSE;
      }
    if (!es_scenario_validate(sc, &inner)) {
      g_autofree char *label = es_sweep_dup_point_label(sw, p);
      g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT, "grid point %s: %s", label,
                  inner->message);
      g_error_free(inner);
      return FALSE;
    }
    sw->max_enbs = MAX(sw->max_enbs, sc->enbs);
  }
  return TRUE;
}

EsSweep *es_sweep_new(const char *dir, const EsScenario *base, const char *const *varies,
                      guint runs, GError **error)
{
  g_return_val_if_fail(runs >= 1, NULL);
  g_autoptr(EsSweep) sw = sweep_alloc(dir);
  sw->runs = runs;
  sw->seed = base->seed;
  sw->base_text = es_scenario_to_keyfile(base);
  for (const char *const *v = varies; v && *v; v++)
    if (!add_vary(sw, *v, error))
      return NULL;
  if (sw->keys->len == 0) {
    g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT,
                "nothing to vary: give at least one --vary SECTION.KEY=V1,V2,...");
    return NULL;
  }
  if (!check_points(sw, base, error))
    return NULL;
  return g_steal_pointer(&sw);
}

/* ---- the folder -------------------------------------------------------------------- */

static char *manifest_text(const EsSweep *sw)
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

EsSweep *es_sweep_load(const char *dir, GError **error)
{
  g_autoptr(EsSweep) sw = sweep_alloc(dir);
  g_autofree char *path = g_build_filename(sw->dir, MANIFEST, NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  GError *inner = NULL;
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &inner)) {
    g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT, "%s: not a sweep folder (%s)", dir,
                inner->message);
    g_error_free(inner);
    return NULL;
  }
  gint runs = g_key_file_get_integer(kf, "sweep", "runs", &inner);
  guint64 seed = inner ? 0 : g_key_file_get_uint64(kf, "sweep", "seed", &inner);
  g_auto(GStrv) keys = inner ? NULL : g_key_file_get_keys(kf, "vary", NULL, &inner);
  if (inner || runs < 1 || !keys || !keys[0]) {
    g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT, "%s: damaged sweep manifest%s%s", path,
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
      g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT, "%s: no values for %s", path, *k);
      return NULL;
    }
    g_ptr_array_add(sw->keys, g_strdup(*k));
    g_ptr_array_add(sw->values, vals);
    sw->n_points *= g_strv_length(vals);
  }
  return g_steal_pointer(&sw);
}

gboolean es_sweep_check_folder(const EsSweep *sw, gboolean *resumed, GError **error)
{
  g_return_val_if_fail(sw->base_text != NULL, FALSE);
  *resumed = FALSE;
  g_autofree char *manifest_path = g_build_filename(sw->dir, MANIFEST, NULL);
  g_autofree char *base_path = g_build_filename(sw->dir, BASE, NULL);
  g_autofree char *old_manifest = NULL, *old_base = NULL;
  if (!g_file_get_contents(manifest_path, &old_manifest, NULL, NULL))
    return TRUE;
  g_autofree char *manifest = manifest_text(sw);
  if (!g_file_get_contents(base_path, &old_base, NULL, NULL) ||
      strcmp(old_manifest, manifest) != 0 || strcmp(old_base, sw->base_text) != 0) {
    g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT,
                "%s holds another sweep (different grid, runs, seed or base scenario): use "
                "another --out",
                sw->dir);
    return FALSE;
  }
  *resumed = TRUE;
  return TRUE;
}

static gboolean make_dir(const char *dir, GError **error)
{
  if (g_mkdir_with_parents(dir, 0755) == 0)
    return TRUE;
  int e = errno;
  g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot create %s: %s", dir,
              g_strerror(e));
  return FALSE;
}

gboolean es_sweep_write_manifest(const EsSweep *sw, GError **error)
{
  g_return_val_if_fail(sw->base_text != NULL, FALSE);
  g_autofree char *manifest = manifest_text(sw);
  g_autofree char *manifest_path = g_build_filename(sw->dir, MANIFEST, NULL);
  g_autofree char *base_path = g_build_filename(sw->dir, BASE, NULL);
  return make_dir(sw->dir, error) && g_file_set_contents(base_path, sw->base_text, -1, error) &&
         g_file_set_contents(manifest_path, manifest, -1, error);
}

/* ---- one task ---------------------------------------------------------------------- */

EsScenario *es_sweep_build_task_scenario(const EsSweep *sw, guint task, GError **error)
{
  g_autofree char *base = g_build_filename(sw->dir, BASE, NULL);
  g_autoptr(EsScenario) sc = es_scenario_new();
  GError *inner = NULL;
  if (!es_scenario_load(sc, base, &inner)) {
    set_input_error(error, inner);
    return NULL;
  }
  guint p = task / sw->runs;
  for (guint k = 0; k < sw->keys->len; k++)
    if (!es_scenario_set(sc, g_ptr_array_index(sw->keys, k), es_sweep_get_value(sw, p, k),
                         &inner)) {
      set_input_error(error, inner);
      return NULL;
    }
  /* Replication r of every grid point has the same seed: the points differ only in the
   * varied values (common random numbers make their differences sharper). */
  sc->seed = sw->seed + task % sw->runs;
  if (!es_scenario_validate(sc, &inner)) {
    set_input_error(error, inner);
    return NULL;
  }
  return g_steal_pointer(&sc);
}

gboolean es_sweep_task_is_done(const EsSweep *sw, guint task, gboolean *done, GError **error)
{
  *done = FALSE;
  g_autofree char *dir = es_sweep_dup_task_dir(sw, task);
  g_autofree char *marker = g_build_filename(dir, DONE, NULL);
  if (!g_file_test(marker, G_FILE_TEST_EXISTS))
    return TRUE;
  g_autoptr(EsScenario) sc = es_sweep_build_task_scenario(sw, task, error);
  if (!sc)
    return FALSE;
  g_autofree char *want = es_scenario_to_keyfile(sc);
  g_autofree char *ini = g_build_filename(dir, "scenario.ini", NULL);
  g_autofree char *have = NULL;
  if (!g_file_get_contents(ini, &have, NULL, NULL) || strcmp(have, want) != 0) {
    g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT,
                "%s holds a run of another scenario than this sweep's: remove it or use another "
                "--out",
                dir);
    return FALSE;
  }
  *done = TRUE;
  return TRUE;
}

gboolean es_sweep_run_task(const EsSweep *sw, guint task, gboolean *already, EsRunResult *result,
                           GError **error)
{
  *already = FALSE;
  if (task >= es_sweep_get_n_tasks(sw)) {
    g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT, "%u is not a task of %s (0 to %u)",
                task, sw->dir, es_sweep_get_n_tasks(sw) - 1);
    return FALSE;
  }
  if (!es_sweep_task_is_done(sw, task, already, error))
    return FALSE;
  if (*already)
    return TRUE;
  g_autoptr(EsScenario) sc = es_sweep_build_task_scenario(sw, task, error);
  if (!sc)
    return FALSE;
  g_autofree char *out = es_sweep_dup_task_dir(sw, task);
  /* The sweep owns its run folders: what an interrupted or failed attempt left goes first. */
  EsRunOptions options = {.out_dir = out, .overwrite = TRUE, .quiet = TRUE,
                          .replication = task % sw->runs + 1, .interrupt = sw->interrupt};
  if (!es_run_scenario(sc, &options, result, error))
    return FALSE;
  /* Its results stay for a look, but it is not done: the sweep runs it again. */
  if (result->interrupted_by != 0) {
    g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INTERRUPTED,
                "%s: interrupted at %.3f s simulated; not marked done, so the sweep runs it "
                "again when started again",
                out, result->interrupted_at_s);
    return FALSE;
  }
  g_autofree char *marker = g_build_filename(out, DONE, NULL);
  return g_file_set_contents(marker, "complete\n", -1, error);
}

/* ---- running locally --------------------------------------------------------------- */

typedef struct {
  guint task;
  gint64 start;
} Running;

/* A terminal's Ctrl-C reaches the sweep alone, which passes it on once: a run that got it
 * twice would abort without its results. */
static void own_process_group(gpointer arg)
{
  (void)arg;
  setpgid(0, 0);
}

static gboolean spawn_task(const EsSweep *sw, const char *program, guint task, GPid *pid,
                           GError **error)
{
  g_autofree char *dir = es_sweep_dup_task_dir(sw, task);
  if (!make_dir(dir, error))
    return FALSE;
  g_autofree char *log = g_build_filename(dir, "run.log", NULL);
  int fd = g_open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot create %s: %s", log,
                g_strerror(e));
    return FALSE;
  }
  char num[16];
  g_snprintf(num, sizeof num, "%u", task);
  const char *argv[] = {program, "sweep", "--task", num, sw->dir, NULL};
  gboolean ok = g_spawn_async_with_fds(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                       own_process_group, NULL, pid, -1, fd, fd, error);
  close(fd);
  return ok;
}

gboolean es_sweep_run_local(const EsSweep *sw, const char *program, guint jobs, EsSweepTaskEndFn fn,
                            void *arg, guint *failed, guint *skipped, GError **error)
{
  guint total = es_sweep_get_n_tasks(sw), next = 0, ended = 0;
  *failed = *skipped = 0;
  jobs = MAX(jobs, 1);
  GHashTable *running = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  gboolean ok = TRUE, stopping = FALSE;
  while (ok && ((!stopping && next < total) || g_hash_table_size(running) > 0)) {
    /* Interrupted: no new run; those in flight get the signal and keep what they have. */
    if (!stopping && sw->interrupt != NULL && *sw->interrupt != 0) {
      stopping = TRUE;
      GHashTableIter it;
      gpointer key;
      g_hash_table_iter_init(&it, running);
      while (g_hash_table_iter_next(&it, &key, NULL))
        kill(GPOINTER_TO_INT(key), *sw->interrupt);
    }
    while (ok && !stopping && next < total && g_hash_table_size(running) < jobs) {
      guint task = next++;
      gboolean done;
      if (!(ok = es_sweep_task_is_done(sw, task, &done, error)))
        break;
      if (done) {
        (*skipped)++;
        continue;
      }
      GPid pid;
      if (!(ok = spawn_task(sw, program, task, &pid, error)))
        break;
      Running *r = g_new(Running, 1);
      *r = (Running){task, g_get_monotonic_time()};
      g_hash_table_insert(running, GINT_TO_POINTER(pid), r);
    }
    if (g_hash_table_size(running) == 0)
      continue;
    int status;
    /* Polled, so that a signal coming just before the wait is seen within 0.1 s. */
    pid_t pid = waitpid(-1, &status, sw->interrupt != NULL ? WNOHANG : 0);
    if (pid == 0) {
      g_usleep(100000);
      continue;
    }
    if (pid < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    Running *r = g_hash_table_lookup(running, GINT_TO_POINTER(pid));
    if (!r)
      continue;
    ended++;
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
      (*failed)++;
    if (fn)
      fn(arg, &(EsSweepTaskEnd){.task = r->task,
                                .ended = ended + *skipped,
                                .wall_s = (g_get_monotonic_time() - r->start) / 1e6,
                                .wait_status = status});
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
  return ok;
}

/* ---- collecting --------------------------------------------------------------------- */

void es_sweep_collected_clear(EsSweepCollected *c)
{
  g_clear_pointer(&c->scenario, g_free);
  g_clear_pointer(&c->csv_path, g_free);
  c->found = c->missing = 0;
}

static void note(EsSweepNoteFn fn, void *arg, const char *format, ...) G_GNUC_PRINTF(3, 4);
static void note(EsSweepNoteFn fn, void *arg, const char *format, ...)
{
  if (!fn)
    return;
  va_list ap;
  va_start(ap, format);
  g_autofree char *text = g_strdup_vprintf(format, ap);
  va_end(ap);
  fn(arg, text);
}

static gboolean is_varied(const EsSweep *sw, const char *name)
{
  for (guint k = 0; k < sw->keys->len; k++)
    if (strcmp(g_ptr_array_index(sw->keys, k), name) == 0)
      return TRUE;
  return FALSE;
}

/* A run folder holds the run of its grid point: its summary's parameters are the task's
 * scenario, every key, and its replication number the task's. A folder copied from another
 * point or another sweep would otherwise be averaged in silently. */
static gboolean check_run_matches(const EsSweep *sw, guint task, const EsSummaryFile *f,
                                  const char *dir, GError **error)
{
  GError *inner = NULL;
  g_autoptr(EsScenario) sc = es_sweep_build_task_scenario(sw, task, &inner);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autofree char *text = sc != NULL ? es_scenario_to_keyfile(sc) : NULL;
  if (sc == NULL || !g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, &inner)) {
    set_input_error(error, inner);
    return FALSE;
  }
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (gsize g = 0; groups[g] != NULL; g++) {
    g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[g], NULL, NULL);
    for (gsize k = 0; keys != NULL && keys[k] != NULL; k++) {
      g_autofree char *want = g_key_file_get_string(kf, groups[g], keys[k], NULL);
      g_autofree char *name = g_strconcat(groups[g], ".", keys[k], NULL);
      const char *got = es_summary_file_get_parameter(f, name);
      /* A key this version added is missing from an older version's run, and that is no
       * mismatch; a varied key must be there. */
      if (got == NULL && !is_varied(sw, name))
        continue;
      if (want != NULL && g_strcmp0(got, want) != 0) {
        g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT,
                    "%s: its summary.json is of a run with %s = %s, but the folder's grid point "
                    "has %s = %s: a run of another point or sweep; remove the folder and start "
                    "the sweep again to run it",
                    dir, name, got != NULL ? got : "(none)", name, want);
        return FALSE;
      }
    }
  }
  guint64 replication = task % sw->runs + 1;
  if (es_summary_file_get_replication(f) != replication) {
    g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT,
                "%s: its summary.json is of replication %" G_GUINT64_FORMAT ", the folder's is %"
                G_GUINT64_FORMAT ": remove the folder and start the sweep again to run it",
                dir, es_summary_file_get_replication(f), replication);
    return FALSE;
  }
  return TRUE;
}

/* The runs of point p into the table. */
static gboolean collect_point(const EsSweep *sw, guint p, EsSweepTable *table, EsSweepNoteFn fn,
                              void *arg, EsSweepCollected *c, char **revision, guint *mixed,
                              GError **error)
{
  for (guint r = 0; r < sw->runs; r++) {
    guint task = p * sw->runs + r;
    gboolean done;
    if (!es_sweep_task_is_done(sw, task, &done, error))
      return FALSE;
    g_autofree char *d = es_sweep_dup_task_dir(sw, task);
    if (!done) {
      if (c->missing++ < NAMED_MISSING)
        note(fn, arg, "not finished: %s", d);
      continue;
    }
    GError *inner = NULL;
    g_autoptr(EsSummaryFile) f = es_summary_file_load(d, &inner);
    if (!f) {
      set_input_error(error, inner);
      return FALSE;
    }
    /* A sweep's statistics are over simulated replications; a live run's figures are the
     * wall clock's (enrolsim enrol wrote them there by hand). */
    if (strcmp(es_summary_file_get_engine(f), "simulated") != 0) {
      g_set_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT,
                  "%s: its summary.json is of a %s run (enrolsim enrol), not a simulated one: a "
                  "sweep averages simulated runs only; remove the folder and start the sweep "
                  "again to run it",
                  d, es_summary_file_get_engine(f));
      return FALSE;
    }
    if (!check_run_matches(sw, task, f, d, error))
      return FALSE;
    if (!c->scenario)
      c->scenario = g_strdup(es_summary_file_get_scenario(f));
    /* Runs of different builds (enrolsim rebuilt while a sweep ran) do not belong in one
     * statistic; say so rather than average them silently. */
    const char *rev = es_summary_file_get_attribute(f, "git_revision");
    if (rev && !*revision)
      *revision = g_strdup(rev);
    else if (rev && strcmp(rev, *revision) != 0 && (*mixed)++ == 0)
      note(fn, arg, "warning: %s was built from %s, earlier runs from %s", d, rev, *revision);
    es_sweep_table_add_run(table, p, f);
    c->found++;
  }
  return TRUE;
}

EsSweepTable *es_sweep_collect(const EsSweep *sw, EsSweepNoteFn fn, void *arg,
                               EsSweepCollected *collected, GError **error)
{
  EsSweepCollected c = {0};
  g_autofree const char **values = g_new0(const char *, sw->keys->len + 1);
  for (guint k = 0; k < sw->keys->len; k++)
    values[k] = g_ptr_array_index(sw->keys, k);
  g_autoptr(EsSweepTable) table = es_sweep_table_new(values);
  g_autofree char *revision = NULL;
  guint mixed = 0;
  for (guint p = 0; p < sw->n_points; p++) {
    for (guint k = 0; k < sw->keys->len; k++)
      values[k] = es_sweep_get_value(sw, p, k);
    es_sweep_table_add_point(table, values);
    if (!collect_point(sw, p, table, fn, arg, &c, &revision, &mixed, error)) {
      es_sweep_collected_clear(&c);
      return NULL;
    }
  }
  c.csv_path = g_build_filename(sw->dir, "sweep.csv", NULL);
  if (!es_sweep_table_write_csv(table, c.csv_path, error)) {
    es_sweep_collected_clear(&c);
    return NULL;
  }
  *collected = c;
  return g_steal_pointer(&table);
}

gboolean es_sweep_write_plots(const EsSweep *sw, const EsSweepTable *table, const char *scenario,
                              guint *n_images, GError **error)
{
  g_autofree char *subtitle = g_strdup_printf(
      "sweep of scenario %s, %u replication%s per point, mean and 95 %% confidence interval",
      scenario ? scenario : "?", sw->runs, sw->runs == 1 ? "" : "s");
  g_auto(GStrv) written = NULL;
  if (!es_plot_sweep(table, sw->dir, subtitle, &written, error))
    return FALSE;
  *n_images = g_strv_length(written);
  return TRUE;
}

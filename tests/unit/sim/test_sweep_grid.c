/* Unit tests of the sweep model (sim/es_sweep): the grid and its folders, the seeds of the
 * replications, bad --vary input, the folder's manifest, collection, and the Slurm script. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "results/es_summary.h"
#include "sim/es_sweep.h"

typedef struct {
  char *dir; /* a fresh folder; the sweep goes into dir/sw */
  char *sweep_dir;
  EsScenario *base;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  f->dir = g_dir_make_tmp("es-sweep-XXXXXX", &error);
  g_assert_no_error(error);
  f->sweep_dir = g_build_filename(f->dir, "sw", NULL);
  f->base = es_scenario_new();
  g_assert_true(es_scenario_set(f->base, "scenario.enbs", "20", &error));
  g_assert_no_error(error);
  f->base->seed = 7;
}

static void remove_tree(const char *path)
{
  GDir *d = g_dir_open(path, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(path, name, NULL);
    if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
      remove_tree(p);
    else
      g_remove(p);
  }
  if (d)
    g_dir_close(d);
  g_rmdir(path);
}

static void teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  remove_tree(f->dir);
  g_free(f->dir);
  g_free(f->sweep_dir);
  es_scenario_free(f->base);
}

static EsSweep *new_sweep(Fixture *f, const char *const *varies, guint runs)
{
  GError *error = NULL;
  EsSweep *sw = es_sweep_new(f->sweep_dir, f->base, varies, runs, &error);
  g_assert_no_error(error);
  g_assert_nonnull(sw);
  return sw;
}

/* The first --vary key changes slowest; values are trimmed; task t is replication t % R of
 * point t / R, in DIR/<key=value,...>/rep-<r>/. */
static void test_grid_order(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *varies[] = {"raca.workers=1,2,4", "backhaul.loss= 0 , 0.01", NULL};
  g_autoptr(EsSweep) sw = new_sweep(f, varies, 2);
  g_assert_cmpuint(es_sweep_get_n_keys(sw), ==, 2);
  g_assert_cmpstr(es_sweep_get_key(sw, 1), ==, "backhaul.loss");
  g_assert_cmpuint(es_sweep_get_n_points(sw), ==, 6);
  g_assert_cmpuint(es_sweep_get_n_tasks(sw), ==, 12);
  g_assert_cmpuint(es_sweep_get_max_enbs(sw), ==, 20);
  static const char *const labels[] = {
      "raca.workers=1,backhaul.loss=0", "raca.workers=1,backhaul.loss=0.01",
      "raca.workers=2,backhaul.loss=0", "raca.workers=2,backhaul.loss=0.01",
      "raca.workers=4,backhaul.loss=0", "raca.workers=4,backhaul.loss=0.01"};
  for (guint p = 0; p < 6; p++) {
    g_autofree char *label = es_sweep_dup_point_label(sw, p);
    g_assert_cmpstr(label, ==, labels[p]);
  }
  g_assert_cmpstr(es_sweep_get_value(sw, 3, 0), ==, "2");
  g_assert_cmpstr(es_sweep_get_value(sw, 3, 1), ==, "0.01");
  g_autofree char *dir = es_sweep_dup_task_dir(sw, 7);
  g_autofree char *want = g_build_filename(f->sweep_dir, labels[3], "rep-2", NULL);
  g_assert_cmpstr(dir, ==, want);
  g_assert_true(g_path_is_absolute(es_sweep_get_dir(sw)));
}

/* Each replication has its own seed, the same at every grid point (common random numbers);
 * the point's values are in its scenario. */
static void test_task_scenarios(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  const char *varies[] = {"raca.workers=1,3", NULL};
  g_autoptr(EsSweep) sw = new_sweep(f, varies, 3);
  g_assert_true(es_sweep_write_manifest(sw, &error));
  g_assert_no_error(error);
  for (guint t = 0; t < es_sweep_get_n_tasks(sw); t++) {
    g_autoptr(EsScenario) sc = es_sweep_build_task_scenario(sw, t, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(sc->seed, ==, 7 + t % 3);
    g_assert_cmpuint(sc->raca.workers, ==, t < 3 ? 1 : 3);
    g_assert_cmpuint(sc->enbs, ==, 20);
  }
}

/* Every mistake stops the sweep before anything runs, as bad input, naming what is wrong. */
static void test_bad_input(Fixture *f, gconstpointer data)
{
  (void)data;
  static const struct {
    const char *vary, *vary2, *message;
  } cases[] = {
      {"raca.workers", NULL, "--vary 'raca.workers': expected SECTION.KEY=V1,V2,..."},
      {"=1,2", NULL, "--vary '=1,2': expected SECTION.KEY=V1,V2,..."},
      {"raca.workers=", NULL, "--vary 'raca.workers=': expected SECTION.KEY=V1,V2,..."},
      {"raca.nosuch=1,2", NULL, "--vary raca.nosuch: unknown key 'raca.nosuch'"},
      {"raca.workers=1,,2", NULL, "--vary raca.workers: empty value"},
      {"raca.workers=1,1", NULL, "--vary raca.workers: value 1 given twice"},
      {"scenario.seed=1,2", NULL, "--vary scenario.seed: replications already vary the seed"},
      {"raca.workers=1", "raca.workers=2", "--vary raca.workers given twice"},
      {"scenario.enbs=1,10", "topology.aggregations=5", "grid point scenario.enbs=1,"},
      {NULL, NULL, "nothing to vary"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    const char *varies[] = {cases[i].vary, cases[i].vary2, NULL};
    GError *error = NULL;
    EsSweep *sw = es_sweep_new(f->sweep_dir, f->base, varies, 1, &error);
    g_assert_null(sw);
    g_assert_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT);
    if (!strstr(error->message, cases[i].message))
      g_error("case %u: '%s' does not say '%s'", i, error->message, cases[i].message);
    g_error_free(error);
  }
  g_assert_false(g_file_test(f->sweep_dir, G_FILE_TEST_EXISTS));
}

/* The folder alone rebuilds the sweep; it is resumed by the same sweep, refused to another. */
static void test_manifest(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  const char *varies[] = {"raca.workers=1,2", "enb.retry=resend,restart", NULL};
  g_autoptr(EsSweep) sw = new_sweep(f, varies, 2);
  gboolean resumed = TRUE;
  g_assert_true(es_sweep_check_folder(sw, &resumed, &error));
  g_assert_false(resumed);
  g_assert_true(es_sweep_write_manifest(sw, &error));
  g_assert_no_error(error);

  g_autoptr(EsSweep) loaded = es_sweep_load(f->sweep_dir, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(es_sweep_get_runs(loaded), ==, 2);
  g_assert_cmpuint(es_sweep_get_n_points(loaded), ==, 4);
  for (guint t = 0; t < es_sweep_get_n_tasks(sw); t++) {
    g_autofree char *a = es_sweep_dup_task_dir(sw, t);
    g_autofree char *b = es_sweep_dup_task_dir(loaded, t);
    g_assert_cmpstr(a, ==, b);
  }
  g_assert_true(es_sweep_check_folder(sw, &resumed, &error));
  g_assert_true(resumed);

  g_autoptr(EsSweep) more_runs = new_sweep(f, varies, 3);
  g_assert_false(es_sweep_check_folder(more_runs, &resumed, &error));
  g_assert_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT);
  g_assert_nonnull(strstr(error->message, "holds another sweep"));
  g_clear_error(&error);
  f->base->seed = 8;
  g_autoptr(EsSweep) other_seed = new_sweep(f, varies, 2);
  g_assert_false(es_sweep_check_folder(other_seed, &resumed, &error));
  g_assert_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT);
  g_clear_error(&error);

  g_autofree char *absent = g_build_filename(f->dir, "absent", NULL);
  g_assert_null(es_sweep_load(absent, &error));
  g_assert_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT);
  g_assert_nonnull(strstr(error->message, "not a sweep folder"));
  g_clear_error(&error);
}

/* A finished run as a task leaves it: its scenario, its summary, the done marker. */
static void fake_run(const EsSweep *sw, guint task, double p99, const char *revision)
{
  GError *error = NULL;
  g_autofree char *dir = es_sweep_dup_task_dir(sw, task);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_autoptr(EsScenario) sc = es_sweep_build_task_scenario(sw, task, &error);
  g_assert_no_error(error);
  g_autofree char *ini = es_scenario_to_keyfile(sc);
  g_autofree char *ini_path = g_build_filename(dir, "scenario.ini", NULL);
  g_assert_true(g_file_set_contents(ini_path, ini, -1, NULL));
  g_autoptr(EsSummary) s = es_summary_new();
  es_summary_set_string(s, "scenario", "default");
  es_summary_set_uint(s, "replication", task % es_sweep_get_runs(sw) + 1);
  es_summary_set_double(s, "latency_s.p99", p99);
  es_summary_set_string(s, "attributes.git_revision", revision);
  g_assert_true(es_summary_set_parameters(s, "attributes.parameters", ini, NULL));
  g_autofree char *json = g_build_filename(dir, "summary.json", NULL);
  g_assert_true(es_summary_write(s, json, NULL));
  g_autofree char *done = g_build_filename(dir, "run.done", NULL);
  g_assert_true(g_file_set_contents(done, "complete\n", -1, NULL));
}

static void collect_note(void *arg, const char *note)
{
  g_ptr_array_add(arg, g_strdup(note));
}

/* Finished runs go into sweep.csv; unfinished ones are named, a run of another build is
 * pointed out, and a folder holding a run of another scenario stops the collection. */
static void test_collect(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  const char *varies[] = {"raca.workers=1,2", NULL};
  g_autoptr(EsSweep) sw = new_sweep(f, varies, 2);
  g_assert_true(es_sweep_write_manifest(sw, &error));
  fake_run(sw, 0, 1.0, "aaa");
  fake_run(sw, 1, 3.0, "aaa");
  fake_run(sw, 2, 2.0, "bbb");
  gboolean done;
  g_assert_true(es_sweep_task_is_done(sw, 2, &done, &error));
  g_assert_true(done);
  g_assert_true(es_sweep_task_is_done(sw, 3, &done, &error));
  g_assert_false(done);

  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
  g_auto(EsSweepCollected) c = {0};
  g_autoptr(EsSweepTable) table = es_sweep_collect(sw, collect_note, notes, &c, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(c.found, ==, 3);
  g_assert_cmpuint(c.missing, ==, 1);
  g_assert_cmpstr(c.scenario, ==, "default");
  g_assert_true(g_file_test(c.csv_path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint(notes->len, ==, 2);
  g_assert_true(g_str_has_prefix(notes->pdata[0], "warning: "));
  g_assert_nonnull(strstr(notes->pdata[0], "built from bbb, earlier runs from aaa"));
  g_assert_true(g_str_has_prefix(notes->pdata[1], "not finished: "));
  g_assert_true(g_str_has_suffix(notes->pdata[1], "raca.workers=2/rep-2"));
  g_assert_cmpuint(es_sweep_table_get_runs(table, 0), ==, 2);
  g_assert_cmpuint(es_sweep_table_get_runs(table, 1), ==, 1);

  /* The run folder of point 1, replication 1 holds the summary of point 0's: refused, with
   * the folder and the differing key named, rather than averaged in. */
  g_autofree char *from = es_sweep_dup_task_dir(sw, 0), *to = es_sweep_dup_task_dir(sw, 2);
  g_autofree char *from_json = g_build_filename(from, "summary.json", NULL);
  g_autofree char *to_json = g_build_filename(to, "summary.json", NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(from_json, &text, NULL, NULL));
  g_assert_true(g_file_set_contents(to_json, text, -1, NULL));
  g_auto(EsSweepCollected) c1 = {0};
  g_assert_null(es_sweep_collect(sw, NULL, NULL, &c1, &error));
  g_assert_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT);
  g_assert_nonnull(strstr(error->message, "raca.workers=2/rep-1: its summary.json is of a run "
                                          "with raca.workers = 1, but the folder's grid point "
                                          "has raca.workers = 2"));
  g_clear_error(&error);
  fake_run(sw, 2, 2.0, "bbb");

  /* The run folder of point 1, replication 1 now holds another scenario's run. */
  g_autofree char *dir = es_sweep_dup_task_dir(sw, 2);
  g_autofree char *ini = g_build_filename(dir, "scenario.ini", NULL);
  g_assert_true(g_file_set_contents(ini, "[scenario]\nenbs=21\n", -1, NULL));
  g_auto(EsSweepCollected) c2 = {0};
  g_assert_null(es_sweep_collect(sw, NULL, NULL, &c2, &error));
  g_assert_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT);
  g_assert_nonnull(strstr(error->message, "holds a run of another scenario"));
  g_clear_error(&error);
  gboolean already;
  EsRunResult r;
  g_assert_false(es_sweep_run_task(sw, 2, &already, &r, &error));
  g_assert_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT);
  g_clear_error(&error);
  g_assert_false(es_sweep_run_task(sw, 4, &already, &r, &error));
  g_assert_error(error, ES_SWEEP_ERROR, ES_SWEEP_ERROR_INPUT);
  g_clear_error(&error);
}

static char *run_capture(const char *const *argv, const char *const *envp, int *status)
{
  GError *error = NULL;
  char *out = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, (char **)envp, G_SPAWN_SEARCH_PATH, NULL, NULL,
                             &out, NULL, status, &error));
  g_assert_no_error(error);
  return out;
}

/* The job array: one task per run, the throttle, memory for the largest point, and a script
 * that, run as array task I, executes `$ENROLSIM sweep --task I DIR` with both quoted. */
static void test_slurm(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  g_autofree char *spaced = g_build_filename(f->dir, "my sweep", NULL);
  g_free(f->sweep_dir);
  f->sweep_dir = g_steal_pointer(&spaced);
  const char *varies[] = {"scenario.enbs=800,8000", "raca.workers=1,2,3", NULL};
  g_autoptr(EsSweep) sw = new_sweep(f, varies, 2);
  g_assert_cmpuint(es_sweep_get_max_enbs(sw), ==, 8000);
  g_assert_true(es_sweep_write_manifest(sw, &error));

  g_autofree char *text = es_sweep_slurm_script(sw, "/opt/es/enrolsim", 0);
  g_assert_true(g_str_has_prefix(text, "#!/bin/bash\n# enrolsim sweep: 12 runs (6 grid points x "
                                       "2 replications), one per array task.\n"));
  g_assert_nonnull(strstr(text, "\n#SBATCH --array=0-11\n"));
  g_assert_nonnull(strstr(text, "\n#SBATCH --mem=1512M\n")); /* 512 MiB + 8000 / 8 */
  /* sbatch splits an unquoted value at the space ("Invalid directive"): quoted. */
  g_autofree char *out_line =
      g_strdup_printf("\n#SBATCH --output=\"%s/slurm-%%A_%%a.log\"\n", es_sweep_get_dir(sw));
  g_assert_nonnull(strstr(text, out_line));
  g_autofree char *quoted = g_shell_quote(es_sweep_get_dir(sw));
  g_autofree char *exec_line =
      g_strdup_printf("\nexec \"$ENROLSIM\" sweep --task \"$SLURM_ARRAY_TASK_ID\" %s\n", quoted);
  g_assert_true(g_str_has_suffix(text, exec_line));

  g_autofree char *fake = g_build_filename(f->dir, "fake enrolsim", NULL);
  g_assert_true(g_file_set_contents(fake, "#!/bin/sh\nfor a; do echo \"[$a]\"; done\n", -1, NULL));
  g_assert_cmpint(g_chmod(fake, 0755), ==, 0);
  g_autofree char *path = NULL;
  g_assert_true(es_sweep_write_slurm(sw, fake, 3, &path, &error));
  g_assert_no_error(error);
  g_autofree char *want_path = g_build_filename(es_sweep_get_dir(sw), "sweep.slurm", NULL);
  g_assert_cmpstr(path, ==, want_path);
  g_assert_true(g_file_test(path, G_FILE_TEST_IS_EXECUTABLE));
  g_autofree char *written = NULL;
  g_assert_true(g_file_get_contents(path, &written, NULL, NULL));
  g_assert_nonnull(strstr(written, "\n#SBATCH --array=0-11%3\n"));

  const char *argv[] = {"bash", path, NULL};
  const char *envp[] = {"SLURM_ARRAY_TASK_ID=5", "PATH=/usr/bin:/bin", NULL};
  int status;
  g_autofree char *out = run_capture(argv, envp, &status);
  g_assert_cmpint(status, ==, 0);
  g_autofree char *want = g_strdup_printf("[sweep]\n[--task]\n[5]\n[%s]\n", es_sweep_get_dir(sw));
  g_assert_cmpstr(out, ==, want);
}

/* Folders #SBATCH cannot name as they are: a % (a pattern to sbatch) is doubled; one with a
 * quote or a backslash (sbatch has no escape for them) gets no --output line, the task sending
 * its output to the same log itself. */
static void test_slurm_output(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  const char *varies[] = {"raca.workers=1,2", NULL};
  g_autofree char *pct = g_build_filename(f->dir, "100%x", NULL);
  g_free(f->sweep_dir);
  f->sweep_dir = g_steal_pointer(&pct);
  g_autoptr(EsSweep) sw = new_sweep(f, varies, 1);
  g_autofree char *text = es_sweep_slurm_script(sw, "/opt/es/enrolsim", 0);
  g_autofree char *want_line =
      g_strdup_printf("\n#SBATCH --output=\"%s/100%%%%x/slurm-%%A_%%a.log\"\n", f->dir);
  g_assert_nonnull(strstr(text, want_line));
  g_assert_null(strstr(text, "exec >"));

  g_autofree char *odd = g_build_filename(f->dir, "a \"b\\c", NULL);
  g_free(f->sweep_dir);
  f->sweep_dir = g_steal_pointer(&odd);
  g_autoptr(EsSweep) sw2 = new_sweep(f, varies, 1);
  g_assert_true(es_sweep_write_manifest(sw2, &error));
  g_autofree char *fake = g_build_filename(f->dir, "fake", NULL);
  g_assert_true(g_file_set_contents(fake, "#!/bin/sh\necho \"ran $3\"\n", -1, NULL));
  g_assert_cmpint(g_chmod(fake, 0755), ==, 0);
  g_autofree char *path = NULL;
  g_assert_true(es_sweep_write_slurm(sw2, fake, 0, &path, &error));
  g_assert_no_error(error);
  g_autofree char *written = NULL;
  g_assert_true(g_file_get_contents(path, &written, NULL, NULL));
  g_assert_null(strstr(written, "--output"));
  const char *argv[] = {"bash", path, NULL};
  const char *envp[] = {"SLURM_ARRAY_JOB_ID=7", "SLURM_ARRAY_TASK_ID=1", "PATH=/usr/bin:/bin", NULL};
  int status;
  g_autofree char *out = run_capture(argv, envp, &status);
  g_assert_cmpint(status, ==, 0);
  g_assert_cmpstr(out, ==, "");
  g_autofree char *log = g_build_filename(f->sweep_dir, "slurm-7_1.log", NULL);
  g_autofree char *logged = NULL;
  g_assert_true(g_file_get_contents(log, &logged, NULL, NULL));
  g_assert_cmpstr(logged, ==, "ran 1\n");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/sweep/grid/order", Fixture, NULL, setup, test_grid_order, teardown);
  g_test_add("/sweep/grid/task-scenarios", Fixture, NULL, setup, test_task_scenarios, teardown);
  g_test_add("/sweep/grid/bad-input", Fixture, NULL, setup, test_bad_input, teardown);
  g_test_add("/sweep/folder/manifest", Fixture, NULL, setup, test_manifest, teardown);
  g_test_add("/sweep/folder/collect", Fixture, NULL, setup, test_collect, teardown);
  g_test_add("/sweep/slurm/script", Fixture, NULL, setup, test_slurm, teardown);
  g_test_add("/sweep/slurm/output", Fixture, NULL, setup, test_slurm_output, teardown);
  return g_test_run();
}

/* A parameter sweep: a grid of scenario values times R replications, each run a separate
 * process (`PROGRAM sweep --task I DIR`) in its own folder, locally or as a Slurm job array. */
#ifndef ES_SIM_SWEEP_H
#define ES_SIM_SWEEP_H

#include <signal.h>
#include <glib.h>

#include "results/es_sweep.h"
#include "sim/es_run.h"
#include "sim/es_scenario.h"

#define ES_SWEEP_ERROR (es_sweep_error_quark())
GQuark es_sweep_error_quark(void);
/* A bad grid, task or folder (nothing ran). Errors of other domains (a run's, a file not
 * written, a process not started) are failures while running. */
typedef enum { ES_SWEEP_ERROR_INPUT, ES_SWEEP_ERROR_INTERRUPTED } EsSweepError;

typedef struct EsSweep EsSweep;

/* A new sweep into folder `dir` (made absolute) from `base` (validated by the caller):
 * `varies` holds one "SECTION.KEY=V1,V2,..." per key, the first changing slowest over the
 * grid; replication r (0-based) runs with seed base->seed + r at every grid point. Every
 * key, value and grid point's scenario is checked here (ES_SWEEP_ERROR_INPUT), so a mistake
 * stops the sweep before anything runs. */
EsSweep *es_sweep_new(const char *dir, const EsScenario *base, const char *const *varies,
                      guint runs, GError **error);
/* The sweep a folder holds (DIR/sweep.ini; DIR/base.ini is read per task): what a task, a
 * resumed sweep or a collection needs without the original command line. */
EsSweep *es_sweep_load(const char *dir, GError **error);
void es_sweep_free(EsSweep *sw);

const char *es_sweep_get_dir(const EsSweep *sw);
guint es_sweep_get_runs(const EsSweep *sw);
guint es_sweep_get_n_points(const EsSweep *sw);
/* Grid points times replications; task t is replication t % runs of point t / runs. */
guint es_sweep_get_n_tasks(const EsSweep *sw);
guint es_sweep_get_n_keys(const EsSweep *sw);
const char *es_sweep_get_key(const EsSweep *sw, guint k);
/* Point p's value of key k, as the user wrote it. */
const char *es_sweep_get_value(const EsSweep *sw, guint point, guint k);
/* The most eNBs of any grid point (0 for a loaded sweep): what a cluster job is sized by. */
guint es_sweep_get_max_enbs(const EsSweep *sw);
/* "raca.workers=2,backhaul.loss=0.01" ('/' as '_'): the point's folder name. Caller frees. */
char *es_sweep_dup_point_label(const EsSweep *sw, guint point);
/* DIR/<point label>/rep-<r>/, the folder of task t. Caller frees. */
char *es_sweep_dup_task_dir(const EsSweep *sw, guint task);
/* The scenario of task t: DIR/base.ini, the point's values, the replication's seed,
 * validated. Caller frees. */
EsScenario *es_sweep_build_task_scenario(const EsSweep *sw, guint task, GError **error);

/* Whether DIR may take this sweep: TRUE with *resumed set when DIR holds this very sweep
 * (same grid, runs, seed and base scenario) or none; an error when it holds another. */
gboolean es_sweep_check_folder(const EsSweep *sw, gboolean *resumed, GError **error);
/* Creates DIR and writes DIR/sweep.ini and DIR/base.ini (sweeps made by es_sweep_new). */
gboolean es_sweep_write_manifest(const EsSweep *sw, GError **error);

/* *done when task t's folder holds a finished run of exactly its scenario; an error when it
 * holds a run of another (it would be mixed silently into the statistics). */
gboolean es_sweep_task_is_done(const EsSweep *sw, guint task, gboolean *done, GError **error);
/* Runs task t in this process into its folder, then marks it done; *already when it was done
 * (nothing ran, *result untouched). */
gboolean es_sweep_run_task(const EsSweep *sw, guint task, gboolean *already, EsRunResult *result,
                           GError **error);

/* NULL, or set non-zero (to the signal's number) by a signal handler: a task run in this
 * process stops at its next event, keeps its results and is not marked done
 * (ES_SWEEP_ERROR_INTERRUPTED); es_sweep_run_local starts no further task, passes the signal
 * on to the tasks in flight and waits for them. */
void es_sweep_set_interrupt(EsSweep *sw, const volatile sig_atomic_t *flag);

/* A task process of es_sweep_run_local ended. */
typedef struct {
  guint task;
  guint ended;     /* tasks ended or skipped so far, this one included */
  double wall_s;   /* since it was started */
  int wait_status; /* as waitpid gives it */
} EsSweepTaskEnd;
typedef void (*EsSweepTaskEndFn)(void *arg, const EsSweepTaskEnd *end);

/* Runs every task not done as `program sweep --task I DIR`, `jobs` at a time, each with its
 * output in its folder's run.log, calling `fn` as each ends. *failed counts the tasks that
 * did not exit 0, *skipped those done already. FALSE on an error that stopped it (the tasks
 * in flight are waited for first). */
gboolean es_sweep_run_local(const EsSweep *sw, const char *program, guint jobs, EsSweepTaskEndFn fn,
                            void *arg, guint *failed, guint *skipped, GError **error);

/* The text of DIR/sweep.slurm: one array task per run, each `$ENROLSIM sweep --task
 * $SLURM_ARRAY_TASK_ID DIR` with ENROLSIM defaulting to `program`; `jobs` caps the tasks
 * running at once (0: the scheduler decides); memory sized for the largest point. */
char *es_sweep_slurm_script(const EsSweep *sw, const char *program, guint jobs);
/* Writes it, executable; *path (caller frees) is where. */
gboolean es_sweep_write_slurm(const EsSweep *sw, const char *program, guint jobs, char **path,
                              GError **error);

/* What es_sweep_collect found besides the table. */
typedef struct {
  guint found;    /* finished runs aggregated */
  guint missing;  /* runs not finished: their points have fewer replications */
  char *scenario; /* the runs' scenario name, NULL when none finished */
  char *csv_path; /* DIR/sweep.csv */
} EsSweepCollected;
void es_sweep_collected_clear(EsSweepCollected *c);

/* One sentence for the user while collecting, in task order: the first few runs not
 * finished, runs built from another revision than the first. */
typedef void (*EsSweepNoteFn)(void *arg, const char *note);

/* Reads every finished run into the table (caller frees) and writes DIR/sweep.csv. A run of
 * another scenario or an unreadable summary is ES_SWEEP_ERROR_INPUT. */
EsSweepTable *es_sweep_collect(const EsSweep *sw, EsSweepNoteFn note, void *arg,
                               EsSweepCollected *collected, GError **error);
/* DIR/plots/ of the table: *n_images PNG and SVG files written (and one gnuplot script per
 * PNG and SVG pair). */
gboolean es_sweep_write_plots(const EsSweep *sw, const EsSweepTable *table, const char *scenario,
                              guint *n_images, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsSweep, es_sweep_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(EsSweepCollected, es_sweep_collected_clear)

#endif

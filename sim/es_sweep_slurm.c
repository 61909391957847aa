/* A sweep as a Slurm job array: one array task per run, each `enrolsim sweep --task`. */
#include "sim/es_sweep.h"

#include <glib/gstdio.h>
#include <string.h>

/* sbatch reads an #SBATCH value in double quotes (spaces allowed) and expands %-patterns in
 * --output, %% being a literal %; it has no escape for a quote or a backslash, and a newline
 * ends the line. NULL when the folder cannot be written there. */
static char *sbatch_output(const char *dir)
{
  if (strpbrk(dir, "\"\\\n") != NULL)
    return NULL;
  g_auto(GStrv) parts = g_strsplit(dir, "%", -1);
  g_autofree char *escaped = g_strjoinv("%%", parts);
  return g_strdup_printf("#SBATCH --output=\"%s/slurm-%%A_%%a.log\"\n", escaped);
}

char *es_sweep_slurm_script(const EsSweep *sw, const char *program, guint jobs)
{
  g_autofree char *q_dir = g_shell_quote(es_sweep_get_dir(sw));
  g_autofree char *q_program = g_shell_quote(program);
  /* Peak memory grows with the eNBs (tens of KiB each, more while enrolling); leave room. */
  guint mem_mib = 512 + es_sweep_get_max_enbs(sw) / 8;
  /* A cap on the array tasks running at once; without it the scheduler decides. */
  char throttle[16] = "";
  if (jobs > 0)
    g_snprintf(throttle, sizeof throttle, "%%%u", jobs);
  guint n = es_sweep_get_n_tasks(sw);
  /* In the comments a newline in the folder would start a line the shell runs. */
  g_autofree char *c_dir = g_strdelimit(g_strdup(q_dir), "\n", '?');
  /* A folder #SBATCH cannot name: the task sends its own output there, and only what Slurm
   * itself reports before the script starts goes to slurm-<job>_<task>.out where sbatch ran. */
  g_autofree char *output = sbatch_output(es_sweep_get_dir(sw));
  g_autofree char *redirect =
      output ? g_strdup("")
             : g_strdup_printf("exec >%s/\"slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.log\" 2>&1\n",
                               q_dir);
  return g_strdup_printf(
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
      "%s"
      "set -euo pipefail\n"
      "%s"
      "ENROLSIM=${ENROLSIM:-%s}\n"
      "exec \"$ENROLSIM\" sweep --task \"$SLURM_ARRAY_TASK_ID\" %s\n",
      n, es_sweep_get_n_points(sw), es_sweep_get_runs(sw), c_dir, c_dir, n - 1, throttle, mem_mib,
      output ? output : "", redirect, q_program, q_dir);
}

gboolean es_sweep_write_slurm(const EsSweep *sw, const char *program, guint jobs, char **path,
                              GError **error)
{
  g_autofree char *p = g_build_filename(es_sweep_get_dir(sw), "sweep.slurm", NULL);
  g_autofree char *text = es_sweep_slurm_script(sw, program, jobs);
  if (!g_file_set_contents(p, text, -1, error))
    return FALSE;
  g_chmod(p, 0755);
  if (path)
    *path = g_steal_pointer(&p);
  return TRUE;
}

/* Plots drawn by gnuplot from the files a run or a sweep wrote: each plot is a gnuplot script
 * kept beside its PNG and SVG, so it can be redrawn or restyled without running anything. */
#ifndef ES_PLOT_H
#define ES_PLOT_H

#include "results/es_recorder.h"
#include "results/es_sweep.h"
#include <glib.h>

/* The gnuplot to run: $ENROLSIM_GNUPLOT when set, else `gnuplot` on PATH. NULL with an
 * ES_RESULTS_ERROR_GNUPLOT_MISSING error (saying how to install it) when there is none. */
char *es_plot_find_gnuplot(GError **error);

/* Runs gnuplot on `scripts` (file names relative to `workdir`), in `workdir`. Its messages
 * are in the error when it fails (ES_RESULTS_ERROR_GNUPLOT). */
gboolean es_plot_gnuplot(const char *workdir, const char *const *scripts, GError **error);

/* A run's plots in DIR/plots/: latency_cdf, enrolled_over_time, raca_queue (when
 * raca_queue.csv exists), crl_size (when crl.csv exists) and day2_transitions (when an eNB
 * renewed or tried to, or crl_enforcement.csv or rollover.csv exists; a rollover.csv without
 * trusted_s and reissued_s columns is an ES_RESULTS_ERROR_PARSE error), each as .gp, .png
 * and .svg, titled with the scenario and seed of
 * DIR/scenario.ini. The scripts are written before gnuplot is looked for, so they stay even
 * when it is missing. *written (may be NULL) receives the image files (g_strfreev). Fails
 * when DIR has no readable enrolments.csv, or as es_plot_find_gnuplot and es_plot_gnuplot. */
gboolean es_plot_run_dir(const char *dir, char ***written, GError **error);

/* A sweep's plots in DIR/plots/: each main metric against each varied key (mean with 95 %
 * confidence bars, one line per combination of the other keys), as <metric>_vs_<key>.gp,
 * .png and .svg. `subtitle` goes under each title (scenario, replications). */
gboolean es_plot_sweep(const EsSweepTable *t, const char *dir, const char *subtitle,
                       char ***written, GError **error);

/* `text` as a gnuplot double-quoted string, quotes included: " and \ escaped, newlines as
 * \n (a line break in a title), other control characters as spaces. */
char *es_plot_quote(const char *text);

#endif

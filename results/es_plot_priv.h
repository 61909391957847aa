/* What the run plots' files share: a script's header, its PNG-and-SVG loop and quoting
 * (es_plot.c), and the day-2 plots' scripts (es_plot_day2.c). Private to results/. */
#ifndef ES_PLOT_PRIV_H
#define ES_PLOT_PRIV_H

#include <glib.h>

/* The first lines of a run plot's script: what it draws and how to redraw it, from a clean
 * gnuplot state (several scripts run in one gnuplot). */
void es_plot_append_header(GString *gp, const char *what, const char *redraw);
/* The loop that draws plot `name` as PNG and SVG: `pre` runs before `plot` in each round. */
void es_plot_append_outputs(GString *gp, const char *name, const char *pre, const char *plot);
/* printf of `fmt` as a quoted gnuplot string, appended. */
void es_plot_append_quoted(GString *gp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* crl_size: the entries and bytes of every CRL in DIR/crl.csv over simulated time, full and
 * delta CRLs apart. *gp NULL (and TRUE) when the run has no crl.csv. */
gboolean es_plot_crl_size_script(const char *dir, const char *title, GString **gp,
                                 GError **error);
/* day2_transitions: the share of the eNBs concerned that completed each day-2 transition over
 * simulated time: renewals (enrolments.csv), enforcing a mass revocation
 * (crl_enforcement.csv), trusting a new root and holding a certificate under it
 * (rollover.csv). *gp NULL (and TRUE) when the run has none of them. */
gboolean es_plot_day2_script(const char *dir, const char *title, GString **gp, GError **error);

#endif

/* Unit tests of the plots: gnuplot draws PNG and SVG with titles and axis labels from a
 * result folder's CSV files; a missing or failing gnuplot is a clear error and leaves the
 * CSV files and the scripts. Tests needing gnuplot skip when it is not installed. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "results/es_plot.h"
#include "results/es_summary.h"

static const char enrolments[] =
    "enb,start_s,ir_sent_s,ip_received_s,certconf_sent_s,pkiconf_received_s,done_s,outcome,"
    "attempts,serial,revoked\n"
    "1,0.100000,0.125000,0.200000,0.210000,0.300000,0.300000,enrolled,1,7F01,0\n"
    "2,0.500000,0.520000,,,,60.520000,timeout,3,,0\n"
    "3,1.000000,1.020000,1.100000,1.110000,1.200000,1.200000,enrolled,1,7F02,0\n"
    "4,1.500000,1.520000,1.600000,1.610000,1.900000,1.900000,enrolled,1,7F03,0\n";

static const char queue[] = "time_s,raca,queued,busy\n"
                            "0.000000,0,0,0\n"
                            "0.125000,0,0,1\n"
                            "0.130000,0,2,2\n"
                            "0.300000,0,0,0\n";

static char *make_run_dir(void)
{
  char *dir = g_dir_make_tmp("es-plot-XXXXXX", NULL);
  g_assert_nonnull(dir);
  g_autofree char *csv = g_build_filename(dir, "enrolments.csv", NULL);
  g_autofree char *q = g_build_filename(dir, "raca_queue.csv", NULL);
  g_autofree char *ini = g_build_filename(dir, "scenario.ini", NULL);
  g_assert_true(g_file_set_contents(csv, enrolments, -1, NULL));
  g_assert_true(g_file_set_contents(q, queue, -1, NULL));
  g_assert_true(g_file_set_contents(ini, "[scenario]\nname=o'small\nseed=7\n", -1, NULL));
  return dir;
}

static void rm_tree(const char *path)
{
  if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
      g_autofree char *p = g_build_filename(path, name, NULL);
      rm_tree(p);
    }
    if (d)
      g_dir_close(d);
    g_rmdir(path);
  } else {
    g_remove(path);
  }
}

static char *read_text(const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  char *text = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &text, &len, NULL));
  return text;
}

static gboolean have_gnuplot(void)
{
  g_autofree char *g = es_plot_find_gnuplot(NULL);
  if (!g)
    g_test_skip("gnuplot is not installed");
  return g != NULL;
}

static void test_quote(void)
{
  g_autofree char *q = es_plot_quote("it's \"a\"\\\ntest\t!");
  g_assert_cmpstr(q, ==, "\"it's \\\"a\\\"\\\\\\ntest !\"");
}

static void test_run_plots(void)
{
  if (!have_gnuplot())
    return;
  char *dir = make_run_dir();
  g_auto(GStrv) written = NULL;
  GError *error = NULL;
  g_assert_true(es_plot_run_dir(dir, &written, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(g_strv_length(written), ==, 6);
  g_autofree char *plots = g_build_filename(dir, "plots", NULL);
  static const char *const names[] = {"latency_cdf", "enrolled_over_time", "raca_queue"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *png_name = g_strconcat(names[i], ".png", NULL);
    g_autofree char *svg_name = g_strconcat(names[i], ".svg", NULL);
    g_autofree char *gp_name = g_strconcat(names[i], ".gp", NULL);
    g_autofree char *png = read_text(plots, png_name);
    g_assert_true(memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    g_autofree char *svg = read_text(plots, svg_name);
    g_assert_nonnull(strstr(svg, "<svg"));
    /* titles name the scenario (its quote survived) and the seed; axes carry units */
    g_assert_nonnull(strstr(svg, "scenario o'small, seed 7"));
    g_assert_nonnull(strstr(svg, "simulated time (s)") || strstr(svg, "latency, power-on"));
    g_autofree char *gp = read_text(plots, gp_name);
    g_assert_true(g_str_has_prefix(gp, "# "));
  }
  g_autofree char *cdf = read_text(plots, "latency_cdf.svg");
  g_assert_nonnull(strstr(cdf, "enrolment latency, power-on to enrolled (s)"));
  g_assert_nonnull(strstr(cdf, "3 of 4 eNBs enrolled"));
  g_autofree char *q = read_text(plots, "raca_queue.svg");
  g_assert_nonnull(strstr(q, "requests"));
  g_assert_nonnull(strstr(q, "requests waiting for a worker"));
  /* A run folder written before the CA backlog column: no backlog curve, no error. */
  g_assert_null(strstr(q, "CA backlog"));
  rm_tree(dir);
  g_free(dir);
}

/* Requests answered `waiting` (the `waiting` column above 0): the CA's backlog is drawn too. */
static void test_backlog_plot(void)
{
  if (!have_gnuplot())
    return;
  char *dir = make_run_dir();
  g_autofree char *q = g_build_filename(dir, "raca_queue.csv", NULL);
  g_assert_true(g_file_set_contents(q, "time_s,raca,queued,busy,waiting\n"
                                       "0.000000,0,0,0,0\n"
                                       "0.125000,0,0,1,0\n"
                                       "0.130000,0,0,0,1\n"
                                       "5.300000,0,0,0,0\n", -1, NULL));
  g_auto(GStrv) written = NULL;
  GError *error = NULL;
  g_assert_true(es_plot_run_dir(dir, &written, &error));
  g_assert_no_error(error);
  g_autofree char *plots = g_build_filename(dir, "plots", NULL);
  g_autofree char *svg = read_text(plots, "raca_queue.svg");
  g_assert_nonnull(strstr(svg, "RA/CA queue and CA backlog over time"));
  g_assert_nonnull(strstr(svg, "answered waiting, not issued yet (CA backlog)"));
  rm_tree(dir);
  g_free(dir);
}

/* Several access classes: one latency curve each, on a log axis (fibre and satellite differ
 * by orders of magnitude); time axes start at 0, also for a burst whose eNBs all start at 0. */
static void test_access_curves(void)
{
  char *dir = make_run_dir();
  g_autofree char *csv = g_build_filename(dir, "enrolments.csv", NULL);
  g_assert_true(g_file_set_contents(
      csv,
      "enb,start_s,done_s,outcome,access,raca\n"
      "1,0.000000,0.300000,enrolled,satellite,0\n"
      "2,0.000000,0.010000,enrolled,fibre,0\n"
      "3,0.000000,,timeout,microwave,0\n",
      -1, NULL));
  g_setenv("ENROLSIM_GNUPLOT", "/nonexistent/gnuplot", TRUE);
  g_assert_false(es_plot_run_dir(dir, NULL, NULL)); /* the scripts are written first */
  g_unsetenv("ENROLSIM_GNUPLOT");
  g_autofree char *plots = g_build_filename(dir, "plots", NULL);
  g_autofree char *cdf = read_text(plots, "latency_cdf.gp");
  g_assert_nonnull(strstr(cdf, "set logscale x"));
  g_assert_nonnull(strstr(cdf, "strcol('access') eq \"fibre\""));
  g_assert_nonnull(strstr(cdf, "strcol('access') eq \"satellite\""));
  g_assert_null(strstr(cdf, "microwave")); /* no enrolled eNB: no curve */
  g_autofree char *over = read_text(plots, "enrolled_over_time.gp");
  g_assert_nonnull(strstr(over, "set xrange [0:*]"));
  rm_tree(dir);
  g_free(dir);
}

/* No gnuplot: a message that says so and how to get it; scripts and CSV files stay. */
static void test_missing_gnuplot(void)
{
  char *dir = make_run_dir();
  g_setenv("ENROLSIM_GNUPLOT", "/nonexistent/gnuplot", TRUE);
  GError *error = NULL;
  g_assert_false(es_plot_run_dir(dir, NULL, &error));
  g_unsetenv("ENROLSIM_GNUPLOT");
  g_assert_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_GNUPLOT_MISSING);
  g_assert_nonnull(strstr(error->message, "gnuplot not found"));
  g_clear_error(&error);
  g_autofree char *csv = read_text(dir, "enrolments.csv");
  g_assert_cmpstr(csv, ==, enrolments);
  g_autofree char *gp = g_build_filename(dir, "plots", "latency_cdf.gp", NULL);
  g_assert_true(g_file_test(gp, G_FILE_TEST_EXISTS));
  rm_tree(dir);
  g_free(dir);
}

static void test_failing_gnuplot(void)
{
  char *dir = make_run_dir();
  g_setenv("ENROLSIM_GNUPLOT", "false", TRUE);
  GError *error = NULL;
  g_assert_false(es_plot_run_dir(dir, NULL, &error));
  g_unsetenv("ENROLSIM_GNUPLOT");
  g_assert_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_GNUPLOT);
  g_clear_error(&error);
  rm_tree(dir);
  g_free(dir);
}

static void test_not_a_run(void)
{
  char *dir = g_dir_make_tmp("es-plot-XXXXXX", NULL);
  GError *error = NULL;
  g_assert_false(es_plot_run_dir(dir, NULL, &error));
  g_assert_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_IO);
  g_clear_error(&error);
  g_autofree char *csv = g_build_filename(dir, "enrolments.csv", NULL);
  g_assert_true(g_file_set_contents(csv, "a,b\n1,2\n", -1, NULL));
  g_assert_false(es_plot_run_dir(dir, NULL, &error));
  g_assert_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_PARSE);
  g_clear_error(&error);
  rm_tree(dir);
  g_free(dir);
}

/* No eNB enrolled: still a plot (an empty CDF says so), not a gnuplot error. */
static void test_nothing_enrolled(void)
{
  if (!have_gnuplot())
    return;
  char *dir = make_run_dir();
  g_autofree char *csv = g_build_filename(dir, "enrolments.csv", NULL);
  g_assert_true(g_file_set_contents(csv,
                                    "enb,start_s,ir_sent_s,ip_received_s,certconf_sent_s,"
                                    "pkiconf_received_s,done_s,outcome,attempts,serial,revoked\n"
                                    "1,0.1,,,,,,unfinished,0,,0\n",
                                    -1, NULL));
  GError *error = NULL;
  g_assert_true(es_plot_run_dir(dir, NULL, &error));
  g_assert_no_error(error);
  g_autofree char *plots = g_build_filename(dir, "plots", NULL);
  g_autofree char *svg = read_text(plots, "latency_cdf.svg");
  g_assert_nonnull(strstr(svg, "no eNB enrolled"));
  rm_tree(dir);
  g_free(dir);
}

static void write_file(const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void assert_drawn(const char *plots, const char *name)
{
  g_autofree char *png_name = g_strconcat(name, ".png", NULL);
  g_autofree char *svg_name = g_strconcat(name, ".svg", NULL);
  g_autofree char *png = read_text(plots, png_name);
  g_assert_true(memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
  g_autofree char *svg = read_text(plots, svg_name);
  g_assert_nonnull(strstr(svg, "<svg"));
}

/* The points gnuplot draws for the plot command of PLOTS/NAME.gp, as `set table` writes
 * them: one block per curve, "x y i" for each defined point. */
static char *plotted_points(const char *plots, const char *name)
{
  g_autofree char *gp_name = g_strconcat(name, ".gp", NULL);
  g_autofree char *gp = read_text(plots, gp_name);
  const char *plot = strstr(gp, "  plot ");
  g_assert_nonnull(plot);
  const char *end = strstr(plot, "  set output\n");
  g_assert_nonnull(end);
  g_autofree char *cmd = g_strndup(plot, (gsize)(end - plot));
  /* Before the plot command what the loop runs before it (the carried values). */
  const char *pre = strstr(gp, "  set output '");
  pre = pre != NULL ? strchr(pre, '\n') + 1 : plot;
  g_autofree char *before = g_strndup(pre, (gsize)(plot - pre));
  /* ...and before the loop the script's settings and constants. */
  const char *loop = strstr(gp, "do for [fmt");
  g_assert_nonnull(loop);
  g_autofree char *settings = g_strndup(gp, (gsize)(loop - gp));
  g_autofree char *table = g_strdup_printf("%sset table 'points.txt'\n%s%sunset table\n",
                                           settings, before, cmd);
  write_file(plots, "points.gp", table);
  const char *const scripts[] = {"points.gp", NULL};
  GError *error = NULL;
  g_assert_true(es_plot_gnuplot(plots, scripts, &error));
  g_assert_no_error(error);
  return read_text(plots, "points.txt");
}

/* The last defined point of curve `curve` (0-based) in `points`. */
static void last_point(const char *points, guint curve, double *x, double *y)
{
  g_autofree char *mark = g_strdup_printf("# Curve %u of", curve);
  const char *p = strstr(points, mark);
  g_assert_nonnull(p);
  g_autofree char *next_mark = g_strdup_printf("# Curve %u of", curve + 1);
  const char *next = strstr(p, next_mark);
  *x = *y = -1;
  gsize len = next != NULL ? (gsize)(next - p) : strlen(p);
  g_autofree char *block = g_strndup(p, len);
  g_auto(GStrv) rows = g_strsplit(block, "\n", -1);
  for (gsize i = 0; rows[i]; i++) {
    double a, b;
    char type;
    if (sscanf(rows[i], " %lf %lf %c", &a, &b, &type) == 3 && type == 'i') {
      *x = a;
      *y = b;
    }
  }
}

/* A failed eNB between enrolled ones breaks no curve: each counts every eNB it should. */
static void test_counted_curves(void)
{
  if (!have_gnuplot())
    return;
  char *dir = make_run_dir();
  GError *error = NULL;
  g_assert_true(es_plot_run_dir(dir, NULL, &error));
  g_assert_no_error(error);
  g_autofree char *plots = g_build_filename(dir, "plots", NULL);
  double x, y;
  g_autofree char *over = plotted_points(plots, "enrolled_over_time");
  last_point(over, 0, &x, &y); /* powered on: 4, the last at 1.5 s */
  g_assert_cmpfloat_with_epsilon(x, 1.5, 1e-9);
  g_assert_cmpfloat_with_epsilon(y, 4, 1e-9);
  last_point(over, 1, &x, &y); /* enrolled: 3, the last at 1.9 s */
  g_assert_cmpfloat_with_epsilon(x, 1.9, 1e-9);
  g_assert_cmpfloat_with_epsilon(y, 3, 1e-9);
  last_point(over, 3, &x, &y); /* failed: 1, at 60.52 s */
  g_assert_cmpfloat_with_epsilon(x, 60.52, 1e-9);
  g_assert_cmpfloat_with_epsilon(y, 1, 1e-9);
  g_autofree char *cdf = plotted_points(plots, "latency_cdf");
  last_point(cdf, 0, &x, &y); /* every enrolled eNB, the slowest 0.4 s */
  g_assert_cmpfloat_with_epsilon(x, 0.4, 1e-9);
  g_assert_cmpfloat_with_epsilon(y, 1, 1e-9);
  rm_tree(dir);
  g_free(dir);
}

static const char crl_csv[] = "t_s,number,kind,entries,bytes\n"
                              "0.000000,1,full,0,700\n"
                              "900.000000,2,delta,0,400\n"
                              "3600.000000,3,delta,30,1500\n"
                              "3600.000000,4,full,30,2100\n"
                              "4500.000000,5,delta,31,1540\n";

/* crl.csv: entries and bytes of full and delta CRLs apart, each as a step line that holds
 * its kind's last value; no day-2 plot without day-2 files. */
static void test_crl_size(void)
{
  if (!have_gnuplot())
    return;
  char *dir = make_run_dir();
  write_file(dir, "crl.csv", crl_csv);
  g_auto(GStrv) written = NULL;
  GError *error = NULL;
  g_assert_true(es_plot_run_dir(dir, &written, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(g_strv_length(written), ==, 8);
  g_autofree char *plots = g_build_filename(dir, "plots", NULL);
  assert_drawn(plots, "crl_size");
  g_autofree char *gp_path = g_build_filename(plots, "day2_transitions.gp", NULL);
  g_assert_false(g_file_test(gp_path, G_FILE_TEST_EXISTS));
  g_autofree char *gp = read_text(plots, "crl_size.gp");
  g_assert_nonnull(strstr(gp, "strcol('kind') eq 'full' ? (FE = column('entries'))"));
  g_assert_nonnull(strstr(gp, "strcol('kind') eq 'full' ? (FB = column('bytes'))"));
  g_assert_nonnull(strstr(gp, "strcol('kind') eq 'delta' ? (DE = column('entries'))"));
  g_assert_nonnull(strstr(gp, "strcol('kind') eq 'delta' ? (DB = column('bytes'))"));
  g_autofree char *svg = read_text(plots, "crl_size.svg");
  g_assert_nonnull(strstr(svg, "2 full and 3 delta CRLs published"));
  g_assert_nonnull(strstr(svg, "delta CRL bytes (right axis)"));
  g_assert_nonnull(strstr(svg, "simulated time (s)"));
  /* Each series ends at its kind's last CRL: full 30 entries, 2100 B; delta 31, 1540 B. */
  g_autofree char *points = plotted_points(plots, "crl_size");
  static const double last[4] = {30, 2100, 31, 1540};
  for (guint c = 0; c < 4; c++) {
    double x, y;
    last_point(points, c, &x, &y);
    g_assert_cmpfloat(x, ==, 4500);
    g_assert_cmpfloat(y, ==, last[c]);
  }
  /* Full CRLs only: no delta series. */
  write_file(dir, "crl.csv", "t_s,number,kind,entries,bytes\n0.000000,1,full,0,700\n");
  g_assert_true(es_plot_run_dir(dir, NULL, &error));
  g_assert_no_error(error);
  g_autofree char *full = read_text(plots, "crl_size.gp");
  g_assert_null(strstr(full, "'delta'"));
  g_assert_nonnull(strstr(full, "'full'"));
  rm_tree(dir);
  g_free(dir);
}

/* Renewals (enrolments.csv), enforcement (crl_enforcement.csv) and a root rollover
 * (rollover.csv, read by column name, empty cells never): each curve ends at its share. */
static void test_day2_transitions(void)
{
  if (!have_gnuplot())
    return;
  char *dir = make_run_dir();
  write_file(dir, "enrolments.csv",
             "enb,start_s,done_s,outcome,access\n"
             "1,10.000000,10.200000,renewed,fibre\n"
             "2,20.000000,20.300000,renewed,fibre\n"
             "3,30.000000,,renew_timeout,satellite\n"
             "4,0.000000,,installed,fibre\n");
  write_file(dir, "crl_enforcement.csv", "enb,access,enforced_s\n"
                                         "1,fibre,3610.000000\n"
                                         "2,fibre,3620.500000\n"
                                         "3,satellite,\n"
                                         "4,fibre,3605.000000\n");
  /* Columns in another order, one more: read by name. */
  write_file(dir, "rollover.csv", "reissued_s,enb,access,trusted_s,note\n"
                                  ",1,fibre,100.000000,x\n"
                                  "900.000000,2,fibre,200.000000,x\n"
                                  ",3,satellite,,x\n"
                                  ",4,fibre,400.000000,x\n");
  g_auto(GStrv) written = NULL;
  GError *error = NULL;
  g_assert_true(es_plot_run_dir(dir, &written, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(g_strv_length(written), ==, 8);
  g_autofree char *plots = g_build_filename(dir, "plots", NULL);
  assert_drawn(plots, "day2_transitions");
  g_autofree char *gp = read_text(plots, "day2_transitions.gp");
  g_assert_nonnull(strstr(gp, "'../enrolments.csv' using (strcol('outcome') eq 'renewed' ? "
                              "column('done_s') : 0):(strcol('outcome') eq 'renewed' ? 100.0 / 4 "
                              ": 0)"));
  g_assert_nonnull(strstr(gp, "'../crl_enforcement.csv' using (strlen(strcol('enforced_s')) > 0 "
                              "? column('enforced_s') : 0)"));
  g_assert_nonnull(strstr(gp, "column('trusted_s')"));
  g_assert_nonnull(strstr(gp, "column('reissued_s')"));
  g_autofree char *svg = read_text(plots, "day2_transitions.svg");
  g_assert_nonnull(strstr(svg, "renewals completed: 2 of 4 eNBs"));
  g_assert_nonnull(strstr(svg, "enforcing the mass revocation (holding a CRL that lists it): 3 of 4 eNBs"));
  g_assert_nonnull(strstr(svg, "trusting the new root: 3 of 4 eNBs"));
  g_assert_nonnull(strstr(svg, "holding a certificate under the new root: 1 of 4 eNBs"));
  g_assert_nonnull(strstr(svg, "share of the eNBs concerned (%)"));
  /* Where each curve ends: when its last eNB got there, at its share. */
  g_autofree char *points = plotted_points(plots, "day2_transitions");
  static const double end_x[] = {20.3, 3620.5, 400, 900}, end_y[] = {50, 75, 75, 25};
  for (guint c = 0; c < 4; c++) {
    double x, y;
    last_point(points, c, &x, &y);
    g_assert_cmpfloat_with_epsilon(x, end_x[c], 1e-6);
    g_assert_cmpfloat_with_epsilon(y, end_y[c], 1e-6);
  }
  /* A rollover.csv without its columns is no rollover.csv: said so, nothing drawn. */
  write_file(dir, "rollover.csv", "enb,trusted\n1,5\n");
  g_assert_false(es_plot_run_dir(dir, NULL, &error));
  g_assert_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_PARSE);
  g_assert_nonnull(strstr(error->message, "reissued_s"));
  g_clear_error(&error);
  /* Only the rollover, no eNB there yet: still drawn, saying so. */
  g_autofree char *erm = g_build_filename(dir, "crl_enforcement.csv", NULL);
  g_remove(erm);
  write_file(dir, "enrolments.csv", enrolments);
  write_file(dir, "rollover.csv", "enb,access,trusted_s,reissued_s\n1,fibre,,\n2,fibre,,\n");
  g_assert_true(es_plot_run_dir(dir, NULL, &error));
  g_assert_no_error(error);
  g_autofree char *none = read_text(plots, "day2_transitions.svg");
  g_assert_nonnull(strstr(none, "trusting the new root: 0 of 2 eNBs"));
  g_assert_nonnull(strstr(none, "no eNB completed a transition"));
  g_autofree char *gp2 = read_text(plots, "day2_transitions.gp");
  g_assert_null(strstr(gp2, "renewals completed"));
  rm_tree(dir);
  g_free(dir);
}

static void test_sweep_plots(void)
{
  if (!have_gnuplot())
    return;
  char *dir = g_dir_make_tmp("es-plot-XXXXXX", NULL);
  const char *keys[] = {"raca.workers", "backhaul.loss", NULL};
  g_autoptr(EsSweepTable) t = es_sweep_table_new(keys);
  const char *grid[4][2] = {{"1", "0"}, {"1", "0.01"}, {"2", "0"}, {"2", "0.01"}};
  for (int p = 0; p < 4; p++) {
    const char *values[] = {grid[p][0], grid[p][1], NULL};
    es_sweep_table_add_point(t, values);
    for (int r = 0; r < 2; r++) {
      g_autoptr(EsSummary) s = es_summary_new();
      es_summary_set_string(s, "scenario", "small");
      es_summary_set_double(s, "latency_s.p99", 1.0 / (p / 2 + 1) + 0.1 * r + 0.01 * (p % 2));
      g_assert_true(
          es_summary_set_parameters(s, "attributes.parameters", "[scenario]\nseed=1\n", NULL));
      g_autofree char *path = g_build_filename(dir, "s.json", NULL);
      g_assert_true(es_summary_write(s, path, NULL));
      g_autoptr(EsSummaryFile) f = es_summary_file_load(path, NULL);
      es_sweep_table_add_run(t, (guint)p, f);
      g_remove(path);
    }
  }
  g_auto(GStrv) written = NULL;
  GError *error = NULL;
  gboolean ok = es_plot_sweep(t, dir, "sweep of scenario small", &written, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  guint n_metrics;
  es_sweep_metrics(&n_metrics);
  g_assert_cmpuint(g_strv_length(written), ==, 2 * 2 * n_metrics);
  g_autofree char *plots = g_build_filename(dir, "plots", NULL);
  g_autofree char *svg = read_text(plots, "latency_p99_s_vs_raca.workers.svg");
  g_assert_nonnull(strstr(svg, "p99 enrolment latency of enrolled eNBs (s) against raca.workers"));
  /* one line per value of the other key */
  g_assert_nonnull(strstr(svg, "backhaul.loss=0.01"));
  rm_tree(dir);
  g_free(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/plot/quote", test_quote);
  g_test_add_func("/plot/run", test_run_plots);
  g_test_add_func("/plot/backlog", test_backlog_plot);
  g_test_add_func("/plot/missing-gnuplot", test_missing_gnuplot);
  g_test_add_func("/plot/access-curves", test_access_curves);
  g_test_add_func("/plot/failing-gnuplot", test_failing_gnuplot);
  g_test_add_func("/plot/not-a-run", test_not_a_run);
  g_test_add_func("/plot/nothing-enrolled", test_nothing_enrolled);
  g_test_add_func("/plot/counted-curves", test_counted_curves);
  g_test_add_func("/plot/crl-size", test_crl_size);
  g_test_add_func("/plot/day2-transitions", test_day2_transitions);
  g_test_add_func("/plot/sweep", test_sweep_plots);
  return g_test_run();
}

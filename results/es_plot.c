/* gnuplot scripts for a run (reading its CSV files by column name, so added columns do not
 * break them) and for a sweep (its points inline), and gnuplot run on them. */
#include "results/es_plot.h"
#include "results/es_plot_priv.h"
#include "results/es_queue_log.h"
#include "results/es_outdir.h"
#include "results/es_summary_file.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#define PLOT_SIZE "960,600"

char *es_plot_quote(const char *text)
{
  GString *out = g_string_new("\"");
  for (const char *p = text; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_printf(out, "\\%c", *p);
    else if (*p == '\n')
      g_string_append(out, "\\n");
    else if ((unsigned char)*p < 0x20)
      g_string_append_c(out, ' ');
    else
      g_string_append_c(out, *p);
  }
  g_string_append_c(out, '"');
  return g_string_free(out, FALSE);
}

char *es_plot_find_gnuplot(GError **error)
{
  const char *env = g_getenv("ENROLSIM_GNUPLOT");
  if (env && *env) {
    char *p = g_find_program_in_path(env);
    if (!p)
      g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_GNUPLOT_MISSING,
                  "gnuplot not found: ENROLSIM_GNUPLOT is '%s', which is not a program; unset "
                  "it or point it at gnuplot",
                  env);
    return p;
  }
  char *p = g_find_program_in_path("gnuplot");
  if (!p)
    g_set_error_literal(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_GNUPLOT_MISSING,
                        "gnuplot not found on PATH: install it (Debian: apt-get install "
                        "gnuplot-nox, or scripts/setup.sh) to draw plots; the CSV files are "
                        "complete without it");
  return p;
}

gboolean es_plot_gnuplot(const char *workdir, const char *const *scripts, GError **error)
{
  g_return_val_if_fail(workdir != NULL && scripts != NULL, FALSE);
  g_autofree char *gnuplot = es_plot_find_gnuplot(error);
  if (!gnuplot)
    return FALSE;
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, gnuplot);
  for (const char *const *s = scripts; *s; s++)
    g_ptr_array_add(argv, (gpointer)*s);
  g_ptr_array_add(argv, NULL);
  g_autofree char *err_text = NULL;
  int status = 0;
  GError *inner = NULL;
  gboolean ok = g_spawn_sync(workdir, (char **)argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                             NULL, NULL, &err_text, &status, &inner);
  g_ptr_array_unref(argv);
  if (!ok) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_GNUPLOT, "cannot run %s: %s", gnuplot,
                inner->message);
    g_error_free(inner);
    return FALSE;
  }
  if (!g_spawn_check_wait_status(status, NULL)) {
    g_strstrip(err_text);
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_GNUPLOT, "gnuplot failed in %s: %s",
                workdir, *err_text ? err_text : "(no message)");
    return FALSE;
  }
  return TRUE;
}

static gboolean write_text(const char *path, const GString *text, GError **error)
{
  GError *inner = NULL;
  if (!g_file_set_contents(path, text->str, (gssize)text->len, &inner)) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_IO, "cannot write %s: %s", path,
                inner->message);
    g_error_free(inner);
    return FALSE;
  }
  return TRUE;
}

/* The loop that draws one plot twice, as PNG and as SVG; `plot` is the plotting command(s),
 * `pre` what must run before each (resetting state the plot command changes). */
void es_plot_append_outputs(GString *gp, const char *name, const char *pre, const char *plot)
{
  g_string_append_printf(
      gp,
      "do for [fmt in \"png svg\"] {\n"
      "  if (fmt eq \"png\") {\n"
      "    set terminal pngcairo size " PLOT_SIZE " noenhanced font \"sans,11\"\n"
      "  } else {\n"
      "    set terminal svg size " PLOT_SIZE " noenhanced dynamic font \"sans,11\" "
      "background rgb \"white\"\n"
      "  }\n"
      "  set output '%s.'.fmt\n"
      "%s"
      "%s"
      "  set output\n"
      "}\n",
      name, pre ? pre : "", plot);
}

/* gnuplot runs several scripts in one process: each starts from a clean state. */
void es_plot_append_header(GString *gp, const char *what, const char *redraw)
{
  g_string_append_printf(gp,
                         "# %s. Written by enrolsim; redraw in this folder with: gnuplot %s\n"
                         "reset\n"
                         "set datafile separator comma\n"
                         "set datafile columnheaders\n"
                         "set grid\n",
                         what, redraw);
}

/* ---- a run ----------------------------------------------------------------------------- */

typedef struct {
  guint enbs, enrolled, failed_done; /* failed_done: failures with a done time */
  guint started;                      /* rows with a start time (none: an installed base
                                       * that did nothing) */
  double last_done;
  double min_latency; /* of the enrolled eNBs */
  GPtrArray *accesses; /* access classes of enrolled eNBs, sorted (char *, owned) */
} CsvFacts;

static void csv_facts_clear(CsvFacts *f)
{
  g_clear_pointer(&f->accesses, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CsvFacts, csv_facts_clear)

static gint cmp_strp(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The columns the plots read must be there; everything else may change. */
static gboolean read_enrolments(const char *path, CsvFacts *facts, GError **error)
{
  g_autofree char *text = NULL;
  GError *inner = NULL;
  memset(facts, 0, sizeof *facts);
  facts->min_latency = INFINITY;
  if (!g_file_get_contents(path, &text, NULL, &inner)) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_IO, "%s", inner->message);
    g_error_free(inner);
    return FALSE;
  }
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_auto(GStrv) head = g_strsplit(lines[0] ? lines[0] : "", ",", -1);
  int col_start = -1, col_done = -1, col_outcome = -1, col_access = -1;
  facts->accesses = g_ptr_array_new_with_free_func(g_free);
  for (int i = 0; head[i]; i++) {
    if (strcmp(head[i], "access") == 0)
      col_access = i;
    else if (strcmp(head[i], "start_s") == 0)
      col_start = i;
    else if (strcmp(head[i], "done_s") == 0)
      col_done = i;
    else if (strcmp(head[i], "outcome") == 0)
      col_outcome = i;
  }
  if (col_start < 0 || col_done < 0 || col_outcome < 0) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_PARSE,
                "%s: not an enrolments.csv (no start_s, done_s and outcome columns)", path);
    return FALSE;
  }
  for (gsize l = 1; lines[l]; l++) {
    if (!*lines[l])
      continue;
    g_auto(GStrv) f = g_strsplit(lines[l], ",", -1);
    guint n = g_strv_length(f);
    if (n <= (guint)MAX(col_done, col_outcome))
      continue;
    facts->enbs++;
    facts->started += (guint)col_start < n && *f[col_start] != '\0';
    gboolean has_done = *f[col_done] != '\0';
    if (strcmp(f[col_outcome], "enrolled") == 0) {
      facts->enrolled++;
      const char *a = col_access >= 0 && (guint)col_access < n ? f[col_access] : "";
      if (*a != '\0' && !g_ptr_array_find_with_equal_func(facts->accesses, a, g_str_equal, NULL))
        g_ptr_array_add(facts->accesses, g_strdup(a));
      if (has_done && (guint)col_start < n && *f[col_start] != '\0')
        facts->min_latency = MIN(facts->min_latency, g_ascii_strtod(f[col_done], NULL)
                                                         - g_ascii_strtod(f[col_start], NULL));
    } else if (has_done && strcmp(f[col_outcome], "renewed") != 0)
      facts->failed_done++; /* a renewal is no failure: day2_transitions draws it */
    if (has_done)
      facts->last_done = MAX(facts->last_done, g_ascii_strtod(f[col_done], NULL));
  }
  g_ptr_array_sort(facts->accesses, cmp_strp);
  return TRUE;
}

/* Number of RA/CAs in raca_queue.csv (highest index + 1); 0 when the file is absent. *backlog:
 * some request waited for the CA (the `waiting` column, which older runs lack, above 0). */
static gboolean read_queue_racas(const char *path, guint *racas, gboolean *backlog, GError **error)
{
  g_autofree char *text = NULL;
  *racas = 0;
  *backlog = FALSE;
  if (!g_file_test(path, G_FILE_TEST_EXISTS))
    return TRUE;
  GError *inner = NULL;
  if (!g_file_get_contents(path, &text, NULL, &inner)) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_IO, "%s", inner->message);
    g_error_free(inner);
    return FALSE;
  }
  gboolean with_waiting = g_str_has_prefix(text, ES_QUEUE_LOG_HEADER "\n");
  if (!with_waiting && !g_str_has_prefix(text, "time_s,raca,queued,busy\n")) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_PARSE,
                "%s: not a raca_queue.csv (header " ES_QUEUE_LOG_HEADER ")", path);
    return FALSE;
  }
  for (const char *line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
    const char *comma = strchr(line + 1, ',');
    if (comma) {
      guint64 r = g_ascii_strtoull(comma + 1, NULL, 10);
      *racas = MAX(*racas, (guint)MIN(r + 1, G_MAXUINT));
    }
    /* The fifth field: after the fourth comma, before the line's end. */
    const char *field = line + 1;
    for (int i = 0; i < 4 && field != NULL; i++) {
      const char *next = strpbrk(field, ",\n");
      field = next != NULL && *next == ',' ? next + 1 : NULL;
    }
    if (with_waiting && field != NULL && g_ascii_strtoull(field, NULL, 10) > 0)
      *backlog = TRUE;
  }
  return TRUE;
}

/* "scenario NAME, seed N" from DIR/scenario.ini, or the folder's name; and when a signal
 * stopped the run, when: a curve that ends there is not a plateau of the model. */
static char *run_title(const char *dir)
{
  g_autofree char *ini = g_build_filename(dir, "scenario.ini", NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autofree char *title = NULL;
  if (g_key_file_load_from_file(kf, ini, G_KEY_FILE_NONE, NULL)) {
    g_autofree char *name = g_key_file_get_string(kf, "scenario", "name", NULL);
    g_autofree char *seed = g_key_file_get_value(kf, "scenario", "seed", NULL);
    if (name && seed)
      title = g_strdup_printf("scenario %s, seed %s", name, seed);
  }
  if (title == NULL) {
    g_autofree char *base = g_path_get_basename(dir);
    title = g_strdup_printf("results in %s", base);
  }
  double at = NAN;
  g_autofree char *by = es_summary_file_peek_interrupted(dir, &at);
  if (by == NULL)
    return g_steal_pointer(&title);
  return g_strdup_printf("%s, interrupted by %s at %.3f s", title, by, at);
}

void es_plot_append_quoted(GString *gp, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_autofree char *q = es_plot_quote(text);
  g_string_append(gp, q);
}

static void latency_script(GString *gp, const char *title, const CsvFacts *f)
{
  es_plot_append_header(gp, "Enrolment latency CDF of the run in the folder above", "latency_cdf.gp");
  g_string_append(gp, "set title ");
  es_plot_append_quoted(gp, "Enrolment latency CDF\n%s: %u of %u eNBs enrolled", title, f->enrolled,
                f->enbs);
  g_string_append_printf(gp, "\n"
                             "set xlabel 'enrolment latency, power-on to enrolled (s)'\n"
                             "set ylabel 'fraction of enrolled eNBs'\n"
                             "set yrange [0:1.02]\n"
                             "set key bottom right\n");
  /* Dotted levels to read the median, p90 and p99 off the curve. */
  static const double levels[] = {0.5, 0.9, 0.99};
  for (gsize i = 0; i < G_N_ELEMENTS(levels); i++)
    g_string_append_printf(gp,
                           "set arrow from graph 0, first %g to graph 1, first %g nohead dt 3 "
                           "lc rgb 'gray40'\n"
                           "set label 'p%g' at graph 1, first %g offset 0.5,0 left\n",
                           levels[i], levels[i], levels[i] * 100, levels[i]);
  g_string_append(gp, "set rmargin 6\n");
  if (f->enrolled == 0) {
    g_string_append(gp, "set xrange [0:1]\nset label 'no eNB enrolled' at graph 0.5, graph 0.5 "
                        "center\n");
    es_plot_append_outputs(gp, "latency_cdf", NULL, "  plot NaN notitle\n");
    return;
  }
  /* The other eNBs weigh 0, at the lowest latency (a log axis takes no 0): a NaN would
   * break the curve, and gnuplot starts each piece's sum afresh. */
  char low[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_dtostr(low, sizeof low, isfinite(f->min_latency) ? f->min_latency : 1.0);
  g_string_append_printf(gp, "LOW = %s\n", low);
  /* One curve per access class when there are several: the classes' floors differ by
   * orders of magnitude (fibre against satellite), and one curve would hide them. */
  GString *plot = g_string_new("  plot ");
  if (f->accesses->len < 2) {
    g_string_append(plot, "'../enrolments.csv' using (strcol('outcome') eq 'enrolled' ? "
                          "column('done_s') - column('start_s') : LOW):(strcol('outcome') eq "
                          "'enrolled' ? 1 : 0) smooth cnormal with "
                          "steps lw 2 lc rgb '#1f77b4' title 'enrolled eNBs'\n");
  } else {
    g_string_append(gp, "set logscale x\nset xlabel 'enrolment latency, power-on to enrolled "
                        "(s, log scale)'\nset ylabel 'fraction of the class''s enrolled eNBs'\n");
    for (guint i = 0; i < f->accesses->len; i++) {
      const char *a = g_ptr_array_index(f->accesses, i);
      g_autofree char *q = es_plot_quote(a);
      g_string_append_printf(plot,
                             "%s'../enrolments.csv' using (strcol('outcome') eq 'enrolled' && "
                             "strcol('access') eq %s ? column('done_s') - column('start_s') : "
                             "LOW):(strcol('outcome') eq 'enrolled' && strcol('access') eq %s ? "
                             "1 : 0) smooth cnormal with steps lw 2 lc %u title %s",
                             i > 0 ? ", \\\n       " : "", q, q, i + 1, q);
    }
    g_string_append_c(plot, '\n');
  }
  es_plot_append_outputs(gp, "latency_cdf", NULL, plot->str);
  g_string_free(plot, TRUE);
}

/* Counted curves: a row that does not count weighs 0 at t=0, since an undefined point would
 * break the curve and gnuplot sums each piece afresh. */
#define POWERED_ON                                                                              \
  "(strlen(strcol('start_s')) > 0 ? column('start_s') : 0):(strlen(strcol('start_s')) > 0 ? 1 " \
  ": 0)"
#define FAILED                                                                                  \
  "strcol('outcome') ne 'enrolled' && strcol('outcome') ne 'renewed' && "                       \
  "strlen(strcol('done_s')) > 0"

static void enrolled_script(GString *gp, const char *title, const CsvFacts *f)
{
  es_plot_append_header(gp, "eNBs powered on and enrolled over simulated time", "enrolled_over_time.gp");
  g_string_append(gp, "set title ");
  es_plot_append_quoted(gp, "eNBs enrolled over time\n%s: %u of %u eNBs enrolled", title, f->enrolled,
                f->enbs);
  g_string_append_printf(gp,
                         "\n"
                         "set xlabel 'simulated time (s)'\n"
                         "set xrange [0:*]\n"
                         "set ylabel 'eNBs'\n"
                         "set yrange [0:%u]\n"
                         "set key bottom right\n",
                         (guint)ceil(f->enbs * 1.05));
  GString *plot = g_string_new(NULL);
  g_string_append_printf(
      plot,
      "  plot '../enrolments.csv' using " POWERED_ON " smooth cumulative with steps lw 2 "
      "lc rgb 'gray50' title 'powered on', \\\n"
      "       '' using (strcol('outcome') eq 'enrolled' ? column('done_s') : 0):(strcol('outcome') "
      "eq 'enrolled' ? 1 : 0) smooth cumulative with steps lw 2 lc rgb '#1f77b4' title "
      "'enrolled', \\\n"
      "       %u with lines dt 2 lc rgb 'black' title 'all %u eNBs'",
      f->enbs, f->enbs);
  if (f->failed_done > 0)
    g_string_append(plot, ", \\\n       '' using (" FAILED " ? column('done_s') : 0):(" FAILED
                          " ? 1 : 0) smooth cumulative with steps lw 2 lc rgb '#d62728' title "
                          "'failed'");
  g_string_append_c(plot, '\n');
  if (f->enrolled == 0 && f->failed_done == 0)
    g_string_printf(plot, "  plot '../enrolments.csv' using " POWERED_ON " smooth cumulative "
                          "with steps lw 2 lc rgb 'gray50' title 'powered on'\n");
  /* A day-2 run whose eNBs neither powered on nor renewed: gnuplot has no point to draw. */
  if (f->enrolled == 0 && f->failed_done == 0 && f->started == 0) {
    g_string_append(gp, "set xrange [0:1]\nset label 'no eNB powered on or renewed' at graph "
                        "0.5, graph 0.5 center\n");
    g_string_assign(plot, "  plot NaN notitle\n");
  }
  es_plot_append_outputs(gp, "enrolled_over_time", NULL, plot->str);
  g_string_free(plot, TRUE);
}

static void queue_script(GString *gp, const char *title, guint racas, gboolean backlog)
{
  es_plot_append_header(gp, "RA/CA service queue over simulated time", "raca_queue.gp");
  g_string_append(gp, "set title ");
  es_plot_append_quoted(gp, backlog ? "RA/CA queue and CA backlog over time\n%s" : "RA/CA queue over time\n%s", title);
  g_string_append_printf(gp,
                         "\n"
                         "set xlabel 'simulated time (s)'\n"
                         "set xrange [0:*]\n"
                         "set ylabel 'requests'\n"
                         "set yrange [0:*]\n"
                         "set offsets graph 0, graph 0, graph 0.25, graph 0\n"
                         "set key top right opaque\n"
                         "N = %u\n",
                         racas);
  /* Rows of the other RA/CAs repeat this RA/CA's last value, so each step line is unbroken. */
  g_autoptr(GString) plot = g_string_new(
      "  plot for [r=0:N-1] '../raca_queue.csv' using 'time_s':(column('raca') == r "
      "? (B[r+1] = column('busy')) : B[r+1]) with steps lw 1 lc r + 3 title (N > 1 ? "
      "sprintf('RA/CA %d workers busy', r) : 'workers busy'), \\\n"
      "       for [r=0:N-1] '../raca_queue.csv' using 'time_s':(column('raca') == r "
      "? (Q[r+1] = column('queued')) : Q[r+1]) with steps lw 2 lc r + 1 title (N > 1 ? "
      "sprintf('RA/CA %d requests waiting for a worker', r) : "
      "'requests waiting for a worker')");
  if (backlog)
    g_string_append(plot, ", \\\n"
                          "       for [r=0:N-1] '../raca_queue.csv' using 'time_s':(column('raca') "
                          "== r ? (W[r+1] = column('waiting')) : W[r+1]) with steps lw 2 dt 2 "
                          "lc r + 5 title (N > 1 ? sprintf('RA/CA %d answered waiting, not issued "
                          "yet', r) : 'answered waiting, not issued yet (CA backlog)')");
  g_string_append_c(plot, '\n');
  es_plot_append_outputs(gp, "raca_queue",
                 "  array Q[N]\n  array B[N]\n  array W[N]\n"
                 "  do for [i=1:N] { Q[i] = 0; B[i] = 0; W[i] = 0 }\n",
                 plot->str);
}

static void add_outputs(GPtrArray *written, const char *dir, const char *name)
{
  g_ptr_array_add(written, g_strdup_printf("%s/%s.png", dir, name));
  g_ptr_array_add(written, g_strdup_printf("%s/%s.svg", dir, name));
}

/* A run's plot NAME in the run folder's manifest, so that a new run into it removes it. */
static gboolean record_plot(const char *dir, const char *name, GError **error)
{
  g_autofree char *gp = g_strdup_printf("plots/%s.gp", name);
  g_autofree char *png = g_strdup_printf("plots/%s.png", name);
  g_autofree char *svg = g_strdup_printf("plots/%s.svg", name);
  const char *const files[] = {gp, png, svg, NULL};
  return es_outdir_record(dir, files, error);
}

gboolean es_plot_run_dir(const char *dir, char ***written, GError **error)
{
  g_return_val_if_fail(dir != NULL, FALSE);
  g_autofree char *csv = g_build_filename(dir, "enrolments.csv", NULL);
  g_autofree char *queue = g_build_filename(dir, "raca_queue.csv", NULL);
  g_autofree char *plots = g_build_filename(dir, "plots", NULL);
  g_auto(CsvFacts) facts = {0};
  guint racas = 0;
  gboolean backlog = FALSE;
  if (!read_enrolments(csv, &facts, error) || !read_queue_racas(queue, &racas, &backlog, error))
    return FALSE;
  if (g_mkdir_with_parents(plots, 0755) != 0) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_IO, "cannot create %s: %s", plots,
                g_strerror(errno));
    return FALSE;
  }
  g_autofree char *title = run_title(dir);
  /* The day-2 plots only when the run has their files; every script is made before any
   * is written, so a day-2 file that is not what its name says writes none. */
  static const char *const all[] = {"latency_cdf", "enrolled_over_time", "raca_queue",
                                    "crl_size", "day2_transitions"};
  GString *gps[G_N_ELEMENTS(all)] = {NULL};
  gps[0] = g_string_new(NULL);
  latency_script(gps[0], title, &facts);
  gps[1] = g_string_new(NULL);
  enrolled_script(gps[1], title, &facts);
  if (racas > 0) {
    gps[2] = g_string_new(NULL);
    queue_script(gps[2], title, racas, backlog);
  }
  gboolean ok = es_plot_crl_size_script(dir, title, &gps[3], error)
                && es_plot_day2_script(dir, title, &gps[4], error);
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
    if (gps[i] == NULL)
      continue;
    if (ok) {
      char *file = g_strconcat(all[i], ".gp", NULL);
      char *path = g_build_filename(plots, file, NULL);
      ok = record_plot(dir, all[i], error) && write_text(path, gps[i], error);
      g_free(path);
      g_ptr_array_add(names, file);
      add_outputs(out, plots, all[i]);
    }
    g_string_free(gps[i], TRUE);
  }
  g_ptr_array_add(names, NULL);
  g_ptr_array_add(out, NULL);
  ok = ok && es_plot_gnuplot(plots, (const char *const *)names->pdata, error);
  g_ptr_array_unref(names);
  if (ok && written)
    *written = (char **)g_ptr_array_free(out, FALSE);
  else
    g_ptr_array_unref(out);
  return ok;
}

/* ---- a sweep --------------------------------------------------------------------------- */

/* Safe in a file name and in a gnuplot datablock string. */
static char *sanitise(const char *text)
{
  char *s = g_strdup(text);
  for (char *p = s; *p; p++)
    if (*p == '/' || *p == '"' || *p == '\'' || *p == '\\' || (unsigned char)*p < 0x20)
      *p = '_';
  return s;
}

static guint value_index(const char *const *values, const char *v)
{
  guint i = 0;
  while (values[i] && strcmp(values[i], v) != 0)
    i++;
  return i;
}

/* One metric against key k: a datablock per combination of the other keys' values. */
static void sweep_script(GString *gp, const EsSweepTable *t, guint metric, guint k,
                         const char *name, const char *subtitle)
{
  const EsSweepMetric *m = &es_sweep_metrics(NULL)[metric];
  const char *key = es_sweep_table_get_key(t, k);
  const char *const *values = es_sweep_table_get_key_values(t, k);
  guint n_values = g_strv_length((char **)values);
  g_autofree char *q_key = es_plot_quote(key);
  g_autofree char *q_label = es_plot_quote(m->label);
  g_string_append_printf(gp,
                         "# %s against %s over the sweep's grid points. Written by enrolsim; "
                         "redraw in this folder with: gnuplot %s.gp\nreset\n",
                         m->name, key, name);
  GPtrArray *groups = g_ptr_array_new_with_free_func(g_free); /* label of each group */
  GString *blocks = g_string_new(NULL);
  for (guint p = 0; p < es_sweep_table_get_n_points(t); p++) {
    GString *label = g_string_new(NULL);
    for (guint o = 0; o < es_sweep_table_get_n_keys(t); o++)
      if (o != k)
        g_string_append_printf(label, "%s%s=%s", label->len ? ", " : "",
                               es_sweep_table_get_key(t, o), es_sweep_table_get_value(t, p, o));
    guint g = 0;
    while (g < groups->len && strcmp(g_ptr_array_index(groups, g), label->str) != 0)
      g++;
    if (g == groups->len)
      g_ptr_array_add(groups, g_strdup(label->str));
    g_string_free(label, TRUE);
  }
  guint *rows = g_new0(guint, MAX(groups->len, 1));
  for (guint g = 0; g < groups->len; g++) {
    g_string_append_printf(blocks, "$g%u << EOD\n", g);
    for (guint p = 0; p < es_sweep_table_get_n_points(t); p++) {
      GString *label = g_string_new(NULL);
      for (guint o = 0; o < es_sweep_table_get_n_keys(t); o++)
        if (o != k)
          g_string_append_printf(label, "%s%s=%s", label->len ? ", " : "",
                                 es_sweep_table_get_key(t, o), es_sweep_table_get_value(t, p, o));
      gboolean mine = strcmp(label->str, g_ptr_array_index(groups, g)) == 0;
      g_string_free(label, TRUE);
      double mean, ci;
      if (!mine || !es_sweep_table_get_stat(t, p, metric, &mean, &ci, NULL))
        continue;
      char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append_printf(
          blocks, "%u %s %s\n", value_index(values, es_sweep_table_get_value(t, p, k)),
          g_ascii_dtostr(a, sizeof a, mean), g_ascii_dtostr(b, sizeof b, isnan(ci) ? 0.0 : ci));
      rows[g]++;
    }
    g_string_append(blocks, "EOD\n");
  }
  g_string_append(gp, blocks->str);
  g_string_free(blocks, TRUE);
  g_string_append(gp, "set grid\nset title ");
  es_plot_append_quoted(gp, "%s against %s\n%s", m->label, key, subtitle);
  g_string_append_printf(gp,
                         "\n"
                         "set xlabel %s\n"
                         "set ylabel %s\n"
                         "set xrange [-0.5:%g]\n"
                         "set key outside right top\n"
                         "set xtics (",
                         q_key, q_label, n_values - 0.5);
  for (guint i = 0; i < n_values; i++) {
    g_autofree char *v = es_plot_quote(values[i]);
    g_string_append_printf(gp, "%s%s %u", i ? ", " : "", v, i);
  }
  g_string_append(gp, ")\n");
  /* Lines without a single value (a metric these runs do not have) would make gnuplot fail. */
  GString *plot = g_string_new("  plot ");
  guint drawn = 0;
  for (guint g = 0; g < groups->len; g++) {
    if (rows[g] == 0)
      continue;
    const char *label = g_ptr_array_index(groups, g);
    g_autofree char *q = es_plot_quote(*label ? label : "mean and 95 % CI");
    g_string_append_printf(plot, "%s$g%u using 1:2:3 with yerrorlines lw 2 pt 7 title %s",
                           drawn++ ? ", \\\n       " : "", g, q);
  }
  if (drawn == 0) {
    g_string_append(gp, "set yrange [0:1]\nset label 'no values in these runs' at graph 0.5, "
                        "graph 0.5 center\n");
    g_string_assign(plot, "  plot NaN notitle");
  }
  g_string_append_c(plot, '\n');
  g_free(rows);
  es_plot_append_outputs(gp, name, NULL, plot->str);
  g_string_free(plot, TRUE);
  g_ptr_array_unref(groups);
}

gboolean es_plot_sweep(const EsSweepTable *t, const char *dir, const char *subtitle,
                       char ***written, GError **error)
{
  g_return_val_if_fail(t != NULL && dir != NULL, FALSE);
  g_autofree char *plots = g_build_filename(dir, "plots", NULL);
  if (g_mkdir_with_parents(plots, 0755) != 0) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_IO, "cannot create %s: %s", plots,
                g_strerror(errno));
    return FALSE;
  }
  guint n_metrics;
  const EsSweepMetric *metrics = es_sweep_metrics(&n_metrics);
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  gboolean ok = TRUE;
  for (guint k = 0; ok && k < es_sweep_table_get_n_keys(t); k++) {
    g_autofree char *key = sanitise(es_sweep_table_get_key(t, k));
    for (guint m = 0; ok && m < n_metrics; m++) {
      char *name = g_strdup_printf("%s_vs_%s", metrics[m].name, key);
      GString *gp = g_string_new(NULL);
      sweep_script(gp, t, m, k, name, subtitle ? subtitle : "");
      char *file = g_strconcat(name, ".gp", NULL);
      char *path = g_build_filename(plots, file, NULL);
      ok = write_text(path, gp, error);
      g_free(path);
      g_string_free(gp, TRUE);
      g_ptr_array_add(names, file);
      add_outputs(out, plots, name);
      g_free(name);
    }
  }
  g_ptr_array_add(names, NULL);
  g_ptr_array_add(out, NULL);
  ok = ok && es_plot_gnuplot(plots, (const char *const *)names->pdata, error);
  g_ptr_array_unref(names);
  if (ok && written)
    *written = (char **)g_ptr_array_free(out, FALSE);
  else
    g_ptr_array_unref(out);
  return ok;
}

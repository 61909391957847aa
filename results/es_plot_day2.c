/* The day-2 plots of a run: the CRL's size over time (crl.csv), and how far each day-2
 * transition (renewal, revocation enforcement, root rollover) had got over time. */
#include "results/es_plot.h"
#include "results/es_plot_priv.h"

#include <string.h>

/* A CSV file read by column name: `names` (NULL-terminated) must all be in its header, in
 * any order among other columns; cols[i] is then the index of names[i]. Rows shorter than
 * the header are dropped (a file cut at the end of a stopped run). *rows NULL when the file
 * is absent. */
static gboolean read_csv(const char *path, const char *what, const char *const *names,
                         int *cols, GPtrArray **rows, GError **error)
{
  *rows = NULL;
  if (!g_file_test(path, G_FILE_TEST_EXISTS))
    return TRUE;
  g_autofree char *text = NULL;
  GError *inner = NULL;
  if (!g_file_get_contents(path, &text, NULL, &inner)) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_IO, "%s", inner->message);
    g_error_free(inner);
    return FALSE;
  }
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_auto(GStrv) head = g_strsplit(lines[0] ? lines[0] : "", ",", -1);
  guint width = g_strv_length(head);
  for (int i = 0; names[i]; i++) {
    cols[i] = -1;
    for (guint h = 0; h < width; h++)
      if (strcmp(head[h], names[i]) == 0)
        cols[i] = (int)h;
    if (cols[i] < 0) {
      g_autofree char *all = g_strjoinv(", ", (char **)names);
      g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_PARSE,
                  "%s: not a %s (it needs the columns %s)", path, what, all);
      return FALSE;
    }
  }
  *rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
  for (gsize l = 1; lines[l]; l++) {
    char **f = g_strsplit(lines[l], ",", -1);
    if (*lines[l] != '\0' && g_strv_length(f) >= width)
      g_ptr_array_add(*rows, f);
    else
      g_strfreev(f);
  }
  return TRUE;
}

/* Rows of `rows` whose column `col` is not empty. */
static guint count_set(GPtrArray *rows, int col)
{
  guint n = 0;
  for (guint i = 0; i < rows->len; i++)
    n += *((char **)rows->pdata[i])[col] != '\0';
  return n;
}

gboolean es_plot_crl_size_script(const char *dir, const char *title, GString **out,
                                 GError **error)
{
  static const char *const names[] = {"t_s", "kind", "entries", "bytes", NULL};
  int cols[4];
  g_autofree char *path = g_build_filename(dir, "crl.csv", NULL);
  g_autoptr(GPtrArray) rows = NULL;
  *out = NULL;
  if (!read_csv(path, "crl.csv", names, cols, &rows, error))
    return FALSE;
  if (rows == NULL || rows->len == 0)
    return TRUE;
  guint full = 0, delta = 0;
  for (guint i = 0; i < rows->len; i++) {
    const char *kind = ((char **)rows->pdata[i])[cols[1]];
    full += strcmp(kind, "full") == 0;
    delta += strcmp(kind, "delta") == 0;
  }
  GString *gp = g_string_new(NULL);
  es_plot_append_header(gp, "Entries and bytes of every CRL published over simulated time",
                        "crl_size.gp");
  g_string_append(gp, "set title ");
  es_plot_append_quoted(gp, "CRL size over time\n%s: %u full and %u delta CRLs published", title,
                        full, delta);
  g_string_append(gp, "\n"
                      "set xlabel 'simulated time (s)'\n"
                      "set xrange [0:*]\n"
                      "set ylabel 'entries (revoked certificates listed)'\n"
                      "set yrange [0:*]\n"
                      "set y2label 'CRL size (bytes, DER)'\n"
                      "set y2range [0:*]\n"
                      "set ytics nomirror\n"
                      "set y2tics\n"
                      "set key below\n");
  /* A full CRL's size holds until the next full one, a delta's until the next delta: each
   * kind's rows carry its last value through the other kind's, so each step line is
   * unbroken (NaN before its first CRL). */
  GString *plot = g_string_new("  plot ");
  static const struct {
    const char *kind, *var, *column, *axes, *style, *title;
  } series[] = {
      {"full", "FE", "entries", "x1y1", "lw 2 lc rgb '#1f77b4'", "full CRL entries"},
      {"full", "FB", "bytes", "x1y2", "lw 2 dt 2 lc rgb '#1f77b4'", "full CRL bytes (right axis)"},
      {"delta", "DE", "entries", "x1y1", "lw 2 lc rgb '#ff7f0e'", "delta CRL entries"},
      {"delta", "DB", "bytes", "x1y2", "lw 2 dt 2 lc rgb '#ff7f0e'",
       "delta CRL bytes (right axis)"},
  };
  guint drawn = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(series); i++) {
    if ((strcmp(series[i].kind, "full") == 0 ? full : delta) == 0)
      continue;
    g_string_append_printf(plot,
                           "%s'../crl.csv' using 't_s':(strcol('kind') eq '%s' ? (%s = "
                           "column('%s')) : %s) axes %s with steps %s title '%s'",
                           drawn++ ? ", \\\n       " : "", series[i].kind, series[i].var,
                           series[i].column, series[i].var, series[i].axes, series[i].style,
                           series[i].title);
  }
  g_string_append_c(plot, '\n');
  es_plot_append_outputs(gp, "crl_size", "  FE = NaN; FB = NaN; DE = NaN; DB = NaN\n", plot->str);
  g_string_free(plot, TRUE);
  *out = gp;
  return TRUE;
}

/* One curve of day2_transitions: eNBs of a file that reached a state, by the time they did. */
typedef struct {
  const char *file;  /* relative to the plots folder */
  const char *there; /* gnuplot condition: the row's eNB got there */
  const char *x;     /* gnuplot expression of when */
  const char *title;
  guint done, of;
  const char *style;
} Curve;

gboolean es_plot_day2_script(const char *dir, const char *title, GString **out, GError **error)
{
  *out = NULL;
  Curve curves[4];
  guint n = 0;
  /* Renewals: of the installed base (every eNB of a day-2 run), those renewed, when their
   * first renewal's pkiConf came. Drawn when some eNB renewed or tried to. */
  static const char *const enb_names[] = {"outcome", "done_s", NULL};
  int ec[2];
  g_autofree char *enrolments = g_build_filename(dir, "enrolments.csv", NULL);
  g_autoptr(GPtrArray) rows = NULL;
  if (!read_csv(enrolments, "enrolments.csv", enb_names, ec, &rows, error))
    return FALSE;
  guint renewed = 0, tried = 0;
  for (guint i = 0; rows != NULL && i < rows->len; i++) {
    const char *outcome = ((char **)rows->pdata[i])[ec[0]];
    renewed += strcmp(outcome, "renewed") == 0;
    tried += g_str_has_prefix(outcome, "renew");
  }
  if (tried > 0)
    curves[n++] = (Curve){"../enrolments.csv",
                          "strcol('outcome') eq 'renewed'", "column('done_s')",
                          "renewals completed", renewed, rows->len, "lc rgb '#2ca02c'"};
  /* Enforcing a mass revocation: every eNB is a relying node. */
  static const char *const enf_names[] = {"enb", "enforced_s", NULL};
  int fc[2];
  g_autofree char *enforcement = g_build_filename(dir, "crl_enforcement.csv", NULL);
  g_autoptr(GPtrArray) enforced = NULL;
  if (!read_csv(enforcement, "crl_enforcement.csv", enf_names, fc, &enforced, error))
    return FALSE;
  if (enforced != NULL && enforced->len > 0)
    curves[n++] = (Curve){"../crl_enforcement.csv",
                          "strlen(strcol('enforced_s')) > 0", "column('enforced_s')",
                          "enforcing the mass revocation (holding a CRL that lists it)",
                          count_set(enforced, fc[1]), enforced->len, "lc rgb '#d62728'"};
  /* A root rollover, written by the run that models it. */
  static const char *const roll_names[] = {"enb", "trusted_s", "reissued_s", NULL};
  int rc[3];
  g_autofree char *rollover = g_build_filename(dir, "rollover.csv", NULL);
  g_autoptr(GPtrArray) rolled = NULL;
  if (!read_csv(rollover, "rollover.csv", roll_names, rc, &rolled, error))
    return FALSE;
  if (rolled != NULL && rolled->len > 0) {
    curves[n++] = (Curve){"../rollover.csv",
                          "strlen(strcol('trusted_s')) > 0", "column('trusted_s')",
                          "trusting the new root", count_set(rolled, rc[1]), rolled->len,
                          "lc rgb '#9467bd'"};
    curves[n++] = (Curve){"../rollover.csv",
                          "strlen(strcol('reissued_s')) > 0", "column('reissued_s')",
                          "holding a certificate under the new root", count_set(rolled, rc[2]),
                          rolled->len, "lc rgb '#8c564b'"};
  }
  if (n == 0)
    return TRUE;
  GString *gp = g_string_new(NULL);
  es_plot_append_header(gp, "Day-2 transitions completed over simulated time",
                        "day2_transitions.gp");
  g_string_append(gp, "set title ");
  es_plot_append_quoted(gp, "Day-2 transitions over time\n%s", title);
  g_string_append(gp, "\n"
                      "set xlabel 'simulated time (s)'\n"
                      "set xrange [0:*]\n"
                      "set ylabel 'share of the eNBs concerned (%)'\n"
                      "set yrange [0:105]\n"
                      "set key below\n");
  /* Each curve climbs by 100/N per eNB that got there: N the eNBs concerned, in its title.
   * The others weigh 0 at t=0: an undefined point would restart the cumulative sum. A curve
   * with no eNB there has no point, which gnuplot refuses: its title is in the key all the
   * same, on an empty line. */
  GString *plot = g_string_new("  plot ");
  for (guint i = 0; i < n; i++) {
    const Curve *c = &curves[i];
    g_autofree char *label = g_strdup_printf("%s: %u of %u eNBs", c->title, c->done, c->of);
    g_autofree char *q = es_plot_quote(label);
    const char *sep = i > 0 ? ", \\\n       " : "";
    if (c->done > 0)
      g_string_append_printf(plot,
                             "%s'%s' using (%s ? %s : 0):(%s ? 100.0 / %u : 0) smooth "
                             "cumulative with steps lw 2 %s title %s",
                             sep, c->file, c->there, c->x, c->there, c->of, c->style, q);
    else
      g_string_append_printf(plot, "%sNaN with lines lw 2 %s title %s", sep, c->style, q);
  }
  g_string_append_c(plot, '\n');
  gboolean none = TRUE;
  for (guint i = 0; i < n; i++)
    none = none && curves[i].done == 0;
  if (none)
    g_string_append(gp, "set xrange [0:1]\nset label 'no eNB completed a transition' at graph "
                        "0.5, graph 0.5 center\n");
  es_plot_append_outputs(gp, "day2_transitions", NULL, plot->str);
  g_string_free(plot, TRUE);
  *out = gp;
  return TRUE;
}

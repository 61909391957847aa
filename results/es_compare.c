/* Metric-by-metric comparison: identity checks first (scenario, parameters), then each metric
 * of either file judged against its tolerance in the direction that counts as worse. */
#include "results/es_compare.h"

#include <math.h>
#include <string.h>

#include "results/es_summary.h"

typedef struct {
  char *pattern;
  double pct;
} Tolerance;

struct EsCompare {
  GArray *tolerances; /* Tolerance, in the order given */
  gboolean strict, allow_params, allow_engines;
  gboolean mixed; /* the pair ran on different engines (allowed) */
  GArray *rows; /* EsCompareRow; metric names owned by `names` */
  GPtrArray *names;
  GPtrArray *notes; /* char * */
  char *baseline_desc, *result_desc;
};

static void tolerance_clear(gpointer p)
{
  g_free(((Tolerance *)p)->pattern);
}

EsCompare *es_compare_new(void)
{
  EsCompare *c = g_new0(EsCompare, 1);
  c->tolerances = g_array_new(FALSE, FALSE, sizeof(Tolerance));
  g_array_set_clear_func(c->tolerances, tolerance_clear);
  c->rows = g_array_new(FALSE, FALSE, sizeof(EsCompareRow));
  c->names = g_ptr_array_new_with_free_func(g_free);
  c->notes = g_ptr_array_new_with_free_func(g_free);
  return c;
}

void es_compare_free(EsCompare *c)
{
  if (!c)
    return;
  g_array_unref(c->tolerances);
  g_array_unref(c->rows);
  g_ptr_array_unref(c->names);
  g_ptr_array_unref(c->notes);
  g_free(c->baseline_desc);
  g_free(c->result_desc);
  g_free(c);
}

const char *es_verdict_name(EsVerdict v, gboolean fails)
{
  switch (v) {
  case ES_VERDICT_OK:
    return "ok";
  case ES_VERDICT_BETTER:
    return fails ? "BETTER" : "better";
  case ES_VERDICT_WORSE:
    return "WORSE";
  case ES_VERDICT_CHANGED:
    return "CHANGED";
  case ES_VERDICT_INFO:
    return "info";
  case ES_VERDICT_MISSING:
    return fails ? "MISSING" : "missing";
  case ES_VERDICT_NEW:
    return "new";
  }
  return "?";
}

gboolean es_compare_add_tolerance(EsCompare *c, const char *spec, GError **error)
{
  g_return_val_if_fail(c != NULL && spec != NULL, FALSE);
  const char *eq = strrchr(spec, '=');
  if (!eq || eq == spec || !eq[1]) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_USAGE,
                "tolerance '%s': expected METRIC=PCT, e.g. latency_s.p99=5", spec);
    return FALSE;
  }
  g_autofree char *num = g_strdup(eq + 1);
  gsize n = strlen(num);
  if (n > 0 && num[n - 1] == '%')
    num[n - 1] = '\0';
  char *end = NULL;
  double pct = g_ascii_strtod(num, &end);
  if (!*num || *end || !isfinite(pct) || pct < 0 || !g_ascii_isdigit(num[0])) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_USAGE,
                "tolerance '%s': '%s' is not a percentage >= 0", spec, eq + 1);
    return FALSE;
  }
  Tolerance t = {g_strndup(spec, (gsize)(eq - spec)), pct};
  g_array_append_val(c->tolerances, t);
  return TRUE;
}

void es_compare_set_strict(EsCompare *c, gboolean strict)
{
  c->strict = strict;
}

void es_compare_set_allow_parameter_changes(EsCompare *c, gboolean allow)
{
  c->allow_params = allow;
}

void es_compare_set_allow_mixed_engines(EsCompare *c, gboolean allow)
{
  c->allow_engines = allow;
}

static gboolean is_wall_clock(const char *metric)
{
  return g_str_has_prefix(metric, ES_SUMMARY_WALL_CLOCK ".");
}

/* Which way is better: summary.json's schema (es_summary_metric_spec) says. */
static EsBetter direction_of(const char *metric)
{
  const EsMetricSpec *spec = es_summary_metric_spec(metric);
  return spec != NULL ? spec->better : ES_BETTER_NONE;
}

/* NaN when the metric is not to be judged. */
static double tolerance_of(const EsCompare *c, const char *metric)
{
  gboolean wall = is_wall_clock(metric);
  double pct = wall ? NAN : 0.0;
  for (guint i = 0; i < c->tolerances->len; i++) {
    const Tolerance *t = &g_array_index(c->tolerances, Tolerance, i);
    if (wall && !g_str_has_prefix(t->pattern, ES_SUMMARY_WALL_CLOCK "."))
      continue;
    if (g_pattern_match_simple(t->pattern, metric))
      pct = t->pct;
  }
  return pct;
}

static void judge(const EsCompare *c, EsCompareRow *r)
{
  r->tolerance_pct = tolerance_of(c, r->metric);
  r->change_pct = NAN;
  if (!r->in_baseline) {
    r->verdict = ES_VERDICT_NEW;
    return;
  }
  if (!r->in_result) {
    /* Across engines, a figure only one of them has (a simulated run's RA/CA and network
     * counters, a live run's schedule lateness) is no regression. */
    r->verdict = ES_VERDICT_MISSING;
    r->fails = !c->mixed;
    return;
  }
  double b = r->baseline, x = r->result;
  gboolean bn = isnan(b), xn = isnan(x);
  if (!bn && !xn) {
    if (b != 0)
      r->change_pct = (x - b) / fabs(b) * 100.0;
    else if (x == 0)
      r->change_pct = 0;
  }
  if (isnan(r->tolerance_pct)) {
    r->verdict = ES_VERDICT_INFO;
    return;
  }
  gboolean within;
  if (bn || xn)
    within = bn && xn; /* null (never reached) equals only null */
  else
    within = fabs(x - b) <= r->tolerance_pct / 100.0 * fabs(b) + 1e-12;
  if (within) {
    r->verdict = ES_VERDICT_OK;
    return;
  }
  EsBetter dir = direction_of(r->metric);
  if (dir == ES_BETTER_NONE) {
    r->verdict = ES_VERDICT_CHANGED;
    r->fails = TRUE;
    return;
  }
  /* A null is the worst value there is (a completion level never reached, a throughput with
   * nothing enrolled): from null to a number is better, from a number to null worse. */
  gboolean better = bn || xn ? bn : dir == ES_BETTER_LOWER ? x < b : x > b;
  r->verdict = better ? ES_VERDICT_BETTER : ES_VERDICT_WORSE;
  r->fails = !better || c->strict;
}

static char *describe(const EsSummaryFile *f)
{
  const char *version = es_summary_file_get_attribute(f, "enrolsim_version");
  const char *rev = es_summary_file_get_attribute(f, "git_revision");
  if (strcmp(es_summary_file_get_engine(f), "simulated") != 0) {
    const char *server = es_summary_file_get_attribute(f, "server");
    const char *host = es_summary_file_get_attribute(f, "host");
    return g_strdup_printf(
        "%s (scenario %s, seed %s, %s against %s from %s, enrolsim %s, revision %.12s%s)",
        es_summary_file_get_path(f), es_summary_file_get_scenario(f),
        es_summary_file_get_seed(f), es_summary_file_get_engine(f), server ? server : "?",
        host ? host : "?", version ? version : "?", rev ? rev : "?",
        rev && g_str_has_suffix(rev, "-dirty") ? "-dirty" : "");
  }
  return g_strdup_printf(
      "%s (scenario %s, seed %s, replication %" G_GUINT64_FORMAT ", enrolsim %s, revision %.12s%s)",
      es_summary_file_get_path(f), es_summary_file_get_scenario(f), es_summary_file_get_seed(f),
      es_summary_file_get_replication(f), version ? version : "?", rev ? rev : "?",
      rev && g_str_has_suffix(rev, "-dirty") ? "-dirty" : "");
}

/* Refuses pairs that are not two runs of one scenario; records the softer differences. */
static gboolean check_identity(EsCompare *c, const EsSummaryFile *b, const EsSummaryFile *r,
                               GError **error)
{
  /* A live run's figures are the wall clock's, a simulated run's the model's: comparing them
   * is a question of its own (how well the model predicts), asked on purpose. */
  const char *eb = es_summary_file_get_engine(b), *er = es_summary_file_get_engine(r);
  if (strcmp(eb, er) != 0 && !c->allow_engines) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_MISMATCH,
                "runs of different engines: the baseline is a %s run, the result a %s one: "
                "refusing to compare; --allow-mixed-engines compares them on purpose",
                eb, er);
    return FALSE;
  }
  c->mixed = strcmp(eb, er) != 0;
  if (c->mixed)
    g_ptr_array_add(c->notes, g_strdup_printf("engines differ: the baseline is a %s run, the "
                                              "result a %s one; metrics only one of them has "
                                              "are reported, not judged", eb, er));
  if (strcmp(es_summary_file_get_scenario(b), es_summary_file_get_scenario(r)) != 0) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_MISMATCH,
                "different scenarios: the baseline is '%s', the result '%s'",
                es_summary_file_get_scenario(b), es_summary_file_get_scenario(r));
    return FALSE;
  }
  GString *diff = g_string_new(NULL);
  for (const char *const *n = es_summary_file_get_parameter_names(b); *n; n++) {
    const char *vb = es_summary_file_get_parameter(b, *n);
    const char *vr = es_summary_file_get_parameter(r, *n);
    if (!vr)
      g_ptr_array_add(c->notes, g_strdup_printf("parameter %s = %s only in the baseline", *n, vb));
    else if (strcmp(vb, vr) != 0)
      g_string_append_printf(diff, "%s%s %s -> %s", diff->len ? ", " : "", *n, vb, vr);
  }
  /* A key added since the baseline was made, at its default, usually changes nothing;
   * the metrics will tell if it did. */
  for (const char *const *n = es_summary_file_get_parameter_names(r); *n; n++)
    if (!es_summary_file_get_parameter(b, *n))
      g_ptr_array_add(c->notes, g_strdup_printf("parameter %s = %s only in the result", *n,
                                                es_summary_file_get_parameter(r, *n)));
  gboolean ok = TRUE;
  if (diff->len && !c->allow_params) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_MISMATCH,
                "runs of scenario '%s' with different parameters (%s): refusing to compare; "
                "--allow-parameter-changes compares them on purpose",
                es_summary_file_get_scenario(b), diff->str);
    ok = FALSE;
  } else if (diff->len) {
    g_ptr_array_add(c->notes, g_strdup_printf("parameters differ: %s", diff->str));
  }
  g_string_free(diff, TRUE);
  return ok;
}

gboolean es_compare_run(EsCompare *c, const EsSummaryFile *baseline, const EsSummaryFile *result,
                        GError **error)
{
  g_return_val_if_fail(c != NULL && baseline != NULL && result != NULL, FALSE);
  g_array_set_size(c->rows, 0);
  g_ptr_array_set_size(c->names, 0);
  g_ptr_array_set_size(c->notes, 0);
  g_free(c->baseline_desc);
  g_free(c->result_desc);
  c->baseline_desc = describe(baseline);
  c->result_desc = describe(result);
  if (!check_identity(c, baseline, result, error))
    return FALSE;
  const char *rb = es_summary_file_get_attribute(baseline, "git_revision");
  const char *rr = es_summary_file_get_attribute(result, "git_revision");
  if (rb && rr && strcmp(rb, rr) != 0)
    g_ptr_array_add(c->notes, g_strdup("built from different revisions"));
  /* Its figures stop where the signal came: said first, so a shortfall is not read as a
   * regression of the model. */
  for (int side = 0; side < 2; side++) {
    double at = NAN;
    const char *by = es_summary_file_get_interrupted(side == 0 ? baseline : result, &at);
    if (by != NULL)
      g_ptr_array_add(c->notes,
                      g_strdup_printf("the %s was interrupted by %s at %.3f s: its figures "
                                      "cover the run until then (unfinished eNBs: "
                                      "enbs.unfinished)",
                                      side == 0 ? "baseline" : "result", by, at));
  }

  for (int side = 0; side < 2; side++) {
    const EsSummaryFile *from = side == 0 ? baseline : result;
    for (guint i = 0; i < es_summary_file_get_n_metrics(from); i++) {
      const EsMetric *m = es_summary_file_get_metric(from, i);
      if (side == 1 && es_summary_file_find_metric(baseline, m->path))
        continue;
      const EsMetric *mb = es_summary_file_find_metric(baseline, m->path);
      const EsMetric *mr = es_summary_file_find_metric(result, m->path);
      char *name = g_strdup(m->path);
      g_ptr_array_add(c->names, name);
      EsCompareRow row = {
          .metric = name,
          .in_baseline = mb != NULL,
          .in_result = mr != NULL,
          .baseline = mb ? mb->value : NAN,
          .result = mr ? mr->value : NAN,
      };
      judge(c, &row);
      g_array_append_val(c->rows, row);
    }
  }
  return TRUE;
}

guint es_compare_get_n_rows(const EsCompare *c)
{
  return c->rows->len;
}

const EsCompareRow *es_compare_get_row(const EsCompare *c, guint i)
{
  g_return_val_if_fail(i < c->rows->len, NULL);
  return &g_array_index(c->rows, EsCompareRow, i);
}

guint es_compare_get_failures(const EsCompare *c)
{
  guint n = 0;
  for (guint i = 0; i < c->rows->len; i++)
    n += g_array_index(c->rows, EsCompareRow, i).fails;
  return n;
}

/* Integers as integers, other values with up to six decimals. */
static char *format_value(gboolean present, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE + 320];
  if (!present)
    return g_strdup("-");
  if (isnan(v))
    return g_strdup("null");
  if (v == floor(v) && fabs(v) < 1e15)
    return g_strdup(g_ascii_formatd(buf, sizeof buf, "%.0f", v));
  g_ascii_formatd(buf, sizeof buf, "%.6f", v);
  return g_strdup(buf);
}

static char *format_pct(double pct, gboolean signed_)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE + 320];
  if (isnan(pct))
    return g_strdup("-");
  if (isinf(pct))
    return g_strdup(pct > 0 ? "+inf" : "-inf");
  g_ascii_formatd(buf, sizeof buf, "%.2f", fabs(pct));
  gboolean zero = strcmp(buf, "0.00") == 0;
  return g_strconcat(zero || !signed_ ? "" : pct > 0 ? "+" : "-", buf, "%", NULL);
}

char *es_compare_format(const EsCompare *c)
{
  g_return_val_if_fail(c != NULL, NULL);
  GString *out = g_string_new(NULL);
  if (c->baseline_desc)
    g_string_append_printf(out, "baseline: %s\nresult:   %s\n", c->baseline_desc, c->result_desc);
  for (guint i = 0; i < c->notes->len; i++)
    g_string_append_printf(out, "note: %s\n", (const char *)g_ptr_array_index(c->notes, i));
  if (c->rows->len == 0)
    return g_string_free(out, FALSE);

  static const char *const head[] = {"metric", "baseline",  "result",
                                     "change", "tolerance", "verdict"};
  enum { COLS = G_N_ELEMENTS(head) };
  GPtrArray *cells = g_ptr_array_new_with_free_func(g_free);
  gsize width[COLS];
  for (int k = 0; k < COLS; k++)
    width[k] = strlen(head[k]);
  for (guint i = 0; i < c->rows->len; i++) {
    const EsCompareRow *r = &g_array_index(c->rows, EsCompareRow, i);
    char *row[COLS] = {
        g_strdup(r->metric),
        format_value(r->in_baseline, r->baseline),
        format_value(r->in_result, r->result),
        format_pct(r->change_pct, TRUE),
        isnan(r->tolerance_pct) ? g_strdup("report") : format_pct(r->tolerance_pct, FALSE),
        g_strdup(es_verdict_name(r->verdict, r->fails)),
    };
    for (int k = 0; k < COLS; k++) {
      width[k] = MAX(width[k], strlen(row[k]));
      g_ptr_array_add(cells, row[k]);
    }
  }
  for (guint i = 0; i <= c->rows->len; i++) {
    for (int k = 0; k < COLS; k++) {
      const char *cell = i == 0 ? head[k] : g_ptr_array_index(cells, (i - 1) * COLS + k);
      /* Text columns left-aligned, numbers right-aligned. */
      if (k == 0 || k == COLS - 1)
        g_string_append_printf(out, "%-*s", (int)width[k], cell);
      else
        g_string_append_printf(out, "%*s", (int)width[k], cell);
      if (k + 1 < COLS)
        g_string_append(out, "  ");
    }
    while (out->len && out->str[out->len - 1] == ' ')
      g_string_truncate(out, out->len - 1);
    g_string_append_c(out, '\n');
  }
  g_ptr_array_unref(cells);

  guint failures = es_compare_get_failures(c);
  if (failures == 0) {
    g_string_append_printf(out, "PASS: %u metrics compared, none beyond tolerance\n", c->rows->len);
  } else {
    g_string_append_printf(out, "FAIL: %u of %u metrics beyond tolerance:", failures, c->rows->len);
    for (guint i = 0; i < c->rows->len; i++) {
      const EsCompareRow *r = &g_array_index(c->rows, EsCompareRow, i);
      if (r->fails)
        g_string_append_printf(out, " %s (%s)", r->metric, es_verdict_name(r->verdict, TRUE));
    }
    g_string_append_c(out, '\n');
  }
  return g_string_free(out, FALSE);
}

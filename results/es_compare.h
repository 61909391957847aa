/* Comparison of a result with a baseline, metric by metric, with a tolerance per metric and
 * a verdict a CI log can show as a table. Knows only GLib (and json-glib, via the files). */
#ifndef ES_COMPARE_H
#define ES_COMPARE_H

#include "results/es_summary_file.h"
#include <glib.h>

typedef enum {
  ES_VERDICT_OK,      /* within tolerance */
  ES_VERDICT_BETTER,  /* beyond tolerance, in the good direction (fails only when strict) */
  ES_VERDICT_WORSE,   /* beyond tolerance, in the bad direction: fails */
  ES_VERDICT_CHANGED, /* beyond tolerance, for a metric with no good direction: fails */
  ES_VERDICT_INFO,    /* a wall-clock metric nobody asked to judge: reported only */
  ES_VERDICT_MISSING, /* in the baseline, not in the result: fails (but across engines) */
  ES_VERDICT_NEW,     /* only in the result (a metric added since): reported only */
} EsVerdict;
const char *es_verdict_name(EsVerdict v, gboolean fails); /* upper case when it fails */

typedef struct {
  const char *metric;
  gboolean in_baseline, in_result;
  double baseline, result; /* NaN for null or absent */
  double change_pct;       /* NaN when undefined (null, absent, or 0 to non-zero) */
  double tolerance_pct;    /* NaN: not judged */
  EsVerdict verdict;
  gboolean fails;
} EsCompareRow;

typedef struct EsCompare EsCompare;

/* Defaults: every simulated metric must match exactly (a deterministic run reproduces them
 * to the microsecond); wall-clock metrics are reported, never judged. */
EsCompare *es_compare_new(void);
void es_compare_free(EsCompare *c);

/* "METRIC=PCT": METRIC is a dotted path (latency_s.p99) or a glob (latency_s.*, *), PCT a
 * percentage >= 0, with or without "%". Where several match a metric the last one given
 * wins. A wall-clock metric is judged only by a pattern that starts with "wall_clock.", so
 * "*=5" loosens the simulated metrics without making CI depend on the machine's speed. */
gboolean es_compare_add_tolerance(EsCompare *c, const char *spec, GError **error);
/* Fail on changes beyond tolerance in the good direction too: in a deterministic simulation
 * an unexplained improvement means the model changed as much as a regression does. */
void es_compare_set_strict(EsCompare *c, gboolean strict);
/* Accept results whose effective parameters differ (an A/B comparison); without it such a
 * pair is refused. Different scenario names are always refused. */
void es_compare_set_allow_parameter_changes(EsCompare *c, gboolean allow);

/* Accept a live run (enrolsim enrol: attributes.engine "live") against a simulated one
 * (attributes.engine "simulated", or no such attribute: a simulated run of an older
 * enrolsim); without it such a pair is refused. Two runs of one engine always compare. Across
 * engines a metric only the baseline has is MISSING without failing: each engine has figures
 * the other cannot have (the RA/CA's and the network's; the schedule's lateness). */
void es_compare_set_allow_mixed_engines(EsCompare *c, gboolean allow);

/* Compares the two; FALSE with an ES_RESULTS_ERROR_MISMATCH error, naming the difference,
 * when they are runs of different engines, scenarios or parameters. Replaces earlier rows. */
gboolean es_compare_run(EsCompare *c, const EsSummaryFile *baseline, const EsSummaryFile *result,
                        GError **error);
guint es_compare_get_n_rows(const EsCompare *c);
const EsCompareRow *es_compare_get_row(const EsCompare *c, guint i);
/* Rows that fail the comparison. */
guint es_compare_get_failures(const EsCompare *c);
/* Who is compared with whom, notes (parameters present on one side only, different builds),
 * the table (metric, baseline, result, change, tolerance, verdict) and a closing verdict. */
char *es_compare_format(const EsCompare *c);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsCompare, es_compare_free)

#endif

/* A summary.json read back (json-glib): its scenario, effective parameters, build attributes
 * and numeric metrics flattened to dotted paths, for compare and sweep aggregation. */
#ifndef ES_SUMMARY_FILE_H
#define ES_SUMMARY_FILE_H

#include "results/es_recorder.h"
#include <glib.h>

typedef struct EsSummaryFile EsSummaryFile;

typedef struct {
  char *path;       /* "latency_s.p99", "racas.0.max_queue" */
  double value;     /* NaN when null */
  gboolean is_null; /* null in the file: a metric that had no value (completion never reached) */
} EsMetric;

/* Bounds of what is read as a summary: enrolsim writes a few kB nested about 5 deep. */
#define ES_SUMMARY_FILE_MAX_BYTES (64 << 20)
#define ES_SUMMARY_FILE_MAX_DEPTH 64

/* `dir_or_json` is a result folder (its summary.json is read) or a summary file. Refuses,
 * saying why: a missing or unreadable file (ES_RESULTS_ERROR_IO), text that is not a JSON
 * object, or not a regular file, or one beyond the bounds above (_PARSE), a summary of another format version, including the 0.1 layout without a
 * "format" member (_FORMAT). */
EsSummaryFile *es_summary_file_load(const char *dir_or_json, GError **error);
void es_summary_file_free(EsSummaryFile *f);
/* The "interrupted" mark of a result folder's (or a file's) summary.json, whatever else the
 * summary holds (a live run's too): the signal's name (g_free it) and the run's clock then in
 * *at_s (NaN when unknown); NULL when it has none, or cannot be read. */
char *es_summary_file_peek_interrupted(const char *dir_or_json, double *at_s);

/* The file actually read (dir/summary.json for a folder). */
const char *es_summary_file_get_path(const EsSummaryFile *f);
const char *es_summary_file_get_scenario(const EsSummaryFile *f);
/* scenario.seed as text (parameters hold it exactly; a JSON number above 2^63 would not). */
const char *es_summary_file_get_seed(const EsSummaryFile *f);
guint64 es_summary_file_get_replication(const EsSummaryFile *f);
/* The signal that interrupted the run ("SIGINT"), with the run's clock then in *at_s (NaN
 * when unknown); NULL for a run that ended by itself. */
const char *es_summary_file_get_interrupted(const EsSummaryFile *f, double *at_s);
/* attributes.NAME when it is a string, else NULL. */
const char *es_summary_file_get_attribute(const EsSummaryFile *f, const char *name);
/* The engine the run ran on: attributes.engine, "simulated" (enrolsim run) or "live"
 * (enrolsim enrol); "simulated" for a summary without it (a simulated run of an older
 * enrolsim: live runs had no parameters then, and are not read). */
const char *es_summary_file_get_engine(const EsSummaryFile *f);

/* Effective parameters, "section.key" in file order; values as scenario.ini writes them. */
const char *const *es_summary_file_get_parameter_names(const EsSummaryFile *f);
const char *es_summary_file_get_parameter(const EsSummaryFile *f, const char *name);

/* Every number or null outside "attributes", in file order, except the identity members
 * "format", "seed" and "replication". */
guint es_summary_file_get_n_metrics(const EsSummaryFile *f);
const EsMetric *es_summary_file_get_metric(const EsSummaryFile *f, guint i);
const EsMetric *es_summary_file_find_metric(const EsSummaryFile *f, const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsSummaryFile, es_summary_file_free)

#endif

/* The Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` lines, then
 * `name{label="value"} value` samples; and a histogram that renders as cumulative `_bucket`
 * samples with `le`, `_sum` and `_count`. */
#ifndef ES_PROM_H
#define ES_PROM_H

#include <glib.h>

#define ES_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* `# HELP name help` (backslash and newline escaped) and `# TYPE name type`. */
void es_prom_family(GString *out, const char *name, const char *type, const char *help);
/* `name{l1="v1",...} value`: `labels` is name, value, name, value, ..., NULL (NULL itself:
 * no labels). Values have backslash, double quote and newline escaped. Integral values print
 * without a fraction, others shortest round-trip; infinities as +Inf/-Inf, NaN as NaN. */
void es_prom_sample(GString *out, const char *name, const char *const *labels, double value);

typedef struct EsPromHistogram EsPromHistogram;

/* Buckets with these upper bounds (`n` of them, increasing), and +Inf. */
EsPromHistogram *es_prom_histogram_new(const double *bounds, guint n);
void es_prom_histogram_free(EsPromHistogram *h);
void es_prom_histogram_observe(EsPromHistogram *h, double value);
guint64 es_prom_histogram_get_count(const EsPromHistogram *h);
/* Observations in bucket i (0..n: bucket n is above the last bound), not cumulative. */
guint64 es_prom_histogram_get_bucket(const EsPromHistogram *h, guint i);
/* `name_bucket{labels...,le="bound"}` cumulative, the last le="+Inf" (equal to the count),
 * then `name_sum` and `name_count`, all with `labels`. */
void es_prom_histogram_write(GString *out, const char *name, const char *const *labels,
                             const EsPromHistogram *h);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsPromHistogram, es_prom_histogram_free)

#endif

/* Prometheus text exposition (results/es_prom.h). Numbers are written with GLib's ASCII
 * formatting: a scrape under a decimal-comma locale must still parse. */
#include "results/es_prom.h"

#include <math.h>

struct EsPromHistogram {
  double *bounds;
  guint n;
  guint64 *counts; /* per bucket, not cumulative; counts[n] is (bounds[n-1], +Inf) */
  double sum;
  guint64 count;
};

static void append_escaped(GString *out, const char *text, gboolean quote)
{
  for (const char *p = text; *p != '\0'; p++) {
    if (*p == '\\')
      g_string_append(out, "\\\\");
    else if (*p == '\n')
      g_string_append(out, "\\n");
    else if (*p == '"' && quote)
      g_string_append(out, "\\\"");
    else
      g_string_append_c(out, *p);
  }
}

static void append_number(GString *out, double v)
{
  if (isnan(v)) {
    g_string_append(out, "NaN");
  } else if (isinf(v)) {
    g_string_append(out, v > 0 ? "+Inf" : "-Inf");
  } else if (v == floor(v) && fabs(v) < 1e15) {
    g_string_append_printf(out, "%" G_GINT64_FORMAT, (gint64)v);
  } else {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append(out, g_ascii_dtostr(buf, sizeof buf, v));
  }
}

void es_prom_family(GString *out, const char *name, const char *type, const char *help)
{
  g_string_append_printf(out, "# HELP %s ", name);
  append_escaped(out, help, FALSE);
  g_string_append_printf(out, "\n# TYPE %s %s\n", name, type);
}

/* name{labels[,extra="extra_value"]} value */
static void sample(GString *out, const char *name, const char *suffix, const char *const *labels,
                   const char *extra, const char *extra_value, double value)
{
  g_string_append(out, name);
  g_string_append(out, suffix);
  gboolean any = FALSE;
  for (guint i = 0; labels != NULL && labels[i] != NULL && labels[i + 1] != NULL; i += 2) {
    g_string_append_printf(out, "%s%s=\"", any ? "," : "{", labels[i]);
    append_escaped(out, labels[i + 1], TRUE);
    g_string_append_c(out, '"');
    any = TRUE;
  }
  if (extra != NULL) {
    g_string_append_printf(out, "%s%s=\"%s\"", any ? "," : "{", extra, extra_value);
    any = TRUE;
  }
  g_string_append(out, any ? "} " : " ");
  append_number(out, value);
  g_string_append_c(out, '\n');
}

void es_prom_sample(GString *out, const char *name, const char *const *labels, double value)
{
  sample(out, name, "", labels, NULL, NULL, value);
}

EsPromHistogram *es_prom_histogram_new(const double *bounds, guint n)
{
  EsPromHistogram *h = g_new0(EsPromHistogram, 1);
  h->bounds = g_memdup2(bounds, n * sizeof *bounds);
  h->n = n;
  h->counts = g_new0(guint64, n + 1);
  return h;
}

void es_prom_histogram_free(EsPromHistogram *h)
{
  if (h == NULL)
    return;
  g_free(h->bounds);
  g_free(h->counts);
  g_free(h);
}

void es_prom_histogram_observe(EsPromHistogram *h, double value)
{
  guint i = 0;
  while (i < h->n && !(value <= h->bounds[i]))
    i++;
  h->counts[i]++;
  h->sum += value;
  h->count++;
}

guint64 es_prom_histogram_get_count(const EsPromHistogram *h) { return h->count; }

guint64 es_prom_histogram_get_bucket(const EsPromHistogram *h, guint i)
{
  return i <= h->n ? h->counts[i] : 0;
}

void es_prom_histogram_write(GString *out, const char *name, const char *const *labels,
                             const EsPromHistogram *h)
{
  guint64 cumulative = 0;
  char le[G_ASCII_DTOSTR_BUF_SIZE];
  for (guint i = 0; i <= h->n; i++) {
    cumulative += h->counts[i];
    if (i < h->n)
      g_ascii_formatd(le, sizeof le, "%g", h->bounds[i]);
    else
      g_strlcpy(le, "+Inf", sizeof le);
    sample(out, name, "_bucket", labels, "le", le, (double)cumulative);
  }
  sample(out, name, "_sum", labels, NULL, NULL, h->sum);
  sample(out, name, "_count", labels, NULL, NULL, (double)h->count);
}

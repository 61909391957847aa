/* Revocation rows in the order they happened, and the issue time of every certificate not
 * revoked yet (dropped at its revocation: a 100k-eNB run keeps one small record per eNB). */
#include "results/es_revocation_log.h"

#include <math.h>
#include <stdlib.h>

#include "results/es_recorder.h"

typedef struct {
  guint enb;
  double t;
} Issue;

typedef struct {
  char *serial;
  guint enb;
  char *reason, *crl_reason;
  double issued_s, revoked_s, crl_s; /* NaN when unknown */
} Row;

struct EsRevocationLog {
  GHashTable *issued; /* serial -> Issue, until revoked */
  GArray *rows;       /* Row */
  guint published;    /* rows[0..published) are on some CRL */
  guint crls;
  double last_crl_s;
};

static void row_clear(gpointer p)
{
  Row *r = p;
  g_free(r->serial);
  g_free(r->reason);
  g_free(r->crl_reason);
}

EsRevocationLog *es_revocation_log_new(void)
{
  EsRevocationLog *log = g_new0(EsRevocationLog, 1);
  log->issued = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  log->rows = g_array_new(FALSE, FALSE, sizeof(Row));
  g_array_set_clear_func(log->rows, row_clear);
  log->last_crl_s = NAN;
  return log;
}

void es_revocation_log_free(EsRevocationLog *log)
{
  if (log == NULL)
    return;
  g_hash_table_unref(log->issued);
  g_array_unref(log->rows);
  g_free(log);
}

void es_revocation_log_issued(EsRevocationLog *log, const char *serial, guint enb, double t)
{
  g_return_if_fail(log != NULL && serial != NULL);
  Issue *issue = g_new(Issue, 1);
  issue->enb = enb;
  issue->t = t;
  g_hash_table_insert(log->issued, g_strdup(serial), issue);
}

void es_revocation_log_revoked(EsRevocationLog *log, const char *serial, guint enb,
                               const char *reason, const char *crl_reason, double t)
{
  g_return_if_fail(log != NULL && serial != NULL);
  const Issue *issue = g_hash_table_lookup(log->issued, serial);
  Row r = {
    .serial = g_strdup(serial),
    .enb = enb != 0 || issue == NULL ? enb : issue->enb,
    .reason = g_strdup(reason != NULL ? reason : ""),
    .crl_reason = g_strdup(crl_reason != NULL ? crl_reason : ""),
    .issued_s = issue != NULL ? issue->t : NAN,
    .revoked_s = t,
    .crl_s = NAN,
  };
  g_array_append_val(log->rows, r);
  g_hash_table_remove(log->issued, serial);
}

guint es_revocation_log_published(EsRevocationLog *log, double t)
{
  g_return_val_if_fail(log != NULL, 0);
  guint added = log->rows->len - log->published;
  for (guint i = log->published; i < log->rows->len; i++)
    g_array_index(log->rows, Row, i).crl_s = t;
  log->published = log->rows->len;
  log->crls++;
  log->last_crl_s = t;
  return added;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Mean, nearest-rank median and maximum of n values (sorted in place); NaN for none. */
static void describe(double *v, guint n, double *mean, double *p50, double *max)
{
  *mean = *p50 = *max = NAN;
  if (n == 0)
    return;
  qsort(v, n, sizeof *v, cmp_double);
  double sum = 0;
  for (guint i = 0; i < n; i++)
    sum += v[i];
  *mean = sum / n;
  *p50 = v[CLAMP((n * 50 + 99) / 100, 1, n) - 1];
  *max = v[n - 1];
}

void es_revocation_log_stats(const EsRevocationLog *log, EsRevocationStats *stats)
{
  g_return_if_fail(log != NULL && stats != NULL);
  guint n = log->rows->len;
  stats->rows = n;
  stats->crls = log->crls;
  stats->last_crl_s = log->last_crl_s;
  double *lived = g_new(double, MAX(n, 1)), *listed = g_new(double, MAX(n, 1));
  double *window = g_new(double, MAX(n, 1));
  guint n_lived = 0, n_listed = 0, n_window = 0;
  for (guint i = 0; i < n; i++) {
    const Row *r = &g_array_index(log->rows, Row, i);
    if (isfinite(r->issued_s))
      lived[n_lived++] = r->revoked_s - r->issued_s;
    if (isfinite(r->issued_s) && isfinite(r->crl_s))
      listed[n_listed++] = r->crl_s - r->issued_s;
    if (isfinite(r->crl_s))
      window[n_window++] = r->crl_s - r->revoked_s;
  }
  describe(lived, n_lived, &stats->to_revocation_mean, &stats->to_revocation_p50,
           &stats->to_revocation_max);
  describe(listed, n_listed, &stats->to_crl_mean, &stats->to_crl_p50, &stats->to_crl_max);
  describe(window, n_window, &stats->revocation_to_crl_mean, &stats->revocation_to_crl_p50,
           &stats->revocation_to_crl_max);
  g_free(lived);
  g_free(listed);
  g_free(window);
}

static void append_time(GString *out, double t)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append_c(out, ',');
  if (isfinite(t))
    g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.6f", t));
}

gboolean es_revocation_log_write_csv(const EsRevocationLog *log, const char *path,
                                     GError **error)
{
  g_return_val_if_fail(log != NULL && path != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  GString *out = g_string_sized_new(64 + log->rows->len * 80);
  g_string_append(out, "serial,enb,reason,crl_reason,issued_s,revoked_s,crl_published_s\n");
  for (guint i = 0; i < log->rows->len; i++) {
    const Row *r = &g_array_index(log->rows, Row, i);
    g_string_append_printf(out, "%s,%u,%s,%s", r->serial, r->enb, r->reason, r->crl_reason);
    append_time(out, r->issued_s);
    append_time(out, r->revoked_s);
    append_time(out, r->crl_s);
    g_string_append_c(out, '\n');
  }
  gboolean ok = es_results_write_file(path, out, error);
  g_string_free(out, TRUE);
  return ok;
}

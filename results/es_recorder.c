/* Per-eNB enrolment timelines and outcomes, kept in one flat array, and the files a run
 * leaves behind (enrolments.csv, summary.json), written atomically and locale-independently. */
#include "results/es_recorder.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK(es-results-error-quark, es_results_error)

typedef struct {
  double marks[ES_MARK_COUNT]; /* NaN: step not reached */
  const char *outcome;         /* NULL: unset; otherwise lives in EsRecorder.outcomes */
  char *serial;                /* NULL: unset; owned */
  const char *access;          /* NULL: unknown; lives in EsRecorder.outcomes */
  guint raca;
  guint attempts;
  guint polls;
  gboolean revoked;
  guint counts[ES_COUNT_N];
} EsEnbRecord;

struct EsRecorder {
  guint n_enbs;
  EsEnbRecord *enbs; /* index enb - 1 */
  /* Outcomes and access classes repeat ("enrolled", a handful of failure reasons, three
   * classes): one copy of each text, freed with the recorder, instead of a string per eNB. */
  GStringChunk *outcomes;
};

/* Wide enough for "%.6f" of any time a simulation reaches (up to ~1e30 s). */
#define ES_NUM_BUF 64

EsRecorder *es_recorder_new(guint n_enbs) {
  EsRecorder *rec = g_new0(EsRecorder, 1);
  rec->n_enbs = n_enbs;
  rec->enbs = g_new0(EsEnbRecord, MAX(n_enbs, 1));
  for (guint i = 0; i < n_enbs; i++) {
    for (int m = 0; m < ES_MARK_COUNT; m++)
      rec->enbs[i].marks[m] = NAN;
    rec->enbs[i].raca = ES_RECORDER_NO_RACA;
  }
  rec->outcomes = g_string_chunk_new(256);
  return rec;
}

void es_recorder_free(EsRecorder *rec) {
  if (!rec)
    return;
  for (guint i = 0; i < rec->n_enbs; i++)
    g_free(rec->enbs[i].serial);
  g_free(rec->enbs);
  g_string_chunk_free(rec->outcomes);
  g_free(rec);
}

guint es_recorder_get_enbs(const EsRecorder *rec) {
  g_return_val_if_fail(rec != NULL, 0);
  return rec->n_enbs;
}

static EsEnbRecord *enb_record(const EsRecorder *rec, guint enb) {
  g_return_val_if_fail(rec != NULL, NULL);
  g_return_val_if_fail(enb >= 1 && enb <= rec->n_enbs, NULL);
  return &rec->enbs[enb - 1];
}

/* A CSV field must not split the row or the line: the file is read by spreadsheets and
 * scripts that do not speak quoted CSV. */
static char *sanitise_field(const char *text) {
  char *copy = g_strdup(text);
  for (char *p = copy; *p; p++) {
    if (*p == ',' || *p == '"')
      *p = '_';
    else if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = ' ';
  }
  return copy;
}

void es_recorder_mark(EsRecorder *rec, guint enb, EsMark mark, double t_s) {
  EsEnbRecord *r = enb_record(rec, enb);
  g_return_if_fail(r != NULL);
  g_return_if_fail((guint)mark < ES_MARK_COUNT);
  /* A non-finite time would put "inf" in the CSV and break the JSON numbers. */
  if (!isfinite(t_s))
    return;
  if (isnan(r->marks[mark]))
    r->marks[mark] = t_s;
}

void es_recorder_set_outcome(EsRecorder *rec, guint enb, const char *outcome) {
  EsEnbRecord *r = enb_record(rec, enb);
  g_return_if_fail(r != NULL);
  if (!outcome) {
    r->outcome = NULL;
    return;
  }
  char *clean = sanitise_field(outcome);
  r->outcome = g_string_chunk_insert_const(rec->outcomes, clean);
  g_free(clean);
}

void es_recorder_set_attempts(EsRecorder *rec, guint enb, guint attempts) {
  EsEnbRecord *r = enb_record(rec, enb);
  g_return_if_fail(r != NULL);
  r->attempts = attempts;
}

void es_recorder_set_serial(EsRecorder *rec, guint enb, const char *serial_hex) {
  EsEnbRecord *r = enb_record(rec, enb);
  g_return_if_fail(r != NULL);
  g_free(r->serial);
  /* Hex is left as is; sanitising only guards the CSV against a caller's mistake. */
  r->serial = serial_hex ? sanitise_field(serial_hex) : NULL;
}

void es_recorder_set_revoked(EsRecorder *rec, guint enb, gboolean revoked) {
  EsEnbRecord *r = enb_record(rec, enb);
  g_return_if_fail(r != NULL);
  r->revoked = revoked ? TRUE : FALSE;
}

const char *es_recorder_get_outcome(const EsRecorder *rec, guint enb) {
  EsEnbRecord *r = enb_record(rec, enb);
  return r ? r->outcome : NULL;
}

const char *es_recorder_get_serial(const EsRecorder *rec, guint enb) {
  EsEnbRecord *r = enb_record(rec, enb);
  return r ? r->serial : NULL;
}

double es_recorder_get_mark(const EsRecorder *rec, guint enb, EsMark mark) {
  EsEnbRecord *r = enb_record(rec, enb);
  g_return_val_if_fail(r != NULL, NAN);
  g_return_val_if_fail((guint)mark < ES_MARK_COUNT, NAN);
  return r->marks[mark];
}

const char *es_count_name(EsCount count) {
  static const char *const names[ES_COUNT_N] = {"cmp_retransmissions", "tcp_retransmissions",
                                                "busy_retries", "abandoned", "raca_duplicates"};
  return (guint)count < ES_COUNT_N ? names[count] : "unknown";
}

void es_recorder_add_count(EsRecorder *rec, guint enb, EsCount count, guint n) {
  EsEnbRecord *r = enb_record(rec, enb);
  g_return_if_fail(r != NULL && (guint)count < ES_COUNT_N);
  r->counts[count] = r->counts[count] + n < r->counts[count] ? G_MAXUINT : r->counts[count] + n;
}

void es_recorder_set_site(EsRecorder *rec, guint enb, const char *access, guint raca) {
  EsEnbRecord *r = enb_record(rec, enb);
  g_return_if_fail(r != NULL);
  r->raca = raca;
  r->access = NULL;
  if (access != NULL && *access != '\0') {
    char *clean = sanitise_field(access);
    r->access = g_string_chunk_insert_const(rec->outcomes, clean);
    g_free(clean);
  }
}

const char *es_recorder_get_access(const EsRecorder *rec, guint enb) {
  EsEnbRecord *r = enb_record(rec, enb);
  return r != NULL && r->access != NULL ? r->access : "";
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

const char **es_recorder_dup_accesses(const EsRecorder *rec) {
  g_return_val_if_fail(rec != NULL, NULL);
  GPtrArray *names = g_ptr_array_new();
  GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal); /* interned strings */
  for (guint i = 0; i < rec->n_enbs; i++) {
    const char *a = rec->enbs[i].access;
    if (a != NULL && g_hash_table_add(seen, (gpointer)a))
      g_ptr_array_add(names, (gpointer)a);
  }
  g_hash_table_destroy(seen);
  qsort(names->pdata, names->len, sizeof(gpointer), cmp_str);
  g_ptr_array_add(names, NULL);
  return (const char **)g_ptr_array_free(names, FALSE);
}

guint es_recorder_get_count(const EsRecorder *rec, guint enb, EsCount count) {
  const EsEnbRecord *r = enb_record(rec, enb);
  return r != NULL && (guint)count < ES_COUNT_N ? r->counts[count] : 0;
}

void es_recorder_set_polls(EsRecorder *rec, guint enb, guint polls) {
  EsEnbRecord *r = enb_record(rec, enb);
  g_return_if_fail(r != NULL);
  r->polls = polls;
}

guint es_recorder_get_polls(const EsRecorder *rec, guint enb) {
  EsEnbRecord *r = enb_record(rec, enb);
  return r ? r->polls : 0;
}

guint es_recorder_get_attempts(const EsRecorder *rec, guint enb) {
  EsEnbRecord *r = enb_record(rec, enb);
  return r ? r->attempts : 0;
}

static gboolean is_enrolled(const EsEnbRecord *r) {
  return r->outcome && strcmp(r->outcome, "enrolled") == 0;
}

static gboolean is_unfinished(const EsEnbRecord *r) {
  return r->outcome == NULL || strcmp(r->outcome, "unfinished") == 0;
}

/* Enrolled, or enrolled and then failed to renew or revoke: the serial column is then the
 * certificate the eNB holds; for an eNB that never enrolled it is only the last issued to it. */
static gboolean holds_certificate(const EsEnbRecord *r) {
  return r->outcome != NULL && r->serial != NULL
         && (is_enrolled(r) || strcmp(r->outcome, "installed") == 0
             || strcmp(r->outcome, "renewed") == 0 || g_str_has_prefix(r->outcome, "renew_")
             || g_str_has_prefix(r->outcome, "revoke_"));
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile: the value at 1-based rank ceil(p/100 * n) of the sorted values,
 * always one of the observed latencies (no interpolation). Integer arithmetic keeps
 * 90% of 100 at rank 90 rather than at a floating-point 90.000000000000014. */
static double nearest_rank(const double *sorted, gsize n, guint p) {
  gsize rank = ((gsize)p * n + 99) / 100;
  rank = CLAMP(rank, 1, n);
  return sorted[rank - 1];
}

/* failed counts the eNBs whose session ended without a certificate; those still enrolling
 * when the run stopped or never started are unfinished, so that an interrupted run does not
 * read as a collapse. enrolled + failed + unfinished == enbs. Latencies come from enrolled eNBs that have both
 * a start and a done mark; percentiles use the nearest-rank method. A latency of no eNB is
 * NaN, never 0: a collapse must not read as instant enrolment. */
void es_recorder_stats(const EsRecorder *rec, const char *access, EsRecorderStats *stats) {
  g_return_if_fail(rec != NULL && stats != NULL);
  memset(stats, 0, sizeof *stats);
  stats->p50 = stats->p90 = stats->p99 = stats->max = stats->mean = NAN;
  double *lat = g_new(double, MAX(rec->n_enbs, 1));
  gsize n = 0;
  double sum = 0;
  for (guint i = 0; i < rec->n_enbs; i++) {
    const EsEnbRecord *r = &rec->enbs[i];
    if (access != NULL && (r->access == NULL || strcmp(r->access, access) != 0))
      continue;
    stats->enbs++;
    if (r->revoked && holds_certificate(r))
      stats->holding_revoked++;
    if (is_unfinished(r)) {
      stats->unfinished++;
      continue;
    }
    if (strcmp(r->outcome, "installed") == 0 || strcmp(r->outcome, "renewed") == 0) {
      *(r->outcome[0] == 'i' ? &stats->installed : &stats->renewed) += 1;
      continue;
    }
    if (!is_enrolled(r)) {
      stats->failed++;
      continue;
    }
    stats->enrolled++;
    double start = r->marks[ES_MARK_START], done = r->marks[ES_MARK_DONE];
    if (!isnan(start) && !isnan(done)) {
      lat[n++] = done - start;
      sum += done - start;
    }
  }
  if (n > 0) {
    stats->mean = sum / (double)n;
    qsort(lat, n, sizeof *lat, cmp_double);
    stats->p50 = nearest_rank(lat, n, 50);
    stats->p90 = nearest_rank(lat, n, 90);
    stats->p99 = nearest_rank(lat, n, 99);
    stats->max = lat[n - 1];
  }
  g_free(lat);
}

/* g_file_set_contents writes a temporary file beside `path` and renames it over, so a
 * failed write (full disk, missing directory) leaves an earlier file intact. */
gboolean es_results_write_file(const char *path, const GString *text, GError **error) {
  GError *inner = NULL;
  if (!g_file_set_contents_full(path, text->str, (gssize)text->len,
                                G_FILE_SET_CONTENTS_CONSISTENT, 0666, &inner)) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_IO, "cannot write %s: %s", path,
                inner->message);
    g_error_free(inner);
    return FALSE;
  }
  return TRUE;
}

static void append_time(GString *out, double t) {
  char buf[ES_NUM_BUF];
  if (!isnan(t))
    g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.6f", t));
}

gboolean es_recorder_write_csv(const EsRecorder *rec, const char *path, GError **error) {
  g_return_val_if_fail(rec != NULL && path != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  /* About 100 bytes a row; sizing up front avoids repeated reallocation at 100k eNBs. */
  GString *out = g_string_sized_new(128 + (gsize)rec->n_enbs * 100);
  g_string_append(out, "enb,start_s,ir_sent_s,ip_received_s,certconf_sent_s,"
                       "pkiconf_received_s,done_s,outcome,attempts,serial,revoked");
  for (int c = 0; c < ES_COUNT_N; c++)
    g_string_append_printf(out, ",%s", es_count_name(c));
  g_string_append(out, ",access,raca,polls\n");
  for (guint i = 0; i < rec->n_enbs; i++) {
    const EsEnbRecord *r = &rec->enbs[i];
    g_string_append_printf(out, "%u", i + 1);
    for (int m = 0; m < ES_MARK_COUNT; m++) {
      g_string_append_c(out, ',');
      append_time(out, r->marks[m]);
    }
    g_string_append_printf(out, ",%s,%u,%s,%d", r->outcome ? r->outcome : "", r->attempts,
                           r->serial ? r->serial : "", r->revoked ? 1 : 0);
    for (int c = 0; c < ES_COUNT_N; c++)
      g_string_append_printf(out, ",%u", r->counts[c]);
    g_string_append_printf(out, ",%s,", r->access != NULL ? r->access : "");
    if (r->raca != ES_RECORDER_NO_RACA)
      g_string_append_printf(out, "%u", r->raca);
    g_string_append_printf(out, ",%u\n", r->polls);
  }
  gboolean ok = es_results_write_file(path, out, error);
  g_string_free(out, TRUE);
  return ok;
}

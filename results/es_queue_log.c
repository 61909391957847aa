/* RA/CA queue samples, one array per RA/CA (a step function each), merged in time order
 * when written. Coalescing same-instant changes keeps 100k-eNB runs to a few rows per eNB. */
#include "results/es_queue_log.h"

#include <math.h>
#include <string.h>

#include "results/es_recorder.h"

typedef struct {
  double t;
  guint queued, busy, waiting;
} Sample;

struct EsQueueLog {
  GPtrArray *racas; /* GArray of Sample per RA/CA index; NULL for an index never seen */
};

EsQueueLog *es_queue_log_new(void)
{
  EsQueueLog *log = g_new0(EsQueueLog, 1);
  log->racas = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
  return log;
}

void es_queue_log_free(EsQueueLog *log)
{
  if (!log)
    return;
  g_ptr_array_unref(log->racas);
  g_free(log);
}

static GArray *samples_of(const EsQueueLog *log, guint raca)
{
  return raca < log->racas->len ? g_ptr_array_index(log->racas, raca) : NULL;
}

static gboolean same_state(const Sample *a, const Sample *b)
{
  return a->queued == b->queued && a->busy == b->busy && a->waiting == b->waiting;
}

static GArray *series(EsQueueLog *log, guint raca)
{
  if (raca >= log->racas->len)
    g_ptr_array_set_size(log->racas, raca + 1);
  GArray *a = g_ptr_array_index(log->racas, raca);
  if (!a) {
    a = g_array_new(FALSE, FALSE, sizeof(Sample));
    log->racas->pdata[raca] = a;
  }
  return a;
}

/* The state of RA/CA `raca` as it was last recorded (all zero before anything was). */
static Sample last_state(EsQueueLog *log, guint raca)
{
  GArray *a = series(log, raca);
  return a->len > 0 ? g_array_index(a, Sample, a->len - 1) : (Sample){0};
}

static void record(EsQueueLog *log, guint raca, Sample s)
{
  GArray *a = series(log, raca);
  if (a->len > 0) {
    Sample *last = &g_array_index(a, Sample, a->len - 1);
    g_return_if_fail(s.t >= last->t);
    if (s.t == last->t) {
      *last = s;
      /* Back to the state before this instant: the instant changed nothing. */
      if (a->len > 1 && same_state(&g_array_index(a, Sample, a->len - 2), &s))
        g_array_set_size(a, a->len - 1);
      return;
    }
    if (same_state(last, &s))
      return;
  }
  g_array_append_val(a, s);
}

void es_queue_log_record(EsQueueLog *log, guint raca, guint queued, guint busy, double t)
{
  g_return_if_fail(log != NULL && isfinite(t));
  Sample s = last_state(log, raca);
  s.t = t;
  s.queued = queued;
  s.busy = busy;
  record(log, raca, s);
}

void es_queue_log_record_waiting(EsQueueLog *log, guint raca, guint waiting, double t)
{
  g_return_if_fail(log != NULL && isfinite(t));
  Sample s = last_state(log, raca);
  s.t = t;
  s.waiting = waiting;
  record(log, raca, s);
}

gboolean es_queue_log_stats(const EsQueueLog *log, guint raca, double end_s, EsQueueStats *stats)
{
  g_return_val_if_fail(log != NULL && stats != NULL, FALSE);
  memset(stats, 0, sizeof *stats);
  GArray *a = samples_of(log, raca);
  if (!a || a->len == 0)
    return FALSE;
  stats->samples = a->len;
  double area_q = 0, area_b = 0;
  double start = g_array_index(a, Sample, 0).t;
  for (guint i = 0; i < a->len; i++) {
    const Sample *s = &g_array_index(a, Sample, i);
    double until = i + 1 < a->len ? g_array_index(a, Sample, i + 1).t : MAX(end_s, s->t);
    area_q += s->queued * (until - s->t);
    area_b += s->busy * (until - s->t);
    stats->max_queued = MAX(stats->max_queued, s->queued);
    stats->max_busy = MAX(stats->max_busy, s->busy);
  }
  double span = MAX(end_s, g_array_index(a, Sample, a->len - 1).t) - start;
  if (span > 0) {
    stats->mean_queued = area_q / span;
    stats->mean_busy = area_b / span;
  }
  return TRUE;
}

gboolean es_queue_log_write_csv(const EsQueueLog *log, const char *path, GError **error)
{
  g_return_val_if_fail(log != NULL && path != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  guint n = log->racas->len;
  gsize rows = 0;
  for (guint r = 0; r < n; r++)
    rows += samples_of(log, r) ? samples_of(log, r)->len : 0;
  GString *out = g_string_sized_new(32 + rows * 32);
  g_string_append(out, ES_QUEUE_LOG_HEADER "\n");
  /* A k-way merge by time; ties go to the lower RA/CA index. */
  guint *next = g_new0(guint, MAX(n, 1));
  char buf[G_ASCII_DTOSTR_BUF_SIZE + 320];
  for (;;) {
    gint best = -1;
    double best_t = INFINITY;
    for (guint r = 0; r < n; r++) {
      GArray *a = samples_of(log, r);
      if (a && next[r] < a->len && g_array_index(a, Sample, next[r]).t < best_t) {
        best = (gint)r;
        best_t = g_array_index(a, Sample, next[r]).t;
      }
    }
    if (best < 0)
      break;
    const Sample *s = &g_array_index(samples_of(log, (guint)best), Sample, next[best]++);
    g_string_append_printf(out, "%s,%d,%u,%u,%u\n", g_ascii_formatd(buf, sizeof buf, "%.6f", s->t),
                           best, s->queued, s->busy, s->waiting);
  }
  g_free(next);
  gboolean ok = es_results_write_file(path, out, error);
  g_string_free(out, TRUE);
  return ok;
}

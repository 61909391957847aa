/* The progress line: reads the run's figures, never changes them, and draws only on a
 * terminal, so pipes and logs stay clean. */
#include "cli/es_progress.h"

#include <stdio.h>
#include <unistd.h>

#define PROGRESS_INTERVAL_US 250000

struct EsProgress {
  gint64 start_us, last_us;
  guint64 last_events;
  gboolean shown;
};

EsProgress *es_progress_new(void)
{
  if (!isatty(STDERR_FILENO))
    return NULL;
  EsProgress *p = g_new0(EsProgress, 1);
  p->start_us = p->last_us = g_get_monotonic_time();
  return p;
}

void es_progress_report(void *progress, const EsRunProgress *r)
{
  EsProgress *p = progress;
  gint64 now = g_get_monotonic_time();
  if (now - p->last_us < PROGRESS_INTERVAL_US)
    return;
  double dt = (now - p->last_us) / 1e6, elapsed = (now - p->start_us) / 1e6;
  char eta[32] = "--";
  if (r->finished > 0 && r->finished < r->enbs) {
    guint left = (guint)((double)(r->enbs - r->finished) * elapsed / r->finished);
    g_snprintf(eta, sizeof eta, "%u:%02u", left / 60, left % 60);
  }
  fprintf(stderr, "\r\033[Ksim %.3f s | enrolled %u/%u (%u failed) | %.0f events/s | ETA %s",
          r->sim_s, r->enrolled, r->enbs, r->finished - r->enrolled,
          (r->events - p->last_events) / dt, eta);
  fflush(stderr);
  p->last_us = now;
  p->last_events = r->events;
  p->shown = TRUE;
}

void es_progress_free(EsProgress *p)
{
  if (p == NULL)
    return;
  if (p->shown)
    fputs("\r\033[K", stderr);
  g_free(p);
}

/* The live progress line: reads the command's figures, never changes them, and draws only on a
 * terminal, so pipes and logs stay clean. */
#include "cli/es_live_progress.h"

#include <stdio.h>
#include <unistd.h>

#define PROGRESS_INTERVAL_S 0.25

struct EsLiveProgress {
  EsEngine *engine;
  EsLiveProgressFn fn;
  void *arg;
  guint64 timer;
  gboolean shown;
};

static void on_tick(void *arg)
{
  EsLiveProgress *p = arg;
  g_autoptr(GString) line = g_string_new(NULL);
  p->fn(p->arg, line);
  fprintf(stderr, "\r\033[K%s", line->str);
  fflush(stderr);
  p->shown = TRUE;
  p->timer = es_engine_timer_add(p->engine, PROGRESS_INTERVAL_S, on_tick, p);
}

EsLiveProgress *es_live_progress_new(EsEngine *engine, EsLiveProgressFn fn, void *arg)
{
  if (!isatty(STDERR_FILENO))
    return NULL;
  EsLiveProgress *p = g_new0(EsLiveProgress, 1);
  p->engine = engine;
  p->fn = fn;
  p->arg = arg;
  p->timer = es_engine_timer_add(engine, PROGRESS_INTERVAL_S, on_tick, p);
  return p;
}

void es_live_progress_free(EsLiveProgress *p)
{
  if (p == NULL)
    return;
  es_engine_timer_cancel(p->engine, p->timer);
  if (p->shown) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
  }
  g_free(p);
}

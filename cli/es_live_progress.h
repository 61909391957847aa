/* The progress line of `enrol` and `serve` on a terminal, like `run`'s: a line the command
 * writes, redrawn in place on stderr a few times a second on the live engine's clock. */
#ifndef ES_LIVE_PROGRESS_H
#define ES_LIVE_PROGRESS_H

#include <glib.h>
#include "nodes/es_engine.h"

typedef struct EsLiveProgress EsLiveProgress;
/* Appends the line's text (no newline) to `out`, from the command's figures so far. */
typedef void (*EsLiveProgressFn)(void *arg, GString *out);

/* NULL unless stderr is a terminal (nothing to show then). */
EsLiveProgress *es_live_progress_new(EsEngine *engine, EsLiveProgressFn fn, void *arg);
/* Clears the line (so what follows starts on a clean one), stops and frees. */
void es_live_progress_free(EsLiveProgress *progress);

#endif

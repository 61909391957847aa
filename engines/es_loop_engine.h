/* A small in-process engine for tests and fuzzing: discrete-event clock, timers, and channels
 * that hand each POST to the registered server after a fixed one-way delay. No network. A
 * server registered as number 1 is the CA behind server 0 (es_engine_upstream_open(e, 0)),
 * whose channel is eNB 0 to the tamper and drop hooks. */
#ifndef ES_LOOP_ENGINE_H
#define ES_LOOP_ENGINE_H

#include <glib.h>
#include "nodes/es_engine.h"

typedef struct EsLoopEngine EsLoopEngine;

/* Rewrites a response on its way to eNB `enb`: return NULL to pass it on unchanged, or new
 * bytes to deliver instead (the engine frees them). */
typedef GBytes *(*EsLoopTamperFn)(void *arg, guint enb, const guint8 *body, gsize len);

EsLoopEngine *es_loop_engine_new(double one_way_delay_s);
void es_loop_engine_free(EsLoopEngine *loop);
EsEngine *es_loop_engine_get0_engine(EsLoopEngine *loop);
void es_loop_engine_set_tamper(EsLoopEngine *loop, EsLoopTamperFn fn, void *arg);
/* Loses messages: return TRUE to drop a request (`request`) or response of eNB `enb`; the
 * sender hears nothing, as after a lost segment TCP could not recover in time. */
typedef gboolean (*EsLoopDropFn)(void *arg, guint enb, gboolean request, const guint8 *body,
                                 gsize len);
void es_loop_engine_set_drop(EsLoopEngine *loop, EsLoopDropFn fn, void *arg);
/* Runs timers in time order until none is left or simulated time passes until_s. */
void es_loop_engine_run(EsLoopEngine *loop, double until_s);
guint64 es_loop_engine_get_posts(const EsLoopEngine *loop);

#endif

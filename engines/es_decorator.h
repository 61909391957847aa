/* An engine in front of another for a server's sake (fault injection, metrics): clock, timers
 * and channels pass to the inner engine; requests reach the decorator's hook before the node
 * that registered, and its server-side ops see the node's answers. Exchanges stay the inner
 * engine's. Embed it first in the decorator's struct. */
#ifndef ES_DECORATOR_H
#define ES_DECORATOR_H

#include <glib.h>
#include "nodes/es_engine.h"

typedef struct {
  EsEngine engine;   /* the decorator's own, for the node */
  EsEngineOps ops;
  EsEngine *inner;
  EsRequestFn hook;  /* the decorator's, called with the decorator first */
  EsRequestFn fn;    /* the node's, from its server_set */
  void *arg;
  guint raca;
  gboolean serving;  /* registered with the inner engine */
} EsDecorator;

/* `server` gives reply, reply_unavailable and drop (a NULL one passes through); `request` is
 * called with `d` for each request, and hands it to the node with es_decorator_deliver (or
 * answers it itself through the inner engine). */
void es_decorator_init(EsDecorator *d, EsEngine *inner, const EsEngineOps *server,
                       EsRequestFn request);
/* Unregisters from the inner engine. */
void es_decorator_clear(EsDecorator *d);

static inline void es_decorator_deliver(EsDecorator *d, EsExchange *x, const char *content_type,
                                        const guint8 *body, gsize len)
{
  d->fn(d->arg, x, content_type, body, len);
}

#endif

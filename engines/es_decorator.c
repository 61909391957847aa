/* The pass-through half of an engine decorator. */
#include "engines/es_decorator.h"

static EsDecorator *of(EsEngine *e) { return (EsDecorator *)e; }

static double pass_now(EsEngine *e) { return es_engine_now(of(e)->inner); }

static guint64 pass_timer_add(EsEngine *e, double delay_s, EsTimerFn fn, void *arg)
{
  return es_engine_timer_add(of(e)->inner, delay_s, fn, arg);
}

static void pass_timer_cancel(EsEngine *e, guint64 id) { es_engine_timer_cancel(of(e)->inner, id); }

static EsChannel *pass_channel_open(EsEngine *e, guint enb)
{
  return es_engine_channel_open(of(e)->inner, enb);
}

static EsChannel *pass_upstream_open(EsEngine *e, guint raca)
{
  return es_engine_upstream_open(of(e)->inner, raca);
}

/* The node's server: its requests reach the decorator's hook first. */
static void decorated_server_set(EsEngine *e, guint raca, EsRequestFn fn, void *arg)
{
  EsDecorator *d = of(e);
  d->fn = fn;
  d->arg = arg;
  d->raca = raca;
  d->serving = fn != NULL;
  es_engine_server_set(d->inner, raca, fn != NULL ? d->hook : NULL, fn != NULL ? d : NULL);
}

static void pass_reply(EsEngine *e, EsExchange *x, int status, const char *content_type,
                       const guint8 *body, gsize len)
{
  es_engine_reply(of(e)->inner, x, status, content_type, body, len);
}

static void pass_reply_unavailable(EsEngine *e, EsExchange *x, guint retry_after_s)
{
  es_engine_reply_unavailable(of(e)->inner, x, retry_after_s);
}

static void pass_drop(EsEngine *e, EsExchange *x) { es_engine_drop(of(e)->inner, x); }

void es_decorator_init(EsDecorator *d, EsEngine *inner, const EsEngineOps *server,
                       EsRequestFn request)
{
  *d = (EsDecorator){.inner = inner, .hook = request};
  d->ops = (EsEngineOps){
    .now = pass_now, .timer_add = pass_timer_add, .timer_cancel = pass_timer_cancel,
    .channel_open = pass_channel_open,
    /* A channel is the inner engine's: its ops take no engine, so they are its own. */
    .channel_post = inner->ops->channel_post, .channel_close = inner->ops->channel_close,
    .server_set = decorated_server_set,
    .reply = server->reply != NULL ? server->reply : pass_reply,
    .reply_unavailable =
        server->reply_unavailable != NULL ? server->reply_unavailable : pass_reply_unavailable,
    .drop = server->drop != NULL ? server->drop : pass_drop,
    .upstream_open = pass_upstream_open,
  };
  d->engine.ops = &d->ops;
}

void es_decorator_clear(EsDecorator *d)
{
  if (d->serving)
    es_engine_server_set(d->inner, d->raca, NULL, NULL);
  d->serving = FALSE;
}

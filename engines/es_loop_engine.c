/* The loopback engine: a binary-heap timer queue ordered by (time, sequence) so equal times
 * fire in scheduling order, and channels that deliver to one in-process server (and from it to
 * a CA behind it, server 1). */
#include "engines/es_loop_engine.h"

typedef struct {
  double at;
  guint64 seq;
  guint64 id;
  EsTimerFn fn;
  void *arg;
} Timer;

struct EsLoopEngine {
  EsEngine engine;
  double now, delay;
  GPtrArray *heap;          /* Timer* */
  GHashTable *live;         /* id -> Timer*, for cancel */
  guint64 next_id, seq, posts;
  EsRequestFn server;
  void *server_arg;
  EsRequestFn ca;           /* server 1: the CA behind server 0, or NULL */
  void *ca_arg;
  EsLoopTamperFn tamper;
  void *tamper_arg;
  EsLoopDropFn drop;
  void *drop_arg;
};

struct EsChannel {
  EsLoopEngine *loop;
  guint enb;                /* 0: server 0's channel to the CA */
  guint refs;               /* the test's handle and every request or response in flight */
  gboolean closed;
};

struct EsExchange {
  EsChannel *channel;
  EsResponseFn fn;
  void *arg;
};

typedef struct {
  EsChannel *channel;
  EsResponseFn fn;
  void *arg;
  GBytes *body;
  char *content_type;
  int status;
  guint retry_after_s;
  const char *error;        /* the connection ended without an answer (es_engine_drop) */
} Delivery;

typedef struct {
  EsExchange *x;
  GBytes *request;
  char *content_type;
} Arrival;

static gboolean before(const Timer *a, const Timer *b)
{
  return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_push(GPtrArray *h, Timer *t)
{
  g_ptr_array_add(h, t);
  for (guint i = h->len - 1; i > 0;) {
    guint p = (i - 1) / 2;
    if (!before(h->pdata[i], h->pdata[p]))
      break;
    gpointer tmp = h->pdata[i];
    h->pdata[i] = h->pdata[p];
    h->pdata[p] = tmp;
    i = p;
  }
}

static Timer *heap_pop(GPtrArray *h)
{
  Timer *top = h->pdata[0];
  h->pdata[0] = h->pdata[h->len - 1];
  g_ptr_array_set_size(h, h->len - 1);
  for (guint i = 0;;) {
    guint l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->len && before(h->pdata[l], h->pdata[m]))
      m = l;
    if (r < h->len && before(h->pdata[r], h->pdata[m]))
      m = r;
    if (m == i)
      break;
    gpointer tmp = h->pdata[i];
    h->pdata[i] = h->pdata[m];
    h->pdata[m] = tmp;
    i = m;
  }
  return top;
}

static double loop_now(EsEngine *e) { return ((EsLoopEngine *)e)->now; }

static guint64 loop_timer_add(EsEngine *e, double delay_s, EsTimerFn fn, void *arg)
{
  EsLoopEngine *loop = (EsLoopEngine *)e;
  Timer *t = g_new(Timer, 1);
  *t = (Timer){.at = loop->now + MAX(delay_s, 0.0), .seq = loop->seq++, .id = ++loop->next_id,
               .fn = fn, .arg = arg};
  heap_push(loop->heap, t);
  g_hash_table_insert(loop->live, &t->id, t);
  return t->id;
}

static void loop_timer_cancel(EsEngine *e, guint64 id)
{
  EsLoopEngine *loop = (EsLoopEngine *)e;
  Timer *t = g_hash_table_lookup(loop->live, &id);
  if (t != NULL) {
    g_hash_table_remove(loop->live, &id);
    t->fn = NULL; /* stays in the heap, skipped when popped */
  }
}

static EsChannel *channel_ref(EsChannel *c)
{
  c->refs++;
  return c;
}

static void channel_unref(EsChannel *c)
{
  if (--c->refs == 0)
    g_free(c);
}

static EsChannel *loop_channel_open(EsEngine *e, guint enb)
{
  EsChannel *c = g_new0(EsChannel, 1);
  c->loop = (EsLoopEngine *)e;
  c->enb = enb;
  c->refs = 1;
  return c;
}

static void deliver_response(void *arg)
{
  Delivery *d = arg;
  if (!d->channel->closed) {
    gsize len = 0;
    const guint8 *body = g_bytes_get_data(d->body, &len);
    EsResponse r = {.http_status = d->status, .content_type = d->content_type, .body = body,
                    .len = len, .retry_after_s = d->retry_after_s, .error = d->error};
    d->fn(d->arg, &r);
  }
  channel_unref(d->channel);
  g_bytes_unref(d->body);
  g_free(d->content_type);
  g_free(d);
}

static void deliver_request(void *arg)
{
  Arrival *a = arg;
  EsLoopEngine *loop = a->x->channel->loop;
  gsize len;
  const guint8 *body = g_bytes_get_data(a->request, &len);
  if (a->x->channel->enb == 0)
    loop->ca(loop->ca_arg, a->x, a->content_type, body, len);
  else
    loop->server(loop->server_arg, a->x, a->content_type, body, len);
  g_bytes_unref(a->request);
  g_free(a->content_type);
  g_free(a);
}

static void loop_channel_post(EsChannel *c, const char *content_type, const guint8 *body,
                              gsize len, EsResponseFn fn, void *arg)
{
  EsLoopEngine *loop = c->loop;
  loop->posts++;
  if (loop->drop != NULL && loop->drop(loop->drop_arg, c->enb, TRUE, body, len))
    return;
  EsExchange *x = g_new0(EsExchange, 1);
  x->channel = channel_ref(c);
  x->fn = fn;
  x->arg = arg;
  Arrival *a = g_new0(Arrival, 1);
  a->x = x;
  a->request = g_bytes_new(body, len);
  a->content_type = g_strdup(content_type);
  loop_timer_add(&loop->engine, loop->delay, deliver_request, a);
}

static void loop_channel_close(EsChannel *c)
{
  c->closed = TRUE;
  channel_unref(c);
}

static void loop_server_set(EsEngine *e, guint raca, EsRequestFn fn, void *arg)
{
  EsLoopEngine *loop = (EsLoopEngine *)e;
  if (raca == 1) {
    loop->ca = fn;
    loop->ca_arg = arg;
    return;
  }
  loop->server = fn;
  loop->server_arg = arg;
}

static EsChannel *loop_upstream_open(EsEngine *e, guint raca)
{
  EsLoopEngine *loop = (EsLoopEngine *)e;
  return raca == 0 && loop->ca != NULL ? loop_channel_open(e, 0) : NULL;
}

static Delivery *reply_delivery(EsExchange *x, int status, const char *content_type,
                                const guint8 *body, gsize len);

static void loop_reply(EsEngine *e, EsExchange *x, int status, const char *content_type,
                       const guint8 *body, gsize len)
{
  (void)e;
  reply_delivery(x, status, content_type, body, len);
}

static void loop_reply_unavailable(EsEngine *e, EsExchange *x, guint retry_after_s)
{
  (void)e;
  static const char msg[] = "busy";
  Delivery *d = reply_delivery(x, 503, "text/plain", (const guint8 *)msg, sizeof msg - 1);
  if (d != NULL)
    d->retry_after_s = retry_after_s;
}

/* The server closed the connection without an answer: the client hears of it after the
 * one-way delay, as a transport failure (no status). */
static void loop_drop(EsEngine *e, EsExchange *x)
{
  EsLoopEngine *loop = (EsLoopEngine *)e;
  Delivery *d = g_new0(Delivery, 1);
  d->channel = x->channel; /* takes over the exchange's reference */
  d->fn = x->fn;
  d->arg = x->arg;
  d->error = "connection closed";
  d->body = g_bytes_new(NULL, 0);
  loop_timer_add(&loop->engine, loop->delay, deliver_response, d);
  g_free(x);
}

/* Schedules the reply's delivery (the exchange's reference passes to it). */
static Delivery *reply_delivery(EsExchange *x, int status, const char *content_type,
                                const guint8 *body, gsize len)
{
  EsChannel *c = x->channel;
  EsLoopEngine *loop = c->loop;
  if (loop->drop != NULL && loop->drop(loop->drop_arg, c->enb, FALSE, body, len)) {
    channel_unref(c);
    g_free(x);
    return NULL;
  }
  Delivery *d = g_new0(Delivery, 1);
  d->channel = c; /* takes over the exchange's reference */
  d->fn = x->fn;
  d->arg = x->arg;
  d->status = status;
  d->content_type = g_strdup(content_type);
  GBytes *tampered = loop->tamper != NULL && !c->closed
                         ? loop->tamper(loop->tamper_arg, c->enb, body, len) : NULL;
  d->body = tampered != NULL ? tampered : g_bytes_new(body, len);
  loop_timer_add(&loop->engine, loop->delay, deliver_response, d);
  g_free(x);
  return d;
}

static const EsEngineOps loop_ops = {
  .now = loop_now, .timer_add = loop_timer_add, .timer_cancel = loop_timer_cancel,
  .channel_open = loop_channel_open, .channel_post = loop_channel_post,
  .channel_close = loop_channel_close, .server_set = loop_server_set, .reply = loop_reply,
  .reply_unavailable = loop_reply_unavailable, .drop = loop_drop,
  .upstream_open = loop_upstream_open,
};

EsLoopEngine *es_loop_engine_new(double one_way_delay_s)
{
  EsLoopEngine *loop = g_new0(EsLoopEngine, 1);
  loop->engine.ops = &loop_ops;
  loop->delay = one_way_delay_s;
  loop->heap = g_ptr_array_new();
  loop->live = g_hash_table_new(g_int64_hash, g_int64_equal);
  return loop;
}

void es_loop_engine_free(EsLoopEngine *loop)
{
  if (loop == NULL)
    return;
  for (guint i = 0; i < loop->heap->len; i++)
    g_free(loop->heap->pdata[i]); /* payloads of undelivered timers are the test's to avoid */
  g_ptr_array_free(loop->heap, TRUE);
  g_hash_table_destroy(loop->live);
  g_free(loop);
}

EsEngine *es_loop_engine_get0_engine(EsLoopEngine *loop) { return &loop->engine; }

void es_loop_engine_set_tamper(EsLoopEngine *loop, EsLoopTamperFn fn, void *arg)
{
  loop->tamper = fn;
  loop->tamper_arg = arg;
}

void es_loop_engine_set_drop(EsLoopEngine *loop, EsLoopDropFn fn, void *arg)
{
  loop->drop = fn;
  loop->drop_arg = arg;
}

void es_loop_engine_run(EsLoopEngine *loop, double until_s)
{
  while (loop->heap->len > 0) {
    Timer *t = loop->heap->pdata[0];
    if (t->at > until_s)
      break;
    heap_pop(loop->heap);
    loop->now = t->at;
    if (t->fn != NULL) {
      g_hash_table_remove(loop->live, &t->id);
      t->fn(t->arg);
    }
    g_free(t);
  }
}

guint64 es_loop_engine_get_posts(const EsLoopEngine *loop) { return loop->posts; }

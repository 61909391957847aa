/* The engine API that nodes run on: a clock, timers and an HTTP request/response transport
 * (RFC 6712 POSTs). Implemented over ns-3 (simulated time) and over libevent (real time). */
#ifndef ES_ENGINE_H
#define ES_ENGINE_H

#include <glib.h>

typedef struct EsEngine EsEngine;
typedef struct EsChannel EsChannel; /* an eNB's HTTP connection to its RA/CA */
typedef struct EsExchange EsExchange; /* one request at a server, awaiting its reply */

typedef void (*EsTimerFn)(void *arg);

#define ES_RETRY_AFTER_MAX 86400u

/* A response or a transport failure. On failure `error` says what happened (connection
 * refused/reset, HTTP framing) and http_status is 0. `body` is only valid during the call. */
typedef struct {
  int http_status;
  const char *content_type;
  const guint8 *body;
  gsize len;
  const char *error;
  guint retry_after_s; /* a 503's Retry-After (RFC 9110 delay-seconds, at most
                        * ES_RETRY_AFTER_MAX); 0 when absent */
} EsResponse;
typedef void (*EsResponseFn)(void *arg, const EsResponse *response);

/* A complete request arrived at a server; the server answers, now or later, with
 * es_engine_reply, es_engine_reply_unavailable or es_engine_drop (exactly once). `body` is
 * only valid during the call. */
typedef void (*EsRequestFn)(void *arg, EsExchange *exchange, const char *content_type,
                            const guint8 *body, gsize len);

/* TRUE when a request's Content-Type names CMP's media type, application/pkixcmp (RFC 6712):
 * compared whole and case-insensitively, whitespace around it and parameters after ';'
 * allowed (RFC 9110 8.3.1), so "application/pkixcmpEVIL" is not it. NULL: FALSE. */
static inline gboolean es_engine_content_type_is_cmp(const char *value)
{
  static const char cmp[] = "application/pkixcmp";
  if (value == NULL)
    return FALSE;
  while (*value == ' ' || *value == '\t')
    value++;
  if (g_ascii_strncasecmp(value, cmp, sizeof cmp - 1) != 0)
    return FALSE;
  const char *rest = value + sizeof cmp - 1;
  while (*rest == ' ' || *rest == '\t')
    rest++;
  return *rest == '\0' || *rest == ';';
}

typedef struct {
  double (*now)(EsEngine *engine);
  guint64 (*timer_add)(EsEngine *engine, double delay_s, EsTimerFn fn, void *arg);
  void (*timer_cancel)(EsEngine *engine, guint64 id);
  EsChannel *(*channel_open)(EsEngine *engine, guint enb);
  void (*channel_post)(EsChannel *channel, const char *content_type, const guint8 *body,
                       gsize len, EsResponseFn fn, void *arg);
  void (*channel_close)(EsChannel *channel);
  /* The server side gets the engine too, so that a decorator (engines/es_faults.h) can
   * stand between the nodes and an engine and act on each exchange. */
  void (*server_set)(EsEngine *engine, guint raca, EsRequestFn fn, void *arg);
  void (*reply)(EsEngine *engine, EsExchange *exchange, int http_status,
                const char *content_type, const guint8 *body, gsize len);
  void (*reply_unavailable)(EsEngine *engine, EsExchange *exchange, guint retry_after_s);
  void (*drop)(EsEngine *engine, EsExchange *exchange);
  /* Optional (NULL: no server has a CA behind it). */
  EsChannel *(*upstream_open)(EsEngine *engine, guint raca);
} EsEngineOps;

/* Implementations embed this first in their own struct. */
struct EsEngine {
  const EsEngineOps *ops;
};

/* Seconds since the start of the run (simulated or real). */
static inline double es_engine_now(EsEngine *e) { return e->ops->now(e); }

/* Calls fn(arg) after delay_s; the id (never 0) cancels it. Cancelling a timer that has
 * fired or was cancelled already is harmless. */
static inline guint64 es_engine_timer_add(EsEngine *e, double delay_s, EsTimerFn fn, void *arg)
{
  return e->ops->timer_add(e, delay_s, fn, arg);
}
static inline void es_engine_timer_cancel(EsEngine *e, guint64 id) { e->ops->timer_cancel(e, id); }

/* The channel of eNB `enb` to its RA/CA. It connects on the first post and keeps the
 * connection alive between posts, reconnecting when the peer closed it. */
static inline EsChannel *es_engine_channel_open(EsEngine *e, guint enb)
{
  return e->ops->channel_open(e, enb);
}

/* POSTs body; fn is called exactly once with the response or a failure, unless the channel
 * is closed first. One post at a time per channel. */
static inline void es_channel_post(EsChannel *c, EsEngine *e, const char *content_type,
                                   const guint8 *body, gsize len, EsResponseFn fn, void *arg)
{
  e->ops->channel_post(c, content_type, body, len, fn, arg);
}

/* Closes the connection and frees the channel; no callback of it runs afterwards. */
static inline void es_channel_close(EsChannel *c, EsEngine *e) { e->ops->channel_close(c); }

/* The channel of RA `raca` to the CA behind it, in a PKI split into RAs and CAs (a topology
 * with CAs, serve --upstream); NULL when it has none. Used like an eNB's channel: it connects
 * on the first post and keeps the connection alive between posts. */
static inline EsChannel *es_engine_upstream_open(EsEngine *e, guint raca)
{
  return e->ops->upstream_open != NULL ? e->ops->upstream_open(e, raca) : NULL;
}

/* Routes requests arriving at server `raca` to fn. Servers are numbered: the RA/CAs (or RAs)
 * 0..R-1, then the CAs behind them, if any, R..R+C-1. */
static inline void es_engine_server_set(EsEngine *e, guint raca, EsRequestFn fn, void *arg)
{
  e->ops->server_set(e, raca, fn, arg);
}

/* Answers an exchange and frees it; if the client went away, the reply is dropped. */
static inline void es_engine_reply(EsEngine *e, EsExchange *x, int http_status,
                                   const char *content_type, const guint8 *body, gsize len)
{
  e->ops->reply(e, x, http_status, content_type, body, len);
}

/* Answers 503 Service Unavailable with Retry-After: the server is too busy to queue the
 * request; the client should send it again after that many seconds. Frees the exchange. */
static inline void es_engine_reply_unavailable(EsEngine *e, EsExchange *x, guint retry_after_s)
{
  e->ops->reply_unavailable(e, x, retry_after_s);
}

/* Closes the client's connection without an answer and frees the exchange: the client sees
 * the connection end (a transport failure), as when a server crashes or a middlebox cuts it. */
static inline void es_engine_drop(EsEngine *e, EsExchange *x) { e->ops->drop(e, x); }

#endif

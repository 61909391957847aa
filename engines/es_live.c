/* The live engine over libevent: the clock, evtimers and set-up (eNB channels are
 * es_live_client.c, the RA/CA's server es_live_server.c). */
#include "engines/es_live_priv.h"

#include <signal.h>
#include <string.h>

#include <event2/event.h>
#include <event2/util.h>

G_DEFINE_QUARK(es-live-error-quark, es_live_error)

typedef struct {
  EsLive *live;
  guint64 id;
  struct event *ev;
  EsTimerFn fn;
  void *arg;
} Timer;

/* ---- clock and timers ------------------------------------------------------------------ */

static double live_now(EsEngine *engine)
{
  EsLive *live = (EsLive *)engine;
  return (g_get_monotonic_time() - live->start_mono) / 1e6;
}

struct timeval es_live_timeval(double s)
{
  if (!(s > 0))
    s = 0;
  struct timeval tv;
  tv.tv_sec = (time_t)s;
  tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
  if (tv.tv_usec >= 1000000) {
    tv.tv_sec++;
    tv.tv_usec -= 1000000;
  }
  return tv;
}

static void timer_free(Timer *t)
{
  event_free(t->ev);
  g_free(t);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
  Timer *t = arg;
  (void)fd, (void)what;
  EsTimerFn fn = t->fn;
  void *fn_arg = t->arg;
  /* Gone from the table before fn runs, so fn may cancel its own id harmlessly. */
  g_hash_table_remove(t->live->timers, &t->id);
  fn(fn_arg);
}

static guint64 live_timer_add(EsEngine *engine, double delay_s, EsTimerFn fn, void *arg)
{
  EsLive *live = (EsLive *)engine;
  Timer *t = g_new0(Timer, 1);
  t->live = live;
  t->id = ++live->next_timer;
  t->fn = fn;
  t->arg = arg;
  t->ev = evtimer_new(live->base, on_timer, t);
  struct timeval tv = es_live_timeval(delay_s);
  if (t->ev == NULL || evtimer_add(t->ev, &tv) != 0)
    g_error("es_live: cannot add a timer (out of memory)");
  g_hash_table_insert(live->timers, &t->id, t);
  return t->id;
}

static void live_timer_cancel(EsEngine *engine, guint64 id)
{
  EsLive *live = (EsLive *)engine;
  if (id != 0)
    g_hash_table_remove(live->timers, &id);
}

static const EsEngineOps live_ops = {
  .now = live_now,
  .timer_add = live_timer_add,
  .timer_cancel = live_timer_cancel,
  .channel_open = es_live_channel_open,
  .channel_post = es_live_channel_post,
  .channel_close = es_live_channel_close,
  .server_set = es_live_server_set,
  .reply = es_live_reply,
  .reply_unavailable = es_live_reply_unavailable,
  .drop = es_live_drop,
  .upstream_open = es_live_upstream_open,
};

/* ---- set-up ------------------------------------------------------------------------------ */

/* "HOST:PORT" or "[V6]:PORT" into host and port. */
gboolean es_live_parse_host_port(const char *text, char **host, guint16 *port, GError **error)
{
  const char *colon = text != NULL ? strrchr(text, ':') : NULL;
  char *end = NULL;
  guint64 p = colon != NULL ? g_ascii_strtoull(colon + 1, &end, 10) : 0;
  if (colon == NULL || colon == text || end == colon + 1 || *end != '\0' || p > 65535) {
    g_set_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_ADDRESS,
                "'%s': expected HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080)", text ? text : "");
    return FALSE;
  }
  const char *h = text;
  gsize n = (gsize)(colon - text);
  if (h[0] == '[') {
    if (n < 3 || h[n - 1] != ']') {
      g_set_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_ADDRESS, "'%s': unbalanced [ ]", text);
      return FALSE;
    }
    h++;
    n -= 2;
  } else if (memchr(h, ':', n) != NULL) {
    g_set_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_ADDRESS,
                "'%s': write an IPv6 address in brackets, [::1]:PORT", text);
    return FALSE;
  }
  *host = g_strndup(h, n);
  *port = (guint16)p;
  return TRUE;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
  EsLive *live = arg;
  (void)what;
  live->signal = (int)sig;
  event_base_loopbreak(live->base);
}

EsLive *es_live_new(GError **error)
{
  /* A peer that closed makes writes fail with EPIPE; the default action would end us. */
  signal(SIGPIPE, SIG_IGN);
  EsLive *live = g_new0(EsLive, 1);
  live->engine.ops = &live_ops;
  /* Timers to the microsecond, counted from when they are added: epoll_wait's whole
   * milliseconds made a timer up to 1 ms late, and libevent's cached time made it late by
   * whatever work followed its adding in the same callback (an RA/CA processing the request
   * whose minimum service time it just started); a service time would take both on. */
  struct event_config *cfg = event_config_new();
  if (cfg != NULL) {
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER | EVENT_BASE_FLAG_NO_CACHE_TIME);
    live->base = event_base_new_with_config(cfg);
    event_config_free(cfg);
  }
  if (live->base == NULL) {
    g_set_error_literal(error, ES_LIVE_ERROR, ES_LIVE_ERROR_SETUP, "cannot create an event base");
    g_free(live);
    return NULL;
  }
  live->client_errors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  live->timers = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
                                       (GDestroyNotify)timer_free);
  es_live_client_init(live);
  live->target.path = g_strdup("/");
  live->upstream.timeout_s = ES_LIVE_UPSTREAM_TIMEOUT_S;
  gint64 wall = g_get_real_time();
  live->start_mono = g_get_monotonic_time();
  live->epoch = wall / G_USEC_PER_SEC;
  live->epoch_fraction = (double)(wall % G_USEC_PER_SEC) / G_USEC_PER_SEC;
  return live;
}

void es_live_free(EsLive *live)
{
  if (live == NULL)
    return;
  es_live_client_free(live);
  es_live_server_free(live);
  g_hash_table_destroy(live->timers);
  g_hash_table_destroy(live->client_errors);
  if (live->sigint != NULL)
    event_free(live->sigint);
  if (live->sigterm != NULL)
    event_free(live->sigterm);
  event_base_free(live->base);
  g_free(live->target.host);
  g_free(live->target.hostport);
  g_free(live->target.path);
  g_free(live->upstream.host);
  g_free(live->upstream.hostport);
  g_free(live->upstream.path);
  es_live_tls_free(live->upstream.tls);
  g_free(live->page_path);
  g_free(live->page_type);
  es_live_tls_free(live->server_tls);
  es_live_tls_free(live->target.tls);
  g_free(live);
}

gboolean es_live_serves_tls(const EsLive *live) { return live->server_tls != NULL; }

void es_live_set0_tls(EsLive *live, EsLiveTls *tls)
{
  g_return_if_fail(live != NULL && tls != NULL);
  EsLiveTls **slot = es_live_tls_is_server(tls) ? &live->server_tls : &live->target.tls;
  g_return_if_fail(slot == &live->target.tls || live->server == NULL);
  es_live_tls_free(*slot);
  *slot = tls;
  if (slot == &live->target.tls && live->target.host != NULL)
    es_live_tls_default_host(tls, live->target.host);
}

EsEngine *es_live_get0_engine(EsLive *live) { return &live->engine; }

gint64 es_live_get_epoch(const EsLive *live, double *fraction)
{
  if (fraction != NULL)
    *fraction = live->epoch_fraction;
  return live->epoch;
}

gboolean es_live_set_target(EsLive *live, const char *host_port, const char *path, GError **error)
{
  char *host = NULL;
  guint16 port;
  if (!es_live_parse_host_port(host_port, &host, &port, error))
    return FALSE;
  if (port == 0) {
    g_set_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_ADDRESS, "'%s': port 0", host_port);
    g_free(host);
    return FALSE;
  }
  if (path != NULL && (path[0] != '/' || strpbrk(path, " \r\n") != NULL)) {
    g_set_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_ADDRESS,
                "'%s': a path starts with '/' and has no spaces", path);
    g_free(host);
    return FALSE;
  }
  g_free(live->target.host);
  g_free(live->target.hostport);
  if (live->target.tls != NULL)
    es_live_tls_default_host(live->target.tls, host);
  live->target.host = host;
  live->target.port = port;
  live->target.hostport = g_strdup(host_port);
  if (path != NULL) {
    g_free(live->target.path);
    live->target.path = g_strdup(path);
  }
  return TRUE;
}

guint16 es_live_get_port(const EsLive *live) { return live->port; }

void es_live_run(EsLive *live)
{
  event_base_loop(live->base, 0);
}

void es_live_stop(EsLive *live)
{
  event_base_loopbreak(live->base);
}

gboolean es_live_stop_on_signals(EsLive *live, GError **error)
{
  if (live->sigint == NULL)
    live->sigint = evsignal_new(live->base, SIGINT, on_signal, live);
  if (live->sigterm == NULL)
    live->sigterm = evsignal_new(live->base, SIGTERM, on_signal, live);
  if (live->sigint == NULL || live->sigterm == NULL || evsignal_add(live->sigint, NULL) != 0
      || evsignal_add(live->sigterm, NULL) != 0) {
    g_set_error_literal(error, ES_LIVE_ERROR, ES_LIVE_ERROR_SETUP, "cannot watch SIGINT/SIGTERM");
    return FALSE;
  }
  return TRUE;
}

int es_live_get_signal(const EsLive *live) { return live->signal; }

/* The live engine over libevent: evtimers and evhttp clients for eNB channels (the RA/CA's
 * server is es_live_server.c); pointers into libevent are dropped as soon as it says an
 * object is going. */
#include "engines/es_live_priv.h"
#include "engines/es_http.h"

#include <signal.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

G_DEFINE_QUARK(es-live-error-quark, es_live_error)

/* Client side: the eNB's own message timeout decides; libevent's only backs it up. */
#define CLIENT_TIMEOUT_S 600

typedef struct {
  EsLive *live;
  guint64 id;
  struct event *ev;
  EsTimerFn fn;
  void *arg;
} Timer;

/* A response held back because it arrived inside es_channel_post: the caller's frame must
 * be gone before its callback runs. */
typedef struct {
  int http_status;
  char *content_type;
  GBytes *body;
  const char *error;
  guint retry_after_s;
} Held;

struct EsChannel {
  EsLive *live;
  struct evhttp_connection *conn;  /* NULL until the first post */
  struct evhttp_request *req;      /* outstanding, owned by libevent */
  EsResponseFn fn;
  void *arg;
  char *content_type;              /* of the post in flight (NULL: CMP's), kept for a resend */
  GBytes *body;
  gboolean reused;                 /* the connection has carried a whole exchange */
  gboolean resent;
  gboolean lost;                   /* the connection dropped before a response began */
  const char *error;               /* what libevent reported for the outstanding request */
  char tls_error[224];             /* why TLS failed, when it did (error points here) */
  gboolean posting;                /* inside evhttp_make_request */
  Held *held;
  struct event *deliver_ev;
  int dispatching;
  gboolean closed;
  GList link;                      /* in live->channels */
};

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

/* ---- client channels ------------------------------------------------------------------- */

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
  EsLive *live = arg;
  (void)fd, (void)what;
  struct evhttp_connection *conn;
  while ((conn = g_queue_pop_head(&live->doomed)) != NULL)
    evhttp_connection_free(conn);
}

/* libevent may still be inside a callback of this connection, and reads it after the
 * callback returns: free it from an event of our own. */
static void doom_connection(EsLive *live, struct evhttp_connection *conn)
{
  evhttp_connection_set_closecb(conn, NULL, NULL);
  g_queue_push_tail(&live->doomed, conn);
  event_active(live->reaper, EV_TIMEOUT, 0);
}

static void held_free(Held *h)
{
  if (h == NULL)
    return;
  g_free(h->content_type);
  if (h->body != NULL)
    g_bytes_unref(h->body);
  g_free(h);
}

static void channel_free(EsChannel *c)
{
  g_queue_unlink(&c->live->channels, &c->link);
  g_free(c->content_type);
  if (c->body != NULL)
    g_bytes_unref(c->body);
  held_free(c->held);
  if (c->deliver_ev != NULL)
    event_free(c->deliver_ev);
  g_free(c);
}

static void channel_deliver(EsChannel *c, const EsResponse *r)
{
  c->dispatching++;
  c->fn(c->arg, r);
  c->dispatching--;
  if (c->closed && c->dispatching == 0)
    channel_free(c);
}

static void on_deliver_held(evutil_socket_t fd, short what, void *arg)
{
  EsChannel *c = arg;
  (void)fd, (void)what;
  Held *h = g_steal_pointer(&c->held);
  if (h == NULL || c->closed) {
    held_free(h);
    return;
  }
  gsize len = 0;
  EsResponse r = {
    .http_status = h->http_status,
    .content_type = h->content_type,
    .body = h->body != NULL ? g_bytes_get_data(h->body, &len) : NULL,
    .error = h->error,
    .retry_after_s = h->retry_after_s,
  };
  r.len = len;
  channel_deliver(c, &r);
  held_free(h);
}

static const char *request_error_name(enum evhttp_request_error error)
{
  switch (error) {
  case EVREQ_HTTP_TIMEOUT: return "connection timed out";
  case EVREQ_HTTP_EOF: return "connection closed";
  case EVREQ_HTTP_INVALID_HEADER: return "malformed HTTP response";
  case EVREQ_HTTP_BUFFER_ERROR: return "connection reset";
  case EVREQ_HTTP_REQUEST_CANCEL: return "cancelled";
  case EVREQ_HTTP_DATA_TOO_LONG: return "HTTP response too large";
  }
  return "connection failed";
}

static void on_request_error(enum evhttp_request_error error, void *arg)
{
  EsChannel *c = arg;
  c->error = request_error_name(error);
  c->lost = error == EVREQ_HTTP_EOF || error == EVREQ_HTTP_BUFFER_ERROR;
}

static void send_request(EsChannel *c);

/* Takes text. */
static void count_error(EsLive *live, char *text)
{
  gpointer n = g_hash_table_lookup(live->client_errors, text);
  g_hash_table_insert(live->client_errors, text, GSIZE_TO_POINTER(GPOINTER_TO_SIZE(n) + 1));
}

/* "HTTP 400", and the first line of a plain-text body, which says why. */
static char *http_error_text(struct evhttp_request *req, int code)
{
  const char *type =
      evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
  struct evbuffer *in = evhttp_request_get_input_buffer(req);
  gsize len = MIN(evbuffer_get_length(in), 160);
  if (type == NULL || g_ascii_strncasecmp(type, "text/plain", 10) != 0 || len == 0)
    return g_strdup_printf("HTTP %d", code);
  char line[161];
  evbuffer_copyout(in, line, len);
  line[len] = '\0';
  line[strcspn(line, "\r\n")] = '\0';
  for (char *p = line; *p != '\0'; p++)
    if (!g_ascii_isprint(*p))
      *p = '?';
  return g_strdup_printf("HTTP %d: %s", code, line);
}

/* A TLS connection is never reconnected: libevent would reuse its spent SSL object. */
static void drop_tls_connection(EsChannel *c)
{
  if (c->live->client_tls != NULL && c->conn != NULL) {
    doom_connection(c->live, c->conn);
    c->conn = NULL;
  }
}

/* The server closed a kept-alive connection. */
static void on_close(struct evhttp_connection *conn, void *arg)
{
  EsChannel *c = arg;
  if (c->conn == conn)
    drop_tls_connection(c);
}

/* libevent calls this once per request: with the response, with NULL after a transport
 * failure (having freed the request), or with a request that never connected (code 0). */
static void on_response(struct evhttp_request *req, void *arg)
{
  EsChannel *c = arg;
  c->req = NULL;
  if (c->closed)
    return;
  EsResponse r = {0};
  int code = req != NULL ? evhttp_request_get_response_code(req) : 0;
  struct evbuffer *in = NULL;
  if (code == 0 && c->live->client_tls != NULL && c->conn != NULL) {
    /* libevent counts a failed handshake as a failed connect, and says no more. */
    es_live_tls_describe_failure(evhttp_connection_get_bufferevent(c->conn), c->tls_error,
                                 sizeof c->tls_error);
    if (c->tls_error[0] != '\0')
      c->error = c->tls_error;
  }
  if (code == 0) {
    drop_tls_connection(c);
    count_error(c->live, g_strdup(c->error != NULL ? c->error : "connection refused"));
  } else if (code >= 400 && code != 503) {
    count_error(c->live, http_error_text(req, code));
  }
  if (code == 0 && c->lost && c->reused && !c->resent) {
    /* A kept-alive connection the server closed (idle timeout) just as we reused it: what
     * every HTTP client does, send once more on a fresh connection. Safe for CMP: the RA/CA
     * answers a byte-identical resend from its duplicate cache, never issuing twice. */
    c->resent = TRUE;
    c->reused = FALSE;
    send_request(c);
    return;
  }
  if (code != 0)
    c->reused = TRUE;
  if (code == 0) {
    r.error = c->error != NULL ? c->error : "connection refused";
  } else {
    r.http_status = code;
    r.content_type = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    in = evhttp_request_get_input_buffer(req);
    r.len = evbuffer_get_length(in);
    r.body = r.len > 0 ? evbuffer_pullup(in, -1) : NULL;
    r.retry_after_s = es_http_retry_after(
        evhttp_find_header(evhttp_request_get_input_headers(req), "Retry-After"));
  }
  if (!c->posting) {
    channel_deliver(c, &r);
    return;
  }
  Held *h = g_new0(Held, 1);
  h->http_status = r.http_status;
  h->content_type = g_strdup(r.content_type);
  h->body = r.body != NULL ? g_bytes_new(r.body, r.len) : NULL;
  h->error = r.error;
  h->retry_after_s = r.retry_after_s;
  c->held = h;
  event_active(c->deliver_ev, EV_TIMEOUT, 0);
}

static EsChannel *live_channel_open(EsEngine *engine, guint enb)
{
  EsLive *live = (EsLive *)engine;
  (void)enb;
  g_return_val_if_fail(live->target_host != NULL, NULL);
  EsChannel *c = g_new0(EsChannel, 1);
  c->live = live;
  c->deliver_ev = event_new(live->base, -1, 0, on_deliver_held, c);
  c->link.data = c;
  g_queue_push_tail_link(&live->channels, &c->link);
  return c;
}

/* Sends the post in flight on the channel's connection (libevent reconnects it if needed). */
static void send_request(EsChannel *c)
{
  EsLive *live = c->live;
  c->error = NULL;
  c->tls_error[0] = '\0';
  c->lost = FALSE;
  if (c->conn == NULL) {
    if (live->client_tls == NULL) {
      c->conn = evhttp_connection_base_new(live->base, NULL, live->target_host, live->target_port);
    } else {
      struct bufferevent *bev = es_live_tls_bufferevent_new(live->client_tls, live->base, -1);
      c->conn = bev != NULL ? evhttp_connection_base_bufferevent_new(
                                  live->base, NULL, bev, live->target_host, live->target_port)
                            : NULL;
      if (c->conn == NULL && bev != NULL)
        bufferevent_free(bev);
      if (c->conn != NULL)
        evhttp_connection_set_closecb(c->conn, on_close, c);
    }
    if (c->conn != NULL) {
      evhttp_connection_set_timeout(c->conn, CLIENT_TIMEOUT_S);
      evhttp_connection_set_retries(c->conn, 0);
      evhttp_connection_set_max_body_size(c->conn, ES_HTTP_MAX_BODY);
    }
  }
  struct evhttp_request *req = c->conn != NULL ? evhttp_request_new(on_response, c) : NULL;
  if (req == NULL) {
    c->held = g_new0(Held, 1);
    c->held->error = "connection failed";
    event_active(c->deliver_ev, EV_TIMEOUT, 0);
    return;
  }
  evhttp_request_set_error_cb(req, on_request_error);
  gsize len;
  const guint8 *body = g_bytes_get_data(c->body, &len);
  EsHttpMsg m;
  es_http_request(&m, live->path, live->target_hostport, c->content_type, body, len);
  struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
  for (guint i = 0; i < m.n_fields; i++)
    if (!m.field[i].framing)
      evhttp_add_header(headers, m.field[i].name, m.field[i].value);
  evbuffer_add(evhttp_request_get_output_buffer(req), m.body, m.len);
  c->req = req;
  gboolean nested = c->posting;
  c->posting = TRUE;
  int rc = evhttp_make_request(c->conn, req, EVHTTP_REQ_POST, live->path);
  c->posting = nested;
  if (rc != 0) {
    /* libevent dropped the request without calling back (and may have freed it). */
    c->req = NULL;
    if (c->held == NULL) {
      c->held = g_new0(Held, 1);
      c->held->error = "connection failed";
      event_active(c->deliver_ev, EV_TIMEOUT, 0);
    }
  }
}

static void live_channel_post(EsChannel *c, const char *content_type, const guint8 *body,
                              gsize len, EsResponseFn fn, void *arg)
{
  g_return_if_fail(c != NULL && !c->closed && fn != NULL);
  g_return_if_fail(c->req == NULL && c->held == NULL);
  c->fn = fn;
  c->arg = arg;
  g_free(c->content_type);
  c->content_type = g_strdup(content_type);
  if (c->body != NULL)
    g_bytes_unref(c->body);
  c->body = g_bytes_new(body, len);
  c->resent = FALSE;
  send_request(c);
}

static void live_channel_close(EsChannel *c)
{
  if (c == NULL || c->closed)
    return;
  c->closed = TRUE;
  /* Cancelling frees the request without calling back; outside a callback of this
   * connection (inside one, the request has completed and c->req is NULL). */
  if (c->req != NULL)
    evhttp_cancel_request(c->req);
  c->req = NULL;
  if (c->conn != NULL)
    doom_connection(c->live, c->conn);
  c->conn = NULL;
  if (c->dispatching == 0)
    channel_free(c);
}

static const EsEngineOps live_ops = {
  .now = live_now,
  .timer_add = live_timer_add,
  .timer_cancel = live_timer_cancel,
  .channel_open = live_channel_open,
  .channel_post = live_channel_post,
  .channel_close = live_channel_close,
  .server_set = es_live_server_set,
  .reply = es_live_reply,
  .reply_unavailable = es_live_reply_unavailable,
  .drop = es_live_drop,
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
  live->reaper = event_new(live->base, -1, 0, on_reap, live);
  live->path = g_strdup("/");
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
  while (!g_queue_is_empty(&live->channels)) {
    EsChannel *c = live->channels.head->data;
    c->dispatching = 0;
    live_channel_close(c);
  }
  on_reap(-1, 0, live);
  es_live_server_free(live);
  g_hash_table_destroy(live->timers);
  g_hash_table_destroy(live->client_errors);
  if (live->sigint != NULL)
    event_free(live->sigint);
  if (live->sigterm != NULL)
    event_free(live->sigterm);
  event_free(live->reaper);
  event_base_free(live->base);
  g_free(live->target_host);
  g_free(live->target_hostport);
  g_free(live->path);
  g_free(live->page_path);
  g_free(live->page_type);
  es_live_tls_free(live->server_tls);
  es_live_tls_free(live->client_tls);
  g_free(live);
}

static gint by_count(gconstpointer a, gconstpointer b, gpointer table)
{
  gsize na = GPOINTER_TO_SIZE(g_hash_table_lookup(table, a));
  gsize nb = GPOINTER_TO_SIZE(g_hash_table_lookup(table, b));
  return na != nb ? (na > nb ? -1 : 1) : strcmp(a, b);
}

char *es_live_describe_client_errors(const EsLive *live)
{
  if (g_hash_table_size(live->client_errors) == 0)
    return NULL;
  GList *texts = g_list_sort_with_data(g_hash_table_get_keys(live->client_errors), by_count,
                                       live->client_errors);
  GString *s = g_string_new(NULL);
  for (GList *l = texts; l != NULL; l = l->next) {
    gsize n = GPOINTER_TO_SIZE(g_hash_table_lookup(live->client_errors, l->data));
    g_string_append_printf(s, "%s%s (%" G_GSIZE_FORMAT " %s)", s->len > 0 ? "; " : "",
                           (const char *)l->data, n, n == 1 ? "time" : "times");
  }
  g_list_free(texts);
  return g_string_free(s, FALSE);
}

gboolean es_live_serves_tls(const EsLive *live) { return live->server_tls != NULL; }

void es_live_set0_tls(EsLive *live, EsLiveTls *tls)
{
  g_return_if_fail(live != NULL && tls != NULL);
  EsLiveTls **slot = es_live_tls_is_server(tls) ? &live->server_tls : &live->client_tls;
  g_return_if_fail(slot == &live->client_tls || live->server == NULL);
  es_live_tls_free(*slot);
  *slot = tls;
  if (slot == &live->client_tls && live->target_host != NULL)
    es_live_tls_default_host(tls, live->target_host);
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
  g_free(live->target_host);
  g_free(live->target_hostport);
  if (live->client_tls != NULL)
    es_live_tls_default_host(live->client_tls, host);
  live->target_host = host;
  live->target_port = port;
  live->target_hostport = g_strdup(host_port);
  if (path != NULL) {
    g_free(live->path);
    live->path = g_strdup(path);
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

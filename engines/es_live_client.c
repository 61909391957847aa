/* The live engine's client channels: evhttp connections that eNBs (and an RA, to the CA behind
 * it) post on, kept alive between posts; pointers into libevent are dropped as soon as it says
 * an object is going. */
#include "engines/es_live_priv.h"
#include "engines/es_http.h"

#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

/* Client side: the eNB's own message timeout decides (or the peer's timeout_s); libevent's
 * only backs it up. */
#define CLIENT_TIMEOUT_S 600

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
  EsLivePeer *peer;                /* where it posts: live->target or live->upstream */
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
  struct event *deadline_ev;       /* peer->timeout_s after the post */
  char timeout_error[96];
  int dispatching;
  gboolean closed;
  GList link;                      /* in live->channels */
};

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
  if (c->deadline_ev != NULL)
    event_free(c->deadline_ev);
  g_free(c);
}

static void channel_deliver(EsChannel *c, const EsResponse *r)
{
  if (c->deadline_ev != NULL)
    event_del(c->deadline_ev);
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

/* Takes text. Only the eNB channels' errors are counted: they are what enrol reports. */
static void count_error(EsChannel *c, char *text)
{
  GHashTable *errors = c->live->client_errors;
  if (c->peer != &c->live->target) {
    g_free(text);
    return;
  }
  gpointer n = g_hash_table_lookup(errors, text);
  g_hash_table_insert(errors, text, GSIZE_TO_POINTER(GPOINTER_TO_SIZE(n) + 1));
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
  if (c->peer->tls != NULL && c->conn != NULL) {
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
  if (code == 0 && c->peer->tls != NULL && c->conn != NULL) {
    /* libevent counts a failed handshake as a failed connect, and says no more. */
    es_live_tls_describe_failure(evhttp_connection_get_bufferevent(c->conn), c->tls_error,
                                 sizeof c->tls_error);
    if (c->tls_error[0] != '\0')
      c->error = c->tls_error;
  }
  if (code == 0) {
    drop_tls_connection(c);
    count_error(c, g_strdup(c->error != NULL ? c->error : "connection refused"));
  } else if (code >= 400 && code != 503) {
    count_error(c, http_error_text(req, code));
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

/* The post has had peer->timeout_s: the server accepted and never answered, or the connect
 * hangs. The request is cancelled and its connection closed (a late response must not be
 * read as the next post's). */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
  EsChannel *c = arg;
  (void)fd, (void)what;
  if (c->closed || c->req == NULL)
    return; /* answered: the response is on its way */
  /* Cancelling runs no response callback; it is freed with the connection's failure. */
  struct evhttp_request *req = g_steal_pointer(&c->req);
  evhttp_cancel_request(req);
  if (c->conn != NULL)
    doom_connection(c->live, c->conn);
  c->conn = NULL;
  c->reused = FALSE;
  g_snprintf(c->timeout_error, sizeof c->timeout_error,
             "timed out: no response from %s within %g s", c->peer->hostport, c->peer->timeout_s);
  count_error(c, g_strdup(c->timeout_error));
  EsResponse r = {.error = c->timeout_error};
  channel_deliver(c, &r);
}

static EsChannel *channel_new(EsLive *live, EsLivePeer *peer)
{
  EsChannel *c = g_new0(EsChannel, 1);
  c->live = live;
  c->peer = peer;
  c->deliver_ev = event_new(live->base, -1, 0, on_deliver_held, c);
  c->deadline_ev = evtimer_new(live->base, on_deadline, c);
  c->link.data = c;
  g_queue_push_tail_link(&live->channels, &c->link);
  return c;
}

EsChannel *es_live_channel_open(EsEngine *engine, guint enb)
{
  EsLive *live = (EsLive *)engine;
  (void)enb;
  g_return_val_if_fail(live->target.host != NULL, NULL);
  return channel_new(live, &live->target);
}

/* One CA behind every RA of this engine (serve has one, index 0). */
EsChannel *es_live_upstream_open(EsEngine *engine, guint raca)
{
  EsLive *live = (EsLive *)engine;
  (void)raca;
  return live->upstream.host != NULL ? channel_new(live, &live->upstream) : NULL;
}

/* Sends the post in flight on the channel's connection (libevent reconnects it if needed). */
static void send_request(EsChannel *c)
{
  EsLive *live = c->live;
  EsLivePeer *peer = c->peer;
  c->error = NULL;
  c->tls_error[0] = '\0';
  c->lost = FALSE;
  if (c->conn == NULL) {
    if (peer->tls == NULL) {
      c->conn = evhttp_connection_base_new(live->base, NULL, peer->host, peer->port);
    } else {
      struct bufferevent *bev = es_live_tls_bufferevent_new(peer->tls, live->base, -1);
      c->conn = bev != NULL ? evhttp_connection_base_bufferevent_new(
                                  live->base, NULL, bev, peer->host, peer->port)
                            : NULL;
      if (c->conn == NULL && bev != NULL)
        bufferevent_free(bev);
      if (c->conn != NULL)
        evhttp_connection_set_closecb(c->conn, on_close, c);
    }
    if (c->conn != NULL) {
      /* Past a longer timeout of the peer's own, which is the one to report. */
      evhttp_connection_set_timeout(c->conn, MAX(CLIENT_TIMEOUT_S, (int)MIN(peer->timeout_s, 1e8) + 1));
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
  es_http_request(&m, peer->path, peer->hostport, c->content_type, body, len);
  struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
  for (guint i = 0; i < m.n_fields; i++)
    if (!m.field[i].framing)
      evhttp_add_header(headers, m.field[i].name, m.field[i].value);
  evbuffer_add(evhttp_request_get_output_buffer(req), m.body, m.len);
  c->req = req;
  gboolean nested = c->posting;
  c->posting = TRUE;
  int rc = evhttp_make_request(c->conn, req, EVHTTP_REQ_POST, peer->path);
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

void es_live_channel_post(EsChannel *c, const char *content_type, const guint8 *body,
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
  if (c->deadline_ev != NULL && c->peer->timeout_s > 0) {
    /* Over the whole exchange, a resend included. */
    struct timeval tv = es_live_timeval(c->peer->timeout_s);
    evtimer_add(c->deadline_ev, &tv);
  }
  send_request(c);
}

void es_live_channel_close(EsChannel *c)
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

void es_live_client_init(EsLive *live)
{
  live->reaper = event_new(live->base, -1, 0, on_reap, live);
}

void es_live_client_free(EsLive *live)
{
  while (!g_queue_is_empty(&live->channels)) {
    EsChannel *c = live->channels.head->data;
    c->dispatching = 0;
    es_live_channel_close(c);
  }
  on_reap(-1, 0, live);
  event_free(live->reaper);
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

/* The live engine's server: the RA/CA behind libevent's evhttp, which parses requests within
 * the limits of es_http.h; replies are made by es_http and written by evhttp. */
#include "engines/es_live_priv.h"
#include "engines/es_http.h"

#include <errno.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#define DEFAULT_IDLE_TIMEOUT_S 30.0

static void exchange_free(EsExchange *x)
{
  g_queue_unlink(&x->live->exchanges, &x->link);
  g_free(x);
}

/* The client's connection is going down while we still owe it a reply. libevent frees the
 * request right after this unless it detached it first (then the reply frees it). */
static void on_server_conn_close(struct evhttp_connection *conn, void *arg)
{
  EsExchange *x = arg;
  (void)conn;
  if (x->req != NULL && evhttp_request_get_connection(x->req) != NULL)
    x->req = NULL;
}

/* evhttp writes the framing (Content-Length, and Connection as the request asked). */
static void send_reply(struct evhttp_request *req, const EsHttpMsg *m)
{
  struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
  for (guint i = 0; i < m->n_fields; i++)
    if (!m->field[i].framing)
      evhttp_add_header(headers, m->field[i].name, m->field[i].value);
  if (m->len > 0)
    evbuffer_add(evhttp_request_get_output_buffer(req), m->body, m->len);
  evhttp_send_reply(req, m->status, NULL, NULL);
}

static void reply_with(EsExchange *x, const EsHttpMsg *m)
{
  if (x->req != NULL) {
    struct evhttp_connection *conn = evhttp_request_get_connection(x->req);
    if (conn != NULL)
      evhttp_connection_set_closecb(conn, NULL, NULL);
    /* With the connection gone (detached request) this only frees the request. */
    send_reply(x->req, m);
  }
  exchange_free(x);
}

/* The keep_alive of the messages below is TRUE: evhttp keeps or closes the connection. */
void es_live_reply(EsExchange *x, int http_status, const char *content_type, const guint8 *body,
                   gsize len)
{
  g_return_if_fail(x != NULL);
  EsHttpMsg m;
  es_http_reply(&m, http_status, content_type, body, len, TRUE);
  reply_with(x, &m);
}

void es_live_reply_unavailable(EsExchange *x, guint retry_after_s)
{
  g_return_if_fail(x != NULL);
  EsHttpMsg m;
  es_http_reply_busy(&m, retry_after_s, TRUE);
  reply_with(x, &m);
}

static void on_server_request(struct evhttp_request *req, void *arg)
{
  EsLive *live = arg;
  EsHttpMsg m;
  if (!es_http_request_acceptable(evhttp_request_get_command(req) == EVHTTP_REQ_POST, &m, TRUE)) {
    send_reply(req, &m);
    return;
  }
  EsExchange *x = g_new0(EsExchange, 1);
  x->live = live;
  x->req = req;
  x->link.data = x;
  g_queue_push_tail_link(&live->exchanges, &x->link);
  struct evhttp_connection *conn = evhttp_request_get_connection(req);
  if (conn != NULL)
    evhttp_connection_set_closecb(conn, on_server_conn_close, x);
  if (live->server_fn == NULL) {
    es_http_reply_no_service(&m, TRUE);
    reply_with(x, &m);
    return;
  }
  const char *ctype = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
  struct evbuffer *in = evhttp_request_get_input_buffer(req);
  gsize len = evbuffer_get_length(in);
  const guint8 *body = len > 0 ? evbuffer_pullup(in, -1) : (const guint8 *)"";
  live->server_fn(live->server_arg, x, ctype, body, len);
}

void es_live_server_set(EsEngine *engine, guint raca, EsRequestFn fn, void *arg)
{
  EsLive *live = (EsLive *)engine;
  g_return_if_fail(raca == 0);
  live->server_fn = fn;
  live->server_arg = arg;
}

gboolean es_live_listen(EsLive *live, const char *host_port, const EsLiveLimits *limits,
                        GError **error)
{
  g_return_val_if_fail(live->http == NULL, FALSE);
  char *host = NULL;
  guint16 port;
  if (!es_live_parse_host_port(host_port, &host, &port, error))
    return FALSE;
  EsLiveLimits lim = limits != NULL ? *limits : (EsLiveLimits){0};
  if (lim.max_body == 0)
    lim.max_body = ES_HTTP_MAX_BODY;
  if (lim.max_headers == 0)
    lim.max_headers = ES_HTTP_MAX_HEADER;
  if (!(lim.idle_timeout_s > 0))
    lim.idle_timeout_s = DEFAULT_IDLE_TIMEOUT_S;

  live->http = evhttp_new(live->base);
  struct evhttp_bound_socket *bound =
      live->http != NULL ? evhttp_bind_socket_with_handle(live->http, host, port) : NULL;
  if (bound == NULL) {
    int err = errno;
    g_set_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_LISTEN, "cannot listen on %s: %s",
                host_port, err != 0 ? g_strerror(err) : "failed");
    if (live->http != NULL)
      evhttp_free(live->http);
    live->http = NULL;
    g_free(host);
    return FALSE;
  }
  g_free(host);
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  evutil_socket_t fd = evhttp_bound_socket_get_fd(bound);
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
    live->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
  evhttp_set_max_body_size(live->http, (ev_ssize_t)lim.max_body);
  evhttp_set_max_headers_size(live->http, (ev_ssize_t)lim.max_headers);
  struct timeval tv = es_live_timeval(lim.idle_timeout_s);
  evhttp_set_timeout_tv(live->http, &tv);
  evhttp_set_gencb(live->http, on_server_request, live);
  return TRUE;
}

void es_live_server_free(EsLive *live)
{
  /* Connections closing mark their exchanges' requests as freed (on_server_conn_close). */
  if (live->http != NULL)
    evhttp_free(live->http);
  live->http = NULL;
  while (!g_queue_is_empty(&live->exchanges)) {
    EsExchange *x = live->exchanges.head->data;
    if (x->req != NULL)
      evhttp_request_free(x->req); /* detached from a connection already gone */
    exchange_free(x);
  }
}

/* The simulated engine's HTTP servers: RA/CAs, CAs (and anything else on a port) accept ns-3
 * TCP connections, one request at a time per connection, answered when the handler replies. */
#include "engines/es_sim_priv.h"

#include <string.h>

static void conn_free(EsServerConn *conn)
{
  g_queue_unlink(&conn->server->conns, &conn->link);
  es_http_in_clear(&conn->in);
  g_byte_array_unref(conn->backlog);
  es_sim_tls_free(conn->tls);
  g_free(conn);
}

/* Ends the connection; a request being served stays answerable (its reply is dropped). */
static void conn_close(EsServerConn *conn)
{
  if (conn->dead)
    return;
  conn->dead = TRUE;
  if (conn->exchange != NULL) {
    conn->exchange->conn = NULL;
    conn->exchange = NULL;
  }
  if (conn->tls != NULL)
    es_sim_tls_close_notify(conn->tls, conn->sock);
  es_ns3_socket_close(conn->sock);
  conn->sock = NULL;
  if (!conn->processing)
    conn_free(conn);
}

static void conn_send(EsServerConn *conn, const EsHttpMsg *m)
{
  GString *res = g_string_sized_new(160 + m->len);
  es_http_write(res, m);
  es_sim_send(conn->sock, conn->tls, (const guint8 *)res->str, res->len);
  g_string_free(res, TRUE);
}

/* Answers a request we could not take, then closes (after the bytes are out). */
static void conn_reject(EsServerConn *conn, int status)
{
  EsHttpMsg m;
  es_http_reply_rejected(&m, status);
  conn_send(conn, &m);
  conn_close(conn);
}

static void reply_with(EsExchange *x, const EsHttpMsg *m);

/* Parses buffered bytes while no request is being served. */
static void conn_process(EsServerConn *conn)
{
  if (conn->processing)
    return;
  conn->processing = TRUE;
  gsize off = 0;
  while (!conn->dead && conn->exchange == NULL && off < conn->backlog->len) {
    gsize n = es_http_in_feed(&conn->in, conn->backlog->data + off, conn->backlog->len - off);
    off += n;
    if (conn->in.reject != 0) {
      conn_reject(conn, conn->in.reject);
      break;
    }
    if (!conn->in.complete) {
      if (n == 0)
        break;
      continue;
    }
    gboolean keep_alive = http_should_keep_alive(&conn->in.parser);
    EsSim *owner = conn->server->sim;
    if (conn->in.parser.method == HTTP_GET && owner->pages != NULL) {
      const char *ctype = NULL;
      GBytes *page = owner->pages(owner->pages_arg, conn->in.target, &ctype);
      static const char missing[] = "no such page\n";
      gsize len = 0;
      const guint8 *body = page != NULL ? g_bytes_get_data(page, &len) : (const guint8 *)missing;
      EsHttpMsg m;
      es_http_reply(&m, page != NULL ? 200 : 404, page != NULL ? ctype : "text/plain", body,
                    page != NULL ? len : sizeof missing - 1, keep_alive);
      conn_send(conn, &m);
      if (page != NULL)
        g_bytes_unref(page);
      if (!keep_alive)
        conn_close(conn);
      continue;
    }
    EsHttpMsg refusal;
    if (!es_http_request_acceptable(conn->in.parser.method == HTTP_POST, &refusal, keep_alive)) {
      conn_send(conn, &refusal);
      if (!keep_alive)
        conn_close(conn);
      continue;
    }
    EsServer *srv = conn->server;
    EsSim *sim = srv->sim;
    EsExchange *x = g_new0(EsExchange, 1);
    x->conn = conn;
    x->keep_alive = keep_alive;
    x->link.data = x;
    g_queue_push_tail_link(&sim->exchanges, &x->link);
    conn->exchange = x;
    if (srv->fn != NULL) {
      srv->fn(srv->arg, x, es_http_in_content_type(&conn->in), conn->in.body->data,
              conn->in.body->len);
    } else {
      EsHttpMsg m;
      es_http_reply_no_service(&m, keep_alive);
      reply_with(x, &m);
    }
  }
  if (!conn->dead)
    g_byte_array_remove_range(conn->backlog, 0, (guint)off);
  conn->processing = FALSE;
  if (conn->dead)
    conn_free(conn);
}

static void conn_on_recv(void *arg, EsNs3Socket *sock, const uint8_t *data, size_t len)
{
  EsServerConn *conn = arg;
  (void)sock;
  if (conn->dead)
    return;
  guint before = conn->backlog->len;
  if (conn->tls != NULL) {
    const char *why = NULL;
    gboolean ok = es_sim_tls_feed(conn->tls, data, len, conn->backlog, &why);
    es_sim_tls_flush(conn->tls, conn->sock);
    if (!ok) {
      conn_close(conn);
      return;
    }
  } else {
    g_byte_array_append(conn->backlog, data, (guint)len);
  }
  /* A client that keeps sending while its request is served can buffer one more message. */
  if (conn->backlog->len > ES_HTTP_MAX_BODY + ES_HTTP_MAX_HEADER) {
    conn_close(conn);
    return;
  }
  if (conn->backlog->len > before)
    conn_process(conn);
}

static void conn_on_event(void *arg, EsNs3Socket *sock, EsNs3SocketEvent ev)
{
  EsServerConn *conn = arg;
  (void)sock;
  if (ev != ES_NS3_CONNECTED)
    conn_close(conn);
}

static const EsNs3SocketFns conn_fns = { conn_on_event, conn_on_recv };

static void server_on_accept(void *arg, EsNs3Socket *listener, EsNs3Socket *sock)
{
  EsServer *srv = arg;
  (void)listener;
  EsServerConn *conn = g_new0(EsServerConn, 1);
  conn->server = srv;
  conn->sock = sock;
  conn->backlog = g_byte_array_new();
  conn->tls = srv->plain ? NULL : es_sim_tls_server_new(srv->sim, srv->port);
  es_http_in_init(&conn->in, HTTP_REQUEST);
  conn->link.data = conn;
  g_queue_push_tail_link(&srv->conns, &conn->link);
  es_ns3_socket_set_fns(sock, &conn_fns, conn);
}

void es_sim_server_free(EsServer *srv)
{
  while (!g_queue_is_empty(&srv->conns))
    conn_close(srv->conns.head->data);
  if (srv->listener != NULL)
    es_ns3_socket_close(srv->listener);
  g_free(srv);
}

/* Server `raca` is RA/CA raca below sim->racas, else CA raca - sim->racas. */
void es_sim_server_set(EsEngine *engine, guint raca, EsRequestFn fn, void *arg)
{
  EsSim *sim = (EsSim *)engine;
  g_return_if_fail(raca < sim->racas + sim->cas);
  EsServer *srv = sim->servers[raca];
  if (fn == NULL) {
    /* Stop serving: new connections are refused, open ones closed. */
    if (srv != NULL)
      es_sim_server_free(srv);
    sim->servers[raca] = NULL;
    return;
  }
  if (srv == NULL) {
    srv = g_new0(EsServer, 1);
    srv->sim = sim;
    srv->node = raca < sim->racas ? sim->raca_node[raca] : sim->ca_node[raca - sim->racas];
    srv->port = HTTP_PORT;
    /* The RAs reach their CA over plain HTTP (sim_upstream_open says why). */
    srv->plain = raca >= sim->racas;
    srv->listener = es_ns3_tcp_listen(srv->node, HTTP_PORT, server_on_accept, srv);
    sim->servers[raca] = srv;
  }
  srv->fn = fn;
  srv->arg = arg;
}

void es_sim_serve_port(EsSim *sim, guint raca, guint16 port, EsRequestFn fn, void *arg)
{
  g_return_if_fail(sim != NULL && raca < sim->racas && port != HTTP_PORT && fn != NULL);
  EsServer *srv = g_new0(EsServer, 1);
  srv->sim = sim;
  srv->node = sim->raca_node[raca];
  srv->port = port;
  srv->listener = es_ns3_tcp_listen(srv->node, port, server_on_accept, srv);
  srv->fn = fn;
  srv->arg = arg;
  if (sim->port_servers == NULL)
    sim->port_servers = g_ptr_array_new_with_free_func((GDestroyNotify)es_sim_server_free);
  g_ptr_array_add(sim->port_servers, srv);
}

void es_sim_set_enb_port(EsSim *sim, guint enb, guint16 port)
{
  g_return_if_fail(sim != NULL && enb >= 1 && enb <= sim->enbs);
  if (sim->enb_port == NULL)
    sim->enb_port = g_new0(guint16, sim->enbs);
  sim->enb_port[enb - 1] = port;
}

/* Sends `m` (made with the exchange's keep_alive) and frees the exchange. */
static void reply_with(EsExchange *x, const EsHttpMsg *m)
{
  EsServerConn *conn = x->conn;
  if (conn != NULL) {
    conn->exchange = NULL;
    conn_send(conn, m);
    if (!x->keep_alive)
      conn_close(conn);
    else
      conn_process(conn); /* a request that arrived meanwhile (no-op when already inside) */
  }
  g_queue_unlink(&es_sim_current->exchanges, &x->link);
  g_free(x);
}

void es_sim_reply(EsEngine *engine, EsExchange *x, int http_status, const char *content_type,
                  const guint8 *body, gsize len)
{
  (void)engine;
  g_return_if_fail(x != NULL);
  EsHttpMsg m;
  es_http_reply(&m, http_status, content_type, body, len, x->keep_alive);
  reply_with(x, &m);
}

void es_sim_reply_unavailable(EsEngine *engine, EsExchange *x, guint retry_after_s)
{
  (void)engine;
  g_return_if_fail(x != NULL);
  EsHttpMsg m;
  es_http_reply_busy(&m, retry_after_s, x->keep_alive);
  reply_with(x, &m);
}

/* No answer: the connection closes (the client sees it end), the exchange is freed. */
void es_sim_drop(EsEngine *engine, EsExchange *x)
{
  (void)engine;
  g_return_if_fail(x != NULL);
  EsServerConn *conn = x->conn;
  if (conn != NULL) {
    conn->exchange = NULL;
    conn_close(conn);
  }
  g_queue_unlink(&es_sim_current->exchanges, &x->link);
  g_free(x);
}

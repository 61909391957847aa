/* The simulated engine: builds the topology in ns-3 with tree addressing and static routes,
 * and runs HTTP/1.1 (RFC 6712 POSTs, parsed with http_parser) over ns-3 TCP sockets. */
#include "engines/es_sim.h"

#include <math.h>
#include <string.h>

#include "engines/es_http.h"
#include "engines/es_plan.h"
#include "engines/ns3/es_ns3.h"

G_DEFINE_QUARK(es-sim-error-quark, es_sim_error)

#define HTTP_PORT 80

typedef struct EsServer EsServer;
typedef struct EsServerConn EsServerConn;

struct EsChannel {
  EsSim *sim;
  guint node;
  guint32 raca_addr;
  guint16 port;      /* the RA/CA node's port: HTTP_PORT unless es_sim_set_enb_port moved it */
  EsNs3Socket *sock; /* NULL until the next post connects */
  gboolean connected;
  gboolean outstanding;
  EsResponseFn fn;
  void *arg;
  EsHttpIn in;
  int dispatching; /* inside a response callback: freeing waits */
  gboolean closed;
  GList link; /* in sim->channels */
};

struct EsExchange {
  EsServerConn *conn; /* NULL once the connection went away: the reply is dropped */
  gboolean keep_alive;
  GList link; /* in sim->exchanges */
};

struct EsServerConn {
  EsServer *server;
  EsNs3Socket *sock;
  EsHttpIn in;
  GByteArray *backlog; /* received, not parsed yet (parsing waits while a request is served) */
  EsExchange *exchange;
  gboolean processing;
  gboolean dead;
  GList link; /* in server->conns */
};

struct EsServer {
  EsSim *sim;
  guint node;
  EsNs3Socket *listener;
  EsRequestFn fn;
  void *arg;
  GQueue conns;
};

struct EsSim {
  EsEngine engine;
  guint nodes;
  guint enbs;
  guint32 *addr;      /* per node: its address (for a non-root node, on its uplink) */
  guint *enb_node;    /* per eNB number - 1 */
  guint *enb_raca;    /* per eNB number - 1: the RA/CA it enrols with */
  guint racas;
  guint *raca_node;
  EsServer **servers; /* per RA/CA, created by server_set */
  guint16 *enb_port;  /* per eNB number - 1, NULL until es_sim_set_enb_port: 0 is HTTP_PORT */
  GPtrArray *port_servers; /* EsServer on other ports (es_sim_serve_port) */
  char *path;
  GQueue channels;
  GQueue exchanges;
  guint64 connects;
};

/* The one live simulation (ns-3 is a singleton); replies find their exchange list here. */
static EsSim *g_sim;

/* ---- clock and timers ---------------------------------------------------------------- */

static double sim_now(EsEngine *engine)
{
  (void)engine;
  return es_ns3_now();
}

static guint64 sim_timer_add(EsEngine *engine, double delay_s, EsTimerFn fn, void *arg)
{
  (void)engine;
  return es_ns3_schedule(delay_s, fn, arg);
}

static void sim_timer_cancel(EsEngine *engine, guint64 id)
{
  (void)engine;
  if (id != 0)
    es_ns3_cancel(id);
}

/* ---- client channels ------------------------------------------------------------------- */

static void channel_free(EsChannel *c)
{
  g_queue_unlink(&c->sim->channels, &c->link);
  es_http_in_clear(&c->in);
  g_free(c);
}

static void channel_drop_socket(EsChannel *c)
{
  if (c->sock != NULL)
    es_ns3_socket_close(c->sock);
  c->sock = NULL;
  c->connected = FALSE;
}

/* Delivers the outcome of the outstanding post; the socket is already in its next state. */
static void channel_deliver(EsChannel *c, const EsResponse *r)
{
  if (!c->outstanding)
    return;
  c->outstanding = FALSE;
  c->dispatching++;
  c->fn(c->arg, r);
  c->dispatching--;
}

static void channel_fail(EsChannel *c, const char *error)
{
  channel_drop_socket(c);
  EsResponse r = { .error = error };
  channel_deliver(c, &r);
}

static void channel_on_recv(void *arg, EsNs3Socket *sock, const uint8_t *data, size_t len)
{
  EsChannel *c = arg;
  c->dispatching++;
  /* A response callback may post again on a fresh socket: stop feeding this one's bytes. */
  while (len > 0 && !c->closed && c->sock == sock) {
    if (!c->outstanding) {
      /* Bytes nobody asked for: the connection is out of step. */
      channel_drop_socket(c);
      break;
    }
    gsize n = es_http_in_feed(&c->in, data, len);
    data += n;
    len -= n;
    if (c->in.complete) {
      gboolean keep_alive = http_should_keep_alive(&c->in.parser);
      if (!keep_alive)
        channel_drop_socket(c);
      EsResponse r = {
        .http_status = c->in.parser.status_code,
        .content_type = es_http_in_content_type(&c->in),
        .body = c->in.body->data,
        .len = c->in.body->len,
        .retry_after_s = c->in.retry_after,
      };
      channel_deliver(c, &r);
    } else if (c->in.reject != 0) {
      channel_fail(c, c->in.reject == 413 ? "HTTP response too large" : "malformed HTTP response");
      break;
    }
  }
  c->dispatching--;
  if (c->closed && c->dispatching == 0)
    channel_free(c);
}

static void channel_on_event(void *arg, EsNs3Socket *sock, EsNs3SocketEvent ev)
{
  EsChannel *c = arg;
  (void)sock;
  c->dispatching++;
  switch (ev) {
  case ES_NS3_CONNECTED:
    c->connected = TRUE;
    break;
  case ES_NS3_REFUSED:
    channel_fail(c, "connection refused");
    break;
  case ES_NS3_TIMED_OUT:
    channel_fail(c, "connection timed out");
    break;
  case ES_NS3_PEER_CLOSED:
    channel_drop_socket(c);
    if (c->outstanding) {
      /* A response delimited by the end of the connection ends here. */
      es_http_in_feed(&c->in, NULL, 0);
      if (c->in.complete) {
        EsResponse r = {
          .http_status = c->in.parser.status_code,
          .content_type = es_http_in_content_type(&c->in),
          .body = c->in.body->data,
          .len = c->in.body->len,
          .retry_after_s = c->in.retry_after,
        };
        channel_deliver(c, &r);
      } else {
        channel_fail(c, "connection closed");
      }
    }
    break;
  case ES_NS3_ERROR:
    channel_fail(c, "connection reset");
    break;
  }
  c->dispatching--;
  if (c->closed && c->dispatching == 0)
    channel_free(c);
}

static const EsNs3SocketFns channel_fns = { channel_on_event, channel_on_recv };

static EsChannel *sim_channel_open(EsEngine *engine, guint enb)
{
  EsSim *sim = (EsSim *)engine;
  g_return_val_if_fail(enb >= 1 && enb <= sim->enbs, NULL);
  g_return_val_if_fail(sim->racas > 0, NULL);
  EsChannel *c = g_new0(EsChannel, 1);
  c->sim = sim;
  c->node = sim->enb_node[enb - 1];
  c->raca_addr = sim->addr[sim->raca_node[sim->enb_raca[enb - 1]]];
  c->port = sim->enb_port != NULL && sim->enb_port[enb - 1] != 0 ? sim->enb_port[enb - 1]
                                                                 : HTTP_PORT;
  c->link.data = c;
  g_queue_push_tail_link(&sim->channels, &c->link);
  return c;
}

/* Starts an exchange: the bytes go out on the kept-alive connection or a new one. */
static void channel_send(EsChannel *c, const guint8 *bytes, gsize len, EsResponseFn fn,
                         void *arg)
{
  c->outstanding = TRUE;
  c->fn = fn;
  c->arg = arg;
  es_http_in_init(&c->in, HTTP_RESPONSE);
  if (c->sock == NULL) {
    c->sim->connects++;
    c->sock = es_ns3_tcp_connect(c->node, c->raca_addr, c->port, &channel_fns, c);
  }
  es_ns3_socket_send(c->sock, bytes, len);
}

static void sim_channel_post(EsChannel *c, const char *content_type, const guint8 *body,
                             gsize len, EsResponseFn fn, void *arg)
{
  g_return_if_fail(c != NULL && !c->closed && fn != NULL);
  g_return_if_fail(!c->outstanding);
  guint32 a = c->raca_addr;
  GString *req = g_string_sized_new(200 + len);
  g_string_append_printf(req,
                         "POST %s HTTP/1.1\r\nHost: %u.%u.%u.%u\r\n"
                         "Content-Type: %s\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n"
                         "Connection: keep-alive\r\n\r\n",
                         c->sim->path, a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255,
                         content_type != NULL ? content_type : "application/pkixcmp", len);
  g_string_append_len(req, (const char *)body, len);
  channel_send(c, (const guint8 *)req->str, req->len, fn, arg);
  g_string_free(req, TRUE);
}

void es_sim_channel_post_raw(EsChannel *c, const guint8 *bytes, gsize len, EsResponseFn fn,
                             void *arg)
{
  g_return_if_fail(c != NULL && !c->closed && fn != NULL);
  g_return_if_fail(!c->outstanding);
  channel_send(c, bytes, len, fn, arg);
}

static void sim_channel_close(EsChannel *c)
{
  if (c == NULL || c->closed)
    return;
  channel_drop_socket(c);
  c->outstanding = FALSE;
  c->closed = TRUE;
  if (c->dispatching == 0)
    channel_free(c);
}

/* ---- servers --------------------------------------------------------------------------- */

static void conn_free(EsServerConn *conn)
{
  g_queue_unlink(&conn->server->conns, &conn->link);
  es_http_in_clear(&conn->in);
  g_byte_array_unref(conn->backlog);
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
  es_ns3_socket_close(conn->sock);
  conn->sock = NULL;
  if (!conn->processing)
    conn_free(conn);
}

static void conn_send_response(EsServerConn *conn, int status, const char *content_type,
                               const guint8 *body, gsize len, gboolean keep_alive,
                               const char *extra_headers)
{
  GString *res = g_string_sized_new(160 + len);
  g_string_append_printf(res, "HTTP/1.1 %d %s\r\n", status, es_http_reason_phrase(status));
  if (content_type != NULL)
    g_string_append_printf(res, "Content-Type: %s\r\n", content_type);
  g_string_append_printf(res, "Content-Length: %" G_GSIZE_FORMAT "\r\n%s%s\r\n", len,
                         keep_alive ? "" : "Connection: close\r\n",
                         extra_headers != NULL ? extra_headers : "");
  g_string_append_len(res, (const char *)body, len);
  es_ns3_socket_send(conn->sock, (const guint8 *)res->str, res->len);
  g_string_free(res, TRUE);
}

/* Answers a request we could not take, then closes (after the bytes are out). */
static void conn_reject(EsServerConn *conn, int status)
{
  static const char msg[] = "request rejected\n";
  conn_send_response(conn, status, "text/plain", (const guint8 *)msg, sizeof msg - 1, FALSE,
                     NULL);
  conn_close(conn);
}

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
    if (conn->in.parser.method != HTTP_POST) {
      static const char msg[] = "RFC 6712: use POST\n";
      conn_send_response(conn, 405, "text/plain", (const guint8 *)msg, sizeof msg - 1,
                         keep_alive, "Allow: POST\r\n");
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
      static const char msg[] = "no service\n";
      EsEngine *e = &sim->engine;
      e->ops->reply(x, 503, "text/plain", (const guint8 *)msg, sizeof msg - 1);
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
  /* A client that keeps sending while its request is served can buffer one more message. */
  if (conn->backlog->len + len > ES_HTTP_MAX_BODY + ES_HTTP_MAX_HEADER) {
    conn_close(conn);
    return;
  }
  g_byte_array_append(conn->backlog, data, (guint)len);
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
  es_http_in_init(&conn->in, HTTP_REQUEST);
  conn->link.data = conn;
  g_queue_push_tail_link(&srv->conns, &conn->link);
  es_ns3_socket_set_fns(sock, &conn_fns, conn);
}

static void server_free(EsServer *srv)
{
  while (!g_queue_is_empty(&srv->conns))
    conn_close(srv->conns.head->data);
  if (srv->listener != NULL)
    es_ns3_socket_close(srv->listener);
  g_free(srv);
}

static void sim_server_set(EsEngine *engine, guint raca, EsRequestFn fn, void *arg)
{
  EsSim *sim = (EsSim *)engine;
  g_return_if_fail(raca < sim->racas);
  EsServer *srv = sim->servers[raca];
  if (fn == NULL) {
    /* Stop serving: new connections are refused, open ones closed. */
    if (srv != NULL)
      server_free(srv);
    sim->servers[raca] = NULL;
    return;
  }
  if (srv == NULL) {
    srv = g_new0(EsServer, 1);
    srv->sim = sim;
    srv->node = sim->raca_node[raca];
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
  srv->listener = es_ns3_tcp_listen(srv->node, port, server_on_accept, srv);
  srv->fn = fn;
  srv->arg = arg;
  if (sim->port_servers == NULL)
    sim->port_servers = g_ptr_array_new_with_free_func((GDestroyNotify)server_free);
  g_ptr_array_add(sim->port_servers, srv);
}

void es_sim_set_enb_port(EsSim *sim, guint enb, guint16 port)
{
  g_return_if_fail(sim != NULL && enb >= 1 && enb <= sim->enbs);
  if (sim->enb_port == NULL)
    sim->enb_port = g_new0(guint16, sim->enbs);
  sim->enb_port[enb - 1] = port;
}

static void reply_with(EsExchange *x, int http_status, const char *content_type,
                       const guint8 *body, gsize len, const char *extra_headers)
{
  g_return_if_fail(x != NULL);
  EsServerConn *conn = x->conn;
  if (conn != NULL) {
    conn->exchange = NULL;
    if (http_status < 100 || http_status > 999)
      http_status = 500;
    conn_send_response(conn, http_status, content_type, body, len, x->keep_alive,
                       extra_headers);
    if (!x->keep_alive)
      conn_close(conn);
    else
      conn_process(conn); /* a request that arrived meanwhile (no-op when already inside) */
  }
  g_queue_unlink(&g_sim->exchanges, &x->link);
  g_free(x);
}

static void sim_reply(EsExchange *x, int http_status, const char *content_type,
                      const guint8 *body, gsize len)
{
  reply_with(x, http_status, content_type, body, len, NULL);
}

static void sim_reply_unavailable(EsExchange *x, guint retry_after_s)
{
  static const char msg[] = ES_HTTP_BUSY_BODY;
  char header[48];
  g_snprintf(header, sizeof header, "Retry-After: %u\r\n", retry_after_s);
  reply_with(x, 503, "text/plain", (const guint8 *)msg, sizeof msg - 1, header);
}

static const EsEngineOps sim_ops = {
  .now = sim_now,
  .timer_add = sim_timer_add,
  .timer_cancel = sim_timer_cancel,
  .channel_open = sim_channel_open,
  .channel_post = sim_channel_post,
  .channel_close = sim_channel_close,
  .server_set = sim_server_set,
  .reply = sim_reply,
  .reply_unavailable = sim_reply_unavailable,
};

/* ---- building the network ------------------------------------------------------------ */

/* The plan's addresses and routes, then one ns-3 link per uplink. */
static gboolean build_network(EsSim *sim, const EsTopology *topo, guint64 seed, GError **error)
{
  guint n = sim->nodes;
  g_autofree guint *parent = g_new(guint, n);
  for (guint i = 0; i < n; i++)
    parent[i] = es_topology_node(topo, i)->parent;
  g_autofree EsPlanNode *plan = es_plan_new(parent, n, error);
  if (plan == NULL)
    return FALSE;
  sim->addr = g_new0(guint32, n);
  for (guint v = 0; v < n; v++)
    sim->addr[v] = plan[v].addr;

  es_ns3_init(seed);
  es_ns3_nodes_create(n);
  for (guint v = 1; v < n; v++) {
    const EsLinkParams *lp = &es_topology_node(topo, v)->uplink;
    guint32 pif, vif;
    if (es_ns3_link(parent[v], v, lp, plan[v].peer, sim->addr[v], 30, v, &pif, &vif) != 0) {
      g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY,
                  "node %u: bad uplink (rate %g bit/s, delay %g s)", v, lp->rate_bps, lp->delay_s);
      return FALSE;
    }
    es_ns3_route_default(v, plan[v].peer, vif);
    /* Leaves too: nodes have no connected routes, only these disjoint blocks. */
    es_ns3_route_add(parent[v], plan[v].subtree_net, plan[v].subtree_plen, sim->addr[v], pif);
  }
  return TRUE;
}

EsSim *es_sim_new(const EsTopology *topo, guint64 seed, GError **error)
{
  g_return_val_if_fail(topo != NULL, NULL);
  if (g_sim != NULL) {
    g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_NS3,
                "one simulation at a time: free the previous one first");
    return NULL;
  }
  guint n = es_topology_size(topo);
  if (n < 2) {
    g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY, "topology has %u nodes", n);
    return NULL;
  }
  EsSim *sim = g_new0(EsSim, 1);
  sim->engine.ops = &sim_ops;
  sim->nodes = n;
  sim->path = g_strdup("/");
  sim->enbs = es_topology_enbs(topo);
  sim->enb_node = g_new(guint, MAX(sim->enbs, 1));
  sim->enb_raca = g_new(guint, MAX(sim->enbs, 1));
  sim->racas = es_topology_racas(topo);
  for (guint e = 1; e <= sim->enbs; e++) {
    sim->enb_node[e - 1] = es_topology_enb_node(topo, e);
    sim->enb_raca[e - 1] = es_topology_enb_raca(topo, e);
  }
  sim->raca_node = g_new(guint, MAX(sim->racas, 1));
  for (guint r = 0; r < sim->racas; r++)
    sim->raca_node[r] = es_topology_raca_node(topo, r);
  sim->servers = g_new0(EsServer *, MAX(sim->racas, 1));
  g_sim = sim;
  for (guint e = 0; e < sim->enbs; e++)
    if (sim->enb_node[e] >= n || es_topology_node(topo, sim->enb_node[e])->role != ES_NODE_ENB
        || sim->enb_raca[e] >= sim->racas) {
      g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY,
                  "eNB %u has no eNB node or no RA/CA", e + 1);
      es_sim_free(sim);
      return NULL;
    }
  for (guint r = 0; r < sim->racas; r++)
    if (sim->raca_node[r] >= n) {
      g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY, "RA/CA %u has no node", r);
      es_sim_free(sim);
      return NULL;
    }
  if (!build_network(sim, topo, seed, error)) {
    es_sim_free(sim);
    return NULL;
  }
  return sim;
}

void es_sim_free(EsSim *sim)
{
  if (sim == NULL)
    return;
  g_return_if_fail(sim == g_sim);
  for (guint r = 0; r < sim->racas; r++)
    if (sim->servers[r] != NULL)
      server_free(sim->servers[r]);
  if (sim->port_servers != NULL)
    g_ptr_array_unref(sim->port_servers);
  while (!g_queue_is_empty(&sim->channels)) {
    EsChannel *c = sim->channels.head->data;
    channel_drop_socket(c);
    channel_free(c);
  }
  while (!g_queue_is_empty(&sim->exchanges)) {
    EsExchange *x = sim->exchanges.head->data;
    g_queue_unlink(&sim->exchanges, &x->link);
    g_free(x);
  }
  es_ns3_destroy();
  g_free(sim->addr);
  g_free(sim->enb_node);
  g_free(sim->enb_raca);
  g_free(sim->raca_node);
  g_free(sim->servers);
  g_free(sim->enb_port);
  g_free(sim->path);
  g_free(sim);
  g_sim = NULL;
}

EsEngine *es_sim_get0_engine(EsSim *sim) { return &sim->engine; }

void es_sim_run(EsSim *sim, double stop_s)
{
  (void)sim;
  es_ns3_run(stop_s);
}

void es_sim_stop(EsSim *sim)
{
  (void)sim;
  es_ns3_stop();
}

guint64 es_sim_get_events(const EsSim *sim)
{
  (void)sim;
  return es_ns3_event_count();
}

guint64 es_sim_timer_add_at(EsSim *sim, double at_s, EsTimerFn fn, void *arg)
{
  (void)sim;
  return es_ns3_schedule_at(at_s, fn, arg);
}

/* Timer callbacks between ticks: often enough for a few reports per wall-second at any event
 * rate, rarely enough that the tick costs nothing. */
#define TICK_EVERY 64

void es_sim_set_tick(EsSim *sim, EsTimerFn fn, void *arg)
{
  (void)sim;
  es_ns3_set_tick(fn, arg, TICK_EVERY);
}

guint64 es_sim_get_loss_drops(const EsSim *sim)
{
  (void)sim;
  return es_ns3_loss_drops();
}

guint64 es_sim_get_connections(const EsSim *sim) { return sim->connects; }

void es_sim_get_link_stats(const EsSim *sim, EsSimLinkStats *stats)
{
  (void)sim;
  g_return_if_fail(stats != NULL);
  EsNs3LinkStats s;
  es_ns3_link_stats(&s);
  *stats = (EsSimLinkStats){s.drops_loss,
                            s.drops_burst,
                            s.drops_outage,
                            s.corruptions,
                            s.tcp_retransmissions,
                            s.tcp_retransmissions_connecting,
                            s.tcp_retransmissions_accepting};
}

guint64 es_sim_get_tcp_retransmissions(const EsSim *sim)
{
  EsSimLinkStats s;
  es_sim_get_link_stats(sim, &s);
  return s.tcp_retransmissions;
}

guint64 es_sim_get_enb_tcp_retransmissions(const EsSim *sim, guint enb)
{
  g_return_val_if_fail(sim != NULL && enb >= 1 && enb <= sim->enbs, 0);
  return es_ns3_node_tcp_retransmissions(sim->enb_node[enb - 1]);
}

void es_sim_set_http_path(EsSim *sim, const char *path)
{
  g_return_if_fail(path != NULL && path[0] == '/' && strpbrk(path, " \r\n") == NULL);
  g_free(sim->path);
  sim->path = g_strdup(path);
}

guint32 es_sim_node_address(const EsSim *sim, guint node)
{
  g_return_val_if_fail(node < sim->nodes, 0);
  return sim->addr[node];
}

gboolean es_sim_enable_pcap(EsSim *sim, EsSimNodeKind kind, guint index, const char *path,
                            GError **error)
{
  g_return_val_if_fail(sim != NULL && path != NULL, FALSE);
  gboolean enb = kind == ES_SIM_NODE_ENB;
  if (enb && (index < 1 || index > sim->enbs)) {
    g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY,
                "no eNB %u to capture (eNBs are numbered 1 to %u)", index, sim->enbs);
    return FALSE;
  }
  if (!enb && index >= sim->racas) {
    g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY,
                "no RA/CA %u to capture (RA/CAs are numbered 0 to %u)", index, sim->racas - 1);
    return FALSE;
  }
  guint node = enb ? sim->enb_node[index - 1] : sim->raca_node[index];
  if (es_ns3_enable_pcap(node, path) != 0) {
    g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_NS3, "%s %u has no point-to-point link",
                enb ? "eNB" : "RA/CA", index);
    return FALSE;
  }
  return TRUE;
}

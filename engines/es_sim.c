/* The simulated engine: builds the topology in ns-3 with tree addressing and static routes,
 * and runs HTTP/1.1 (RFC 6712 POSTs, parsed with http_parser) over ns-3 TCP sockets. */
#include "engines/es_sim_priv.h"

#include <math.h>
#include <string.h>

#include "engines/es_http.h"
#include "engines/es_plan.h"
#include "engines/ns3/es_ns3.h"

G_DEFINE_QUARK(es-sim-error-quark, es_sim_error)

EsSim *es_sim_current;

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
  if (c->plain != NULL)
    g_byte_array_unref(c->plain);
  g_free(c);
}

static void channel_drop_socket(EsChannel *c)
{
  /* Only eNB and relying nodes' channels speak TLS; only an eNB's keeps its session. */
  if (c->tls != NULL) {
    SSL_SESSION *s = c->enb >= 1 ? es_sim_tls_get1_session(c->tls) : NULL;
    if (s != NULL) {
      SSL_SESSION **kept = &c->sim->tls_sessions[c->enb - 1];
      SSL_SESSION_free(*kept);
      *kept = s;
    }
    es_sim_tls_close_notify(c->tls, c->sock);
    g_clear_pointer(&c->tls, es_sim_tls_free);
  }
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

/* HTTP bytes from the connection (decrypted, under TLS). */
static void channel_parse(EsChannel *c, EsNs3Socket *sock, const uint8_t *data, size_t len)
{
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
}

static void channel_on_recv(void *arg, EsNs3Socket *sock, const uint8_t *data, size_t len)
{
  EsChannel *c = arg;
  c->dispatching++;
  if (c->tls == NULL) {
    channel_parse(c, sock, data, len);
  } else {
    const char *why = NULL;
    if (c->plain == NULL)
      c->plain = g_byte_array_new();
    gboolean ok = es_sim_tls_feed(c->tls, data, len, c->plain, &why);
    es_sim_tls_flush(c->tls, sock);
    /* Parsed whole, then emptied: a response callback that posts again meanwhile writes
     * through the TLS end, never into c->plain. */
    if (c->plain->len > 0)
      channel_parse(c, sock, c->plain->data, c->plain->len);
    g_byte_array_set_size(c->plain, 0);
    if (!ok && c->sock == sock)
      channel_fail(c, why);
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
  c->enb = enb;
  c->node = sim->enb_node[enb - 1];
  c->raca_addr = sim->addr[sim->raca_node[sim->enb_raca[enb - 1]]];
  c->port = sim->enb_port != NULL && sim->enb_port[enb - 1] != 0 ? sim->enb_port[enb - 1]
                                                                 : HTTP_PORT;
  c->link.data = c;
  g_queue_push_tail_link(&sim->channels, &c->link);
  return c;
}

/* An RA's channel to the CA behind it: from the RA's node to the CA's, port 80. It belongs
 * to no eNB (enb 0). The hop is plain HTTP even with transport.tls: TLS models the eNBs'
 * backhaul, and the CA's server has no credential of its own. */
static EsChannel *sim_upstream_open(EsEngine *engine, guint raca)
{
  EsSim *sim = (EsSim *)engine;
  if (sim->cas == 0 || raca >= sim->racas)
    return NULL;
  EsChannel *c = g_new0(EsChannel, 1);
  c->sim = sim;
  c->enb = 0;
  c->node = sim->raca_node[raca];
  c->raca_addr = sim->addr[sim->ca_node[sim->raca_ca[raca]]];
  c->port = HTTP_PORT;
  c->link.data = c;
  g_queue_push_tail_link(&sim->channels, &c->link);
  return c;
}

EsChannel *es_sim_node_channel_open(EsSim *sim, guint node, guint raca)
{
  g_return_val_if_fail(sim != NULL && node < sim->nodes && raca < sim->racas, NULL);
  EsChannel *c = g_new0(EsChannel, 1);
  c->sim = sim;
  c->relying = TRUE;
  c->node = node;
  c->raca_addr = sim->addr[sim->raca_node[raca]];
  c->port = HTTP_PORT;
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
    if (c->enb != 0)
      c->sim->connects++;
    else if (!c->relying)
      c->sim->upstream_connects++;
    c->sock = es_ns3_tcp_connect(c->node, c->raca_addr, c->port, &channel_fns, c);
    if (c->sim->tls_client != NULL && (c->enb != 0 || c->relying))
      c->tls = es_sim_tls_client_new(c->sim,
                                     c->enb != 0 ? c->sim->tls_sessions[c->enb - 1] : NULL);
  }
  es_sim_send(c->sock, c->tls, bytes, len);
}

static void sim_channel_post(EsChannel *c, const char *content_type, const guint8 *body,
                             gsize len, EsResponseFn fn, void *arg)
{
  g_return_if_fail(c != NULL && !c->closed && fn != NULL);
  g_return_if_fail(!c->outstanding);
  guint32 a = c->raca_addr;
  char host[16];
  g_snprintf(host, sizeof host, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
  EsHttpMsg m;
  es_http_request(&m, c->sim->path, host, content_type, body, len);
  GString *req = g_string_sized_new(200 + len);
  es_http_write(req, &m);
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

void es_sim_channel_get(EsChannel *c, const char *target, EsResponseFn fn, void *arg)
{
  g_return_if_fail(c != NULL && !c->closed && fn != NULL);
  g_return_if_fail(!c->outstanding);
  guint32 a = c->raca_addr;
  GString *req = g_string_new(NULL);
  g_string_append_printf(req, "GET %s HTTP/1.1\r\nHost: %u.%u.%u.%u\r\n\r\n", target, a >> 24,
                         (a >> 16) & 255, (a >> 8) & 255, a & 255);
  channel_send(c, (const guint8 *)req->str, req->len, fn, arg);
  /* A page may be a CRL of millions of entries, far beyond a CMP message's cap. */
  es_http_in_set_limits(&c->in, ES_SIM_MAX_PAGE, 0);
  g_string_free(req, TRUE);
}

void es_sim_set_pages(EsSim *sim, EsSimPageFn fn, void *arg)
{
  sim->pages = fn;
  sim->pages_arg = arg;
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

static const EsEngineOps sim_ops = {
  .now = sim_now,
  .timer_add = sim_timer_add,
  .timer_cancel = sim_timer_cancel,
  .channel_open = sim_channel_open,
  .channel_post = sim_channel_post,
  .channel_close = sim_channel_close,
  .server_set = es_sim_server_set,
  .reply = es_sim_reply,
  .reply_unavailable = es_sim_reply_unavailable,
  .drop = es_sim_drop,
  .upstream_open = sim_upstream_open,
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
  if (es_sim_current != NULL) {
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
  sim->cas = es_topology_cas(topo);
  sim->ca_node = g_new(guint, MAX(sim->cas, 1));
  sim->raca_ca = g_new(guint, MAX(sim->racas, 1));
  for (guint c = 0; c < sim->cas; c++)
    sim->ca_node[c] = es_topology_ca_node(topo, c);
  for (guint r = 0; r < sim->racas && sim->cas > 0; r++)
    sim->raca_ca[r] = es_topology_raca_ca(topo, r);
  sim->servers = g_new0(EsServer *, MAX(sim->racas + sim->cas, 1));
  es_sim_current = sim;
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
  for (guint r = 0; r < sim->racas && sim->cas > 0; r++)
    if (sim->raca_ca[r] >= sim->cas) {
      g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY, "RA/CA %u has no CA behind it", r);
      es_sim_free(sim);
      return NULL;
    }
  for (guint c = 0; c < sim->cas; c++)
    if (sim->ca_node[c] >= n) {
      g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY, "CA %u has no node", c);
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
  g_return_if_fail(sim == es_sim_current);
  for (guint r = 0; r < sim->racas + sim->cas; r++)
    if (sim->servers[r] != NULL)
      es_sim_server_free(sim->servers[r]);
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
  if (sim->tls_servers != NULL)
    g_hash_table_unref(sim->tls_servers);
  SSL_CTX_free(sim->tls_client);
  for (guint e = 0; sim->tls_sessions != NULL && e < sim->enbs; e++)
    SSL_SESSION_free(sim->tls_sessions[e]);
  g_free(sim->tls_sessions);
  es_rand_free(sim->tls_rand);
  g_free(sim->addr);
  g_free(sim->enb_node);
  g_free(sim->enb_raca);
  g_free(sim->raca_node);
  g_free(sim->ca_node);
  g_free(sim->raca_ca);
  g_free(sim->servers);
  g_free(sim->enb_port);
  g_free(sim->path);
  g_free(sim);
  es_sim_current = NULL;
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

void es_sim_set_interrupt(EsSim *sim, const volatile sig_atomic_t *flag)
{
  (void)sim;
  es_ns3_set_interrupt(flag);
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

guint64 es_sim_get_upstream_connections(const EsSim *sim) { return sim->upstream_connects; }

void es_sim_get_link_stats(const EsSim *sim, EsSimLinkStats *stats)
{
  g_return_if_fail(sim != NULL && stats != NULL);
  EsNs3LinkStats s;
  es_ns3_link_stats(&s);
  /* Only the RAs' upstream channels open connections from RA/CA nodes: their segments, both
   * ends, come off the eNBs' and RA/CAs' shares. Without CAs there are none. */
  guint64 up_ra = 0, up_ca = 0;
  for (guint r = 0; r < sim->racas && sim->cas > 0; r++) {
    guint64 all = es_ns3_node_tcp_retransmissions(sim->raca_node[r]);
    guint64 accepted = es_ns3_node_tcp_retransmissions_accepted(sim->raca_node[r]);
    up_ca += accepted;
    up_ra += all - accepted;
  }
  /* The per-node counters are 32-bit: never let a wrapped one drive a share below 0. */
  up_ra = MIN(up_ra, s.tcp_retransmissions_connecting);
  up_ca = MIN(up_ca, s.tcp_retransmissions_accepting);
  *stats = (EsSimLinkStats){s.drops_loss,
                            s.drops_burst,
                            s.drops_outage,
                            s.corruptions,
                            s.tcp_retransmissions,
                            s.tcp_retransmissions_connecting - up_ra,
                            s.tcp_retransmissions_accepting - up_ca,
                            up_ra + up_ca};
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
  gboolean enb = kind == ES_SIM_NODE_ENB, ca = kind == ES_SIM_NODE_CA;
  const char *what = enb ? "eNB" : ca ? "CA" : "RA/CA";
  if (enb && (index < 1 || index > sim->enbs)) {
    g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY,
                "no eNB %u to capture (eNBs are numbered 1 to %u)", index, sim->enbs);
    return FALSE;
  }
  if (kind == ES_SIM_NODE_RACA && index >= sim->racas) {
    g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY,
                "no RA/CA %u to capture (RA/CAs are numbered 0 to %u)", index, sim->racas - 1);
    return FALSE;
  }
  if (ca && index >= sim->cas) {
    if (sim->cas == 0)
      g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY,
                  "no CA %u to capture (the topology has no CAs: every RA/CA is its own)", index);
    else
      g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY,
                  "no CA %u to capture (CAs are numbered 0 to %u)", index, sim->cas - 1);
    return FALSE;
  }
  guint node = enb ? sim->enb_node[index - 1]
               : ca ? sim->ca_node[index]
                    : sim->raca_node[index];
  if (es_ns3_enable_pcap(node, path) != 0) {
    g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_NS3, "%s %u has no point-to-point link", what,
                index);
    return FALSE;
  }
  return TRUE;
}

/* The live engine's server: the RA/CA on libevent bufferevents, requests parsed by es_http (the
 * parser of the simulated engine) and held to bounds on connections, time and memory. */
#include "engines/es_live_priv.h"
#include "engines/es_http.h"

#include <errno.h>
#include <malloc.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/util.h>

#define DEFAULT_IDLE_TIMEOUT_S 30.0
#define DEFAULT_REQUEST_TIMEOUT_S 10.0
#define DEFAULT_MAX_CONNECTIONS 1024u
#define DEFAULT_BODY_MEMORY_FACTOR 32u
/* Descriptors kept for everything but connections: logs, the CRL, the PKI's files, epoll. */
#define RESERVED_FDS 64u
#define ACCEPT_PAUSE_S 0.25
/* After bodies of at least this much together are gone, the allocator gives the memory back. */
#define RELEASE_AFTER_BYTES (8u << 20)
#define RELEASE_DELAY_S 1.0
/* Descriptor shortages closer together than this are one episode, logged once. */
#define SHORTAGE_EPISODE_GAP_US (10 * G_USEC_PER_SEC)

struct EsLiveConn {
  EsLiveServer *srv;
  struct bufferevent *bev;
  EsHttpIn in;
  EsExchange *exchange;    /* the request being served: reading waits meanwhile */
  struct event *deadline;  /* the request's total time (request_timeout_s) */
  gint64 since;            /* monotonic µs: when the current request began, or idleness did */
  gsize charged;           /* body bytes counted in srv->stats.body_memory */
  gboolean processing;     /* inside conn_process: freeing waits */
  gboolean closing;        /* a last reply is going out; then the connection closes */
  gboolean dead;
  gboolean tls;            /* HTTPS: the handshake comes first */
  gboolean tls_up;         /* its handshake completed */
  gboolean first_deadline; /* the deadline runs from accept: the handshake and the first
                            * request share request_timeout_s */
  GList link;              /* in srv->conns */
};

struct EsLiveServer {
  EsLive *live;
  struct evconnlistener *listener;
  struct event *resume;    /* accepting again after a pause for want of descriptors */
  EsLiveLimits lim;
  EsLiveServerStats stats;
  GQueue conns;
  gsize body_high;         /* body memory's highest since memory was last given back */
  struct event *release;   /* gives memory back once bodies are gone (on_release) */
  gint64 shortage_last;    /* monotonic µs of the last accept that found no descriptor */
};

/* jemalloc's control interface, when the program runs on jemalloc (cli/ links it). */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
    __attribute__((weak));

/* Hands the pages of freed bodies back to the system. jemalloc otherwise purges only as it
 * allocates, and glibc only from the top of its heap: a server left idle after an attack
 * would keep them for good. */
static void on_release(evutil_socket_t fd, short what, void *arg)
{
  EsLiveServer *srv = arg;
  (void)fd, (void)what;
  if (srv->stats.body_memory > RELEASE_AFTER_BYTES / 8)
    return; /* still busy: the next drop brings us back */
  srv->body_high = srv->stats.body_memory;
  if (mallctl != NULL)
    mallctl("arena.4096.purge", NULL, NULL, NULL, 0); /* 4096: MALLCTL_ARENAS_ALL */
  else
    malloc_trim(0);
}

/* Called as body memory goes down. */
static void maybe_release(EsLiveServer *srv)
{
  if (srv->body_high >= RELEASE_AFTER_BYTES && srv->stats.body_memory <= RELEASE_AFTER_BYTES / 8
      && !evtimer_pending(srv->release, NULL)) {
    struct timeval tv = es_live_timeval(RELEASE_DELAY_S);
    evtimer_add(srv->release, &tv);
  }
}

/* ---- connections ------------------------------------------------------------------------ */

static void conn_free(EsLiveConn *conn)
{
  EsLiveServer *srv = conn->srv;
  g_queue_unlink(&srv->conns, &conn->link);
  srv->stats.open--;
  srv->stats.body_memory -= conn->charged;
  maybe_release(srv);
  es_http_in_clear(&conn->in);
  event_free(conn->deadline);
  if (conn->tls && !conn->tls_up)
    srv->stats.tls_failures++;
  if (conn->bev != NULL) {
    if (conn->tls_up)
      es_live_tls_shutdown(conn->bev);
    bufferevent_free(conn->bev);
  }
  g_free(conn);
}

/* Ends the connection at once; a request being served stays answerable (its reply dropped). */
static void conn_close(EsLiveConn *conn)
{
  if (conn->dead)
    return;
  conn->dead = TRUE;
  if (conn->exchange != NULL) {
    conn->exchange->conn = NULL;
    conn->exchange = NULL;
  }
  if (!conn->processing)
    conn_free(conn);
}

static void conn_send(EsLiveConn *conn, const EsHttpMsg *m)
{
  GString *res = g_string_sized_new(160 + m->len);
  es_http_write(res, m);
  bufferevent_write(conn->bev, res->str, res->len);
  g_string_free(res, TRUE);
}

/* Closes once what was written is out (on_write), reading nothing more. */
static void conn_close_after_write(EsLiveConn *conn)
{
  conn->closing = TRUE;
  bufferevent_disable(conn->bev, EV_READ);
  evtimer_del(conn->deadline);
  if (evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0)
    conn_close(conn);
}

/* Answers a request we will not take, then closes. */
static void conn_reject(EsLiveConn *conn, int status)
{
  EsHttpMsg m;
  es_http_reply_rejected(&m, status);
  conn_send(conn, &m);
  conn_close_after_write(conn);
}

/* A connection whose going costs least: idle longest, else the oldest unfinished request;
 * never one whose request is being served or whose last reply is going out. */
static EsLiveConn *stalest(EsLiveServer *srv, EsLiveConn *spare)
{
  EsLiveConn *idle = NULL, *partial = NULL;
  for (GList *l = srv->conns.head; l != NULL; l = l->next) {
    EsLiveConn *c = l->data;
    if (c == spare || c->dead || c->closing || c->exchange != NULL)
      continue;
    EsLiveConn **best = c->in.begun ? &partial : &idle;
    if (*best == NULL || c->since < (*best)->since)
      *best = c;
  }
  return idle != NULL ? idle : partial;
}

/* Counts the body bytes the parser now holds; beyond max_body_memory, the biggest unfinished
 * bodies go (a client sending a real CMP message holds kilobytes for milliseconds). */
static void conn_charge(EsLiveConn *conn)
{
  EsLiveServer *srv = conn->srv;
  gsize now = conn->in.body != NULL ? conn->in.body->len : 0;
  srv->stats.body_memory = srv->stats.body_memory - conn->charged + now;
  conn->charged = now;
  while (srv->stats.body_memory > srv->lim.max_body_memory) {
    EsLiveConn *big = NULL;
    for (GList *l = srv->conns.head; l != NULL; l = l->next) {
      EsLiveConn *c = l->data;
      if (!c->dead && !c->closing && c->exchange == NULL && c->charged > 0
          && (big == NULL || c->charged > big->charged))
        big = c;
    }
    if (big == NULL)
      break;
    srv->stats.over_memory++;
    srv->stats.body_memory -= big->charged;
    big->charged = 0;
    es_http_in_release_body(&big->in);
    conn_reject(big, 503);
  }
  srv->stats.body_memory_peak = MAX(srv->stats.body_memory_peak, srv->stats.body_memory);
  srv->body_high = MAX(srv->body_high, srv->stats.body_memory);
  maybe_release(srv);
}

static void reply_with(EsExchange *x, const EsHttpMsg *m);

/* GET of the page (es_live_set_page): answered here, never an exchange. */
static gboolean conn_page(EsLiveConn *conn, gboolean keep_alive)
{
  EsLive *live = conn->srv->live;
  if (conn->in.parser.method != HTTP_GET || live->page_fn == NULL
      || !es_http_in_target_is(&conn->in, live->page_path))
    return FALSE;
  GString *body = g_string_new(NULL);
  live->page_fn(live->page_arg, body);
  EsHttpMsg m;
  es_http_reply(&m, 200, live->page_type, (const guint8 *)body->str, body->len, keep_alive);
  conn_send(conn, &m);
  g_string_free(body, TRUE);
  if (!keep_alive)
    conn_close_after_write(conn);
  return TRUE;
}

/* Parses what has arrived while no request is being served, and hands a whole request to the
 * RA/CA. Reading stops while it is served, so a client cannot queue more behind it. */
static void conn_process(EsLiveConn *conn)
{
  if (conn->processing || conn->dead)
    return;
  EsLiveServer *srv = conn->srv;
  EsLive *live = srv->live;
  struct evbuffer *input = bufferevent_get_input(conn->bev);
  conn->processing = TRUE;
  while (!conn->dead && !conn->closing && conn->exchange == NULL
         && evbuffer_get_length(input) > 0) {
    struct evbuffer_iovec v;
    if (evbuffer_peek(input, -1, NULL, &v, 1) < 1)
      break;
    gboolean begun = conn->in.begun;
    gsize n = es_http_in_feed(&conn->in, v.iov_base, v.iov_len);
    evbuffer_drain(input, n);
    if (!begun && (conn->in.begun || conn->in.complete)) {
      conn->since = g_get_monotonic_time();
      struct timeval tv = es_live_timeval(srv->lim.request_timeout_s);
      if (!conn->first_deadline)
        evtimer_add(conn->deadline, &tv);
      conn->first_deadline = FALSE;
    }
    conn_charge(conn);
    if (conn->dead || conn->closing)
      break;
    if (conn->in.reject != 0) {
      conn_reject(conn, conn->in.reject);
      break;
    }
    if (!conn->in.complete) {
      if (conn->in.expect_continue) {
        conn->in.expect_continue = FALSE;
        static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";
        bufferevent_write(conn->bev, go_on, sizeof go_on - 1);
      }
      if (n == 0)
        break;
      continue;
    }
    evtimer_del(conn->deadline);
    gboolean keep_alive = http_should_keep_alive(&conn->in.parser);
    EsHttpMsg m;
    if (conn_page(conn, keep_alive)) {
      /* answered */
    } else if (!es_http_request_acceptable(conn->in.parser.method == HTTP_POST, &m, keep_alive)) {
      conn_send(conn, &m);
      if (!keep_alive)
        conn_close_after_write(conn);
    } else {
      EsExchange *x = g_new0(EsExchange, 1);
      x->live = live;
      x->conn = conn;
      x->keep_alive = keep_alive;
      x->link.data = x;
      g_queue_push_tail_link(&live->exchanges, &x->link);
      conn->exchange = x;
      bufferevent_disable(conn->bev, EV_READ);
      if (live->server_fn != NULL) {
        /* The RA/CA copies what it keeps of the body. */
        live->server_fn(live->server_arg, x, es_http_in_content_type(&conn->in),
                        conn->in.body->data, conn->in.body->len);
      } else {
        es_http_reply_no_service(&m, keep_alive);
        reply_with(x, &m);
      }
    }
    if (!conn->dead) {
      es_http_in_release_body(&conn->in);
      conn_charge(conn);
      conn->since = g_get_monotonic_time();
    }
  }
  conn->processing = FALSE;
  if (conn->dead)
    conn_free(conn);
}

static void on_read(struct bufferevent *bev, void *arg)
{
  (void)bev;
  conn_process(arg);
}

static void on_write(struct bufferevent *bev, void *arg)
{
  EsLiveConn *conn = arg;
  (void)bev;
  if (conn->closing)
    conn_close(conn);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
  EsLiveConn *conn = arg;
  if (what & BEV_EVENT_CONNECTED) {
    /* A TLS handshake completed. */
    conn->tls_up = TRUE;
    conn->srv->stats.tls_handshakes++;
    if (es_live_tls_session_reused(bev))
      conn->srv->stats.tls_resumed++;
    return;
  }
  if (conn->tls && !conn->tls_up && (what & BEV_EVENT_ERROR) && es_live_tls_got_plain_http(bev)) {
    /* Said in plain HTTP, as a plain HTTP client can read it, then the connection closes. */
    static const char plain[] = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                                "Content-Length: 37\r\nConnection: close\r\n\r\n"
                                "This server speaks HTTPS, not HTTP.\r\n";
    ssize_t w = send(bufferevent_getfd(bev), plain, sizeof plain - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w;
  }
  /* A client that closed its side after its request still gets the reply on its way. */
  if ((what & BEV_EVENT_EOF) && !(what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
      && evbuffer_get_length(bufferevent_get_output(conn->bev)) > 0) {
    conn_close_after_write(conn);
    return;
  }
  /* Else EOF, an error or the idle timeout (reading or writing): the connection ends,
   * unanswered when a request was cut off. */
  conn_close(conn);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
  EsLiveConn *conn = arg;
  (void)fd, (void)what;
  if (conn->dead || conn->closing || conn->exchange != NULL)
    return;
  if (conn->tls && !conn->tls_up) {
    conn_close(conn); /* no channel to say 408 on yet */
    return;
  }
  conn->srv->stats.timed_out++;
  es_http_in_release_body(&conn->in);
  conn_charge(conn);
  conn_reject(conn, 408);
}

/* ---- accepting -------------------------------------------------------------------------- */

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
  EsLiveServer *srv = arg;
  (void)listener, (void)sa, (void)socklen;
  if (srv->stats.open >= srv->lim.max_connections) {
    EsLiveConn *victim = stalest(srv, NULL);
    if (victim == NULL) {
      /* Every connection has a request being served: this one waits for nothing (told so
       * in plain HTTP, unless a TLS client expects a handshake). */
      static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                 "Retry-After: 1\r\nConnection: close\r\n\r\n";
      if (srv->live->server_tls == NULL) {
        ssize_t w = send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)w;
      }
      evutil_closesocket(fd);
      srv->stats.refused++;
      return;
    }
    srv->stats.evicted++;
    conn_close(victim);
  }
  EsLiveConn *conn = g_new0(EsLiveConn, 1);
  conn->srv = srv;
  conn->tls = srv->live->server_tls != NULL;
  conn->bev = conn->tls ? es_live_tls_bufferevent_new(srv->live->server_tls, srv->live->base, fd)
                        : bufferevent_socket_new(srv->live->base, fd, BEV_OPT_CLOSE_ON_FREE);
  conn->deadline = evtimer_new(srv->live->base, on_deadline, conn);
  if (conn->bev == NULL || conn->deadline == NULL) {
    if (conn->bev == NULL)
      evutil_closesocket(fd);
    else
      bufferevent_free(conn->bev);
    if (conn->deadline != NULL)
      event_free(conn->deadline);
    g_free(conn);
    return;
  }
  es_http_in_init(&conn->in, HTTP_REQUEST);
  es_http_in_set_limits(&conn->in, srv->lim.max_body, srv->lim.max_headers);
  conn->since = g_get_monotonic_time();
  conn->link.data = conn;
  g_queue_push_tail_link(&srv->conns, &conn->link);
  srv->stats.accepted++;
  srv->stats.open++;
  srv->stats.open_peak = MAX(srv->stats.open_peak, srv->stats.open);
  struct timeval idle = es_live_timeval(srv->lim.idle_timeout_s);
  bufferevent_set_timeouts(conn->bev, &idle, &idle);
  bufferevent_setcb(conn->bev, on_read, on_write, on_event, conn);
  bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
  if (conn->tls) {
    conn->first_deadline = TRUE;
    struct timeval tv = es_live_timeval(srv->lim.request_timeout_s);
    evtimer_add(conn->deadline, &tv);
  }
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
  EsLiveServer *srv = arg;
  (void)fd, (void)what;
  evconnlistener_enable(srv->listener);
}

/* accept() failed for a reason other than a client that left: out of descriptors (EMFILE,
 * ENFILE) or memory. The pending connection stays queued, so retrying at once would spin:
 * make room by closing the stalest connection, or else pause accepting for a while. */
static void on_accept_error(struct evconnlistener *listener, void *arg)
{
  EsLiveServer *srv = arg;
  int err = EVUTIL_SOCKET_ERROR();
  gint64 now = g_get_monotonic_time();
  if (srv->shortage_last == 0 || now - srv->shortage_last > SHORTAGE_EPISODE_GAP_US) {
    srv->stats.shortages++;
    g_printerr("live server: accept: %s (%u connections open): closing the stalest connections "
               "to make room, else not accepting for %.2f s at a time (said once until it has "
               "not happened for %d s)\n",
               evutil_socket_error_to_string(err), srv->stats.open, ACCEPT_PAUSE_S,
               (int)(SHORTAGE_EPISODE_GAP_US / G_USEC_PER_SEC));
  }
  srv->shortage_last = now;
  EsLiveConn *victim = stalest(srv, NULL);
  if (victim != NULL) {
    srv->stats.evicted++;
    conn_close(victim);
    return;
  }
  srv->stats.accept_pauses++;
  evconnlistener_disable(listener);
  struct timeval tv = es_live_timeval(ACCEPT_PAUSE_S);
  evtimer_add(srv->resume, &tv);
}

/* ---- replies ---------------------------------------------------------------------------- */

static void exchange_free(EsExchange *x)
{
  g_queue_unlink(&x->live->exchanges, &x->link);
  g_free(x);
}

static void reply_with(EsExchange *x, const EsHttpMsg *m)
{
  EsLiveConn *conn = x->conn;
  gboolean keep_alive = x->keep_alive;
  exchange_free(x);
  if (conn == NULL)
    return;
  conn->exchange = NULL;
  conn_send(conn, m);
  if (!keep_alive) {
    conn_close_after_write(conn);
    return;
  }
  conn->since = g_get_monotonic_time();
  bufferevent_enable(conn->bev, EV_READ);
  conn_process(conn); /* a request that came meanwhile (a no-op when already inside) */
}

void es_live_reply(EsEngine *engine, EsExchange *x, int http_status, const char *content_type,
                   const guint8 *body, gsize len)
{
  (void)engine;
  g_return_if_fail(x != NULL);
  EsHttpMsg m;
  es_http_reply(&m, http_status, content_type, body, len, x->keep_alive);
  reply_with(x, &m);
}

void es_live_reply_unavailable(EsEngine *engine, EsExchange *x, guint retry_after_s)
{
  (void)engine;
  g_return_if_fail(x != NULL);
  EsHttpMsg m;
  es_http_reply_busy(&m, retry_after_s, x->keep_alive);
  reply_with(x, &m);
}

/* No answer: the connection closes at once (freed after conn_process when inside it). */
void es_live_drop(EsEngine *engine, EsExchange *x)
{
  (void)engine;
  g_return_if_fail(x != NULL);
  EsLiveConn *conn = x->conn;
  exchange_free(x);
  if (conn == NULL)
    return;
  conn->exchange = NULL;
  conn_close(conn);
}

/* ---- set-up ----------------------------------------------------------------------------- */

void es_live_server_set(EsEngine *engine, guint raca, EsRequestFn fn, void *arg)
{
  EsLive *live = (EsLive *)engine;
  g_return_if_fail(raca == 0);
  live->server_fn = fn;
  live->server_arg = arg;
}

void es_live_set_page(EsLive *live, const char *path, const char *content_type,
                      EsLivePageFn fn, void *arg)
{
  g_free(live->page_path);
  g_free(live->page_type);
  live->page_path = fn != NULL ? g_strdup(path) : NULL;
  live->page_type = fn != NULL ? g_strdup(content_type) : NULL;
  live->page_fn = fn;
  live->page_arg = arg;
}

/* The default cap: what the descriptor limit leaves after the process's own files. */
static guint default_max_connections(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return DEFAULT_MAX_CONNECTIONS;
  if (rl.rlim_cur <= RESERVED_FDS + 16)
    return 16;
  return (guint)MIN((rlim_t)DEFAULT_MAX_CONNECTIONS, rl.rlim_cur - RESERVED_FDS);
}

gboolean es_live_listen(EsLive *live, const char *host_port, const EsLiveLimits *limits,
                        GError **error)
{
  g_return_val_if_fail(live->server == NULL, FALSE);
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
  if (!(lim.request_timeout_s > 0))
    lim.request_timeout_s = DEFAULT_REQUEST_TIMEOUT_S;
  if (lim.max_connections == 0)
    lim.max_connections = default_max_connections();
  if (lim.max_body_memory == 0)
    lim.max_body_memory = DEFAULT_BODY_MEMORY_FACTOR * lim.max_body;
  lim.max_body_memory = MAX(lim.max_body_memory, lim.max_body);

  struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                  .ai_protocol = IPPROTO_TCP,
                                  .ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_ADDRCONFIG};
  struct evutil_addrinfo *ai = NULL;
  char service[8];
  g_snprintf(service, sizeof service, "%u", port);
  int gai = evutil_getaddrinfo(host, service, &hints, &ai);
  g_free(host);
  if (gai != 0) {
    g_set_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_LISTEN, "cannot listen on %s: %s",
                host_port, evutil_gai_strerror(gai));
    return FALSE;
  }
  EsLiveServer *srv = g_new0(EsLiveServer, 1);
  srv->live = live;
  srv->lim = lim;
  /* A backlog beyond the default 128: clients arriving in a burst wait in the kernel rather
   * than see their SYNs dropped. */
  srv->listener = evconnlistener_new_bind(live->base, on_accept, srv,
                                          LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE
                                              | LEV_OPT_CLOSE_ON_EXEC,
                                          1024, ai->ai_addr, (int)ai->ai_addrlen);
  int err = errno;
  evutil_freeaddrinfo(ai);
  if (srv->listener == NULL) {
    g_set_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_LISTEN, "cannot listen on %s: %s",
                host_port, err != 0 ? g_strerror(err) : "failed");
    g_free(srv);
    return FALSE;
  }
  evconnlistener_set_error_cb(srv->listener, on_accept_error);
  srv->resume = evtimer_new(live->base, on_resume, srv);
  srv->release = evtimer_new(live->base, on_release, srv);
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  evutil_socket_t fd = evconnlistener_get_fd(srv->listener);
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
    live->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
  live->server = srv;
  return TRUE;
}

void es_live_get_server_stats(const EsLive *live, EsLiveLimits *limits, EsLiveServerStats *stats)
{
  const EsLiveServer *srv = live->server;
  if (limits != NULL)
    *limits = srv != NULL ? srv->lim : (EsLiveLimits){0};
  if (stats != NULL)
    *stats = srv != NULL ? srv->stats : (EsLiveServerStats){0};
}

void es_live_server_free(EsLive *live)
{
  EsLiveServer *srv = live->server;
  if (srv != NULL) {
    while (!g_queue_is_empty(&srv->conns)) {
      EsLiveConn *conn = srv->conns.head->data;
      conn->processing = FALSE;
      if (conn->dead)
        conn_free(conn);
      else
        conn_close(conn);
    }
    evconnlistener_free(srv->listener);
    event_free(srv->resume);
    event_free(srv->release);
    g_free(srv);
    live->server = NULL;
  }
  /* Exchanges whose connections went: the RA/CA is gone, nobody will answer them. */
  while (!g_queue_is_empty(&live->exchanges))
    exchange_free(live->exchanges.head->data);
}

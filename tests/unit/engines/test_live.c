/* The live engine on loopback: timers, channels, replies to clients that left, hostile clients
 * (raw clients run in a thread). eNBs over real sockets: test_live_enb.c. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <openssl/x509v3.h>

#include "nodes/es_enb.h"
#include "engines/es_live.h"
#include "pki/es_pki.h"
#include "nodes/es_raca.h"
#include "tests/unit/engines/live_util.h"

/* A blocking client in a thread: sends `request` (optionally closing its sending side or the
 * whole socket right after), reads until the server closes or `read_timeout_s` passes. */
typedef struct {
  guint16 port;
  GBytes *request;
  gboolean close_after_send;  /* go away without reading */
  double read_timeout_s;
  GString *response;
  gboolean server_closed;     /* read returned 0 */
  double elapsed_s;
  gint done;
} RawClient;

static gpointer raw_client_thread(gpointer arg)
{
  RawClient *rc = arg;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(rc->port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  gint64 t0 = g_get_monotonic_time();
  g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
  gsize len = 0;
  const char *data = rc->request != NULL ? g_bytes_get_data(rc->request, &len) : NULL;
  for (gsize off = 0; off < len;) {
    ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
    if (n <= 0)
      break; /* the server may refuse early and close */
    off += (gsize)n;
  }
  if (!rc->close_after_send) {
    struct timeval tv = {(time_t)rc->read_timeout_s,
                         (suseconds_t)((rc->read_timeout_s - (time_t)rc->read_timeout_s) * 1e6)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n == 0)
        rc->server_closed = TRUE;
      if (n <= 0)
        break;
      g_string_append_len(rc->response, buf, n);
    }
  }
  close(fd);
  rc->elapsed_s = (g_get_monotonic_time() - t0) / 1e6;
  g_atomic_int_set(&rc->done, 1);
  return NULL;
}

static gboolean raw_done(void *arg) { return g_atomic_int_get(&((RawClient *)arg)->done) != 0; }

/* Sends `request` to the live server and runs the loop until the client is done. */
static RawClient *raw_exchange(EsLive *live, const void *request, gsize len, double read_timeout_s,
                               gboolean close_after_send)
{
  RawClient *rc = g_new0(RawClient, 1);
  rc->port = es_live_get_port(live);
  rc->request = g_bytes_new(request, len);
  rc->read_timeout_s = read_timeout_s;
  rc->close_after_send = close_after_send;
  rc->response = g_string_new(NULL);
  GThread *t = g_thread_new("raw-client", raw_client_thread, rc);
  es_test_run_until(live, raw_done, rc, read_timeout_s + 10);
  g_thread_join(t);
  return rc;
}

static void raw_free(RawClient *rc)
{
  g_bytes_unref(rc->request);
  g_string_free(rc->response, TRUE);
  g_free(rc);
}

/* The status code of the first response in a raw reply; 0 when there is none. */
static int status_of(const RawClient *rc)
{
  int major, minor, code;
  if (sscanf(rc->response->str, "HTTP/%d.%d %d", &major, &minor, &code) == 3)
    return code;
  return 0;
}

static char *http_post(const char *content_type, gsize content_length, const char *body)
{
  return g_strdup_printf("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
                         "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n%s",
                         content_type, content_length, body);
}

/* ---- timers ------------------------------------------------------------------------------- */

typedef struct {
  EsLive *live;
  GString *order;
  guint64 self;
  guint64 victim;
} TimerLog;

static void log_a(void *arg) { g_string_append_c(((TimerLog *)arg)->order, 'a'); }
static void log_b(void *arg) { g_string_append_c(((TimerLog *)arg)->order, 'b'); }
static void log_c(void *arg) { g_string_append_c(((TimerLog *)arg)->order, 'c'); }
static void log_self_cancel(void *arg)
{
  TimerLog *l = arg;
  g_string_append_c(l->order, 's');
  es_engine_timer_cancel(es_live_get0_engine(l->live), l->self);   /* harmless: fired */
  es_engine_timer_cancel(es_live_get0_engine(l->live), l->victim); /* still pending */
}

static void test_timers(void)
{
  EsLive *live = es_test_live_new();
  EsEngine *e = es_live_get0_engine(live);
  double fraction;
  gint64 epoch = es_live_get_epoch(live, &fraction);
  g_assert_cmpfloat(fraction, >=, 0);
  g_assert_cmpfloat(fraction, <, 1);
  /* epoch + now is the wall clock. */
  double wall = g_get_real_time() / 1e6;
  g_assert_cmpfloat(ABS(epoch + fraction + es_engine_now(e) - wall), <, 0.05);

  TimerLog l = {live, g_string_new(NULL), 0, 0};
  es_engine_timer_add(e, 0.03, log_c, &l);
  es_engine_timer_add(e, 0.01, log_a, &l);
  l.self = es_engine_timer_add(e, 0.015, log_self_cancel, &l);
  l.victim = es_engine_timer_add(e, 0.02, log_b, &l);
  guint64 cancelled = es_engine_timer_add(e, 0.005, log_b, &l);
  es_engine_timer_cancel(e, cancelled);
  es_engine_timer_cancel(e, cancelled);
  double t0 = es_engine_now(e);
  es_test_run_for(live, 0.1);
  g_assert_cmpstr(l.order->str, ==, "asc");
  g_assert_cmpfloat(es_engine_now(e) - t0, >=, 0.09);
  g_string_free(l.order, TRUE);
  es_live_free(live);
}

/* ---- channels against the engine's own server ------------------------------------------- */

typedef struct {
  EsLive *live;
  EsExchange *held;          /* answered later */
  double delay_s;            /* > 0: reply after this long; < 0: never */
  guint requests;
  char *last_content_type;
  GByteArray *last_body;
} Server;

static void server_reply_held(void *arg)
{
  Server *s = arg;
  EsExchange *x = g_steal_pointer(&s->held);
  static const char ok[] = "late";
  es_engine_reply(es_live_get0_engine(s->live), x, 200, "application/pkixcmp",
                  (const guint8 *)ok, sizeof ok - 1);
}

static gboolean server_holds(void *arg) { return ((Server *)arg)->held != NULL; }
static gboolean server_free_of(void *arg) { return ((Server *)arg)->held == NULL; }

static void on_echo(void *arg, EsExchange *x, const char *content_type, const guint8 *body,
                    gsize len)
{
  Server *s = arg;
  s->requests++;
  g_free(s->last_content_type);
  s->last_content_type = g_strdup(content_type);
  g_byte_array_set_size(s->last_body, 0);
  g_byte_array_append(s->last_body, body, (guint)len);
  if (s->delay_s == 0) {
    es_engine_reply(es_live_get0_engine(s->live), x, 200, "application/pkixcmp", body, len);
    return;
  }
  g_assert_null(s->held);
  s->held = x;
  if (s->delay_s > 0)
    es_engine_timer_add(es_live_get0_engine(s->live), s->delay_s, server_reply_held, s);
}

typedef struct {
  guint calls;
  int status;
  char *error;
  char *content_type;
  GByteArray *body;
  gboolean in_post;
  gboolean called_in_post;
} Client;

static void on_client_response(void *arg, const EsResponse *r)
{
  Client *c = arg;
  c->calls++;
  c->called_in_post |= c->in_post;
  c->status = r->http_status;
  g_free(c->error);
  c->error = g_strdup(r->error);
  g_free(c->content_type);
  c->content_type = g_strdup(r->content_type);
  g_byte_array_set_size(c->body, 0);
  if (r->len > 0)
    g_byte_array_append(c->body, r->body, (guint)r->len);
}

static gboolean client_answered(void *arg) { return ((Client *)arg)->calls > 0; }

static void post(EsLive *live, EsChannel *ch, Client *c, const char *text)
{
  c->calls = 0;
  c->in_post = TRUE;
  es_channel_post(ch, es_live_get0_engine(live), "application/pkixcmp", (const guint8 *)text,
                  strlen(text), on_client_response, c);
  c->in_post = FALSE;
}

static void client_clear(Client *c)
{
  g_free(c->error);
  g_free(c->content_type);
  g_byte_array_unref(c->body);
}

static void server_clear(Server *s)
{
  g_free(s->last_content_type);
  g_byte_array_unref(s->last_body);
}

static void test_channel_echo(void)
{
  EsLive *live = es_test_live_new();
  EsEngine *e = es_live_get0_engine(live);
  Server s = {.live = live, .last_body = g_byte_array_new()};
  es_engine_server_set(e, 0, on_echo, &s);
  char *target = es_test_listen_any(live, NULL);
  GError *error = NULL;
  g_assert_true(es_live_set_target(live, target, "/cmp/enrol", &error));

  Client c = {.body = g_byte_array_new()};
  EsChannel *ch = es_engine_channel_open(e, 1);
  post(live, ch, &c, "hello");
  es_test_run_until(live, client_answered, &c, 5);
  g_assert_false(c.called_in_post);
  g_assert_null(c.error);
  g_assert_cmpint(c.status, ==, 200);
  g_assert_cmpstr(c.content_type, ==, "application/pkixcmp");
  g_assert_cmpmem(c.body->data, c.body->len, "hello", 5);
  g_assert_cmpstr(s.last_content_type, ==, "application/pkixcmp");

  /* Kept alive: the next post on the channel, answered later. */
  s.delay_s = 0.05;
  post(live, ch, &c, "again");
  es_test_run_until(live, client_answered, &c, 5);
  g_assert_cmpint(c.status, ==, 200);
  g_assert_cmpmem(c.body->data, c.body->len, "late", 4);
  g_assert_cmpuint(s.requests, ==, 2);
  es_channel_close(ch, e);

  g_free(target);
  client_clear(&c);
  server_clear(&s);
  es_live_free(live);
}

static void test_channel_refused(void)
{
  EsLive *live = es_test_live_new();
  EsEngine *e = es_live_get0_engine(live);
  /* A port that was free a moment ago: listen, note it, stop listening. */
  EsLive *probe = es_test_live_new();
  char *target = es_test_listen_any(probe, NULL);
  es_live_free(probe);
  GError *error = NULL;
  g_assert_true(es_live_set_target(live, target, NULL, &error));
  Client c = {.body = g_byte_array_new()};
  EsChannel *ch = es_engine_channel_open(e, 1);
  post(live, ch, &c, "x");
  es_test_run_until(live, client_answered, &c, 5);
  /* Never from inside the post: the caller's frame is gone first. */
  g_assert_false(c.called_in_post);
  g_assert_cmpuint(c.calls, ==, 1);
  g_assert_nonnull(c.error);
  g_assert_cmpint(c.status, ==, 0);
  es_channel_close(ch, e);
  g_free(target);
  client_clear(&c);
  es_live_free(live);
}

static void test_close_in_flight(void)
{
  EsLive *live = es_test_live_new();
  EsEngine *e = es_live_get0_engine(live);
  Server s = {.live = live, .last_body = g_byte_array_new(), .delay_s = 0.05};
  es_engine_server_set(e, 0, on_echo, &s);
  char *target = es_test_listen_any(live, NULL);
  g_assert_true(es_live_set_target(live, target, NULL, NULL));
  Client c = {.body = g_byte_array_new()};
  EsChannel *ch = es_engine_channel_open(e, 1);
  post(live, ch, &c, "abandoned");
  es_test_run_until(live, server_holds, &s, 5); /* the request reached the server, which holds it */
  g_assert_cmpuint(s.requests, ==, 1);
  es_channel_close(ch, e);
  es_test_run_until(live, server_free_of, &s, 5); /* its late reply goes to a closed connection */
  es_test_run_for(live, 0.05);
  g_assert_cmpuint(c.calls, ==, 0);

  /* The server still serves. */
  s.delay_s = 0;
  ch = es_engine_channel_open(e, 2);
  post(live, ch, &c, "next");
  es_test_run_until(live, client_answered, &c, 5);
  g_assert_cmpint(c.status, ==, 200);
  es_channel_close(ch, e);
  g_free(target);
  client_clear(&c);
  server_clear(&s);
  es_live_free(live);
}

/* A client sends a whole request and leaves; the reply comes after it left. */
static void test_reply_after_client_left(void)
{
  EsLive *live = es_test_live_new();
  EsEngine *e = es_live_get0_engine(live);
  Server s = {.live = live, .last_body = g_byte_array_new(), .delay_s = -1};
  es_engine_server_set(e, 0, on_echo, &s);
  char *target = es_test_listen_any(live, NULL);
  char *req = http_post("application/pkixcmp", 4, "gone");
  RawClient *rc = raw_exchange(live, req, strlen(req), 1, TRUE);
  es_test_run_until(live, server_holds, &s, 5);
  server_reply_held(&s);
  es_test_run_for(live, 0.1);
  raw_free(rc);

  /* Answered at once, racing the client's close. */
  s.delay_s = 0;
  rc = raw_exchange(live, req, strlen(req), 1, TRUE);
  es_test_run_for(live, 0.05);
  raw_free(rc);

  s.delay_s = 0;
  g_assert_true(es_live_set_target(live, target, NULL, NULL));
  Client c = {.body = g_byte_array_new()};
  EsChannel *ch = es_engine_channel_open(e, 1);
  post(live, ch, &c, "still here");
  es_test_run_until(live, client_answered, &c, 5);
  g_assert_cmpint(c.status, ==, 200);
  es_channel_close(ch, e);

  /* Shut down with a request still unanswered: dropped, nothing leaks. */
  s.delay_s = -1;
  rc = raw_exchange(live, req, strlen(req), 0.2, FALSE);
  es_test_run_until(live, server_holds, &s, 5);
  raw_free(rc);
  g_free(req);
  g_free(target);
  client_clear(&c);
  server_clear(&s);
  es_live_free(live);
}

/* A scripted HTTP server in a thread, for three connections: on the first it answers one
 * request and drops the connection when the second arrives, unanswered (a server whose idle
 * timeout fired just as the client reused the connection); on the second it answers; on the
 * third it drops the first request unanswered. */
typedef struct {
  int listener;
  guint16 port;
  guint connections;
  guint requests;
  GPtrArray *bodies;   /* GBytes per request */
} Scripted;

/* Reads one request (headers and Content-Length body); FALSE when the peer closed. */
static gboolean read_request(int fd, GBytes **body)
{
  GString *in = g_string_new(NULL);
  char buf[4096];
  gsize need = 0;
  char *end = NULL;
  for (;;) {
    if (end == NULL && (end = strstr(in->str, "\r\n\r\n")) != NULL) {
      const char *cl = g_strstr_len(in->str, end - in->str, "Content-Length: ");
      need = (gsize)(end - in->str) + 4 + (cl != NULL ? strtoul(cl + 16, NULL, 10) : 0);
    }
    if (end != NULL && in->len >= need)
      break;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      g_string_free(in, TRUE);
      return FALSE;
    }
    g_string_append_len(in, buf, n);
    end = NULL;
  }
  gsize head = (gsize)(strstr(in->str, "\r\n\r\n") - in->str) + 4;
  *body = g_bytes_new(in->str + head, need - head);
  g_string_free(in, TRUE);
  return TRUE;
}

static gpointer scripted_thread(gpointer arg)
{
  Scripted *sc = arg;
  while (sc->connections < 3) {
    int fd = accept(sc->listener, NULL, NULL);
    if (fd < 0)
      break;
    sc->connections++;
    GBytes *body;
    guint on_this = 0;
    while (read_request(fd, &body)) {
      g_ptr_array_add(sc->bodies, body);
      sc->requests++;
      on_this++;
      if ((sc->connections == 1 && on_this == 2) || sc->connections == 3)
        break; /* dropped unanswered */
      static const char rsp[] = "HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\n"
                                "Content-Length: 2\r\n\r\nok";
      send(fd, rsp, sizeof rsp - 1, MSG_NOSIGNAL);
    }
    close(fd);
  }
  return NULL;
}

static void test_channel_resend_on_reused_connection(void)
{
  Scripted sc = {.bodies = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref)};
  sc.listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof sa;
  g_assert_cmpint(bind(sc.listener, (struct sockaddr *)&sa, sizeof sa), ==, 0);
  g_assert_cmpint(listen(sc.listener, 8), ==, 0);
  getsockname(sc.listener, (struct sockaddr *)&sa, &sl);
  sc.port = ntohs(sa.sin_port);
  GThread *t = g_thread_new("scripted", scripted_thread, &sc);

  EsLive *live = es_test_live_new();
  EsEngine *e = es_live_get0_engine(live);
  char *target = g_strdup_printf("127.0.0.1:%u", sc.port);
  g_assert_true(es_live_set_target(live, target, NULL, NULL));
  Client c = {.body = g_byte_array_new()};
  EsChannel *ch = es_engine_channel_open(e, 1);
  post(live, ch, &c, "first");
  es_test_run_until(live, client_answered, &c, 5);
  g_assert_cmpint(c.status, ==, 200);
  post(live, ch, &c, "second");
  es_test_run_until(live, client_answered, &c, 5);
  /* Answered once, on a second connection, with the same bytes sent twice. */
  g_assert_cmpuint(c.calls, ==, 1);
  g_assert_null(c.error);
  g_assert_cmpint(c.status, ==, 200);
  g_assert_cmpuint(sc.connections, ==, 2);
  g_assert_cmpuint(sc.requests, ==, 3);
  g_assert_true(g_bytes_equal(g_ptr_array_index(sc.bodies, 1), g_ptr_array_index(sc.bodies, 2)));
  es_channel_close(ch, e);

  /* A fresh connection dropped before any answer is a failure, not resent. */
  ch = es_engine_channel_open(e, 2);
  post(live, ch, &c, "third");
  es_test_run_until(live, client_answered, &c, 5);
  g_assert_cmpuint(c.calls, ==, 1);
  g_assert_cmpstr(c.error, ==, "connection closed");
  es_channel_close(ch, e);
  g_thread_join(t);
  g_assert_cmpuint(sc.connections, ==, 3);
  g_assert_cmpuint(sc.requests, ==, 4);
  close(sc.listener);
  g_free(target);
  client_clear(&c);
  g_ptr_array_unref(sc.bodies);
  es_live_free(live);
}

/* ---- the RA/CA and eNBs over real sockets ---------------------------------------------- */

/* An eNB whose RA/CA does not answer in time: the message timeout fires and closes the
 * channel with the request in flight. */
static void test_enb_timeout(void)
{
  EsLive *live = es_test_live_new();
  EsEngine *e = es_live_get0_engine(live);
  Server s = {.live = live, .last_body = g_byte_array_new(), .delay_s = -1};
  es_engine_server_set(e, 0, on_echo, &s);
  char *target = es_test_listen_any(live, NULL);
  g_assert_true(es_live_set_target(live, target, NULL, NULL));
  GError *error = NULL;
  double fraction;
  gint64 epoch = es_live_get_epoch(live, &fraction);
  EsPki *pki = es_pki_generate(ES_KEY_P256, epoch - 60, &error);
  g_assert_no_error(error);
  EsEnbConfig ec = {.new_key = ES_KEY_P256, .msg_timeout_s = 0.2, .epoch = epoch,
                    .epoch_fraction = fraction};
  World w = {.live = live};
  EsEnb *enb = es_enb_new(1, &ec, pki, e);
  es_enb_set_event_cb(enb, es_test_on_enb_event, &w);
  es_enb_start(enb);
  DoneCount d = {&w, 1};
  es_test_run_until(live, es_test_enough_done, &d, 10);
  g_assert_cmpstr(w.last_outcome, ==, "timeout");
  g_assert_nonnull(s.held);
  server_reply_held(&s); /* to a client that gave up */
  es_test_run_for(live, 0.05);
  es_enb_free(enb);
  es_pki_free(pki);
  g_free(w.last_outcome);
  g_free(target);
  server_clear(&s);
  es_live_free(live);
}

static void test_hostile(void)
{
  World w;
  /* The idle timeout leaves room for valgrind's slowness (client and server share a loop). */
  EsLiveLimits limits = {.max_body = 64 * 1024, .max_headers = 4096, .idle_timeout_s = 1};
  es_test_world_setup(&w, &limits);

  static const char garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n";
  RawClient *rc = raw_exchange(w.live, garbage, sizeof garbage - 1, 2, FALSE);
  g_assert_cmpint(status_of(rc), ==, 400);
  raw_free(rc);

  char *wrong_type = http_post("text/plain", 5, "hello");
  rc = raw_exchange(w.live, wrong_type, strlen(wrong_type), 2, FALSE);
  g_assert_cmpint(status_of(rc), ==, 415);
  g_free(wrong_type);
  raw_free(rc);

  char *not_cmp = http_post("application/pkixcmp", 5, "hello");
  rc = raw_exchange(w.live, not_cmp, strlen(not_cmp), 2, FALSE);
  g_assert_cmpint(status_of(rc), ==, 400);
  g_free(not_cmp);
  raw_free(rc);

  static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  rc = raw_exchange(w.live, get, sizeof get - 1, 2, FALSE);
  g_assert_cmpint(status_of(rc), ==, 405);
  raw_free(rc);

  /* Announced too big: refused before the body is read. */
  char *huge = http_post("application/pkixcmp", 2u << 20, "");
  rc = raw_exchange(w.live, huge, strlen(huge), 2, FALSE);
  g_assert_cmpint(status_of(rc), ==, 413);
  g_free(huge);
  raw_free(rc);

  /* Sent too big without saying so (chunked). */
  GString *chunked = g_string_new("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmp\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 80; i++) {
    g_string_append(chunked, "400\r\n");
    for (int k = 0; k < 1024; k++)
      g_string_append_c(chunked, 'A');
    g_string_append(chunked, "\r\n");
  }
  rc = raw_exchange(w.live, chunked->str, chunked->len, 2, FALSE);
  g_assert_cmpint(status_of(rc), ==, 413);
  g_string_free(chunked, TRUE);
  raw_free(rc);

  /* Headers beyond the limit. */
  GString *fat = g_string_new("POST / HTTP/1.1\r\nHost: x\r\n");
  for (int i = 0; i < 200; i++)
    g_string_append_printf(fat, "X-Filler-%d: 0123456789012345678901234567890123456789\r\n", i);
  g_string_append(fat, "Content-Length: 0\r\n\r\n");
  rc = raw_exchange(w.live, fat->str, fat->len, 2, FALSE);
  g_assert_cmpint(status_of(rc) / 100, ==, 4);
  g_string_free(fat, TRUE);
  raw_free(rc);

  /* Truncated: promises 1000 bytes, sends 10, waits: the idle timeout closes it unanswered. */
  char *truncated = http_post("application/pkixcmp", 1000, "0123456789");
  rc = raw_exchange(w.live, truncated, strlen(truncated), 5, FALSE);
  g_assert_true(rc->server_closed);
  g_assert_cmpuint(rc->response->len, ==, 0);
  g_assert_cmpfloat(rc->elapsed_s, <, 4);
  raw_free(rc);
  /* ...and one that leaves after the 10 bytes. */
  rc = raw_exchange(w.live, truncated, strlen(truncated), 1, TRUE);
  raw_free(rc);
  g_free(truncated);

  /* Connects and says nothing: closed after the idle timeout. */
  rc = raw_exchange(w.live, "", 0, 5, FALSE);
  g_assert_true(rc->server_closed);
  g_assert_cmpfloat(rc->elapsed_s, >=, 0.9);
  g_assert_cmpfloat(rc->elapsed_s, <, 4);
  raw_free(rc);

  /* Through all that, the RA/CA issued nothing and still enrols a normal client. */
  EsRacaStats st;
  es_raca_get_stats(w.raca, &st);
  g_assert_cmpuint(st.issued, ==, 0);
  EsEnb *enb = es_enb_new(1, &w.ec, w.pki, es_live_get0_engine(w.live));
  es_enb_set_event_cb(enb, es_test_on_enb_event, &w);
  es_enb_start(enb);
  es_test_run_enbs(&w, 1);
  g_assert_cmpstr(w.last_outcome, ==, "enrolled");
  es_enb_free(enb);
  es_test_world_clear(&w);
}

/* ---- the server's bounds ----------------------------------------------------------------- */

/* A client socket of the main thread (the kernel completes the connection while the loop is
 * not running), its sends and reads non-blocking between runs of the loop. */
static int bounded_connect(guint16 port)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
  return fd;
}

static void bounded_send(int fd, const char *data, gsize len)
{
  g_assert_cmpint(send(fd, data, len, MSG_NOSIGNAL), ==, (ssize_t)len);
}

/* What the server sent so far; *closed when it closed the connection. */
static char *bounded_read(int fd, gboolean *closed)
{
  GString *out = g_string_new(NULL);
  char buf[4096];
  *closed = FALSE;
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0)
      *closed = TRUE;
    if (n <= 0)
      break;
    g_string_append_len(out, buf, n);
  }
  return g_string_free(out, FALSE);
}

/* Runs the loop until the server has sent a response's head, or closed, or 10 s passed. */
static char *await_answer(EsLive *live, int fd, gboolean *closed)
{
  GString *out = g_string_new(NULL);
  *closed = FALSE;
  for (int i = 0; i < 200 && !*closed && strstr(out->str, "\r\n\r\n") == NULL; i++) {
    es_test_run_for(live, 0.05);
    g_autofree char *got = bounded_read(fd, closed);
    g_string_append(out, got);
  }
  return g_string_free(out, FALSE);
}

typedef struct {
  EsLive *live;
  guint64 accepted;
  gsize body_memory;
  guint64 over_memory;
} Accepted;

static gboolean accepted_enough(void *arg)
{
  Accepted *a = arg;
  EsLiveServerStats st;
  es_live_get_server_stats(a->live, NULL, &st);
  return st.accepted >= a->accepted && st.body_memory >= a->body_memory
         && st.over_memory >= a->over_memory;
}

static void test_bounds(void)
{
  EsLive *live = es_test_live_new();
  Server s = {.live = live, .last_body = g_byte_array_new(), .delay_s = 0};
  es_engine_server_set(es_live_get0_engine(live), 0, on_echo, &s);
  EsLiveLimits limits = {.max_body = 64 * 1024, .idle_timeout_s = 20, .request_timeout_s = 0.6,
                         .max_connections = 4, .max_body_memory = 100 * 1024};
  g_free(es_test_listen_any(live, &limits));
  guint16 port = es_live_get_port(live);
  EsLiveServerStats st;
  Accepted a = {.live = live};
  gboolean closed;

  /* Four connections; the fifth closes the one idle longest and is served. */
  int idle[4];
  for (int i = 0; i < 4; i++) {
    idle[i] = bounded_connect(port);
    a.accepted++;
    es_test_run_until(live, accepted_enough, &a, 5);
  }
  g_autofree char *req = http_post("application/pkixcmp", 5, "hello");
  int fifth = bounded_connect(port);
  bounded_send(fifth, req, strlen(req));
  a.accepted++;
  es_test_run_until(live, accepted_enough, &a, 5);
  g_autofree char *first = await_answer(live, idle[0], &closed);
  g_assert_true(closed);
  g_autofree char *answer = await_answer(live, fifth, &closed);
  g_assert_true(g_str_has_prefix(answer, "HTTP/1.1 200 "));
  es_live_get_server_stats(live, NULL, &st);
  g_assert_cmpuint(st.evicted, ==, 1);
  g_assert_cmpuint(st.open, ==, 4);
  g_assert_cmpuint(st.open_peak, ==, 4);
  for (int i = 0; i < 4; i++)
    close(idle[i]);
  close(fifth);
  es_test_run_for(live, 0.2);

  /* Slowloris: a byte every 0.1 s keeps the idle timeout away, not the request's. */
  int slow = bounded_connect(port);
  static const char head[] = "POST / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa";
  gint64 t0 = g_get_monotonic_time();
  GString *slow_answer = g_string_new(NULL);
  closed = FALSE;
  for (gsize i = 0; !closed && (g_get_monotonic_time() - t0) < 5 * G_USEC_PER_SEC; i++) {
    if (i < sizeof head - 1)
      (void)send(slow, head + i, 1, MSG_NOSIGNAL); /* fails once the server has closed */
    es_test_run_for(live, 0.1);
    g_autofree char *got = bounded_read(slow, &closed);
    g_string_append(slow_answer, got);
  }
  double took = (g_get_monotonic_time() - t0) / 1e6;
  g_assert_true(closed);
  g_assert_true(g_str_has_prefix(slow_answer->str, "HTTP/1.1 408 "));
  g_string_free(slow_answer, TRUE);
  g_assert_cmpfloat(took, >=, 0.5);
  g_assert_cmpfloat(took, <, 4.5);
  close(slow);

  /* Bodies being received: beyond 100 KiB together, the biggest goes (503), and a client
   * with a whole request is served. */
  g_autofree char *big_head = g_strdup_printf("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                              "application/pkixcmp\r\nContent-Length: %d\r\n\r\n",
                                              60000);
  char *filler = g_malloc(60000);
  memset(filler, 'B', 60000);
  int hog1 = bounded_connect(port), hog2 = bounded_connect(port);
  bounded_send(hog1, big_head, strlen(big_head));
  bounded_send(hog1, filler, 55000);
  a.body_memory = 55000;
  es_test_run_until(live, accepted_enough, &a, 5);
  bounded_send(hog2, big_head, strlen(big_head));
  bounded_send(hog2, filler, 50000);
  a.body_memory = 0;
  a.over_memory = 1;
  es_test_run_until(live, accepted_enough, &a, 5);
  es_live_get_server_stats(live, NULL, &st);
  g_assert_cmpuint(st.over_memory, ==, 1);
  g_assert_cmpuint(st.body_memory, <=, 100 * 1024);
  g_autofree char *hog1_answer = await_answer(live, hog1, &closed);
  g_assert_true(g_str_has_prefix(hog1_answer, "HTTP/1.1 503 "));
  g_autofree char *hog2_answer = bounded_read(hog2, &closed);
  g_assert_cmpstr(hog2_answer, ==, "");
  RawClient *rc = raw_exchange(live, req, strlen(req), 2, FALSE);
  g_assert_cmpint(status_of(rc), ==, 200);
  raw_free(rc);
  /* hog2 never finishes: the request timeout ends it and its memory comes back. */
  g_autofree char *hog2_late = await_answer(live, hog2, &closed);
  g_assert_true(g_str_has_prefix(hog2_late, "HTTP/1.1 408 "));
  es_live_get_server_stats(live, NULL, &st);
  g_assert_cmpuint(st.body_memory, ==, 0);
  g_assert_cmpuint(st.timed_out, ==, 2);
  g_assert_cmpuint(st.body_memory_peak, <=, 100 * 1024);
  close(hog1);
  close(hog2);
  g_free(filler);
  server_clear(&s);
  es_live_free(live);
}

/* Requests a second parser could frame differently, and media types that only begin like
 * CMP's, are refused by the live server as by the simulated one's parser. */
static void test_exact_fields(void)
{
  World w;
  es_test_world_setup(&w, NULL);
  static const char *const cases[][2] = {
    {"400", "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmp\r\n"
            "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"},
    {"400", "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmp\r\n"
            "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"},
    {"415", "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmpEVIL\r\n"
            "Content-Length: 5\r\n\r\nhello"},
    {"400", "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmp\r\n"
            "Content-Type: application/pkixcmp\r\nContent-Length: 5\r\n\r\nhello"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    RawClient *rc = raw_exchange(w.live, cases[i][1], strlen(cases[i][1]), 2, FALSE);
    g_assert_cmpint(status_of(rc), ==, atoi(cases[i][0]));
    raw_free(rc);
  }
  EsRacaStats st;
  es_raca_get_stats(w.raca, &st);
  g_assert_cmpuint(st.issued, ==, 0);
  es_test_world_clear(&w);
}

static void test_bad_addresses(void)
{
  EsLive *live = es_test_live_new();
  const char *bad[] = {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "::1:80", "[::1:80",
                       "host:port"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    GError *error = NULL;
    g_assert_false(es_live_set_target(live, bad[i], NULL, &error));
    g_assert_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_ADDRESS);
    g_clear_error(&error);
  }
  GError *error = NULL;
  g_assert_false(es_live_set_target(live, "127.0.0.1:80", "no-slash", &error));
  g_clear_error(&error);
  g_assert_true(es_live_set_target(live, "[::1]:8080", "/x", &error));
  g_assert_no_error(error);
  /* A port someone else holds. */
  EsLive *other = es_test_live_new();
  char *taken = es_test_listen_any(other, NULL);
  g_assert_false(es_live_listen(live, taken, NULL, &error));
  g_assert_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_LISTEN);
  g_clear_error(&error);
  g_free(taken);
  es_live_free(other);
  es_live_free(live);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/live/timers", test_timers);
  g_test_add_func("/live/addresses", test_bad_addresses);
  g_test_add_func("/live/channel/echo", test_channel_echo);
  g_test_add_func("/live/channel/refused", test_channel_refused);
  g_test_add_func("/live/channel/close-in-flight", test_close_in_flight);
  g_test_add_func("/live/channel/resend-on-reused-connection",
                  test_channel_resend_on_reused_connection);
  g_test_add_func("/live/server/reply-after-client-left", test_reply_after_client_left);
  g_test_add_func("/live/server/hostile-clients", test_hostile);
  g_test_add_func("/live/server/bounds", test_bounds);
  g_test_add_func("/live/server/exact-fields", test_exact_fields);
  g_test_add_func("/live/enb/timeout", test_enb_timeout);
  return g_test_run();
}

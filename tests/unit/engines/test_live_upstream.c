/* The live engine's upstream channel (serve --upstream): one engine both serves and posts to
 * the CA behind it on one event base; echo, over HTTPS too, a refused connection, a CA that
 * never answers, and the targets refused. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "engines/es_live.h"
#include "tests/support/es_test_util.h"
#include "tests/unit/engines/live_util.h"

typedef struct {
  EsLive *live;
  gboolean hold;             /* keep the request unanswered */
  guint busy_s;              /* > 0: answer 503 with this Retry-After */
  EsExchange *held;
  guint requests;
  char *content_type;
} Server;

static void on_request(void *arg, EsExchange *x, const char *content_type, const guint8 *body,
                       gsize len)
{
  Server *s = arg;
  s->requests++;
  g_free(s->content_type);
  s->content_type = g_strdup(content_type);
  if (s->busy_s > 0) {
    es_engine_reply_unavailable(es_live_get0_engine(s->live), x, s->busy_s);
    return;
  }
  if (s->hold) {
    g_assert_null(s->held);
    s->held = x;
    return;
  }
  es_engine_reply(es_live_get0_engine(s->live), x, 200, "application/pkixcmp", body, len);
}

typedef struct {
  guint calls;
  int status;
  guint retry_after_s;
  char *error;
  char *content_type;
  GByteArray *body;
} Client;

static void on_response(void *arg, const EsResponse *r)
{
  Client *c = arg;
  c->calls++;
  c->status = r->http_status;
  c->retry_after_s = r->retry_after_s;
  g_free(c->error);
  c->error = g_strdup(r->error);
  g_free(c->content_type);
  c->content_type = g_strdup(r->content_type);
  g_byte_array_set_size(c->body, 0);
  if (r->len > 0)
    g_byte_array_append(c->body, r->body, (guint)r->len);
}

static gboolean answered(void *arg) { return ((Client *)arg)->calls > 0; }
static gboolean holds(void *arg) { return ((Server *)arg)->held != NULL; }

static void post(EsLive *live, EsChannel *ch, Client *c, const char *text)
{
  c->calls = 0;
  es_channel_post(ch, es_live_get0_engine(live), "application/pkixcmp", (const guint8 *)text,
                  strlen(text), on_response, c);
}

static void client_clear(Client *c)
{
  g_free(c->error);
  g_free(c->content_type);
  g_byte_array_unref(c->body);
}

/* An engine serving `s` on a free port, its upstream that very port (as `form` formats it). */
static EsLive *serving_itself(Server *s, const char *form)
{
  EsLive *live = es_test_live_new();
  s->live = live;
  es_engine_server_set(es_live_get0_engine(live), 0, on_request, s);
  g_autofree char *where = es_test_listen_any(live, NULL);
  g_autofree char *target = g_strdup_printf(form, es_live_get_port(live));
  GError *error = NULL;
  g_assert_true(es_live_set_upstream(live, target, &error));
  g_assert_no_error(error);
  return live;
}

static void test_echo(void)
{
  Server s = {0};
  EsLive *live = serving_itself(&s, "http://127.0.0.1:%u/ca/cmp");
  EsEngine *e = es_live_get0_engine(live);
  Client c = {.body = g_byte_array_new()};
  EsChannel *ch = es_engine_upstream_open(e, 0);
  g_assert_nonnull(ch);
  post(live, ch, &c, "certification request");
  es_test_run_until(live, answered, &c, 5);
  g_assert_null(c.error);
  g_assert_cmpint(c.status, ==, 200);
  g_assert_cmpstr(c.content_type, ==, "application/pkixcmp");
  g_assert_cmpmem(c.body->data, c.body->len, "certification request", 21);
  g_assert_cmpstr(s.content_type, ==, "application/pkixcmp");
  /* Kept alive: a second post on the same channel. */
  post(live, ch, &c, "certConf");
  es_test_run_until(live, answered, &c, 5);
  g_assert_cmpint(c.status, ==, 200);
  g_assert_cmpmem(c.body->data, c.body->len, "certConf", 8);
  g_assert_cmpuint(s.requests, ==, 2);
  /* A CA too busy: 503 and its Retry-After, as an eNB's channel reports them. */
  s.busy_s = 7;
  post(live, ch, &c, "busy?");
  es_test_run_until(live, answered, &c, 5);
  g_assert_null(c.error);
  g_assert_cmpint(c.status, ==, 503);
  g_assert_cmpuint(c.retry_after_s, ==, 7);
  s.busy_s = 0;
  es_channel_close(ch, e);
  /* One left open, with a post in flight: es_live_free closes it. */
  s.hold = TRUE;
  ch = es_engine_upstream_open(e, 0);
  post(live, ch, &c, "left behind");
  es_test_run_until(live, holds, &s, 5);
  es_engine_drop(e, s.held);
  es_live_free(live);
  g_assert_cmpuint(c.calls, ==, 0);
  client_clear(&c);
  g_free(s.content_type);
}

/* [::1]:PORT, where the host has IPv6 loopback. */
static void test_ipv6(void)
{
  Server s = {0};
  EsLive *live = es_test_live_new();
  s.live = live;
  EsEngine *e = es_live_get0_engine(live);
  es_engine_server_set(e, 0, on_request, &s);
  GError *error = NULL;
  if (!es_live_listen(live, "[::1]:0", NULL, &error)) {
    g_test_skip(error->message);
    g_error_free(error);
    es_live_free(live);
    return;
  }
  g_autofree char *target = g_strdup_printf("http://[::1]:%u/", es_live_get_port(live));
  g_assert_true(es_live_set_upstream(live, target, &error));
  Client c = {.body = g_byte_array_new()};
  EsChannel *ch = es_engine_upstream_open(e, 0);
  post(live, ch, &c, "v6");
  es_test_run_until(live, answered, &c, 5);
  g_assert_null(c.error);
  g_assert_cmpint(c.status, ==, 200);
  g_assert_cmpmem(c.body->data, c.body->len, "v6", 2);
  es_channel_close(ch, e);
  es_live_free(live);
  client_clear(&c);
  g_free(s.content_type);
}

static void test_none(void)
{
  EsLive *live = es_test_live_new();
  /* No upstream set: no channel. */
  g_assert_null(es_engine_upstream_open(es_live_get0_engine(live), 0));
  es_live_free(live);
}

static void test_refused(void)
{
  /* A port that was free a moment ago. */
  EsLive *probe = es_test_live_new();
  g_autofree char *closed = es_test_listen_any(probe, NULL);
  es_live_free(probe);
  EsLive *live = es_test_live_new();
  EsEngine *e = es_live_get0_engine(live);
  GError *error = NULL;
  g_assert_true(es_live_set_upstream(live, closed, &error));
  Client c = {.body = g_byte_array_new()};
  EsChannel *ch = es_engine_upstream_open(e, 0);
  post(live, ch, &c, "x");
  es_test_run_until(live, answered, &c, 5);
  g_assert_cmpuint(c.calls, ==, 1);
  g_assert_cmpint(c.status, ==, 0);
  g_assert_nonnull(c.error);
  es_channel_close(ch, e);
  /* The upstream's errors are not the eNB channels' (enrol's report). */
  g_assert_null(es_live_describe_client_errors(live));
  es_live_free(live);
  client_clear(&c);
}

static void test_timeout(void)
{
  Server s = {.hold = TRUE};
  EsLive *live = serving_itself(&s, "127.0.0.1:%u");
  EsEngine *e = es_live_get0_engine(live);
  es_live_set_upstream_timeout(live, 1.0);
  Client c = {.body = g_byte_array_new()};
  EsChannel *ch = es_engine_upstream_open(e, 0);
  double t0 = es_engine_now(e);
  post(live, ch, &c, "never answered");
  es_test_run_until(live, answered, &c, 5);
  double took = es_engine_now(e) - t0;
  g_assert_cmpfloat(took, >=, 0.95);
  g_assert_cmpfloat(took, <, 3);
  g_assert_cmpint(c.status, ==, 0);
  g_assert_nonnull(c.error);
  g_assert_nonnull(strstr(c.error, "timed out"));
  /* The reply comes too late, to a connection the client closed: nobody hears of it. */
  g_assert_nonnull(s.held);
  es_engine_reply(e, g_steal_pointer(&s.held), 200, "application/pkixcmp",
                  (const guint8 *)"late", 4);
  es_test_run_for(live, 0.1);
  g_assert_cmpuint(c.calls, ==, 1);
  /* The channel serves again, on a new connection. */
  s.hold = FALSE;
  post(live, ch, &c, "again");
  es_test_run_until(live, answered, &c, 5);
  g_assert_cmpint(c.status, ==, 200);
  g_assert_cmpmem(c.body->data, c.body->len, "again", 5);
  es_channel_close(ch, e);
  es_live_free(live);
  client_clear(&c);
  g_free(s.content_type);
}

static void test_targets(void)
{
  EsLive *live = es_test_live_new();
  const struct {
    const char *target, *why;
  } bad[] = {
    {"nonsense", "no port"},
    {"127.0.0.1", "no port"},
    {"127.0.0.1:", "no port"},
    {"http://127.0.0.1/cmp", "no port"},
    {"127.0.0.1:99999", "out of range"},
    {"127.0.0.1:0", "out of range"},
    {"127.0.0.1:http", "not a number"},
    {"ftp://127.0.0.1:21", "http://"},
    {"", "no host"},
    {":8080", "no host"},
    {"http://127.0.0.1:80/a b", "path"},
    {"[::1:80", "unbalanced"},
    {"::1:80", "brackets"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    GError *error = NULL;
    g_assert_false(es_live_set_upstream(live, bad[i].target, &error));
    g_assert_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_ADDRESS);
    if (strstr(error->message, bad[i].why) == NULL || strstr(error->message, bad[i].target) == NULL)
      g_error("'%s': message '%s' does not say '%s'", bad[i].target, error->message, bad[i].why);
    g_clear_error(&error);
  }
  g_assert_null(es_engine_upstream_open(es_live_get0_engine(live), 0));
  /* https:// wants a TLS context, and a TLS context wants https://. */
  GError *error = NULL;
  g_assert_false(es_live_set_upstream(live, "https://127.0.0.1:8443", &error));
  g_assert_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_TLS);
  g_clear_error(&error);
  const char *good[] = {"127.0.0.1:8080", "http://127.0.0.1:8080", "HTTP://127.0.0.1:8080/",
                        "http://127.0.0.1:8080/ca/cmp", "[::1]:8080", "http://[::1]:8080/x",
                        "localhost:80"};
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    GError *error = NULL;
    g_assert_true(es_live_set_upstream(live, good[i], &error));
    g_assert_no_error(error);
  }
  es_live_free(live);
}

/* A lab CA and a server certificate for 127.0.0.1 under it, in dir. */
static void lab_tls(const char *dir, const char *ca_name)
{
  g_autofree char *ca = g_build_filename(dir, "ca.pem", NULL);
  g_autofree char *ca_key = g_build_filename(dir, "ca.key", NULL);
  g_autofree char *cert = g_build_filename(dir, "server.pem", NULL);
  g_autofree char *key = g_build_filename(dir, "server.key", NULL);
  g_autofree char *subject = g_strdup_printf("/CN=%s", ca_name);
  char *out = NULL;
  if (es_test_run_openssl(&out, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key, "-out", ca,
                          "-subj", subject, "-days", "1", "-addext",
                          "basicConstraints=critical,CA:TRUE", "-addext",
                          "keyUsage=critical,keyCertSign", NULL) != 0)
    g_error("lab CA: %s", out);
  g_free(out);
  if (es_test_run_openssl(&out, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                          "-subj", "/CN=127.0.0.1", "-days", "1", "-CA", ca, "-CAkey", ca_key,
                          "-addext", "subjectAltName=IP:127.0.0.1", "-addext",
                          "basicConstraints=CA:FALSE", "-addext",
                          "extendedKeyUsage=serverAuth", NULL) != 0)
    g_error("lab server certificate: %s", out);
  g_free(out);
}

/* An engine serving HTTPS, its upstream that very server, trusting `trusted`. */
static EsLive *serving_itself_tls(Server *s, const char *dir, const char *trusted)
{
  EsLive *live = es_test_live_new();
  s->live = live;
  GError *error = NULL;
  g_autofree char *cert = g_build_filename(dir, "server.pem", NULL);
  g_autofree char *key = g_build_filename(dir, "server.key", NULL);
  EsLiveTls *server = es_live_tls_server_new(cert, key, NULL, &error);
  g_assert_no_error(error);
  es_live_set0_tls(live, server);
  es_engine_server_set(es_live_get0_engine(live), 0, on_request, s);
  g_autofree char *where = es_test_listen_any(live, NULL);
  EsLiveTls *client = es_live_tls_client_new(trusted, NULL, NULL, NULL, &error);
  g_assert_no_error(error);
  es_live_set0_upstream_tls(live, client);
  g_autofree char *target = g_strdup_printf("https://127.0.0.1:%u/ca", es_live_get_port(live));
  g_assert_true(es_live_set_upstream(live, target, &error));
  g_assert_no_error(error);
  return live;
}

static void test_https(void)
{
  g_autofree char *dir = g_dir_make_tmp("upstream-tls-XXXXXX", NULL);
  g_autofree char *other = g_build_filename(dir, "other", NULL);
  g_assert_cmpint(g_mkdir(other, 0700), ==, 0);
  lab_tls(dir, "Lab CA");
  lab_tls(other, "Another CA");
  g_autofree char *ca = g_build_filename(dir, "ca.pem", NULL);
  g_autofree char *other_ca = g_build_filename(other, "ca.pem", NULL);

  Server s = {0};
  EsLive *live = serving_itself_tls(&s, dir, ca);
  EsEngine *e = es_live_get0_engine(live);
  Client c = {.body = g_byte_array_new()};
  EsChannel *ch = es_engine_upstream_open(e, 0);
  post(live, ch, &c, "over TLS");
  es_test_run_until(live, answered, &c, 5);
  g_assert_null(c.error);
  g_assert_cmpint(c.status, ==, 200);
  g_assert_cmpmem(c.body->data, c.body->len, "over TLS", 8);
  post(live, ch, &c, "again");
  es_test_run_until(live, answered, &c, 5);
  g_assert_cmpint(c.status, ==, 200);
  es_channel_close(ch, e);
  es_live_free(live);
  g_free(s.content_type);

  /* A CA whose certificate does not verify: a transport failure that says so; nothing
   * reached the server. */
  Server s2 = {0};
  live = serving_itself_tls(&s2, dir, other_ca);
  e = es_live_get0_engine(live);
  ch = es_engine_upstream_open(e, 0);
  post(live, ch, &c, "x");
  es_test_run_until(live, answered, &c, 5);
  g_assert_cmpint(c.status, ==, 0);
  g_assert_nonnull(c.error);
  if (strstr(c.error, "certificate") == NULL)
    g_error("TLS failure: '%s' does not say the certificate failed", c.error);
  g_assert_cmpuint(s2.requests, ==, 0);
  es_channel_close(ch, e);
  es_live_free(live);
  client_clear(&c);

  const char *files[] = {"ca.pem", "ca.key", "server.pem", "server.key"};
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *a = g_build_filename(dir, files[i], NULL);
    g_autofree char *b = g_build_filename(other, files[i], NULL);
    g_unlink(a);
    g_unlink(b);
  }
  g_rmdir(other);
  g_rmdir(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/live/upstream/echo", test_echo);
  g_test_add_func("/live/upstream/ipv6", test_ipv6);
  g_test_add_func("/live/upstream/none", test_none);
  g_test_add_func("/live/upstream/https", test_https);
  g_test_add_func("/live/upstream/refused", test_refused);
  g_test_add_func("/live/upstream/timeout", test_timeout);
  g_test_add_func("/live/upstream/targets", test_targets);
  return g_test_run();
}

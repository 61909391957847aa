/* The live engine's upstream channel (serve --upstream): one engine both serves and posts to
 * the CA behind it on one event base; echo, a refused connection, a CA that never answers, and
 * the targets refused. */
#include <glib.h>
#include <string.h>

#include "engines/es_live.h"
#include "tests/unit/engines/live_util.h"

typedef struct {
  EsLive *live;
  gboolean hold;             /* keep the request unanswered */
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
  char *error;
  char *content_type;
  GByteArray *body;
} Client;

static void on_response(void *arg, const EsResponse *r)
{
  Client *c = arg;
  c->calls++;
  c->status = r->http_status;
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
    {"https://127.0.0.1:8443", "https"},
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

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/live/upstream/echo", test_echo);
  g_test_add_func("/live/upstream/none", test_none);
  g_test_add_func("/live/upstream/refused", test_refused);
  g_test_add_func("/live/upstream/timeout", test_timeout);
  g_test_add_func("/live/upstream/targets", test_targets);
  return g_test_run();
}

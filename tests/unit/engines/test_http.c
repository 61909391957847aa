/* Unit tests of the HTTP framing both engines share: whole, byte-by-byte, pipelined and cut-off
 * messages, the size limits, malformed input, the Retry-After rule, and the bytes sent. */
#include <string.h>
#include <glib.h>

#include "engines/es_http.h"

static const char request[] = "POST /pkix/ HTTP/1.1\r\nHost: raca\r\n"
                              "Content-Type: application/pkixcmp\r\nContent-Length: 5\r\n\r\nhello";

static void test_whole_and_split(void)
{
  for (gsize step = 1; step <= sizeof request; step += sizeof request - 2) {
    EsHttpIn in = {0};
    es_http_in_init(&in, HTTP_REQUEST);
    gsize off = 0, len = sizeof request - 1;
    while (!in.complete && off < len) {
      gsize n = MIN(step, len - off);
      gsize used = es_http_in_feed(&in, (const guint8 *)request + off, n);
      g_assert_cmpint(in.reject, ==, 0);
      off += used;
    }
    g_assert_true(in.complete);
    g_assert_cmpuint(in.parser.method, ==, HTTP_POST);
    g_assert_cmpstr(es_http_in_content_type(&in), ==, ES_HTTP_CONTENT_TYPE);
    g_assert_cmpmem(in.body->data, in.body->len, "hello", 5);
    es_http_in_clear(&in);
  }
}

/* Two requests in one read: the parser stops after the first. */
static void test_pipelined(void)
{
  g_autofree char *two = g_strconcat(request, request, NULL);
  EsHttpIn in = {0};
  es_http_in_init(&in, HTTP_REQUEST);
  gsize used = es_http_in_feed(&in, (const guint8 *)two, strlen(two));
  g_assert_true(in.complete);
  g_assert_cmpuint(used, ==, sizeof request - 1);
  used = es_http_in_feed(&in, (const guint8 *)two + used, strlen(two) - used);
  g_assert_true(in.complete);
  g_assert_cmpmem(in.body->data, in.body->len, "hello", 5);
  es_http_in_clear(&in);
}

static int reject_of(const char *text, gsize len, enum http_parser_type type)
{
  EsHttpIn in = {0};
  es_http_in_init(&in, type);
  es_http_in_feed(&in, (const guint8 *)text, len);
  int reject = in.complete ? 0 : in.reject;
  es_http_in_clear(&in);
  return reject;
}

static void test_limits(void)
{
  g_autofree char *big_body = g_strdup_printf(
      "POST / HTTP/1.1\r\nContent-Length: %u\r\n\r\n", ES_HTTP_MAX_BODY + 1);
  g_assert_cmpint(reject_of(big_body, strlen(big_body), HTTP_REQUEST), ==, 413);
  GString *big_header = g_string_new("POST / HTTP/1.1\r\nX-Filler: ");
  while (big_header->len <= ES_HTTP_MAX_HEADER + 64) /* the request line and names count too */
    g_string_append_c(big_header, 'x');
  g_assert_cmpint(reject_of(big_header->str, big_header->len, HTTP_REQUEST), ==, 431);
  g_string_free(big_header, TRUE);
  /* A chunked body beyond the limit is refused as it grows. */
  GString *chunked = g_string_new("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (guint i = 0; i <= ES_HTTP_MAX_BODY / 4096; i++) {
    g_string_append(chunked, "1000\r\n");
    for (int k = 0; k < 4096; k++)
      g_string_append_c(chunked, 'z');
    g_string_append(chunked, "\r\n");
  }
  g_assert_cmpint(reject_of(chunked->str, chunked->len, HTTP_REQUEST), ==, 413);
  g_string_free(chunked, TRUE);
  static const char garbage[] = "\x30\x82\x01\x00 not http at all\r\n\r\n";
  g_assert_cmpint(reject_of(garbage, sizeof garbage - 1, HTTP_REQUEST), ==, 400);
}

static void test_retry_after(void)
{
  static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nRetry-After:  7 \r\n"
                             "Content-Length: 0\r\n\r\n";
  EsHttpIn in = {0};
  /* Fed a byte at a time: the value arrives in pieces. */
  es_http_in_init(&in, HTTP_RESPONSE);
  for (gsize i = 0; i < sizeof busy - 1 && !in.complete; i++)
    es_http_in_feed(&in, (const guint8 *)busy + i, 1);
  g_assert_true(in.complete);
  g_assert_cmpuint(in.parser.status_code, ==, 503);
  g_assert_cmpuint(in.retry_after, ==, 7);
  es_http_in_clear(&in);
  g_assert_cmpuint(es_http_retry_after("120"), ==, 120);
  g_assert_cmpuint(es_http_retry_after("Fri, 07 Nov 2026 08:49:37 GMT"), ==, 0);
  g_assert_cmpuint(es_http_retry_after("99999999999"), ==, ES_RETRY_AFTER_MAX);
  g_assert_cmpuint(es_http_retry_after(NULL), ==, 0);
  g_assert_cmpuint(es_http_retry_after("-1"), ==, 0);
  g_assert_cmpstr(es_http_reason_phrase(503), ==, "Service Unavailable");
  g_assert_cmpstr(es_http_reason_phrase(799), ==, "Unknown");
}

static char *written(const EsHttpMsg *m)
{
  GString *out = g_string_new(NULL);
  es_http_write(out, m);
  return g_string_free(out, FALSE);
}

/* The bytes the simulated engine sends: what a pcap shows and what its timing depends on. */
static void test_writes(void)
{
  EsHttpMsg m;
  es_http_request(&m, "/pkix/", "10.0.0.2", NULL, (const guint8 *)"hello", 5);
  g_autofree char *req = written(&m);
  g_assert_cmpstr(req, ==, "POST /pkix/ HTTP/1.1\r\nHost: 10.0.0.2\r\n"
                           "Content-Type: application/pkixcmp\r\nContent-Length: 5\r\n"
                           "Connection: keep-alive\r\n\r\nhello");
  es_http_reply(&m, 200, ES_HTTP_CONTENT_TYPE, (const guint8 *)"ip", 2, TRUE);
  g_autofree char *ok = written(&m);
  g_assert_cmpstr(ok, ==, "HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\n"
                          "Content-Length: 2\r\n\r\nip");
  es_http_reply_busy(&m, 2, FALSE);
  g_autofree char *busy = written(&m);
  g_assert_cmpstr(busy, ==, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                            "Content-Length: 17\r\nConnection: close\r\nRetry-After: 2\r\n\r\n"
                            "busy: queue full\n");
  /* No status HTTP cannot carry; no body, no Content-Type. */
  es_http_reply(&m, 1000, NULL, NULL, 0, TRUE);
  g_autofree char *bad = written(&m);
  g_assert_cmpstr(bad, ==, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
}

/* What a server refuses, and the refusal as a client reads it. */
static void test_refusals(void)
{
  EsHttpMsg m;
  g_assert_true(es_http_request_acceptable(TRUE, &m, TRUE));
  g_assert_false(es_http_request_acceptable(FALSE, &m, TRUE));
  g_assert_cmpint(m.status, ==, 405);
  g_autofree char *refusal = written(&m);
  g_assert_nonnull(strstr(refusal, "\r\nAllow: POST\r\n"));
  es_http_reply_rejected(&m, 431);
  g_autofree char *rejected = written(&m);
  g_assert_nonnull(strstr(rejected, "\r\nConnection: close\r\n"));
  es_http_reply_no_service(&m, TRUE);
  g_assert_cmpint(m.status, ==, 503);

  /* Framing fields are the ones libevent writes itself in the live engine. */
  es_http_reply_busy(&m, 7, FALSE);
  for (guint i = 0; i < m.n_fields; i++)
    g_assert_cmpint(m.field[i].framing, ==,
                    strcmp(m.field[i].name, "Content-Length") == 0 ||
                        strcmp(m.field[i].name, "Connection") == 0);
  g_autofree char *busy = written(&m);
  EsHttpIn in = {0};
  es_http_in_init(&in, HTTP_RESPONSE);
  es_http_in_feed(&in, (const guint8 *)busy, strlen(busy));
  g_assert_true(in.complete);
  g_assert_cmpuint(in.parser.status_code, ==, 503);
  g_assert_cmpuint(in.retry_after, ==, 7);
  g_assert_cmpstr(es_http_in_content_type(&in), ==, "text/plain");
  es_http_in_clear(&in);
}

/* A request cut off before its body ends is not a message yet; the close makes it malformed. */
static void test_partial(void)
{
  EsHttpIn in = {0};
  es_http_in_init(&in, HTTP_REQUEST);
  gsize used = es_http_in_feed(&in, (const guint8 *)request, sizeof request - 3);
  g_assert_cmpuint(used, ==, sizeof request - 3);
  g_assert_false(in.complete);
  g_assert_cmpint(in.reject, ==, 0);
  es_http_in_feed(&in, NULL, 0);
  g_assert_false(in.complete);
  g_assert_cmpint(in.reject, ==, 400);
  es_http_in_clear(&in);
}

/* Framing two parsers could read differently (request smuggling) is refused, and so are two
 * media types; the RA/CA takes only CMP's media type, whole. */
static void test_exact_fields(void)
{
  static const char *const refused[] = {
    "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
    "POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello",
    "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "POST / HTTP/1.1\r\nContent-Type: application/pkixcmp\r\nContent-Type: text/plain\r\n"
    "Content-Length: 5\r\n\r\nhello",
    "POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\nhello",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
    g_test_message("refused[%" G_GSIZE_FORMAT "]", i);
    g_assert_cmpint(reject_of(refused[i], strlen(refused[i]), HTTP_REQUEST), ==, 400);
  }
  g_assert_true(es_engine_content_type_is_cmp("application/pkixcmp"));
  g_assert_true(es_engine_content_type_is_cmp("Application/PKIXCMP"));
  g_assert_true(es_engine_content_type_is_cmp(" application/pkixcmp "));
  g_assert_true(es_engine_content_type_is_cmp("application/pkixcmp; charset=binary"));
  g_assert_true(es_engine_content_type_is_cmp("application/pkixcmp;x=y"));
  g_assert_false(es_engine_content_type_is_cmp("application/pkixcmpEVIL"));
  g_assert_false(es_engine_content_type_is_cmp("application/pkixcmp-poll"));
  g_assert_false(es_engine_content_type_is_cmp("application/pkix"));
  g_assert_false(es_engine_content_type_is_cmp("text/plain; x=application/pkixcmp"));
  g_assert_false(es_engine_content_type_is_cmp("application/pkixcmp x"));
  g_assert_false(es_engine_content_type_is_cmp(""));
  g_assert_false(es_engine_content_type_is_cmp(NULL));
}

/* A server's own limits, below the defaults; Expect: 100-continue is noticed. */
static void test_own_limits(void)
{
  EsHttpIn in = {0};
  es_http_in_set_limits(&in, 4, 64);
  es_http_in_init(&in, HTTP_REQUEST);
  es_http_in_feed(&in, (const guint8 *)request, sizeof request - 1);
  g_assert_cmpint(in.reject, ==, 413);
  es_http_in_init(&in, HTTP_REQUEST);
  es_http_in_set_limits(&in, 0, 32);
  es_http_in_feed(&in, (const guint8 *)request, sizeof request - 1);
  g_assert_cmpint(in.reject, ==, 431);
  es_http_in_set_limits(&in, 0, 0);
  es_http_in_init(&in, HTTP_REQUEST);
  static const char expect[] = "POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n";
  es_http_in_feed(&in, (const guint8 *)expect, sizeof expect - 1);
  g_assert_true(in.begun);
  g_assert_false(in.complete);
  g_assert_true(in.expect_continue);
  es_http_in_feed(&in, (const guint8 *)"hello", 5);
  g_assert_true(in.complete);
  g_assert_false(in.begun);
  g_assert_cmpmem(in.body->data, in.body->len, "hello", 5);
  es_http_in_release_body(&in);
  g_assert_cmpuint(in.body->len, ==, 0);
  es_http_in_clear(&in);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/http/whole-and-split", test_whole_and_split);
  g_test_add_func("/http/pipelined", test_pipelined);
  g_test_add_func("/http/limits", test_limits);
  g_test_add_func("/http/retry-after", test_retry_after);
  g_test_add_func("/http/writes", test_writes);
  g_test_add_func("/http/refusals", test_refusals);
  g_test_add_func("/http/partial", test_partial);
  g_test_add_func("/http/exact-fields", test_exact_fields);
  g_test_add_func("/http/own-limits", test_own_limits);
  return g_test_run();
}

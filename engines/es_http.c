/* HTTP/1.1 for CMP (RFC 6712) as both engines speak it: the messages they send, and the
 * incremental parser both engines' servers read requests with (TCP segments in the simulated
 * engine, socket reads in the live one); the live engine's clients have libevent's. */
#include "engines/es_http.h"

#include <string.h>

guint es_http_retry_after(const char *value)
{
  guint64 v;
  if (value == NULL)
    return 0;
  while (*value == ' ' || *value == '\t')
    value++;
  g_autofree char *text = g_strdup(value);
  g_strchomp(text);
  if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, &v, NULL))
    return 0; /* an HTTP-date: the client backs off on its own */
  return (guint)MIN(v, ES_RETRY_AFTER_MAX);
}

const char *es_http_reason_phrase(int status)
{
  const char *s = http_status_str((enum http_status)status);
  return strcmp(s, "<unknown>") == 0 ? "Unknown" : s;
}

/* ---- the messages both engines send ------------------------------------------------------ */

static void add_field(EsHttpMsg *m, const char *name, const char *value, gboolean framing)
{
  g_assert(m->n_fields < ES_HTTP_FIELDS_MAX);
  m->field[m->n_fields++] = (EsHttpField){name, value, framing};
}

static void set_body(EsHttpMsg *m, const guint8 *body, gsize len)
{
  m->body = body;
  m->len = len;
  g_snprintf(m->length, sizeof m->length, "%" G_GSIZE_FORMAT, len);
}

void es_http_request(EsHttpMsg *m, const char *path, const char *host, const char *content_type,
                     const guint8 *body, gsize len)
{
  memset(m, 0, sizeof *m);
  m->path = path;
  set_body(m, body, len);
  add_field(m, "Host", host, FALSE);
  add_field(m, "Content-Type", content_type != NULL ? content_type : ES_HTTP_CONTENT_TYPE, FALSE);
  add_field(m, "Content-Length", m->length, TRUE);
  /* Said outright: one connection carries an eNB's whole transaction. */
  add_field(m, "Connection", "keep-alive", FALSE);
}

void es_http_reply(EsHttpMsg *m, int status, const char *content_type, const guint8 *body,
                   gsize len, gboolean keep_alive)
{
  memset(m, 0, sizeof *m);
  m->status = status >= 100 && status <= 599 ? status : 500;
  set_body(m, body, len);
  if (content_type != NULL)
    add_field(m, "Content-Type", content_type, FALSE);
  add_field(m, "Content-Length", m->length, TRUE);
  if (!keep_alive)
    add_field(m, "Connection", "close", TRUE);
}

static void reply_text(EsHttpMsg *m, int status, const char *text, gboolean keep_alive)
{
  es_http_reply(m, status, "text/plain", (const guint8 *)text, strlen(text), keep_alive);
}

void es_http_reply_busy(EsHttpMsg *m, guint retry_after_s, gboolean keep_alive)
{
  reply_text(m, 503, "busy: queue full\n", keep_alive);
  g_snprintf(m->number, sizeof m->number, "%u", retry_after_s);
  add_field(m, "Retry-After", m->number, FALSE);
}

void es_http_reply_no_service(EsHttpMsg *m, gboolean keep_alive)
{
  reply_text(m, 503, "no service\n", keep_alive);
}

void es_http_reply_rejected(EsHttpMsg *m, int status)
{
  reply_text(m, status, "request rejected\n", FALSE);
}

gboolean es_http_request_acceptable(gboolean is_post, EsHttpMsg *m, gboolean keep_alive)
{
  if (is_post)
    return TRUE;
  reply_text(m, 405, "RFC 6712: use POST\n", keep_alive);
  add_field(m, "Allow", "POST", FALSE);
  return FALSE;
}

void es_http_write(GString *out, const EsHttpMsg *m)
{
  if (m->path != NULL)
    g_string_append_printf(out, "POST %s HTTP/1.1\r\n", m->path);
  else
    g_string_append_printf(out, "HTTP/1.1 %d %s\r\n", m->status, es_http_reason_phrase(m->status));
  for (guint i = 0; i < m->n_fields; i++)
    g_string_append_printf(out, "%s: %s\r\n", m->field[i].name, m->field[i].value);
  g_string_append(out, "\r\n");
  g_string_append_len(out, (const char *)m->body, (gssize)m->len);
}

/* ---- reading messages ----------------------------------------------------------------- */

void es_http_in_set_limits(EsHttpIn *in, gsize max_body, gsize max_header)
{
  in->max_body = max_body;
  in->max_header = max_header;
}

void es_http_in_release_body(EsHttpIn *in)
{
  if (in->body != NULL) {
    g_byte_array_unref(in->body);
    in->body = g_byte_array_new();
  }
}

void es_http_in_init(EsHttpIn *in, enum http_parser_type type)
{
  http_parser_init(&in->parser, type);
  in->parser.data = in;
  if (in->field == NULL) {
    in->field = g_string_new(NULL);
    in->ctype = g_string_new(NULL);
    in->body = g_byte_array_new();
  }
  in->begun = FALSE;
  in->complete = FALSE;
  in->reject = 0;
}

void es_http_in_clear(EsHttpIn *in)
{
  if (in->field != NULL) {
    g_string_free(in->field, TRUE);
    g_string_free(in->ctype, TRUE);
    g_byte_array_unref(in->body);
  }
  memset(in, 0, sizeof *in);
}

static int on_message_begin(http_parser *p)
{
  EsHttpIn *in = p->data;
  g_string_truncate(in->field, 0);
  g_string_truncate(in->ctype, 0);
  g_byte_array_set_size(in->body, 0);
  in->header_bytes = 0;
  in->in_value = TRUE;
  in->in_ctype = FALSE;
  in->in_retry_after = FALSE;
  in->retry_text[0] = '\0';
  in->retry_after = 0;
  in->n_ctype = 0;
  in->in_expect = FALSE;
  in->expect_text[0] = '\0';
  in->expect_continue = FALSE;
  in->target[0] = '\0';
  in->target_len = 0;
  in->begun = TRUE;
  in->complete = FALSE;
  return 0;
}

static int count_header(EsHttpIn *in, size_t len)
{
  in->header_bytes += len;
  if (in->header_bytes > (in->max_header != 0 ? in->max_header : ES_HTTP_MAX_HEADER)) {
    in->reject = 431;
    return 1;
  }
  return 0;
}

static int on_url_or_status(http_parser *p, const char *at, size_t len)
{
  EsHttpIn *in = p->data;
  /* The target may come in pieces; only a short one is kept whole. */
  if (in->target_len < sizeof in->target) {
    gsize n = MIN(len, sizeof in->target - 1 - in->target_len);
    memcpy(in->target + in->target_len, at, n);
    in->target[in->target_len + n] = '\0';
  }
  in->target_len += len;
  return count_header(in, len);
}

gboolean es_http_in_target_is(const EsHttpIn *in, const char *path)
{
  return in->target_len < sizeof in->target && strcmp(in->target, path) == 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
  EsHttpIn *in = p->data;
  if (count_header(in, len))
    return 1;
  if (in->in_value) {
    g_string_truncate(in->field, 0);
    in->in_value = FALSE;
  }
  for (size_t i = 0; i < len && in->field->len < ES_HTTP_MAX_FIELD; i++)
    g_string_append_c(in->field, g_ascii_tolower(at[i]));
  return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
  EsHttpIn *in = p->data;
  if (count_header(in, len))
    return 1;
  if (!in->in_value) {
    in->in_value = TRUE;
    in->in_ctype = strcmp(in->field->str, "content-type") == 0;
    if (in->in_ctype && ++in->n_ctype > 1) {
      in->reject = 400; /* which of two media types would the RA/CA check? */
      return 1;
    }
    in->in_expect = strcmp(in->field->str, "expect") == 0;
    in->in_retry_after = strcmp(in->field->str, "retry-after") == 0;
    if (in->in_retry_after)
      in->retry_text[0] = '\0';
  }
  if (in->in_retry_after) {
    /* A value may come in pieces, as TCP segments cut it. */
    gsize have = strlen(in->retry_text);
    gsize room = sizeof in->retry_text - 1 - have;
    memcpy(in->retry_text + have, at, MIN(len, room));
    in->retry_text[have + MIN(len, room)] = '\0';
    in->retry_after = len > room ? 0 : es_http_retry_after(in->retry_text);
  }
  if (in->in_expect) {
    gsize have = strlen(in->expect_text);
    gsize room = sizeof in->expect_text - 1 - have;
    memcpy(in->expect_text + have, at, MIN(len, room));
    in->expect_text[have + MIN(len, room)] = '\0';
  }
  if (in->in_ctype) {
    if (in->ctype->len + len > ES_HTTP_MAX_CTYPE) {
      in->reject = 431;
      return 1;
    }
    g_string_append_len(in->ctype, at, len);
  }
  return 0;
}

static int on_headers_complete(http_parser *p)
{
  EsHttpIn *in = p->data;
  gsize max_body = in->max_body != 0 ? in->max_body : ES_HTTP_MAX_BODY;
  g_strstrip(in->expect_text);
  in->expect_continue = g_ascii_strcasecmp(in->expect_text, "100-continue") == 0;
  /* http_parser leaves content_length at ULLONG_MAX when the header is absent. */
  if (p->content_length != ULLONG_MAX && p->content_length > max_body) {
    in->reject = 413;
    return -1; /* an error: 1 would mean "no body" and complete the message */
  }
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
  EsHttpIn *in = p->data;
  if (in->body->len + len > (in->max_body != 0 ? in->max_body : ES_HTTP_MAX_BODY)) {
    in->reject = 413;
    return 1;
  }
  g_byte_array_append(in->body, (const guint8 *)at, len);
  return 0;
}

static int on_message_complete(http_parser *p)
{
  EsHttpIn *in = p->data;
  in->complete = TRUE;
  in->begun = FALSE;
  /* Stop here: the message is handled before the parser looks at the next one. */
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings http_settings = {
  .on_message_begin = on_message_begin,
  .on_url = on_url_or_status,
  .on_status = on_url_or_status,
  .on_header_field = on_header_field,
  .on_header_value = on_header_value,
  .on_headers_complete = on_headers_complete,
  .on_body = on_body,
  .on_message_complete = on_message_complete,
};

gsize es_http_in_feed(EsHttpIn *in, const guint8 *data, gsize len)
{
  in->complete = FALSE;
  gsize n = http_parser_execute(&in->parser, &http_settings, (const char *)data, len);
  enum http_errno err = HTTP_PARSER_ERRNO(&in->parser);
  if (in->complete) {
    if (err == HPE_PAUSED)
      http_parser_pause(&in->parser, 0);
    return n;
  }
  if (err != HPE_OK && in->reject == 0)
    in->reject = 400;
  return n;
}

const char *es_http_in_content_type(const EsHttpIn *in)
{
  return in->ctype->len > 0 ? in->ctype->str : NULL;
}


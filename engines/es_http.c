/* HTTP/1.1 for CMP (RFC 6712) as both engines speak it: one set of limits, the Retry-After
 * rule, and the incremental parser the simulated engine feeds with TCP segments (the live
 * engine has libevent's, held to the same limits). */
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

void es_http_in_init(EsHttpIn *in, enum http_parser_type type)
{
  http_parser_init(&in->parser, type);
  in->parser.data = in;
  if (in->field == NULL) {
    in->field = g_string_new(NULL);
    in->ctype = g_string_new(NULL);
    in->body = g_byte_array_new();
  }
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
  in->complete = FALSE;
  return 0;
}

static int count_header(EsHttpIn *in, size_t len)
{
  in->header_bytes += len;
  if (in->header_bytes > ES_HTTP_MAX_HEADER) {
    in->reject = 431;
    return 1;
  }
  return 0;
}

static int on_url_or_status(http_parser *p, const char *at, size_t len)
{
  (void)at;
  return count_header(p->data, len);
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
    if (in->in_ctype)
      g_string_truncate(in->ctype, 0);
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
  /* http_parser leaves content_length at ULLONG_MAX when the header is absent. */
  if (p->content_length != ULLONG_MAX && p->content_length > ES_HTTP_MAX_BODY) {
    in->reject = 413;
    return -1; /* an error: 1 would mean "no body" and complete the message */
  }
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
  EsHttpIn *in = p->data;
  if (in->body->len + len > ES_HTTP_MAX_BODY) {
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


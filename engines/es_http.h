/* HTTP/1.1 for CMP (RFC 6712) as both engines speak it: one set of size limits, the
 * Retry-After rule, reason phrases, and an incremental parser (http_parser) for the engine
 * that sees raw TCP bytes. */
#ifndef ES_HTTP_H
#define ES_HTTP_H

#include <glib.h>
#include <http_parser.h>

#include "nodes/es_engine.h"

#define ES_HTTP_MAX_BODY (1u << 20) /* requests and responses bigger than this are refused */
#define ES_HTTP_MAX_HEADER 8192u    /* request line or status line plus headers */
#define ES_HTTP_MAX_CTYPE 256u
#define ES_HTTP_MAX_FIELD 64u
#define ES_HTTP_CONTENT_TYPE "application/pkixcmp"
#define ES_HTTP_BUSY_BODY "busy: queue full\n"  /* the body of a 503 */

/* Retry-After as delay-seconds, at most ES_RETRY_AFTER_MAX; 0 (none) for an HTTP-date,
 * NULL or anything else. */
guint es_http_retry_after(const char *value);
/* "OK", "Service Unavailable", ...; "Unknown" for a code HTTP does not name. */
const char *es_http_reason_phrase(int status);

/* One HTTP message being parsed (either direction). */
typedef struct {
  http_parser parser;
  GString *field;       /* current header name, lower-cased, truncated at ES_HTTP_MAX_FIELD */
  GString *ctype;
  GByteArray *body;
  gsize header_bytes;
  gboolean in_value;    /* the last header callback was a value */
  gboolean in_ctype;    /* that value belongs to Content-Type */
  gboolean in_retry_after; /* that value belongs to Retry-After */
  char retry_text[24];  /* its text so far (truncated: longer is no delay-seconds anyway) */
  guint retry_after;    /* its delay-seconds, capped; 0 when absent or an HTTP-date */
  gboolean complete;
  int reject;           /* an HTTP status that says why we gave up on the message */
} EsHttpIn;

/* A parser for requests (HTTP_REQUEST) or responses; init again to reuse it. */
void es_http_in_init(EsHttpIn *in, enum http_parser_type type);
void es_http_in_clear(EsHttpIn *in);
/* Feeds bytes (len 0: the peer closed). Returns how many were consumed; afterwards either
 * in->complete (one message, parser ready for the next), in->reject (the HTTP status that
 * says why it gave up: 400, 413, 431), or all bytes were consumed. */
gsize es_http_in_feed(EsHttpIn *in, const guint8 *data, gsize len);
/* The message's Content-Type, NULL when it had none. */
const char *es_http_in_content_type(const EsHttpIn *in);

#endif

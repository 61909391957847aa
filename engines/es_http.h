/* HTTP/1.1 for CMP (RFC 6712) as both engines speak it: one set of size limits, the messages
 * they send (requests, replies, refusals, 503 with Retry-After) and the checks of what they
 * take, and an incremental parser (http_parser) for the servers of both engines and the
 * simulated engine's clients. */
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

/* ---- the messages both engines send ------------------------------------------------------ */

/* A header field. Framing fields (Content-Length, Connection in a response) say how the
 * bytes are delimited: the simulated engine writes them, libevent writes its own. */
typedef struct {
  const char *name;
  const char *value;
  gboolean framing;
} EsHttpField;

#define ES_HTTP_FIELDS_MAX 6

/* A request or response as both engines send it, fields in wire order. It points into
 * itself and into the caller's strings and body: fill it with es_http_request or
 * es_http_reply* and use it in place (never copy it), while those live. */
typedef struct {
  const char *path; /* a request's target (method POST); NULL: a response */
  int status;       /* a response's status, 100 to 599 */
  EsHttpField field[ES_HTTP_FIELDS_MAX];
  guint n_fields;
  const guint8 *body;
  gsize len;
  char length[24];  /* the value of Content-Length */
  char number[24];  /* the value of Retry-After */
} EsHttpMsg;

/* A CMP request (RFC 6712): POST `path` with Host, Content-Type (content_type, NULL:
 * application/pkixcmp), Content-Length and Connection: keep-alive. */
void es_http_request(EsHttpMsg *m, const char *path, const char *host, const char *content_type,
                     const guint8 *body, gsize len);
/* A server's response; a status outside 100..599 is sent as 500. Without keep_alive it
 * says Connection: close. */
void es_http_reply(EsHttpMsg *m, int status, const char *content_type, const guint8 *body,
                   gsize len, gboolean keep_alive);
/* 503 with Retry-After: the server's queue is full. */
void es_http_reply_busy(EsHttpMsg *m, guint retry_after_s, gboolean keep_alive);
/* 503: nothing serves this address. */
void es_http_reply_no_service(EsHttpMsg *m, gboolean keep_alive);
/* The answer to a request the parser gave up on (m->reject: 400, 413, 431); the server
 * closes the connection after it. */
void es_http_reply_rejected(EsHttpMsg *m, int status);
/* TRUE when a server takes a request of this method; else *m is the refusal to send
 * (405 with Allow: POST, as RFC 6712 wants POST). */
gboolean es_http_request_acceptable(gboolean is_post, EsHttpMsg *m, gboolean keep_alive);
/* Appends the message as bytes on the wire: start line, fields, blank line, body. */
void es_http_write(GString *out, const EsHttpMsg *m);

/* ---- reading messages ----------------------------------------------------------------- */

/* Retry-After as delay-seconds, at most ES_RETRY_AFTER_MAX; 0 (none) for an HTTP-date,
 * NULL or anything else. */
guint es_http_retry_after(const char *value);
/* "OK", "Service Unavailable", ...; "Unknown" for a code HTTP does not name. */
const char *es_http_reason_phrase(int status);

/* One HTTP message being parsed (either direction). */
typedef struct {
  http_parser parser;
  gsize max_body;       /* limits (es_http_in_set_limits; 0: ES_HTTP_MAX_BODY, _HEADER) */
  gsize max_header;
  GString *field;       /* current header name, lower-cased, truncated at ES_HTTP_MAX_FIELD */
  GString *ctype;
  GByteArray *body;
  gsize header_bytes;
  gboolean in_value;    /* the last header callback was a value */
  gboolean in_ctype;    /* that value belongs to Content-Type */
  gboolean in_retry_after; /* that value belongs to Retry-After */
  char retry_text[24];  /* its text so far (truncated: longer is no delay-seconds anyway) */
  guint retry_after;    /* its delay-seconds, capped; 0 when absent or an HTTP-date */
  guint n_ctype;        /* Content-Type fields seen: more than one is refused */
  gboolean in_expect;   /* the header value being read belongs to Expect */
  char expect_text[16];
  gboolean expect_continue; /* the request said Expect: 100-continue */
  char target[64];      /* a request's target, truncated (a longer one names no page) */
  gsize target_len;     /* its whole length */
  gboolean begun;       /* a message's first byte has come and it is not complete yet */
  gboolean complete;
  int reject;           /* an HTTP status that says why we gave up on the message */
} EsHttpIn;

/* A parser for requests (HTTP_REQUEST) or responses; init again to reuse it. */
void es_http_in_init(EsHttpIn *in, enum http_parser_type type);
void es_http_in_clear(EsHttpIn *in);
/* Bounds of the messages this parser takes (0: the defaults above); kept across inits. */
void es_http_in_set_limits(EsHttpIn *in, gsize max_body, gsize max_header);
/* Gives back the memory of the last message's body (a server holding many idle connections
 * keeps no body buffers). */
void es_http_in_release_body(EsHttpIn *in);
/* Feeds bytes (len 0: the peer closed). Returns how many were consumed; afterwards either
 * in->complete (one message, parser ready for the next), in->reject (the HTTP status that
 * says why it gave up: 400, 413, 431), or all bytes were consumed. Refused with 400: framing
 * a peer could use to smuggle a message past another parser (two Content-Length fields,
 * equal or not; Content-Length with chunked), and two Content-Type fields. */
gsize es_http_in_feed(EsHttpIn *in, const guint8 *data, gsize len);
/* TRUE when the request's target is exactly `path` (no query, nothing truncated). */
gboolean es_http_in_target_is(const EsHttpIn *in, const char *path);
/* The message's Content-Type, NULL when it had none. */
const char *es_http_in_content_type(const EsHttpIn *in);

#endif

/* Fuzzes the HTTP/1.1 framing of es_http, the parser both engines' servers read requests with
 * (and the simulated eNBs read responses with): the input is cut into TCP-like pieces and fed
 * as a stream of messages. It must never crash, read or keep beyond its limits, or lose a
 * body that es_http writes back. Input: a flags byte, a piece-size byte, then the bytes. */
#include "tests/fuzz/fuzz_common.h"

#include <stdlib.h>
#include <string.h>
#include "engines/es_http.h"

#define SMALL_BODY 64u
#define SMALL_HEADER 128u

/* A complete request written again with es_http and parsed back: the same body and type. */
static void round_trip(const EsHttpIn *in)
{
  const char *ctype = es_http_in_content_type(in);
  if (ctype != NULL && (strchr(ctype, '\r') != NULL || strchr(ctype, '\n') != NULL))
    abort(); /* the parser let a line break into a field value */
  EsHttpMsg m;
  es_http_request(&m, "/", "fuzz", ctype, in->body->data, in->body->len);
  GString *wire = g_string_new(NULL);
  es_http_write(wire, &m);
  EsHttpIn again = {0};
  es_http_in_init(&again, HTTP_REQUEST);
  es_http_in_feed(&again, (const guint8 *)wire->str, wire->len);
  if (!again.complete || again.body->len != in->body->len
      || memcmp(again.body->data, in->body->data, in->body->len) != 0)
    abort();
  es_http_in_clear(&again);
  g_string_free(wire, TRUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  guint8 flags = data[0];
  gsize piece = data[1] == 0 ? size : data[1];
  data += 2;
  size -= 2;
  enum http_parser_type type = (flags & 1) ? HTTP_RESPONSE : HTTP_REQUEST;
  gboolean small = (flags & 2) != 0;
  gsize max_body = small ? SMALL_BODY : ES_HTTP_MAX_BODY;
  gsize max_header = small ? SMALL_HEADER : ES_HTTP_MAX_HEADER;
  EsHttpIn in = {0};
  if (small)
    es_http_in_set_limits(&in, max_body, max_header);
  es_http_in_init(&in, type);
  gsize off = 0;
  guint stuck = 0;
  while (off < size && in.reject == 0 && stuck < 3) {
    gsize len = MIN(piece, size - off);
    gsize used = es_http_in_feed(&in, data + off, len);
    if (used > len)
      abort();
    off += used;
    stuck = used == 0 ? stuck + 1 : 0;
    if (in.body->len > max_body)
      abort();
    if (in.complete) {
      if (in.begun)
        abort();
      if (type == HTTP_REQUEST)
        round_trip(&in);
      else if (in.retry_after > ES_RETRY_AFTER_MAX)
        abort();
      if ((flags & 4) != 0)
        es_http_in_release_body(&in);
      continue;
    }
    if (in.reject == 0 && used < len)
      abort(); /* stopped without a message or a reason */
  }
  if (in.reject == 0 && (flags & 8) != 0)
    es_http_in_feed(&in, NULL, 0); /* the peer closes */
  switch (in.reject) {
  case 0: case 400: case 413: case 431: break;
  default: abort();
  }
  es_http_in_clear(&in);
  return 0;
}

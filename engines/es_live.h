/* The live engine: the engine API over libevent, with real sockets and the real clock, so the
 * same eNB and RA/CA code serves `openssl cmp` and enrols against any RFC 6712 server. */
#ifndef ES_LIVE_H
#define ES_LIVE_H

#include <glib.h>
#include "nodes/es_engine.h"

#define ES_LIVE_ERROR (es_live_error_quark())
GQuark es_live_error_quark(void);
typedef enum {
  ES_LIVE_ERROR_ADDRESS,
  ES_LIVE_ERROR_LISTEN,
  ES_LIVE_ERROR_SETUP,
  ES_LIVE_ERROR_TLS
} EsLiveError;

typedef struct EsLive EsLive;
/* TLS credentials and policy for one side: serve's, or the eNBs' channels'. */
typedef struct EsLiveTls EsLiveTls;

/* What the server accepts from clients; zeros take the defaults. */
typedef struct {
  gsize max_body;        /* bigger request bodies are refused with 413 (default 1 MiB) */
  gsize max_headers;     /* request line plus headers (default 8 KiB) */
  double idle_timeout_s; /* a connection that sends nothing for this long is closed, between
                          * requests or in the middle of one (default 30 s); a reply that
                          * cannot be written for this long too */
  double request_timeout_s; /* a request must arrive whole (headers and body) this long after
                          * its first byte, or it gets 408 and the connection is closed
                          * (default 10 s): the idle timeout restarts with every byte */
  guint max_connections; /* open connections at most (default 1024, less when the descriptor
                          * limit is lower); a new one beyond it closes the connection idle
                          * longest, or the oldest unfinished request; when every connection
                          * has a request being served, the new one is refused */
  gsize max_body_memory; /* request bodies being received, all connections together (default
                          * 32 x max_body); beyond it the connection holding the biggest
                          * unfinished body gets 503 and is closed */
} EsLiveLimits;

/* What the server has done to keep within its limits, since es_live_listen. */
typedef struct {
  guint64 accepted;        /* connections */
  guint open;              /* connections open now */
  guint open_peak;
  guint64 evicted;         /* closed to make room for a new connection (max_connections or
                            * no descriptor left) */
  guint64 refused;         /* new connections closed at once: nothing could make room */
  guint64 timed_out;       /* requests not whole within request_timeout_s (408) */
  guint64 over_memory;     /* bodies dropped for max_body_memory (503) */
  gsize body_memory;       /* bytes of request bodies being received now */
  gsize body_memory_peak;
  guint64 shortages;       /* episodes of accept() finding no descriptor (each logged once) */
  guint64 accept_pauses;   /* times accepting paused for want of a descriptor */
  guint64 tls_handshakes;  /* TLS handshakes completed (full or resumed) */
  guint64 tls_resumed;     /* of which resumed a session */
  guint64 tls_failures;    /* connections that ended before their handshake completed: a
                            * failed one, one that never finished in request_timeout_s, or
                            * a client that left */
} EsLiveServerStats;

/* A libevent base of its own. Sets SIGPIPE to ignored (process-wide): a reply written to a
 * client that went away must fail with EPIPE, not kill the process. */
EsLive *es_live_new(GError **error);
/* Closes every connection and listener; pending timers never fire, unanswered exchanges are
 * dropped. Free the nodes (eNBs, RA/CA) first, as with the simulated engine. */
void es_live_free(EsLive *live);
EsEngine *es_live_get0_engine(EsLive *live);

/* Engine time counts from es_live_new; this is the wall clock then, as whole seconds since
 * the Unix epoch plus *fraction in [0, 1): what EsRacaConfig/EsEnbConfig.epoch and
 * .epoch_fraction want so that epoch + now is the wall time. */
gint64 es_live_get_epoch(const EsLive *live, double *fraction);

/* Where every eNB channel posts: "HOST:PORT" ("[v6]:PORT" for IPv6) and the request path
 * (NULL: "/"). Only numeric addresses and names resolvable without waiting (/etc/hosts). */
gboolean es_live_set_target(EsLive *live, const char *host_port, const char *path, GError **error);

/* Where the channels of es_engine_upstream_open post (the CA behind this RA, any RA index):
 * "HOST:PORT", "[V6]:PORT", "http://HOST:PORT[/PATH]" (path "/" by default) or
 * "https://HOST:PORT[/PATH]" (after es_live_set0_upstream_tls). Only numeric addresses and
 * names resolvable without waiting. A malformed target is refused (ES_LIVE_ERROR_ADDRESS)
 * with a message saying why; https:// without a TLS context, or a TLS context with a target
 * that is not https://, too (ES_LIVE_ERROR_TLS). Without it, es_engine_upstream_open gives
 * NULL. */
gboolean es_live_set_upstream(EsLive *live, const char *target, GError **error);
/* Takes a client context (es_live_tls_client_new) for an https:// upstream; its host, unless
 * given, is the target's. */
void es_live_set0_upstream_tls(EsLive *live, EsLiveTls *tls);
/* An upstream post not answered this long after it was made fails as a transport failure
 * whose error says it timed out (default ES_LIVE_UPSTREAM_TIMEOUT_S); applies to posts made
 * from then on. */
#define ES_LIVE_UPSTREAM_TIMEOUT_S 30.0
void es_live_set_upstream_timeout(EsLive *live, double timeout_s);

/* TLS contexts from PEM files; NULL with *error naming the file and OpenSSL's reason.
 * Server: `cert` is the chain (the server's certificate first), `key` its key; with
 * `client_ca`, clients must present a certificate that verifies against it. TLS 1.2 at least,
 * renegotiation refused.
 * Client: the server's chain must verify against `trusted` and name `host` (a DNS name, or an
 * IP address matched against iPAddress entries; NULL: es_live_set0_tls uses the target's
 * host); `cert`/`key` (both or neither) are presented when the server asks. */
EsLiveTls *es_live_tls_server_new(const char *cert, const char *key, const char *client_ca,
                                  GError **error);
EsLiveTls *es_live_tls_client_new(const char *trusted, const char *cert, const char *key,
                                  const char *host, GError **error);
void es_live_tls_set_host(EsLiveTls *tls, const char *host);
/* Another reference (one thread: contexts live in the event loop's thread). */
EsLiveTls *es_live_tls_ref(EsLiveTls *tls);
/* Drops a reference. */
void es_live_tls_free(EsLiveTls *tls);
/* Takes `tls`: a server context makes es_live_listen speak HTTPS only (set it before), a
 * client context makes every eNB channel connect with TLS. */
void es_live_set0_tls(EsLive *live, EsLiveTls *tls);

/* The eNB channels' transport failures and HTTP errors (but 503) so far, commonest first, as
 * one line: "TLS: the server's certificate did not verify: ... (4 times); HTTP 400: ...
 * (1 time)"; NULL when there were none. g_free it. */
char *es_live_describe_client_errors(const EsLive *live);

/* Whether es_live_listen serves HTTPS (es_live_set0_tls with a server context). */
gboolean es_live_serves_tls(const EsLive *live);

/* Serves RA/CA 0 (es_engine_server_set) on "HOST:PORT"; port 0 picks a free one, which
 * es_live_get_port then tells. Any request path is accepted; methods other than POST get 405
 * (but GET of the page, es_live_set_page).
 * `limits` may be NULL. When accept() finds no descriptor left, the stalest connection is
 * closed to make room, or else accepting pauses (250 ms at a time); one line on stderr says
 * so, once per episode. */
gboolean es_live_listen(EsLive *live, const char *host_port, const EsLiveLimits *limits,
                        GError **error);
guint16 es_live_get_port(const EsLive *live);
/* Writes the body of a page served to GET (es_live_set_page). */
typedef void (*EsLivePageFn)(void *arg, GString *body);
/* Answers GET of exactly `path` with 200, `content_type` and what fn writes, at once in the
 * event loop: the request never reaches the RA/CA, so the page answers while every worker is
 * busy and while the RA/CA refuses requests. Other GETs still get 405. One page; fn NULL
 * removes it. */
void es_live_set_page(EsLive *live, const char *path, const char *content_type,
                      EsLivePageFn fn, void *arg);
/* The limits in force (defaults filled in) and what they did; zeros before es_live_listen. */
void es_live_get_server_stats(const EsLive *live, EsLiveLimits *limits, EsLiveServerStats *stats);

/* Runs the event loop until es_live_stop (or a signal, see below) or until nothing is left
 * to wait for. */
void es_live_run(EsLive *live);
void es_live_stop(EsLive *live);
/* SIGINT and SIGTERM end es_live_run from then on; es_live_get_signal says which came. */
gboolean es_live_stop_on_signals(EsLive *live, GError **error);
int es_live_get_signal(const EsLive *live);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsLive, es_live_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsLiveTls, es_live_tls_free)

#endif

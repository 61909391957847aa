/* The live engine: the engine API over libevent, with real sockets and the real clock, so the
 * same eNB and RA/CA code serves `openssl cmp` and enrols against any RFC 6712 server. */
#ifndef ES_LIVE_H
#define ES_LIVE_H

#include <glib.h>
#include "nodes/es_engine.h"

#define ES_LIVE_ERROR (es_live_error_quark())
GQuark es_live_error_quark(void);
typedef enum { ES_LIVE_ERROR_ADDRESS, ES_LIVE_ERROR_LISTEN, ES_LIVE_ERROR_SETUP } EsLiveError;

typedef struct EsLive EsLive;

/* What the server accepts from a client; zeros take the defaults. */
typedef struct {
  gsize max_body;        /* bigger request bodies are refused with 413 (default 1 MiB) */
  gsize max_headers;     /* request line plus headers (default 8 KiB) */
  double idle_timeout_s; /* a connection that sends nothing for this long is closed, between
                          * requests or in the middle of one (default 30 s); a reply that
                          * cannot be written for this long too */
} EsLiveLimits;

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

/* Serves RA/CA 0 (es_engine_server_set) on "HOST:PORT"; port 0 picks a free one, which
 * es_live_get_port then tells. Any request path is accepted; methods other than POST get 405.
 * `limits` may be NULL. */
gboolean es_live_listen(EsLive *live, const char *host_port, const EsLiveLimits *limits,
                        GError **error);
guint16 es_live_get_port(const EsLive *live);

/* Runs the event loop until es_live_stop (or a signal, see below) or until nothing is left
 * to wait for. */
void es_live_run(EsLive *live);
void es_live_stop(EsLive *live);
/* SIGINT and SIGTERM end es_live_run from then on; es_live_get_signal says which came. */
gboolean es_live_stop_on_signals(EsLive *live, GError **error);
int es_live_get_signal(const EsLive *live);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsLive, es_live_free)

#endif

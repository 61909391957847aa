/* What the live engine's files share (es_live.c: clock, timers, set-up; es_live_client.c:
 * client channels; es_live_server.c: the RA/CA's server). Private to engines/. */
#ifndef ES_LIVE_PRIV_H
#define ES_LIVE_PRIV_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "engines/es_live.h"

typedef struct EsLiveServer EsLiveServer;
typedef struct EsLiveConn EsLiveConn;

struct EsExchange {
  EsLive *live;
  EsLiveConn *conn;                /* NULL once the connection went away: the reply is dropped */
  gboolean keep_alive;
  GList link;                      /* in live->exchanges */
};

/* Where a kind of channel posts: the eNBs' RA/CA (es_live_set_target) or the CA behind this
 * RA (es_live_set_upstream). */
typedef struct {
  char *host;                      /* NULL: not set */
  guint16 port;
  char *hostport;                  /* for the Host header */
  char *path;
  EsLiveTls *tls;                  /* NULL: plain HTTP */
  double timeout_s;                /* a post not answered by then fails; 0: the caller's own
                                    * timeout decides (libevent's backs it up) */
} EsLivePeer;

struct EsLive {
  EsEngine engine;
  struct event_base *base;
  gint64 start_mono;               /* microseconds */
  gint64 epoch;
  double epoch_fraction;
  GHashTable *timers;              /* &Timer.id -> Timer */
  guint64 next_timer;
  EsLivePeer target;               /* the eNB channels' */
  EsLivePeer upstream;             /* the upstream channels' (serve --upstream) */
  GQueue channels;
  GQueue doomed;                   /* evhttp_connection, freed outside libevent's frames */
  struct event *reaper;
  EsLiveServer *server;            /* es_live_server.c */
  guint16 port;
  EsRequestFn server_fn;
  void *server_arg;
  GQueue exchanges;
  char *page_path, *page_type;     /* es_live_set_page */
  EsLivePageFn page_fn;
  void *page_arg;
  struct event *sigint, *sigterm;
  int signal;
  EsLiveTls *server_tls;           /* NULL: plain HTTP */
  GHashTable *client_errors;       /* the eNB channels' transport failures, HTTP errors:
                                    * text -> count */
};

/* A delay as libevent wants it (negative or NaN: now). */
struct timeval es_live_timeval(double s);
/* "HOST:PORT" or "[V6]:PORT" into host (g_free it) and port. */
gboolean es_live_parse_host_port(const char *text, char **host, guint16 *port, GError **error);

/* es_live_tls.c: a bufferevent speaking TLS on fd (-1: to be connected), in the role of
 * `tls`; NULL on failure. */
struct bufferevent *es_live_tls_bufferevent_new(EsLiveTls *tls, struct event_base *base,
                                                evutil_socket_t fd);
gboolean es_live_tls_is_server(const EsLiveTls *tls);
/* The name the server's certificate must carry, unless es_live_tls_set_host gave one. */
void es_live_tls_default_host(EsLiveTls *tls, const char *host);
gboolean es_live_tls_session_reused(struct bufferevent *bev);
/* Whether the handshake failed because the client spoke plain HTTP (OpenSSL tells). */
gboolean es_live_tls_got_plain_http(struct bufferevent *bev);
/* Sends close_notify if the handshake completed. */
void es_live_tls_shutdown(struct bufferevent *bev);
/* Why a TLS connection failed (the certificate check, else OpenSSL's last error) into buf;
 * empty when TLS has nothing to say. */
void es_live_tls_describe_failure(struct bufferevent *bev, char *buf, gsize size);

/* The client's part of the engine API (es_live_client.c). */
EsChannel *es_live_channel_open(EsEngine *engine, guint enb);
void es_live_channel_post(EsChannel *c, const char *content_type, const guint8 *body, gsize len,
                          EsResponseFn fn, void *arg);
void es_live_channel_close(EsChannel *c);
EsChannel *es_live_upstream_open(EsEngine *engine, guint raca);
/* The reaper of dead connections, at es_live_new; closes every channel, at es_live_free. */
void es_live_client_init(EsLive *live);
void es_live_client_free(EsLive *live);

/* The server's part of the engine API. */
void es_live_server_set(EsEngine *engine, guint raca, EsRequestFn fn, void *arg);
void es_live_reply(EsEngine *engine, EsExchange *x, int http_status, const char *content_type,
                   const guint8 *body, gsize len);
void es_live_reply_unavailable(EsEngine *engine, EsExchange *x, guint retry_after_s);
void es_live_drop(EsEngine *engine, EsExchange *x);
/* Closes the listener and its connections and drops unanswered exchanges. */
void es_live_server_free(EsLive *live);

#endif

/* What the simulated engine's files share (es_sim.c: clock, client channels, the network;
 * es_sim_server.c: servers of RA/CAs and CAs). Private to engines/. */
#ifndef ES_SIM_PRIV_H
#define ES_SIM_PRIV_H

#include "engines/es_sim.h"
#include "engines/es_http.h"
#include "engines/ns3/es_ns3.h"
#include "pki/es_rand.h"

#define HTTP_PORT 80

typedef struct EsServer EsServer;
typedef struct EsTlsEnd EsTlsEnd;
typedef struct EsServerConn EsServerConn;

struct EsChannel {
  EsSim *sim;
  guint node;
  guint32 raca_addr; /* the server's address: the eNB's RA/CA, or the RA's CA upstream */
  guint16 port;      /* the RA/CA node's port: HTTP_PORT unless es_sim_set_enb_port moved it */
  EsNs3Socket *sock; /* NULL until the next post connects */
  gboolean connected;
  gboolean outstanding;
  EsResponseFn fn;
  void *arg;
  EsHttpIn in;
  guint enb;             /* 1..N; 0: the upstream channel of an RA to its CA, which has no
                          * eNB's port, TLS session or counters */
  gboolean relying;      /* with enb 0: a relying node's (es_sim_node_channel_open), which
                          * speaks TLS like an eNB's but keeps no session and counts nowhere */
  EsTlsEnd *tls;         /* with transport.tls, while sock is (never upstream) */
  GByteArray *plain;     /* decrypted bytes being parsed */
  int dispatching; /* inside a response callback: freeing waits */
  gboolean closed;
  GList link; /* in sim->channels */
};

struct EsExchange {
  EsServerConn *conn; /* NULL once the connection went away: the reply is dropped */
  gboolean keep_alive;
  GList link; /* in sim->exchanges */
};

struct EsServerConn {
  EsServer *server;
  EsNs3Socket *sock;
  EsTlsEnd *tls;       /* NULL: plain HTTP */
  EsHttpIn in;
  GByteArray *backlog; /* received, not parsed yet (parsing waits while a request is served) */
  EsExchange *exchange;
  gboolean processing;
  gboolean dead;
  GList link; /* in server->conns */
};

struct EsServer {
  EsSim *sim;
  guint node;
  EsNs3Socket *listener;
  guint16 port;
  EsRequestFn fn;
  void *arg;
  gboolean plain; /* plain HTTP whatever transport.tls says: a CA behind RAs */
  GQueue conns;
};

struct EsSim {
  EsEngine engine;
  guint nodes;
  guint enbs;
  guint32 *addr;      /* per node: its address (for a non-root node, on its uplink) */
  guint *enb_node;    /* per eNB number - 1 */
  guint *enb_raca;    /* per eNB number - 1: the RA/CA it enrols with */
  guint racas;
  guint *raca_node;
  guint cas;          /* 0: every RA/CA is its own CA */
  guint *ca_node;     /* per CA */
  guint *raca_ca;     /* per RA/CA: the CA behind it (with CAs) */
  EsServer **servers; /* per server, created by server_set: RA/CAs 0..R-1, CAs R..R+C-1 */
  guint16 *enb_port;  /* per eNB number - 1, NULL until es_sim_set_enb_port: 0 is HTTP_PORT */
  GPtrArray *port_servers; /* EsServer on other ports (es_sim_serve_port) */
  EsSimPageFn pages;       /* GETs (es_sim_set_pages) */
  void *pages_arg;
  char *path;
  GQueue channels;
  GQueue exchanges;
  guint64 connects;          /* by eNB channels */
  guint64 upstream_connects; /* by the RAs' channels to their CAs */
  SSL_CTX *tls_client;     /* NULL: plain HTTP */
  GHashTable *tls_servers; /* port -> SSL_CTX */
  guint tls_version;
  EsRand *tls_rand;
  SSL_SESSION **tls_sessions; /* per eNB number - 1: its last session, resumed on its next */
  EsSimTlsStats tls_stats;
};

/* The one live simulation (ns-3 is a singleton); replies find their exchange list here. */
extern EsSim *es_sim_current;


/* The servers' part of the engine API. */
void es_sim_server_set(EsEngine *engine, guint raca, EsRequestFn fn, void *arg);
void es_sim_reply(EsEngine *engine, EsExchange *x, int http_status, const char *content_type,
                  const guint8 *body, gsize len);
void es_sim_reply_unavailable(EsEngine *engine, EsExchange *x, guint retry_after_s);
void es_sim_drop(EsEngine *engine, EsExchange *x);
void es_sim_server_free(EsServer *srv);

/* es_sim_tls.c: one end of a TLS connection over memory BIOs. */
EsTlsEnd *es_sim_tls_client_new(EsSim *sim, SSL_SESSION *resume);
/* NULL when no credential serves `port`. */
EsTlsEnd *es_sim_tls_server_new(EsSim *sim, guint16 port);
void es_sim_tls_free(EsTlsEnd *t);
/* Plaintext to send: written at once, or when the handshake has finished. */
void es_sim_tls_write(EsTlsEnd *t, const guint8 *data, gsize len);
/* Bytes from TCP: appends the plaintext they complete to `plain`. FALSE when TLS failed;
 * *why then says how, in text that stays valid. */
gboolean es_sim_tls_feed(EsTlsEnd *t, const guint8 *data, gsize len, GByteArray *plain,
                         const char **why);
/* Hands what TLS produced (handshake, records, alerts) to TCP; sock NULL: discards it. */
void es_sim_tls_flush(EsTlsEnd *t, EsNs3Socket *sock);
/* HTTP bytes onto the connection: through `tls` when it is not NULL, else as they are. */
void es_sim_send(EsNs3Socket *sock, EsTlsEnd *tls, const guint8 *bytes, gsize len);
/* A close_notify alert, once the handshake has finished. */
void es_sim_tls_close_notify(EsTlsEnd *t, EsNs3Socket *sock);
/* The session to resume on a next connection; NULL when there is none. */
SSL_SESSION *es_sim_tls_get1_session(EsTlsEnd *t);

#endif

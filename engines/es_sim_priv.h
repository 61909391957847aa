/* What the simulated engine's files share (es_sim.c: clock, client channels, the network;
 * es_sim_server.c: servers). Private to engines/. */
#ifndef ES_SIM_PRIV_H
#define ES_SIM_PRIV_H

#include "engines/es_sim.h"
#include "engines/es_http.h"
#include "engines/ns3/es_ns3.h"

#define HTTP_PORT 80

typedef struct EsServer EsServer;
typedef struct EsServerConn EsServerConn;

struct EsChannel {
  EsSim *sim;
  guint node;
  guint32 raca_addr;
  guint16 port;      /* the RA/CA node's port: HTTP_PORT unless es_sim_set_enb_port moved it */
  EsNs3Socket *sock; /* NULL until the next post connects */
  gboolean connected;
  gboolean outstanding;
  EsResponseFn fn;
  void *arg;
  EsHttpIn in;
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
  EsRequestFn fn;
  void *arg;
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
  EsServer **servers; /* per RA/CA, created by server_set */
  guint16 *enb_port;  /* per eNB number - 1, NULL until es_sim_set_enb_port: 0 is HTTP_PORT */
  GPtrArray *port_servers; /* EsServer on other ports (es_sim_serve_port) */
  char *path;
  GQueue channels;
  GQueue exchanges;
  guint64 connects;
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

#endif

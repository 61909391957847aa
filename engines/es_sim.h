/* The simulated engine: the topology built in ns-3 (point-to-point links, static routes,
 * TCP), HTTP/1.1 framing on top, simulated clock and timers behind the engine API. */
#ifndef ES_SIM_H
#define ES_SIM_H

#include <signal.h>
#include <glib.h>
#include <openssl/ssl.h>
#include "config/es_config.h"
#include "nodes/es_engine.h"
#include "topologies/es_topology.h"

#define ES_SIM_ERROR (es_sim_error_quark())
GQuark es_sim_error_quark(void);
typedef enum { ES_SIM_ERROR_TOPOLOGY, ES_SIM_ERROR_NS3, ES_SIM_ERROR_TLS } EsSimError;

typedef struct EsSim EsSim;

/* One simulation per process (ns-3's simulator is a singleton); seeds ns-3's RngSeed and
 * RngRun from `seed`. */
EsSim *es_sim_new(const EsTopology *topo, guint64 seed, GError **error);
/* Destroys the ns-3 world; pending timers never fire. */
void es_sim_free(EsSim *sim);
EsEngine *es_sim_get0_engine(EsSim *sim);
/* Runs events until es_sim_stop is called or simulated time reaches stop_s (absolute; the
 * clock then reads stop_s even if nothing happened since). With stop_s = INFINITY it runs
 * until no event is left. A stop_s at or before now returns at once. */
void es_sim_run(EsSim *sim, double stop_s);
void es_sim_stop(EsSim *sim);
/* es_sim_run returns after the event under way once *flag is non-zero (a signal handler sets
 * it; the clock then reads that event's time). Checking it adds no event: a run never
 * interrupted gives the same results. NULL: never. */
void es_sim_set_interrupt(EsSim *sim, const volatile sig_atomic_t *flag);
guint64 es_sim_get_events(const EsSim *sim);
/* An engine timer at an absolute simulated time (es_engine_timer_add takes a delay, which
 * rounds differently once the clock has moved); cancel it with es_engine_timer_cancel. */
guint64 es_sim_timer_add_at(EsSim *sim, double at_s, EsTimerFn fn, void *arg);
/* Calls fn(arg) every so often while the simulation runs (every few dozen timer callbacks),
 * without adding any event: a progress report cannot change the results. NULL stops it. */
void es_sim_set_tick(EsSim *sim, EsTimerFn fn, void *arg);

/* Packets the links' error models dropped so far, every cause (TCP retransmits each). */
guint64 es_sim_get_loss_drops(const EsSim *sim);
/* What the link impairments did so far, and what TCP did about it. */
typedef struct {
  guint64 drops_loss;   /* dropped by the independent loss (`loss` keys) */
  guint64 drops_burst;  /* dropped in a Gilbert-Elliott bad state (`burst_*` keys) */
  guint64 drops_outage; /* dropped in an outage window (`outages` keys) */
  guint64 corruptions;  /* data segments delivered with a flipped payload bit (`corruption`) */
  guint64 tcp_retransmissions; /* as es_sim_get_tcp_retransmissions; of those: */
  guint64 tcp_retransmissions_enbs;  /* sent by the eNBs' ends of the connections */
  guint64 tcp_retransmissions_racas; /* sent by the RA/CAs' ends */
  guint64 tcp_retransmissions_upstream; /* on the RAs' connections to their CAs, both ends
                                         * (0 without CAs); the three add up to the total */
} EsSimLinkStats;
void es_sim_get_link_stats(const EsSim *sim, EsSimLinkStats *stats);
/* Segments TCP sent a second (or later) time, on every connection, both ends: data, SYN and
 * FIN segments below the highest sequence number their socket had sent (pure ACKs never
 * count). Taken from ns-3's TcpSocketBase "Tx" trace. */
guint64 es_sim_get_tcp_retransmissions(const EsSim *sim);
/* The part of that on eNB `enb`'s (1..N) connections: what the eNB retransmitted plus what
 * the RA/CA retransmitted on connections the eNB opened (each connection is charged to the
 * node whose address opened it, so an RA's connections to its CA count for no eNB). The
 * eNBs' counts add up to the total while only eNBs open connections. Kept as a 32-bit counter
 * per node. */
guint64 es_sim_get_enb_tcp_retransmissions(const EsSim *sim, guint enb);
/* TCP connections the eNBs' channels opened so far (one per channel unless the server
 * closed a kept-alive connection). */
guint64 es_sim_get_connections(const EsSim *sim);
/* TCP connections the RAs' channels to their CAs (es_engine_upstream_open) opened so far. */
guint64 es_sim_get_upstream_connections(const EsSim *sim);
/* The request path of the POSTs (default "/"); must start with '/'. */
void es_sim_set_http_path(EsSim *sim, const char *path);
/* A node's IPv4 address in host byte order (a non-root node's is on its uplink). Links are
 * /30s from 10.0.0.0/8, each subtree in one aligned block. */
guint32 es_sim_node_address(const EsSim *sim, guint node);
/* For tests: like es_channel_post, but sends `bytes` as they are instead of an HTTP request,
 * to see how the server copes with them. */
void es_sim_channel_post_raw(EsChannel *channel, const guint8 *bytes, gsize len,
                             EsResponseFn fn, void *arg);

/* A GET to any server of the network (a CRL distribution point on the RA/CA's node, RFC 5280
 * 4.2.1.13 over HTTP): `fn` gives the page for the request's target (truncated at 63 bytes)
 * and its Content-Type, or NULL for 404. Other methods than GET and POST get 405. The page is
 * answered at once, never queued behind CMP. */
typedef GBytes *(*EsSimPageFn)(void *arg, const char *target, const char **content_type);
void es_sim_set_pages(EsSim *sim, EsSimPageFn fn, void *arg);
/* A GET of `target` on `channel` (an eNB's to its RA/CA): the response as for a post, of up
 * to ES_SIM_MAX_PAGE bytes. */
#define ES_SIM_MAX_PAGE (512u << 20)
void es_sim_channel_get(EsChannel *channel, const char *target, EsResponseFn fn, void *arg);

/* A channel from topology node `node` (a relying node that is no eNB: a SeGW) to RA/CA
 * `raca`'s node, port 80, for es_sim_channel_get: the eNBs' path to the distribution point,
 * from elsewhere in the tree. With transport.tls it speaks TLS as an eNB's does, without
 * keeping a session to resume. Its connections are no eNB's nor RA's: counted by neither
 * es_sim_get_connections nor es_sim_get_upstream_connections. NULL (and a warning) for a node
 * or an RA/CA that does not exist. Close it with es_channel_close. */
EsChannel *es_sim_node_channel_open(EsSim *sim, guint node, guint raca);

/* A further server on RA/CA `raca`'s node, on TCP port `port` (not 80), until es_sim_free:
 * e.g. a rogue RA/CA that answers some eNBs over the very path to the genuine one. */
void es_sim_serve_port(EsSim *sim, guint raca, guint16 port, EsRequestFn fn, void *arg);
/* eNB `enb` (1..N) connects to its RA/CA's node on `port` (0: 80, the default) from its next
 * channel on. */
void es_sim_set_enb_port(EsSim *sim, guint enb, guint16 port);

/* Packet capture of eNB number `index` (1..N), RA/CA `index` (0..) or CA `index` (0..) to a
 * pcap file at `path` (its folder must exist), from now until es_sim_free; Wireshark decodes
 * the HTTP and CMP in it. FALSE when there is no such node (a CA: only in a topology with CAs).
 * A CA's capture holds its link to the core: every RA's requests to it. */
typedef enum { ES_SIM_NODE_ENB, ES_SIM_NODE_RACA, ES_SIM_NODE_CA } EsSimNodeKind;
gboolean es_sim_enable_pcap(EsSim *sim, EsSimNodeKind kind, guint index, const char *path,
                            GError **error);

/* [transport]: CMP's HTTP over TLS on the backhaul (TS 33.310 allows it), real TLS records
 * from OpenSSL over ns-3 TCP. */
typedef enum { ES_TLS_1_3, ES_TLS_1_2 } EsTlsVersion;
typedef struct {
  gboolean tls;      /* transport.tls          false: plain HTTP */
  guint tls_version; /* transport.tls_version  1.3 (EsTlsVersion): the only version offered */
} EsTransportConfig;
const EsConfigSchema *es_transport_config_schema(void);
/* "1.3" or "1.2". */
const char *es_transport_tls_version_name(guint version);

/* With config->tls, every eNB channel opened from now on speaks TLS and verifies the server's
 * certificate against `trusted` alone (a late-binding eNB holds the vendor root only: the
 * RA/CA presents its cross certificate). Randomness from stream ES_STREAM_TLS of `seed`.
 * Without config->tls it does nothing. Call once, before any channel opens. */
gboolean es_sim_set_tls(EsSim *sim, const EsTransportConfig *config, X509 *trusted, guint64 seed,
                        GError **error);
/* Servers on `port` (0: the RA/CAs' own port) of every RA/CA node present `cert` and prove
 * `key` in the handshake (a CA's server stays plain HTTP); a server on a port without a credential answers TLS with plain
 * HTTP (the client reports the handshake failure). Does nothing before es_sim_set_tls. */
gboolean es_sim_set_tls_credential(EsSim *sim, guint16 port, X509 *cert, EVP_PKEY *key,
                                   GError **error);
typedef struct {
  guint64 handshakes;      /* completed, counted by the client end */
  guint64 resumed;         /* of those, abbreviated (a session the channel kept) */
  guint64 failures;        /* handshakes or records a client end gave up on */
  guint64 record_bytes;    /* TLS bytes handed to TCP, both ends: handshakes, records, alerts */
  guint64 plaintext_bytes; /* the HTTP bytes they carried: the difference is TLS's cost */
  const char *first_failure; /* why the first failure failed; NULL when none did */
} EsSimTlsStats;
void es_sim_get_tls_stats(const EsSim *sim, EsSimTlsStats *stats);

/* Notes on behaviour that callers rely on:
 * - Every eNB's channel goes to the RA/CA the topology assigns it (es_topology_enb_raca;
 *   port 80, HTTP/1.1 keep-alive); es_engine_server_set(engine, r, ...) serves RA/CA r.
 * - In a topology with C CAs, es_engine_server_set(engine, R + c, ...) serves CA c (R RA/CAs)
 *   on its node's port 80, and es_engine_upstream_open(engine, r) is RA/CA r's channel to CA
 *   es_topology_raca_ca(topo, r): from the RA's node, keep-alive, reconnecting after the CA
 *   closed, failures in EsResponse.error like an eNB's. That hop is plain HTTP even with
 *   transport.tls. Without CAs es_engine_upstream_open returns NULL.
 * - content_type is NULL in a request or response that had no Content-Type header.
 * - Bodies above 1 MiB or headers above 8 KiB are refused: the server answers 413/431 and
 *   closes; the client reports "HTTP response too large" / "malformed HTTP response".
 * - Transport failures: "connection refused" (nobody listens: es_engine_server_set not called
 *   for that RA/CA, or called with fn NULL to stop serving), "connection timed out",
 *   "connection closed" (peer closed before the whole response), "connection reset".
 * - es_sim_free drops open channels and unanswered exchanges: free the nodes first. */

#endif

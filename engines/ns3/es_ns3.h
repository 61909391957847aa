/* A small C API over the parts of ns-3 the simulated engine needs: nodes with an IPv4 stack,
 * point-to-point links with impairments, static routes, the event clock and TCP sockets. */
#ifndef ES_NS3_H
#define ES_NS3_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "config/es_link.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Addresses and networks are IPv4 in host byte order (10.0.0.1 is 0x0a000001). */

/* Starts a fresh ns-3 world seeded from `seed` (RngSeed and RngRun are derived from it
 * one-to-one). Only one world exists at a time; es_ns3_destroy ends it. */
void es_ns3_init(uint64_t seed);
/* Whether the links of worlds initialised from now on give their devices flow control (a
 * NetDeviceQueueInterface; default: no). Only for the test that shows it changes nothing. */
void es_ns3_set_flow_control(int on);
/* Drops every socket and pending timer and destroys the simulator; a new es_ns3_init may
 * follow. */
void es_ns3_destroy(void);

/* Creates `count` nodes with an IPv4 stack (no IPv6, static routing only, no queue discs);
 * returns the index of the first. Indexes count from 0 in creation order. */
uint32_t es_ns3_nodes_create(uint32_t count);

/* Connects nodes a and b with a point-to-point link of `link`'s rate, delay and impairments
 * (es_link_check'ed by whoever made it; each direction on its own; corruption flips one
 * payload bit of a TCP data segment, which ns-3 does not checksum). a gets a_addr, b gets
 * b_addr, both with prefix length `plen`. With any impairment both receiving
 * devices get an error model; its random streams derive from `stream` alone (independent loss
 * uses 2*stream and 2*stream+1, as the plain loss model of earlier versions did, so a
 * loss-only link drops the same packets), so equal arguments give equal results. The
 * interface indexes on a and b are returned in *a_if and *b_if. -1 on a bad argument. */
int es_ns3_link(uint32_t a, uint32_t b, const EsLinkParams *link, uint32_t a_addr,
                uint32_t b_addr, unsigned plen, uint64_t stream, uint32_t *a_if, uint32_t *b_if);
/* Static routes: a network route via `gateway` on interface `iface`, and the default route.
 * Nodes route by these alone (no connected routes): a node's network routes must not overlap,
 * as the aligned blocks of a tree's subtrees do not. */
void es_ns3_route_add(uint32_t node, uint32_t network, unsigned plen, uint32_t gateway,
                      uint32_t iface);
void es_ns3_route_default(uint32_t node, uint32_t gateway, uint32_t iface);

/* The clock and timers. es_ns3_schedule returns an id (never 0); cancelling an id that fired
 * or was cancelled is harmless. */
double es_ns3_now(void);
uint64_t es_ns3_schedule(double delay_s, void (*fn)(void *arg), void *arg);
void es_ns3_cancel(uint64_t id);
/* Like es_ns3_schedule, at an absolute time (seconds; now if in the past): exact to the
 * nanosecond, as if scheduled with that delay at t=0. */
uint64_t es_ns3_schedule_at(double at_s, void (*fn)(void *arg), void *arg);
/* Calls fn(arg) after every `every` timer callbacks (NULL: never). It adds no event, so the
 * simulation is the same with or without it: for progress reports on the wall clock. */
void es_ns3_set_tick(void (*fn)(void *arg), void *arg, uint32_t every);
/* Once *flag is non-zero (a signal handler sets it) the run stops after the event under way:
 * checked after every timer callback and every delivery of received bytes. It adds no event,
 * so a run never interrupted is the same with or without it. NULL: never. */
void es_ns3_set_interrupt(const volatile sig_atomic_t *flag);
/* Runs until no event is left, es_ns3_stop, or the clock reaches stop_at_s (absolute). */
void es_ns3_run(double stop_at_s);
void es_ns3_stop(void);
/* Events ns-3 has executed since es_ns3_init. */
uint64_t es_ns3_event_count(void);
/* Packets dropped by the links' error models since es_ns3_init (every cause). */
uint64_t es_ns3_loss_drops(void);
/* The links' error models by cause, and TCP's retransmissions, since es_ns3_init. */
typedef struct {
  uint64_t drops_loss, drops_burst, drops_outage;
  uint64_t corruptions;         /* data segments delivered with a flipped payload bit */
  uint64_t tcp_retransmissions; /* every socket, both ends */
  uint64_t tcp_retransmissions_connecting; /* of those, by sockets of es_ns3_tcp_connect */
  uint64_t tcp_retransmissions_accepting;  /* by sockets a listener accepted */
} EsNs3LinkStats;
void es_ns3_link_stats(EsNs3LinkStats *out);
/* Segments TCP sent again (data, SYN or FIN below the highest sequence number the socket had
 * sent; pure ACKs never count) on the connections node `node` opened with es_ns3_tcp_connect:
 * its own retransmissions plus those of the accepting end of the same connections (found by
 * the connecting address). Counted from the sockets' "Tx" trace. */
uint32_t es_ns3_node_tcp_retransmissions(uint32_t node);
/* Of those, the ones the accepting ends sent: the servers' share of the node's connections
 * (an RA in front of a CA opens connections to it: its own end and the CA's apart). */
uint32_t es_ns3_node_tcp_retransmissions_accepted(uint32_t node);

/* TCP. */
typedef struct EsNs3Socket EsNs3Socket;

typedef enum {
  ES_NS3_CONNECTED,  /* the handshake completed; queued data goes out now */
  ES_NS3_REFUSED,    /* the connection attempt was answered by a reset */
  ES_NS3_TIMED_OUT,  /* the connection attempt gave up (SYN retries exhausted) */
  ES_NS3_PEER_CLOSED,/* the peer closed (FIN or reset) after the connection was up */
  ES_NS3_ERROR,      /* the connection broke (data retries exhausted) */
} EsNs3SocketEvent;

typedef struct {
  void (*event)(void *arg, EsNs3Socket *socket, EsNs3SocketEvent event);
  void (*recv)(void *arg, EsNs3Socket *socket, const uint8_t *data, size_t len);
} EsNs3SocketFns;

/* A connection accepted by a listener. It holds callbacks only once the callee calls
 * es_ns3_socket_set_fns; the callee owns it (es_ns3_socket_close). */
typedef void (*EsNs3AcceptFn)(void *arg, EsNs3Socket *listener, EsNs3Socket *conn);

EsNs3Socket *es_ns3_tcp_listen(uint32_t node, uint16_t port, EsNs3AcceptFn fn, void *arg);
/* Starts connecting; data sent before ES_NS3_CONNECTED is queued. `fns` is copied. */
EsNs3Socket *es_ns3_tcp_connect(uint32_t node, uint32_t addr, uint16_t port,
                                const EsNs3SocketFns *fns, void *arg);
void es_ns3_socket_set_fns(EsNs3Socket *socket, const EsNs3SocketFns *fns, void *arg);
/* Queues bytes; they are handed to TCP as its send buffer drains. */
void es_ns3_socket_send(EsNs3Socket *socket, const uint8_t *data, size_t len);
/* Lets the socket go: no callback of it runs any more (even if called from inside one).
 * Queued bytes are still sent, then the connection is closed with a FIN. */
void es_ns3_socket_close(EsNs3Socket *socket);

/* Writes every packet sent or received on the node's first point-to-point device (an eNB's or
 * RA/CA's only link) to a pcap file at `path` (link type PPP), from now until the world ends.
 * The file must be creatable: ns-3 aborts when it is not. -1 when the node has no such device. */
int es_ns3_enable_pcap(uint32_t node, const char *path);

#ifdef __cplusplus
}
#endif

#endif

// The state of the one ns-3 world the C API drives, shared by the shim's files (the facade
// es_ns3.cc, TCP demultiplexing es_tcp_demux.cc). Private to engines/ns3/.
#ifndef ES_NS3_PRIV_H
#define ES_NS3_PRIV_H

#include "engines/ns3/es_ns3.h"
#include "engines/ns3/es_linkmodel.h"

#include "engines/ns3/es_ns3.h"
#include "engines/ns3/es_linkmodel.h"
#include "config/es_streams.h"

#include <ns3/boolean.h>
#include <ns3/config.h>
#include <ns3/data-rate.h>
#include <ns3/double.h>
#include <ns3/enum.h>
#include <ns3/error-model.h>
#include <ns3/inet-socket-address.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-end-point.h>
#include <ns3/ipv4-interface.h>
#include <ns3/ipv4-routing-helper.h>
#include <ns3/ipv4-routing-protocol.h>
#include <ns3/ipv4-static-routing-helper.h>
#include <ns3/ipv4-static-routing.h>
#include <ns3/ipv4.h>
#include <ns3/node-container.h>
#include <ns3/node.h>
#include <ns3/object-factory.h>
#include <ns3/packet.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/point-to-point-net-device.h>
#include <ns3/rng-seed-manager.h>
#include <ns3/rtt-estimator.h>
#include <ns3/simple-ref-count.h>
#include <ns3/simulator.h>
#include <ns3/socket.h>
#include <ns3/tcp-congestion-ops.h>
#include <ns3/tcp-header.h>
#include <ns3/tcp-l4-protocol.h>
#include <ns3/tcp-recovery-ops.h>
#include <ns3/tcp-socket-base.h>
#include <ns3/tcp-socket-factory.h>
#include <ns3/uinteger.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>
#include <vector>


using namespace ns3;

struct EsNs3Socket {
  Ptr<Socket> sock;
  uint64_t id = 0; // for trace sinks, which are not cleared: they look the handle up
  EsNs3SocketFns fns{};
  void *arg = nullptr;
  bool has_fns = false;
  EsNs3AcceptFn accept_fn = nullptr;
  void *accept_arg = nullptr;
  std::vector<uint8_t> pending; // bytes TCP's send buffer had no room for yet
  size_t pending_head = 0;
  bool connected = false;
  bool released = false; // C let go: no C callback any more
  bool finished = false; // callbacks cleared, deletion scheduled
  bool peer_gone = false; // the connection ended (or never came up); reported once
};

namespace es
{

// A TCP connection as seen from one end: local address and port, peer address and port.
struct ConnKey {
  uint64_t addrs;
  uint32_t ports;
  bool operator==(const ConnKey &o) const { return addrs == o.addrs && ports == o.ports; }
  bool operator!=(const ConnKey &o) const { return !(*this == o); }
};
struct ConnKeyHash {
  size_t operator()(const ConnKey &k) const
  {
    uint64_t h = k.addrs * 0x9e3779b97f4a7c15ULL ^ (k.ports + 0x632be59bd9b4e019ULL);
    return static_cast<size_t>(h ^ (h >> 29));
  }
};
inline ConnKey MakeKey(Ipv4Address local, uint16_t lport, Ipv4Address peer, uint16_t pport)
{
  return ConnKey{(uint64_t(local.Get()) << 32) | peer.Get(), (uint32_t(lport) << 16) | pport};
}

struct TimerEntry {
  EventId event;
  void (*fn)(void *);
  void *arg;
};

struct World {
  std::vector<Ptr<Node>> nodes;
  std::unordered_map<uint64_t, TimerEntry> timers;
  uint64_t next_timer = 1;
  void (*tick_fn)(void *) = nullptr; // es_ns3_set_tick
  void *tick_arg = nullptr;
  uint32_t tick_every = 0, ticks = 0;
  const volatile sig_atomic_t *interrupt = nullptr; // es_ns3_set_interrupt
  std::unordered_set<EsNs3Socket *> sockets;
  std::unordered_map<uint64_t, EsNs3Socket *> by_id;
  std::unordered_map<ConnKey, Ptr<TcpSocketBase>, ConnKeyHash> conns;
  uint64_t next_socket = 1;
  uint64_t event_base = 0;
  uint64_t drops = 0;
  PointToPointHelper p2p;
  std::vector<Ptr<es::LinkErrorModel>> models; // for the counts by cause
  std::vector<uint32_t> retx_by_node;          // by the node that opened the connection
  std::vector<uint32_t> retx_accepted_by_node; // of those, sent by the accepting end
  uint64_t retx_connecting = 0, retx_accepting = 0;
  // Every link address and its node, sorted on first use: how an accepting socket finds the
  // node that connected (a sorted array costs 8 bytes per address, a hash table several times
  // that, at 100k eNBs).
  std::vector<std::pair<uint32_t, uint32_t>> addr_nodes;
  bool addr_sorted = true;
};

extern World *g_world;

const uint32_t kNoNode = UINT32_MAX;
// The node that owns a link address, kNoNode if none.
uint32_t NodeOfAddress(uint32_t addr);

} // namespace es

#endif

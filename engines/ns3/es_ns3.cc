// The only C++ in enrolsim: es_ns3.h over ns-3 3.37. Sockets are handed to C as handles
// whose ns-3 callbacks are cleared before the handle is freed, one event later; a TCP L4
// subclass finds established connections by hash instead of ns-3's per-node linear scan.
#include "engines/ns3/es_ns3.h"
#include "engines/ns3/es_linkmodel.h"
#include "engines/ns3/es_ns3_priv.h"
#include "engines/ns3/es_tcp_demux.h"
#include "engines/ns3/es_tree_routing.h"
#include "config/es_streams.h"

#include <ns3/boolean.h>
#include <ns3/config.h>
#include <ns3/data-rate.h>
#include <ns3/double.h>
#include <ns3/enum.h>
#include <ns3/error-model.h>
#include <ns3/inet-socket-address.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-l3-protocol.h>
#include <ns3/traffic-control-layer.h>
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

namespace es
{

World *g_world;

// Valid MRG32k3a seeds are 1..m2-1 (m2 = 4294944443); seed and run together cover 64 bits.
const uint64_t kSeedSpan = 4294944442ULL;
// Time is an int64 of nanoseconds: keep delays far from overflow.
const double kMaxDelay = 1e9;

Time Delay(double s)
{
  if (!(s > 0)) // also NaN
    return Seconds(0);
  return Seconds(std::min(s, kMaxDelay));
}

void ClearCallbacks(Ptr<Socket> s)
{
  s->SetRecvCallback(MakeNullCallback<void, Ptr<Socket>>());
  s->SetSendCallback(MakeNullCallback<void, Ptr<Socket>, uint32_t>());
  s->SetCloseCallbacks(MakeNullCallback<void, Ptr<Socket>>(),
                       MakeNullCallback<void, Ptr<Socket>>());
  s->SetConnectCallback(MakeNullCallback<void, Ptr<Socket>>(),
                        MakeNullCallback<void, Ptr<Socket>>());
  s->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address &>(),
                       MakeNullCallback<void, Ptr<Socket>, const Address &>());
}

void DeleteSocket(EsNs3Socket *h)
{
  if (g_world) {
    g_world->sockets.erase(h);
    g_world->by_id.erase(h->id);
  }
  delete h;
}

// Detaches the handle from ns-3 and frees it in a later event: dropping the last reference to
// a socket from inside one of its own callbacks would free it under its own feet.
void Finish(EsNs3Socket *h)
{
  if (h->finished)
    return;
  h->finished = true;
  h->has_fns = false;
  h->accept_fn = nullptr;
  ClearCallbacks(h->sock);
  h->sock->Close();
  Simulator::ScheduleNow(&DeleteSocket, h);
}

void Flush(EsNs3Socket *h)
{
  if (h->finished || !h->connected)
    return;
  while (h->pending_head < h->pending.size()) {
    uint32_t avail = h->sock->GetTxAvailable();
    if (avail == 0)
      break;
    size_t n = std::min<size_t>(avail, h->pending.size() - h->pending_head);
    Ptr<Packet> p = Create<Packet>(h->pending.data() + h->pending_head, n);
    if (h->sock->Send(p, 0) < 0)
      break;
    h->pending_head += n;
  }
  if (h->pending_head == h->pending.size()) {
    std::vector<uint8_t>().swap(h->pending);
    h->pending_head = 0;
    if (h->released)
      Finish(h);
  }
}

void Notify(EsNs3Socket *h, EsNs3SocketEvent ev)
{
  if (h->has_fns && h->fns.event)
    h->fns.event(h->arg, h, ev);
}

/* A signal asked the run to end: Simulator::Stop lets the event under way finish. */
void CheckInterrupt()
{
  if (g_world && g_world->interrupt && *g_world->interrupt)
    Simulator::Stop();
}

void OnRecv(EsNs3Socket *h, Ptr<Socket> s)
{
  CheckInterrupt();
  Ptr<Packet> p;
  std::vector<uint8_t> buf;
  while (!h->finished && (p = s->Recv())) {
    uint32_t n = p->GetSize();
    if (n == 0)
      break;
    if (!h->has_fns || !h->fns.recv)
      continue; // nobody listens: drain so a later Close does not turn into a reset
    buf.resize(n);
    p->CopyData(buf.data(), n);
    h->fns.recv(h->arg, h, buf.data(), n);
  }
}

void OnSend(EsNs3Socket *h, Ptr<Socket>, uint32_t) { Flush(h); }

void RememberConnection(Ptr<Socket> s);

void OnConnected(EsNs3Socket *h, Ptr<Socket> s)
{
  h->connected = true;
  RememberConnection(s);
  Flush(h);
  Notify(h, ES_NS3_CONNECTED);
}

// The end of a connection, reported once: ns-3 may signal it more than one way.
void Terminal(EsNs3Socket *h, EsNs3SocketEvent ev)
{
  if (h->peer_gone || h->finished)
    return;
  h->peer_gone = true;
  if (h->released)
    Finish(h);
  else
    Notify(h, ev);
}

void OnConnectFailed(EsNs3Socket *h, Ptr<Socket>) { Terminal(h, ES_NS3_TIMED_OUT); }

void OnNormalClose(EsNs3Socket *h, Ptr<Socket> s)
{
  if (h->connected && !h->released && !h->peer_gone)
    OnRecv(h, s); // bytes that came with the FIN
  Terminal(h, h->connected ? ES_NS3_PEER_CLOSED : ES_NS3_REFUSED);
}

void OnErrorClose(EsNs3Socket *h, Ptr<Socket>)
{
  Terminal(h, h->connected ? ES_NS3_ERROR : ES_NS3_TIMED_OUT);
}

void OnReset(uint64_t id)
{
  auto it = g_world->by_id.find(id);
  if (it != g_world->by_id.end())
    Terminal(it->second, it->second->connected ? ES_NS3_ERROR : ES_NS3_REFUSED);
}

// ns-3 3.37 ignores a RST|ACK in SYN_SENT ("ignore ACK") and, with timestamps on, any RST
// without a timestamp option, which is how its TCP answers a SYN to a closed port. Watch the
// client's segments for resets and act on them in an event of our own.
void OnRxSegment(uint64_t id, Ptr<const Packet>, const TcpHeader &header,
                 Ptr<const TcpSocketBase>)
{
  if (header.GetFlags() & TcpHeader::RST)
    Simulator::ScheduleNow(&OnReset, id);
}

EsNs3Socket *NewHandle(Ptr<Socket> s)
{
  EsNs3Socket *h = new EsNs3Socket;
  h->sock = s;
  h->id = g_world->next_socket++;
  g_world->sockets.insert(h);
  s->SetRecvCallback(MakeBoundCallback(&OnRecv, h));
  s->SetSendCallback(MakeBoundCallback(&OnSend, h));
  s->SetCloseCallbacks(MakeBoundCallback(&OnNormalClose, h),
                       MakeBoundCallback(&OnErrorClose, h));
  return h;
}

void OnAccept(EsNs3Socket *listener, Ptr<Socket> s, const Address &)
{
  EsNs3Socket *h = NewHandle(s);
  h->connected = true;
  RememberConnection(s);
  if (listener->accept_fn && !listener->finished)
    listener->accept_fn(listener->accept_arg, listener, h);
  else
    Finish(h);
}

void TimerFire(uint64_t id)
{
  auto it = g_world->timers.find(id);
  if (it == g_world->timers.end())
    return;
  void (*fn)(void *) = it->second.fn;
  void *arg = it->second.arg;
  g_world->timers.erase(it);
  fn(arg);
  CheckInterrupt();
  if (g_world && g_world->tick_fn && ++g_world->ticks >= g_world->tick_every) {
    g_world->ticks = 0;
    g_world->tick_fn(g_world->tick_arg);
  }
}

void StopNow() { Simulator::Stop(); }

void OnPhyRxDrop(Ptr<const Packet>) { g_world->drops++; }

uint32_t NodeOfAddress(uint32_t addr)
{
  auto &v = g_world->addr_nodes;
  if (!g_world->addr_sorted) {
    std::sort(v.begin(), v.end());
    g_world->addr_sorted = true;
  }
  auto it = std::lower_bound(v.begin(), v.end(), std::make_pair(addr, uint32_t(0)));
  return it != v.end() && it->first == addr ? it->second : kNoNode;
}

Ptr<Node> NodeAt(uint32_t i)
{
  NS_ABORT_MSG_IF(i >= g_world->nodes.size(), "es_ns3: no node " << i);
  return g_world->nodes[i];
}

} // namespace es

using namespace es;

static bool g_flow_control = false;

extern "C" {

void es_ns3_set_flow_control(int on) { g_flow_control = on != 0; }

void es_ns3_init(uint64_t seed)
{
  if (g_world)
    es_ns3_destroy();
  RngSeedManager::SetSeed(static_cast<uint32_t>(1 + seed % kSeedSpan));
  RngSeedManager::SetRun(seed / kSeedSpan);
  // Ethernet MTU minus IPv4, TCP and timestamp option headers (ns-3's default is 536).
  Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1448));
  // The weak end-system model makes every forwarded packet scan all of a router's
  // interfaces; in a tree each node is addressed on the interface packets arrive on anyway.
  Config::SetDefault("ns3::Ipv4::WeakEsModel", BooleanValue(false));
  g_world = new World;
  g_world->event_base = Simulator::GetEventCount();
  // Without a queue disc, a device's flow control only moves the drop of a packet that finds
  // its queue full from the queue to the traffic-control layer: the same packet is dropped
  // (test_engine /engine/full-queue). It costs a queue interface and four trace callbacks per
  // device, two devices per eNB.
  if (!g_flow_control)
    g_world->p2p.DisableFlowControl();
}

void es_ns3_destroy(void)
{
  if (!g_world)
    return;
  for (EsNs3Socket *h : g_world->sockets) {
    ClearCallbacks(h->sock);
    delete h;
  }
  g_world->sockets.clear();
  g_world->by_id.clear();
  g_world->conns.clear();
  g_world->timers.clear();
  Simulator::Destroy();
  delete g_world;
  g_world = nullptr;
}

// What InternetStackHelper::Install gives a node, less what nothing here uses: UDP, packet
// sockets, ICMP, and ARP (point-to-point devices need none). 1.2 KB less per node; what was
// left out drew no randomness a run uses, so results are unchanged.
static void InstallStack(Ptr<Node> node)
{
  Ptr<Ipv4L3Protocol> ipv4 = CreateObject<Ipv4L3Protocol>();
  node->AggregateObject(ipv4);
  ipv4->SetRoutingProtocol(CreateObject<EsTreeRouting>());
  Ptr<TrafficControlLayer> tc = CreateObject<TrafficControlLayer>();
  node->AggregateObject(tc);
  node->AggregateObject(CreateObject<EsTcpL4Protocol>());
}

uint32_t es_ns3_nodes_create(uint32_t count)
{
  uint32_t first = g_world->nodes.size();
  NodeContainer nc;
  nc.Create(count);
  EsTcpL4Protocol::GetTypeId(); // registers the names
  EsListenSocket::GetTypeId();
  for (uint32_t i = 0; i < count; i++)
    InstallStack(nc.Get(i));
  InternetStackHelper stack;
  stack.SetIpv6StackInstall(false);
  // ARP and friends draw from streams too; pin them so runs do not depend on process history.
  stack.AssignStreams(nc, ES_NS3_STREAM_STACK + first * int64_t(16));
  for (uint32_t i = 0; i < count; i++)
    g_world->nodes.push_back(nc.Get(i));
  g_world->retx_by_node.resize(g_world->nodes.size(), 0);
  g_world->retx_accepted_by_node.resize(g_world->nodes.size(), 0);
  return first;
}

static uint32_t AddInterface(Ptr<Node> n, Ptr<NetDevice> dev, uint32_t addr, unsigned plen)
{
  Ptr<Ipv4> ip = n->GetObject<Ipv4>();
  int32_t i = ip->AddInterface(dev);
  uint32_t mask = plen == 0 ? 0 : 0xffffffffu << (32 - plen);
  ip->AddAddress(i, Ipv4InterfaceAddress(Ipv4Address(addr), Ipv4Mask(mask)));
  ip->SetMetric(i, 1);
  ip->SetUp(i);
  return i;
}

int es_ns3_link(uint32_t a, uint32_t b, const EsLinkParams *link, uint32_t a_addr,
                uint32_t b_addr, unsigned plen, uint64_t stream, uint32_t *a_if, uint32_t *b_if)
{
  // Checked where the link was made (es_link_check): only what ns-3 itself cannot take.
  if (link == nullptr || !(link->rate_bps >= 1) || !(link->delay_s >= 0) || plen > 32)
    return -1;
  double rate_bps = link->rate_bps, delay_s = link->delay_s;
  PointToPointHelper &p2p = g_world->p2p;
  p2p.SetDeviceAttribute("DataRate", DataRateValue(DataRate(static_cast<uint64_t>(rate_bps))));
  p2p.SetChannelAttribute("Delay", TimeValue(Delay(delay_s)));
  Ptr<Node> na = NodeAt(a), nb = NodeAt(b);
  NetDeviceContainer devs = p2p.Install(na, nb);
  if (es_link_impaired(link)) {
    for (uint32_t side = 0; side < 2; side++) {
      Ptr<es::LinkErrorModel> em = CreateObject<es::LinkErrorModel>();
      em->Configure(*link);
      int64_t s = static_cast<int64_t>(2 * stream + side);
      em->AssignStreams(s, ES_NS3_STREAM_BURST + s, ES_NS3_STREAM_CORRUPT + s);
      Ptr<PointToPointNetDevice> d = DynamicCast<PointToPointNetDevice>(devs.Get(side));
      d->SetReceiveErrorModel(em);
      d->TraceConnectWithoutContext("PhyRxDrop", MakeCallback(&OnPhyRxDrop));
      g_world->models.push_back(em);
    }
  }
  g_world->addr_nodes.emplace_back(a_addr, a);
  g_world->addr_nodes.emplace_back(b_addr, b);
  g_world->addr_sorted = false;
  uint32_t ia = AddInterface(na, devs.Get(0), a_addr, plen);
  uint32_t ib = AddInterface(nb, devs.Get(1), b_addr, plen);
  if (a_if)
    *a_if = ia;
  if (b_if)
    *b_if = ib;
  return 0;
}

void es_ns3_route_add(uint32_t node, uint32_t network, unsigned plen, uint32_t gateway,
                      uint32_t iface)
{
  Ptr<EsTreeRouting> rt =
      DynamicCast<EsTreeRouting>(NodeAt(node)->GetObject<Ipv4>()->GetRoutingProtocol());
  rt->AddRoute(network, plen, gateway, iface);
}

void es_ns3_route_default(uint32_t node, uint32_t gateway, uint32_t iface)
{
  Ptr<EsTreeRouting> rt =
      DynamicCast<EsTreeRouting>(NodeAt(node)->GetObject<Ipv4>()->GetRoutingProtocol());
  rt->SetDefault(gateway, iface);
}

double es_ns3_now(void) { return Simulator::Now().GetSeconds(); }

uint64_t es_ns3_schedule(double delay_s, void (*fn)(void *arg), void *arg)
{
  uint64_t id = g_world->next_timer++;
  EventId ev = Simulator::Schedule(Delay(delay_s), &TimerFire, id);
  g_world->timers.emplace(id, TimerEntry{ev, fn, arg});
  return id;
}

uint64_t es_ns3_schedule_at(double at_s, void (*fn)(void *arg), void *arg)
{
  Time delay = Delay(at_s) - Simulator::Now();
  if (delay.IsNegative())
    delay = Seconds(0);
  uint64_t id = g_world->next_timer++;
  EventId ev = Simulator::Schedule(delay, &TimerFire, id);
  g_world->timers.emplace(id, TimerEntry{ev, fn, arg});
  return id;
}

void es_ns3_set_tick(void (*fn)(void *arg), void *arg, uint32_t every)
{
  g_world->tick_fn = fn;
  g_world->tick_arg = arg;
  g_world->tick_every = every > 0 ? every : 1;
  g_world->ticks = 0;
}

void es_ns3_set_interrupt(const volatile sig_atomic_t *flag) { g_world->interrupt = flag; }

void es_ns3_cancel(uint64_t id)
{
  if (!g_world)
    return;
  auto it = g_world->timers.find(id);
  if (it == g_world->timers.end())
    return;
  Simulator::Cancel(it->second.event);
  g_world->timers.erase(it);
}

void es_ns3_run(double stop_at_s)
{
  EventId stop;
  bool have_stop = false;
  if (std::isfinite(stop_at_s)) {
    double now = Simulator::Now().GetSeconds();
    if (stop_at_s <= now)
      return;
    stop = Simulator::Schedule(Delay(stop_at_s - now), &StopNow);
    have_stop = true;
  }
  Simulator::Run();
  if (have_stop)
    Simulator::Cancel(stop);
}

void es_ns3_stop(void) { Simulator::Stop(); }

uint64_t es_ns3_event_count(void) { return Simulator::GetEventCount() - g_world->event_base; }

uint64_t es_ns3_loss_drops(void) { return g_world->drops; }

void es_ns3_link_stats(EsNs3LinkStats *out)
{
  *out = EsNs3LinkStats{};
  for (const Ptr<es::LinkErrorModel> &m : g_world->models) {
    const es::LinkCounts &c = m->Counts();
    out->drops_loss += c.loss;
    out->drops_burst += c.burst;
    out->drops_outage += c.outage;
    out->corruptions += c.corrupted;
  }
  out->tcp_retransmissions_connecting = g_world->retx_connecting;
  out->tcp_retransmissions_accepting = g_world->retx_accepting;
  out->tcp_retransmissions = g_world->retx_connecting + g_world->retx_accepting;
}

uint32_t es_ns3_node_tcp_retransmissions(uint32_t node)
{
  return node < g_world->retx_by_node.size() ? g_world->retx_by_node[node] : 0;
}

uint32_t es_ns3_node_tcp_retransmissions_accepted(uint32_t node)
{
  return node < g_world->retx_accepted_by_node.size() ? g_world->retx_accepted_by_node[node] : 0;
}

EsNs3Socket *es_ns3_tcp_listen(uint32_t node, uint16_t port, EsNs3AcceptFn fn, void *arg)
{
  Ptr<EsTcpL4Protocol> l4 = NodeAt(node)->GetObject<EsTcpL4Protocol>();
  Ptr<Socket> s = l4->CreateListenSocket();
  if (s->Bind(InetSocketAddress(Ipv4Address::GetAny(), port)) < 0 || s->Listen() < 0) {
    s->Close();
    return nullptr;
  }
  l4->SetListener(port, DynamicCast<TcpSocketBase>(s));
  EsNs3Socket *h = new EsNs3Socket;
  h->sock = s;
  h->accept_fn = fn;
  h->accept_arg = arg;
  g_world->sockets.insert(h);
  // Accepted sockets are forks of this one and inherit its callbacks: set only accept here.
  s->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address &>(),
                       MakeBoundCallback(&OnAccept, h));
  return h;
}

EsNs3Socket *es_ns3_tcp_connect(uint32_t node, uint32_t addr, uint16_t port,
                                const EsNs3SocketFns *fns, void *arg)
{
  Ptr<Socket> s = Socket::CreateSocket(NodeAt(node), TcpSocketFactory::GetTypeId());
  DropForwardedTraces(PeekPointer(DynamicCast<TcpSocketBase>(s)));
  EsNs3Socket *h = NewHandle(s);
  es_ns3_socket_set_fns(h, fns, arg);
  s->SetConnectCallback(MakeBoundCallback(&OnConnected, h), MakeBoundCallback(&OnConnectFailed, h));
  g_world->by_id.emplace(h->id, h);
  s->TraceConnectWithoutContext("Rx", MakeBoundCallback(&OnRxSegment, h->id));
  WatchRetransmissions(s, node, false);
  if (s->Bind() < 0 || s->Connect(InetSocketAddress(Ipv4Address(addr), port)) < 0)
    Simulator::ScheduleNow(&OnReset, h->id); // report asynchronously, like every failure
  return h;
}

void es_ns3_socket_set_fns(EsNs3Socket *h, const EsNs3SocketFns *fns, void *arg)
{
  if (h->finished || h->released)
    return;
  h->fns = fns ? *fns : EsNs3SocketFns{};
  h->arg = arg;
  h->has_fns = fns != nullptr;
}

void es_ns3_socket_send(EsNs3Socket *h, const uint8_t *data, size_t len)
{
  if (h->finished || h->released || h->peer_gone || len == 0)
    return;
  h->pending.insert(h->pending.end(), data, data + len);
  Flush(h);
}

void es_ns3_socket_close(EsNs3Socket *h)
{
  if (!h)
    return;
  h->released = true;
  h->has_fns = false;
  h->accept_fn = nullptr;
  bool unsent = h->pending_head < h->pending.size();
  if (unsent && !h->peer_gone && h->connected)
    return; // Flush finishes it once TCP took the rest
  Finish(h);
}

int es_ns3_enable_pcap(uint32_t node, const char *path)
{
  Ptr<Node> n = NodeAt(node);
  for (uint32_t i = 0; i < n->GetNDevices(); i++) {
    Ptr<PointToPointNetDevice> d = DynamicCast<PointToPointNetDevice>(n->GetDevice(i));
    if (d) {
      g_world->p2p.EnablePcap(path, d, false, true); // explicit file name: `path` as given
      return 0;
    }
  }
  return -1;
}

} // extern "C"

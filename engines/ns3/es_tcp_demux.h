// TCP demultiplexing by hash: ns-3 3.37 finds a segment's socket by scanning every endpoint
// of the node; established connections are found in a hash table instead, and a listener's
// forks announce themselves. Also counts retransmissions, which 3.37 has no trace for.
#ifndef ES_TCP_DEMUX_H
#define ES_TCP_DEMUX_H

#include "engines/ns3/es_ns3_priv.h"

namespace es
{

// Counts the retransmitted segments of `s` against node `owner` (the one that opened the
// connection); `accepted` for the listener's end.
void WatchRetransmissions(Ptr<Socket> s, uint32_t owner, bool accepted);
// Puts an established connection into the world's table.
void RememberConnection(Ptr<Socket> s);
// Disconnects the ten callbacks by which `s` forwards its TcpSocketState's traces to trace
// sources of its own (congestion window, RTT...): they only fire those sources, which
// nothing here connects to, and they are about 3 KB of every socket, kept through TIME_WAIT.
void DropForwardedTraces(TcpSocketBase *s);

// ns-3 3.37 finds a segment's socket by scanning every endpoint of the node
// (Ipv4EndPointDemux::Lookup), so an RA/CA with 10,000 open connections spends most of the
// run there. Established connections are looked up in a hash table instead; anything else
// (SYNs to the listener, closed ports, connections we do not know) takes ns-3's own path.
// The loophole: a derived class may name protected members of its base through itself.
struct TcpSocketAccess : TcpSocketBase {
  static Ipv4EndPoint *TcpSocketBase::*EndPointMember() { return &TcpSocketAccess::m_endPoint; }
  static Ptr<TcpSocketState> TcpSocketBase::*TcbMember() { return &TcpSocketAccess::m_tcb; }
  static void (TcpSocketBase::*ForwardUpMember())(Ptr<Packet>, Ipv4Header, uint16_t,
                                                   Ptr<Ipv4Interface>)
  {
    return &TcpSocketAccess::ForwardUp;
  }
};

// A listening socket whose forks announce themselves once their endpoint exists, so even
// the handshake's last ACK (and a retransmitted SYN) finds them without a scan.
class EsListenSocket : public TcpSocketBase
{
public:
  static TypeId GetTypeId()
  {
    static TypeId tid = TypeId("ns3::EsListenSocket")
                            .SetParent<TcpSocketBase>()
                            .SetGroupName("Internet")
                            .AddConstructor<EsListenSocket>();
    return tid;
  }
  TypeId GetInstanceTypeId() const override { return GetTypeId(); }
  EsListenSocket() { DropForwardedTraces(this); }
  EsListenSocket(const EsListenSocket &o) : TcpSocketBase(o) { DropForwardedTraces(this); }

protected:
  Ptr<TcpSocketBase> Fork() override { return CopyObject<EsListenSocket>(this); }
  void CompleteFork(Ptr<Packet> p, const TcpHeader &h, const Address &from,
                    const Address &to) override
  {
    // Before the base class sends the SYN-ACK, whose retransmissions count too.
    uint32_t owner = kNoNode;
    if (InetSocketAddress::IsMatchingType(from))
      owner = NodeOfAddress(InetSocketAddress::ConvertFrom(from).GetIpv4().Get());
    WatchRetransmissions(this, owner, true);
    TcpSocketBase::CompleteFork(p, h, from, to);
    RememberConnection(this);
  }
};

class EsTcpL4Protocol : public TcpL4Protocol
{
public:
  static TypeId GetTypeId()
  {
    static TypeId tid = TypeId("ns3::EsTcpL4Protocol")
                            .SetParent<TcpL4Protocol>()
                            .SetGroupName("Internet")
                            .AddConstructor<EsTcpL4Protocol>();
    return tid;
  }

  // What TcpL4Protocol::CreateSocket does, with our listening socket type.
  Ptr<EsListenSocket> CreateListenSocket()
  {
    TypeIdValue rtt, congestion, recovery;
    GetAttribute("RttEstimatorType", rtt);
    GetAttribute("SocketType", congestion);
    GetAttribute("RecoveryType", recovery);
    ObjectFactory rttFactory(rtt.Get().GetName());
    ObjectFactory congestionFactory(congestion.Get().GetName());
    ObjectFactory recoveryFactory(recovery.Get().GetName());
    Ptr<EsListenSocket> s = CreateObject<EsListenSocket>();
    s->SetNode(GetObject<Node>());
    s->SetTcp(this);
    s->SetRtt(rttFactory.Create<RttEstimator>());
    s->SetCongestionControlAlgorithm(congestionFactory.Create<TcpCongestionOps>());
    s->SetRecoveryAlgorithm(recoveryFactory.Create<TcpRecoveryOps>());
    AddSocket(s);
    return s;
  }
  void SetListener(uint16_t port, Ptr<TcpSocketBase> s) { m_listeners[port] = s; }

  using TcpL4Protocol::Receive;
  IpL4Protocol::RxStatus Receive(Ptr<Packet> p, const Ipv4Header &ip,
                                 Ptr<Ipv4Interface> iface) override
  {
    if (g_world && !Node::ChecksumEnabled()) {
      TcpHeader th;
      p->PeekHeader(th);
      auto it = g_world->conns.find(
          MakeKey(ip.GetDestination(), th.GetDestinationPort(), ip.GetSource(), th.GetSourcePort()));
      if (it != g_world->conns.end()) {
        if (Deliver(it->second, p, ip, th, iface))
          return IpL4Protocol::RX_OK;
        g_world->conns.erase(it);
      } else if ((th.GetFlags() & (TcpHeader::SYN | TcpHeader::ACK | TcpHeader::RST)) ==
                 TcpHeader::SYN) {
        // A new connection: every fork of our listeners is in conns, so the listener is
        // what ns-3's own lookup would find too.
        auto l = m_listeners.find(th.GetDestinationPort());
        if (l != m_listeners.end()) {
          if (Deliver(l->second, p, ip, th, iface))
            return IpL4Protocol::RX_OK;
          m_listeners.erase(l);
        }
      }
    }
    return TcpL4Protocol::Receive(p, ip, iface);
  }

protected:
  void DoDispose() override
  {
    m_listeners.clear();
    TcpL4Protocol::DoDispose();
  }

private:
  // What the endpoint's receive callback would do; false when the socket lost its endpoint.
  // `tcp` is a copy on purpose: the segment may close the socket, and our table's reference
  // goes with it while the socket is still running.
  static bool Deliver(Ptr<TcpSocketBase> tcp, Ptr<Packet> p, const Ipv4Header &ip,
                      const TcpHeader &th, Ptr<Ipv4Interface> iface)
  {
    Ipv4EndPoint *ep = PeekPointer(tcp)->*TcpSocketAccess::EndPointMember();
    if (!ep || !ep->IsRxEnabled())
      return false;
    (PeekPointer(tcp)->*TcpSocketAccess::ForwardUpMember())(p, ip, th.GetSourcePort(), iface);
    return true;
  }

  std::unordered_map<uint16_t, Ptr<TcpSocketBase>> m_listeners;
};

} // namespace es

#endif

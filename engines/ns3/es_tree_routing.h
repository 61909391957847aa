// ns-3 routing for a tree whose subtrees own aligned address blocks (engines/es_plan.h).
#ifndef ES_TREE_ROUTING_H
#define ES_TREE_ROUTING_H

#include "engines/ns3/es_ns3_priv.h"

namespace es
{

// Routing in a tree whose subtrees own aligned address blocks: a default route up, and one
// route per child (its whole block) down. The blocks of a node's children never overlap, so a
// binary search over them finds the route; ns-3's static routing scans every route (and, for
// local delivery, every interface address) per packet, which costs a router with 300 children
// more than the rest of the packet's path.
class EsTreeRouting : public Ipv4RoutingProtocol
{
public:
  static TypeId GetTypeId()
  {
    static TypeId tid = TypeId("ns3::EsTreeRouting")
                            .SetParent<Ipv4RoutingProtocol>()
                            .SetGroupName("Internet")
                            .AddConstructor<EsTreeRouting>();
    return tid;
  }

  // A child's block; blocks must not overlap.
  void AddRoute(uint32_t network, unsigned plen, uint32_t gateway, uint32_t iface)
  {
    Entry e{network, plen == 0 ? 0 : 0xffffffffu << (32 - plen), gateway, iface};
    auto at = std::upper_bound(m_routes.begin(), m_routes.end(), network,
                               [](uint32_t n, const Entry &r) { return n < r.network; });
    m_routes.insert(at, e);
  }

  void SetDefault(uint32_t gateway, uint32_t iface)
  {
    m_default = Entry{0, 0, gateway, iface};
    m_hasDefault = true;
  }

  Ptr<Ipv4Route> RouteOutput(Ptr<Packet>, const Ipv4Header &header, Ptr<NetDevice>,
                             Socket::SocketErrno &sockerr) override
  {
    Ptr<Ipv4Route> r = Lookup(header.GetDestination().Get());
    sockerr = r ? Socket::ERROR_NOTERROR : Socket::ERROR_NOROUTETOHOST;
    return r;
  }

  // What ns-3's static routing does, minus multicast (unused here): local delivery, then
  // forwarding when the interface forwards.
  bool RouteInput(Ptr<const Packet> p, const Ipv4Header &header, Ptr<const NetDevice> idev,
                  UnicastForwardCallback ucb, MulticastForwardCallback, LocalDeliverCallback lcb,
                  ErrorCallback ecb) override
  {
    uint32_t iif = m_ipv4->GetInterfaceForDevice(idev);
    uint32_t dst = header.GetDestination().Get();
    if (std::binary_search(m_local.begin(), m_local.end(), dst)) {
      if (lcb.IsNull())
        return false;
      lcb(p, header, iif);
      return true;
    }
    if (header.GetDestination().IsMulticast() || header.GetDestination().IsBroadcast())
      return false;
    if (!m_ipv4->IsForwarding(iif)) {
      ecb(p, header, Socket::ERROR_NOROUTETOHOST);
      return true;
    }
    Ptr<Ipv4Route> r = Lookup(dst);
    if (!r)
      return false;
    ucb(r, p, header);
    return true;
  }

  void NotifyInterfaceUp(uint32_t) override {}
  void NotifyInterfaceDown(uint32_t) override {}

  void NotifyAddAddress(uint32_t, Ipv4InterfaceAddress address) override
  {
    uint32_t a = address.GetLocal().Get();
    m_local.insert(std::upper_bound(m_local.begin(), m_local.end(), a), a);
  }

  void NotifyRemoveAddress(uint32_t, Ipv4InterfaceAddress address) override
  {
    auto it = std::lower_bound(m_local.begin(), m_local.end(), address.GetLocal().Get());
    if (it != m_local.end() && *it == address.GetLocal().Get())
      m_local.erase(it);
  }

  void SetIpv4(Ptr<Ipv4> ipv4) override
  {
    m_ipv4 = ipv4;
    for (uint32_t i = 0; i < ipv4->GetNInterfaces(); i++)
      for (uint32_t j = 0; j < ipv4->GetNAddresses(i); j++)
        NotifyAddAddress(i, ipv4->GetAddress(i, j));
  }

  void PrintRoutingTable(Ptr<OutputStreamWrapper> stream, Time::Unit) const override
  {
    std::ostream &os = *stream->GetStream();
    for (const Entry &e : m_routes)
      os << Ipv4Address(e.network) << "/" << Ipv4Mask(e.mask) << " via " << Ipv4Address(e.gateway)
         << " if " << e.iface << "\n";
    if (m_hasDefault)
      os << "default via " << Ipv4Address(m_default.gateway) << " if " << m_default.iface << "\n";
  }

protected:
  void DoDispose() override
  {
    m_ipv4 = nullptr;
    Ipv4RoutingProtocol::DoDispose();
  }

private:
  struct Entry {
    uint32_t network, mask, gateway, iface;
  };

  Ptr<Ipv4Route> Lookup(uint32_t dst) const
  {
    const Entry *e = nullptr;
    auto it = std::upper_bound(m_routes.begin(), m_routes.end(), dst,
                               [](uint32_t d, const Entry &r) { return d < r.network; });
    if (it != m_routes.begin() && ((dst & (it - 1)->mask) == (it - 1)->network))
      e = &*(it - 1);
    else if (m_hasDefault)
      e = &m_default;
    if (!e)
      return nullptr;
    Ptr<Ipv4Route> r = Create<Ipv4Route>();
    r->SetDestination(Ipv4Address(dst));
    r->SetGateway(Ipv4Address(e->gateway));
    r->SetOutputDevice(m_ipv4->GetNetDevice(e->iface));
    r->SetSource(m_ipv4->GetAddress(e->iface, 0).GetLocal());
    return r;
  }

  Ptr<Ipv4> m_ipv4;
  std::vector<Entry> m_routes; // by network
  Entry m_default{};
  bool m_hasDefault = false;
  std::vector<uint32_t> m_local; // this node's addresses, sorted
};

class EsTreeRoutingHelper : public Ipv4RoutingHelper
{
public:
  EsTreeRoutingHelper *Copy() const override { return new EsTreeRoutingHelper(*this); }
  Ptr<Ipv4RoutingProtocol> Create(Ptr<Node>) const override
  {
    return CreateObject<EsTreeRouting>();
  }
};

} // namespace es

#endif

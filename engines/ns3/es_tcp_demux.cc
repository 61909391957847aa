// Retransmission counting and the connection table (es_tcp_demux.h).
#include "engines/ns3/es_tcp_demux.h"

namespace es
{

// One socket's view for telling retransmissions apart: the end of the highest sequence
// number it sent (a SYN or FIN takes one). Held by the trace callback, so it lives exactly
// as long as the socket, which may outlive our handle (TIME_WAIT, unsent data).
struct RetxState : SimpleRefCount<RetxState> {
  uint32_t owner = kNoNode;
  bool accepted = false;
  bool sent = false;
  SequenceNumber32 high{0};
};

// ns-3 3.37 has no retransmission trace source (it came later), so every transmitted segment
// is checked against what the socket sent before.
void OnTxSegment(Ptr<RetxState> st, Ptr<const Packet> p, const TcpHeader &h,
                 Ptr<const TcpSocketBase>)
{
  uint8_t flags = h.GetFlags();
  uint32_t len = p->GetSize() + ((flags & TcpHeader::SYN) ? 1 : 0) +
                 ((flags & TcpHeader::FIN) ? 1 : 0);
  if (len == 0)
    return; // a pure ACK (or RST): nothing that could be retransmitted
  SequenceNumber32 seq = h.GetSequenceNumber();
  if (st->sent && seq < st->high) {
    (st->accepted ? g_world->retx_accepting : g_world->retx_connecting)++;
    if (st->owner < g_world->retx_by_node.size()) {
      g_world->retx_by_node[st->owner]++;
      if (st->accepted)
        g_world->retx_accepted_by_node[st->owner]++;
    }
  }
  if (!st->sent || seq + len > st->high)
    st->high = seq + len;
  st->sent = true;
}

void DropForwardedTraces(TcpSocketBase *s)
{
  Ptr<TcpSocketState> tcb = s->*TcpSocketAccess::TcbMember();
  tcb->m_pacingRate.DisconnectWithoutContext(
      MakeCallback(&TcpSocketBase::UpdatePacingRateTrace, s));
  tcb->m_cWnd.DisconnectWithoutContext(MakeCallback(&TcpSocketBase::UpdateCwnd, s));
  tcb->m_cWndInfl.DisconnectWithoutContext(MakeCallback(&TcpSocketBase::UpdateCwndInfl, s));
  tcb->m_ssThresh.DisconnectWithoutContext(MakeCallback(&TcpSocketBase::UpdateSsThresh, s));
  tcb->m_congState.DisconnectWithoutContext(MakeCallback(&TcpSocketBase::UpdateCongState, s));
  tcb->m_ecnState.DisconnectWithoutContext(MakeCallback(&TcpSocketBase::UpdateEcnState, s));
  tcb->m_nextTxSequence.DisconnectWithoutContext(
      MakeCallback(&TcpSocketBase::UpdateNextTxSequence, s));
  tcb->m_highTxMark.DisconnectWithoutContext(MakeCallback(&TcpSocketBase::UpdateHighTxMark, s));
  tcb->m_bytesInFlight.DisconnectWithoutContext(
      MakeCallback(&TcpSocketBase::UpdateBytesInFlight, s));
  tcb->m_lastRtt.DisconnectWithoutContext(MakeCallback(&TcpSocketBase::UpdateRtt, s));
}

void WatchRetransmissions(Ptr<Socket> s, uint32_t owner, bool accepted)
{
  Ptr<RetxState> st = Create<RetxState>();
  st->owner = owner;
  st->accepted = accepted;
  s->TraceConnectWithoutContext("Tx", MakeBoundCallback(&OnTxSegment, st));
}


static void OnConnState(ConnKey key, TcpSocket::TcpStates_t, TcpSocket::TcpStates_t now)
{
  // CLOSED comes just before ns-3 frees the endpoint; a socket still in m_sockets holds a
  // reference, so dropping ours here cannot free it under its own feet.
  if (now == TcpSocket::CLOSED && g_world)
    g_world->conns.erase(key);
}

void RememberConnection(Ptr<Socket> s)
{
  Ptr<TcpSocketBase> tcp = DynamicCast<TcpSocketBase>(s);
  if (!tcp)
    return;
  Ipv4EndPoint *ep = PeekPointer(tcp)->*TcpSocketAccess::EndPointMember();
  if (!ep || ep->GetLocalAddress() == Ipv4Address::GetAny() || ep->GetPeerPort() == 0)
    return;
  ConnKey key = MakeKey(ep->GetLocalAddress(), ep->GetLocalPort(), ep->GetPeerAddress(),
                        ep->GetPeerPort());
  if (g_world->conns.emplace(key, tcp).second)
    tcp->TraceConnectWithoutContext("State", MakeBoundCallback(&OnConnState, key));
}

} // namespace es

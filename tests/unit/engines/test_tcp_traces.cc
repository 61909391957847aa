// The TCP sockets' forwarded traces (engines/ns3/es_tcp_demux.h DropForwardedTraces): ns-3
// forwards ten traces of a socket's TcpSocketState to trace sources of the socket itself. Our
// sockets (connecting, listening and their forks) carry none of those forwarding callbacks.
#include <glib.h>

#include <ns3/data-rate.h>
#include <ns3/nstime.h>
#include <ns3/sequence-number.h>
#include <ns3/tcp-socket-base.h>
#include <ns3/tcp-socket-state.h>

#include "engines/ns3/es_tcp_demux.h"

using namespace ns3;

namespace
{

guint g_fired;

template <typename T> void Count(T, T)
{
  g_fired++;
}

// Connects a counting sink to each of the socket's ten forwarded trace sources, then changes
// each traced value of its TcpSocketState: how many changes reached the socket's sources.
guint Forwarded(Ptr<TcpSocketBase> s)
{
  bool ok = true;
  ok &= s->TraceConnectWithoutContext("PacingRate", MakeCallback(&Count<DataRate>));
  ok &= s->TraceConnectWithoutContext("CongestionWindow", MakeCallback(&Count<uint32_t>));
  ok &= s->TraceConnectWithoutContext("CongestionWindowInflated", MakeCallback(&Count<uint32_t>));
  ok &= s->TraceConnectWithoutContext("SlowStartThreshold", MakeCallback(&Count<uint32_t>));
  ok &= s->TraceConnectWithoutContext("CongState",
                                      MakeCallback(&Count<TcpSocketState::TcpCongState_t>));
  ok &= s->TraceConnectWithoutContext("EcnState", MakeCallback(&Count<TcpSocketState::EcnState_t>));
  ok &= s->TraceConnectWithoutContext("NextTxSequence", MakeCallback(&Count<SequenceNumber32>));
  ok &= s->TraceConnectWithoutContext("HighestSequence", MakeCallback(&Count<SequenceNumber32>));
  ok &= s->TraceConnectWithoutContext("BytesInFlight", MakeCallback(&Count<uint32_t>));
  ok &= s->TraceConnectWithoutContext("RTT", MakeCallback(&Count<Time>));
  g_assert_true(ok);
  Ptr<TcpSocketState> tcb = PeekPointer(s)->*es::TcpSocketAccess::TcbMember();
  g_fired = 0;
  tcb->m_pacingRate = DataRate(12345);
  tcb->m_cWnd = 1000;
  tcb->m_cWndInfl = 1001;
  tcb->m_ssThresh = 1002;
  tcb->m_congState = TcpSocketState::CA_RECOVERY;
  tcb->m_ecnState = TcpSocketState::ECN_IDLE;
  tcb->m_nextTxSequence = SequenceNumber32(7);
  tcb->m_highTxMark = SequenceNumber32(8);
  tcb->m_bytesInFlight = 9;
  tcb->m_lastRtt = MilliSeconds(10);
  return g_fired;
}

// The control: a socket as ns-3 makes it forwards all ten.
void test_stock_socket_forwards()
{
  g_assert_cmpuint(Forwarded(CreateObject<TcpSocketBase>()), ==, 10);
}

// A connecting socket, once dropped, forwards none; its TCP state is the same object.
void test_dropped()
{
  Ptr<TcpSocketBase> s = CreateObject<TcpSocketBase>();
  Ptr<TcpSocketState> before = PeekPointer(s)->*es::TcpSocketAccess::TcbMember();
  es::DropForwardedTraces(PeekPointer(s));
  g_assert_true(PeekPointer(s)->*es::TcpSocketAccess::TcbMember() == before);
  g_assert_cmpuint(Forwarded(s), ==, 0);
}

// A listening socket forwards none, nor does a fork of it (ns-3's copy constructor connects
// the ten again).
void test_listener_and_fork()
{
  Ptr<es::EsListenSocket> l = CreateObject<es::EsListenSocket>();
  Ptr<es::EsListenSocket> fork = CopyObject<es::EsListenSocket>(l);
  g_assert_cmpuint(Forwarded(l), ==, 0);
  g_assert_cmpuint(Forwarded(fork), ==, 0);
}

} // namespace

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/tcp-traces/stock-socket-forwards", test_stock_socket_forwards);
  g_test_add_func("/tcp-traces/dropped", test_dropped);
  g_test_add_func("/tcp-traces/listener-and-fork", test_listener_and_fork);
  return g_test_run();
}

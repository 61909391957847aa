// Unit tests of the link error model without a network: loss rates and Gilbert-Elliott burst
// statistics over many packets, outage windows to the packet, and payload-only corruption.
#include <glib.h>

#include <cmath>
#include <cstring>
#include <vector>

#include <ns3/error-model.h>
#include <ns3/ipv4-header.h>
#include <ns3/nstime.h>
#include <ns3/packet.h>
#include <ns3/ppp-header.h>
#include <ns3/rng-seed-manager.h>
#include <ns3/simulator.h>
#include <ns3/tcp-header.h>
#include <ns3/tcp-option-sack.h>
#include <ns3/tcp-option-ts.h>

#include "engines/ns3/es_linkmodel.h"

using namespace ns3;

namespace
{

// A frame as the receiving point-to-point device sees it: PPP, IPv4, TCP (options make the
// header longer than any fixed guess), then `payload` bytes of a known pattern.
Ptr<Packet> Frame(uint32_t payload, uint8_t ip_protocol = 6, bool sack = true)
{
  std::vector<uint8_t> bytes(payload);
  for (uint32_t i = 0; i < payload; i++)
    bytes[i] = static_cast<uint8_t>(i * 13 + 7);
  Ptr<Packet> p = Create<Packet>(bytes.data(), payload);
  TcpHeader tcp;
  tcp.SetSourcePort(49153);
  tcp.SetDestinationPort(80);
  tcp.SetSequenceNumber(SequenceNumber32(1001));
  tcp.SetAckNumber(SequenceNumber32(5001));
  tcp.SetFlags(TcpHeader::ACK);
  tcp.SetWindowSize(65535);
  tcp.AppendOption(CreateObject<TcpOptionTS>());
  if (sack) {
    Ptr<TcpOptionSack> s = CreateObject<TcpOptionSack>();
    s->AddSackBlock({SequenceNumber32(100), SequenceNumber32(200)});
    s->AddSackBlock({SequenceNumber32(300), SequenceNumber32(400)});
    s->AddSackBlock({SequenceNumber32(500), SequenceNumber32(600)});
    tcp.AppendOption(s);
  }
  p->AddHeader(tcp);
  Ipv4Header ip;
  ip.SetSource(Ipv4Address("10.0.0.2"));
  ip.SetDestination(Ipv4Address("10.0.0.1"));
  ip.SetProtocol(ip_protocol);
  ip.SetPayloadSize(p->GetSize());
  ip.SetTtl(64);
  p->AddHeader(ip);
  PppHeader ppp;
  ppp.SetProtocol(0x0021);
  p->AddHeader(ppp);
  return p;
}

std::vector<uint8_t> Bytes(Ptr<const Packet> p)
{
  std::vector<uint8_t> b(p->GetSize());
  p->CopyData(b.data(), b.size());
  return b;
}

// A perfect 1 Gbit/s link, burst_loss 1 as a scenario's default.
EsLinkParams Link()
{
  EsLinkParams l{};
  l.rate_bps = 1e9;
  l.burst_loss = 1;
  return l;
}

Ptr<es::LinkErrorModel> Model(const EsLinkParams &imp, int64_t stream = 7)
{
  Ptr<es::LinkErrorModel> m = CreateObject<es::LinkErrorModel>();
  m->Configure(imp);
  m->AssignStreams(stream, 1000 + stream, 2000 + stream);
  return m;
}

struct World {
  World()
  {
    RngSeedManager::SetSeed(12345);
    RngSeedManager::SetRun(1);
  }
  ~World() { Simulator::Destroy(); }
};

void test_independent_loss()
{
  World w;
  EsLinkParams imp = Link();
  imp.loss = 0.05;
  Ptr<es::LinkErrorModel> m = Model(imp);
  Ptr<Packet> p = Frame(100);
  const int n = 200000;
  int dropped = 0;
  for (int i = 0; i < n; i++)
    dropped += m->IsCorrupt(p);
  double rate = double(dropped) / n;
  g_test_message("independent loss 0.05: %.5f over %d packets", rate, n);
  g_assert_cmpfloat(std::fabs(rate - 0.05), <, 0.05 * 0.05);
  g_assert_cmpuint(m->Counts().loss, ==, uint64_t(dropped));
  g_assert_cmpuint(m->Counts().burst + m->Counts().outage + m->Counts().corrupted, ==, 0);
}

// What keeps runs with plain `loss` byte-identical to the versions before this model: on the
// same stream it drops exactly the packets ns-3's RateErrorModel dropped.
void test_same_as_rate_error_model()
{
  World w;
  EsLinkParams imp = Link();
  imp.loss = 0.2;
  Ptr<es::LinkErrorModel> m = Model(imp, 41);
  Ptr<RateErrorModel> r = CreateObject<RateErrorModel>();
  r->SetUnit(RateErrorModel::ERROR_UNIT_PACKET);
  r->SetRate(0.2);
  r->AssignStreams(41);
  Ptr<Packet> p = Frame(100);
  for (int i = 0; i < 20000; i++)
    g_assert_cmpint(m->IsCorrupt(p), ==, r->IsCorrupt(p));
}

void test_gilbert_elliott()
{
  World w;
  EsLinkParams imp = Link();
  imp.burst_enter = 0.01;
  imp.burst_exit = 0.1;
  imp.burst_loss = 0.5;
  Ptr<es::LinkErrorModel> m = Model(imp);
  Ptr<Packet> p = Frame(100);
  const int n = 1000000;
  int dropped = 0, bad = 0, bursts = 0;
  bool was_bad = false;
  for (int i = 0; i < n; i++) {
    dropped += m->IsCorrupt(p);
    bool now_bad = m->InBurst();
    bad += now_bad;
    bursts += now_bad && !was_bad;
    was_bad = now_bad;
  }
  double loss = double(dropped) / n;
  double stationary = imp.burst_enter / (imp.burst_enter + imp.burst_exit) * imp.burst_loss;
  double mean_burst = double(bad) / bursts;
  g_test_message("GE loss %.5f (theory %.5f), mean burst %.3f packets (theory %.3f), %d bursts",
                 loss, stationary, mean_burst, 1 / imp.burst_exit, bursts);
  g_assert_cmpfloat(std::fabs(loss - stationary), <, 0.05 * stationary);
  g_assert_cmpfloat(std::fabs(mean_burst - 1 / imp.burst_exit), <, 0.05 / imp.burst_exit);
  g_assert_cmpuint(m->Counts().burst, ==, uint64_t(dropped));
  g_assert_cmpuint(m->Counts().loss, ==, 0);
  // Bursty: a drop follows a drop far more often than the average loss would have it.
  m->Reset();
  int pairs = 0, after_drop = 0;
  bool last = false;
  for (int i = 0; i < n; i++) {
    bool d = m->IsCorrupt(p);
    if (last) {
      after_drop++;
      pairs += d;
    }
    last = d;
  }
  g_assert_cmpfloat(double(pairs) / after_drop, >, 5 * stationary);
}

struct OutageProbe {
  Ptr<es::LinkErrorModel> m;
  std::vector<std::pair<double, bool>> seen;
};

void Probe(OutageProbe *o)
{
  Ptr<Packet> p = Frame(10);
  o->seen.emplace_back(Simulator::Now().GetSeconds(), o->m->IsCorrupt(p));
}

void test_outages()
{
  World w;
  EsLinkParams imp = Link();
  g_assert_true(es_parse_outages("100s+30s,500s+10s", &imp.outages, nullptr));
  OutageProbe o{Model(imp), {}};
  for (int ms = 0; ms <= 600000; ms += 250)
    Simulator::Schedule(MilliSeconds(ms), &Probe, &o);
  // Right at the edges, to the nanosecond.
  for (double t : {99.999999999, 100.0, 129.999999999, 130.0, 509.999999999, 510.0})
    Simulator::Schedule(NanoSeconds(int64_t(std::llround(t * 1e9))), &Probe, &o);
  Simulator::Run();
  uint64_t expect = 0;
  for (const auto &s : o.seen) {
    bool in = (s.first >= 100 && s.first < 130) || (s.first >= 500 && s.first < 510);
    if (s.second != in)
      g_error("t=%.9f s: dropped %d, in an outage %d", s.first, s.second, in);
    expect += in;
  }
  g_assert_cmpuint(o.m->Counts().outage, ==, expect);
  g_assert_cmpuint(expect, ==, 30 * 4 + 10 * 4 + 3);
  g_free(imp.outages);
}

void test_corruption()
{
  World w;
  EsLinkParams imp = Link();
  imp.corruption = 1;
  Ptr<es::LinkErrorModel> m = Model(imp);
  uint64_t corrupted = 0;
  for (uint32_t payload : {1u, 17u, 536u, 1448u}) {
    for (int round = 0; round < 50; round++) {
      Ptr<Packet> p = Frame(payload);
      uint32_t offset = 0, length = 0;
      g_assert_true(es::LinkErrorModel::FindPayload(p, &offset, &length));
      g_assert_cmpuint(length, ==, payload);
      // PPP 2 + IPv4 20 + TCP 20 + timestamps 10 + three SACK blocks 2 + 3 * 8.
      g_assert_cmpuint(offset, ==, 2 + 20 + 56);
      g_assert_cmpuint(offset, ==, p->GetSize() - payload);
      std::vector<uint8_t> before = Bytes(p);
      g_assert_false(m->IsCorrupt(p)); // corrupted, not dropped
      std::vector<uint8_t> after = Bytes(p);
      g_assert_cmpuint(after.size(), ==, before.size());
      int bits = 0;
      for (size_t i = 0; i < before.size(); i++) {
        uint8_t x = before[i] ^ after[i];
        if (x) {
          g_assert_cmpuint(i, >=, offset); // never a header byte
          bits += __builtin_popcount(x);
        }
      }
      g_assert_cmpint(bits, ==, 1);
      corrupted++;
      // The headers still parse as before.
      PppHeader ppp;
      Ipv4Header ip;
      TcpHeader tcp;
      p->RemoveHeader(ppp);
      p->RemoveHeader(ip);
      p->RemoveHeader(tcp);
      g_assert_cmpuint(tcp.GetSequenceNumber().GetValue(), ==, 1001);
      g_assert_cmpuint(p->GetSize(), ==, payload);
    }
  }
  // Without SACK blocks the header is shorter: the payload is found all the same.
  Ptr<Packet> short_header = Frame(300, 6, false);
  uint32_t offset = 0, length = 0;
  g_assert_true(es::LinkErrorModel::FindPayload(short_header, &offset, &length));
  g_assert_cmpuint(offset, ==, 2 + 20 + 32);
  // Pure ACKs and other protocols are left alone and not counted.
  for (Ptr<Packet> p : {Frame(0), Frame(400, 17)}) {
    std::vector<uint8_t> before = Bytes(p);
    g_assert_false(m->IsCorrupt(p));
    g_assert_true(Bytes(p) == before);
  }
  g_assert_cmpuint(m->Counts().corrupted, ==, corrupted);

  // A small probability hits about that share of data segments.
  EsLinkParams some = Link();
  some.corruption = 0.1;
  Ptr<es::LinkErrorModel> s = Model(some);
  const int n = 20000;
  for (int i = 0; i < n; i++) {
    Ptr<Packet> p = Frame(64, 6, false);
    s->IsCorrupt(p);
  }
  double share = double(s->Counts().corrupted) / n;
  g_test_message("corruption 0.1: %.4f of %d segments", share, n);
  g_assert_cmpfloat(std::fabs(share - 0.1), <, 0.01);
}

// Corruption draws from a stream of its own: turning it on leaves the losses as they were.
void test_streams_independent()
{
  World w;
  EsLinkParams a = Link(), b = Link();
  a.loss = b.loss = 0.3;
  b.corruption = 0.5;
  Ptr<es::LinkErrorModel> ma = Model(a, 3), mb = Model(b, 3);
  for (int i = 0; i < 5000; i++) {
    Ptr<Packet> pa = Frame(100), pb = Frame(100);
    g_assert_cmpint(ma->IsCorrupt(pa), ==, mb->IsCorrupt(pb));
  }
  g_assert_cmpuint(mb->Counts().corrupted, >, 0);
}

} // namespace

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/linkmodel/independent-loss", test_independent_loss);
  g_test_add_func("/linkmodel/same-as-rate-error-model", test_same_as_rate_error_model);
  g_test_add_func("/linkmodel/gilbert-elliott", test_gilbert_elliott);
  g_test_add_func("/linkmodel/outages", test_outages);
  g_test_add_func("/linkmodel/corruption", test_corruption);
  g_test_add_func("/linkmodel/streams", test_streams_independent);
  return g_test_run();
}

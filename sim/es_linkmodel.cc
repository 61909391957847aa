// The link error model. Bursts follow the two-state Gilbert-Elliott chain stepped once per
// packet (microwave fading drops packets in runs); corruption flips a bit past the headers, and
// since ns-3 leaves TCP checksums off, the bytes reach the CMP code, whose signatures fail.
#include "es_linkmodel.h"

#include <ns3/packet.h>
#include <ns3/simulator.h>

namespace es {

// Past the PPP, IPv4 and TCP headers (with options) of a data segment.
static const uint32_t kHeaderBytes = 80;

ns3::TypeId LinkErrorModel::GetTypeId()
{
  static ns3::TypeId tid = ns3::TypeId("es::LinkErrorModel")
                               .SetParent<ns3::ErrorModel>()
                               .AddConstructor<LinkErrorModel>();
  return tid;
}

LinkErrorModel::LinkErrorModel() : m_rng(ns3::CreateObject<ns3::UniformRandomVariable>()) {}

void LinkErrorModel::Configure(const LinkImpairments &imp) { m_imp = imp; }

int64_t LinkErrorModel::AssignStreams(int64_t stream)
{
  m_rng->SetStream(stream);
  return 1;
}

bool LinkErrorModel::DoCorrupt(ns3::Ptr<ns3::Packet> p)
{
  double now = ns3::Simulator::Now().GetSeconds();
  for (const auto &w : m_imp.outages)
    if (now >= w.first && now < w.second) {
      m_drops++;
      return true;
    }
  if (m_imp.burst_enter > 0) {
    double u = m_rng->GetValue();
    m_bad = m_bad ? u >= m_imp.burst_exit : u < m_imp.burst_enter;
    if (m_bad && m_rng->GetValue() < m_imp.burst_loss) {
      m_drops++;
      return true;
    }
  }
  if (m_imp.loss > 0 && m_rng->GetValue() < m_imp.loss) {
    m_drops++;
    return true;
  }
  if (m_imp.corrupt > 0 && p->GetSize() > kHeaderBytes + 16 && m_rng->GetValue() < m_imp.corrupt)
    FlipPayloadBit(p);
  return false;
}

void LinkErrorModel::FlipPayloadBit(ns3::Ptr<ns3::Packet> p)
{
  uint32_t size = p->GetSize(), tail = size - kHeaderBytes;
  std::vector<uint8_t> bytes(tail);
  p->CreateFragment(kHeaderBytes, tail)->CopyData(bytes.data(), tail);
  uint32_t at = static_cast<uint32_t>(m_rng->GetValue() * tail) % tail;
  bytes[at] ^= static_cast<uint8_t>(1u << (static_cast<uint32_t>(m_rng->GetValue() * 8) % 8));
  p->RemoveAtEnd(tail);
  p->AddAtEnd(ns3::Create<ns3::Packet>(bytes.data(), tail));
  m_corruptions++;
}

}  // namespace es

// The link error model. Bursts follow the two-state Gilbert-Elliott chain stepped once per
// packet (microwave fading drops packets in runs); corruption flips a bit past the headers, and
// since ns-3 leaves TCP checksums off, the bytes reach the CMP code, whose signatures fail.
#include "engines/ns3/es_linkmodel.h"

#include <ns3/ipv4-header.h>
#include <ns3/packet.h>
#include <ns3/ppp-header.h>
#include <ns3/simulator.h>
#include <ns3/tcp-header.h>

namespace es
{

namespace
{
const uint16_t kPppIpv4 = 0x0021;
const uint8_t kIpTcp = 6;
} // namespace

ns3::TypeId LinkErrorModel::GetTypeId()
{
  static ns3::TypeId tid = ns3::TypeId("es::LinkErrorModel")
                               .SetParent<ns3::ErrorModel>()
                               .AddConstructor<LinkErrorModel>();
  return tid;
}

LinkErrorModel::LinkErrorModel() = default;

static ns3::Ptr<ns3::UniformRandomVariable> Variable(bool used)
{
  return used ? ns3::CreateObject<ns3::UniformRandomVariable>() : nullptr;
}

LinkErrorModel::~LinkErrorModel() { g_free(m_imp.outages); }

void LinkErrorModel::Configure(const EsLinkParams &link)
{
  g_free(m_imp.outages);
  m_imp = link;
  m_imp.outages = es_outages_copy(link.outages);
  m_bad = false;
  m_lossRng = Variable(link.loss > 0);
  m_burstRng = Variable(link.burst_enter > 0);
  m_corruptRng = Variable(link.corruption > 0);
}

void LinkErrorModel::AssignStreams(int64_t loss, int64_t burst, int64_t corrupt)
{
  if (m_lossRng)
    m_lossRng->SetStream(loss);
  if (m_burstRng)
    m_burstRng->SetStream(burst);
  if (m_corruptRng)
    m_corruptRng->SetStream(corrupt);
}

bool LinkErrorModel::DoCorrupt(ns3::Ptr<ns3::Packet> p)
{
  // Outages come first and draw nothing: the chain and the loss stream see only the packets
  // that reach a working link.
  if (m_imp.outages != nullptr) {
    double now = ns3::Simulator::Now().GetSeconds();
    for (guint i = 0; i < m_imp.outages->n; i++)
      if (now >= m_imp.outages->w[i].start_s
          && now < m_imp.outages->w[i].start_s + m_imp.outages->w[i].duration_s) {
        m_counts.outage++;
        return true;
      }
  }
  if (m_imp.burst_enter > 0) {
    double u = m_burstRng->GetValue();
    m_bad = m_bad ? u >= m_imp.burst_exit : u < m_imp.burst_enter;
    if (m_bad && m_burstRng->GetValue() < m_imp.burst_loss) {
      m_counts.burst++;
      return true;
    }
  }
  if (m_imp.loss > 0 && m_lossRng->GetValue() < m_imp.loss) {
    m_counts.loss++;
    return true;
  }
  // Drawn for every packet, so the chance per data segment is exactly `corrupt`; only the
  // (few) hits pay for parsing the headers.
  if (m_imp.corruption > 0 && m_corruptRng->GetValue() < m_imp.corruption && FlipPayloadBit(p))
    m_counts.corrupted++;
  return false;
}

bool LinkErrorModel::FindPayload(ns3::Ptr<const ns3::Packet> p, uint32_t *offset, uint32_t *length)
{
  // Headers vary: TCP options (timestamps, SACK blocks) take up to 40 bytes, so no fixed
  // offset is safe. Parse a copy instead.
  ns3::Ptr<ns3::Packet> q = p->Copy();
  ns3::PppHeader ppp;
  if (q->GetSize() < 2 || q->RemoveHeader(ppp) == 0 || ppp.GetProtocol() != kPppIpv4)
    return false;
  ns3::Ipv4Header ip;
  if (q->GetSize() < 20 || q->RemoveHeader(ip) == 0 || ip.GetProtocol() != kIpTcp ||
      ip.GetFragmentOffset() != 0 || !ip.IsLastFragment())
    return false;
  ns3::TcpHeader tcp;
  if (q->GetSize() < 20 || q->RemoveHeader(tcp) == 0)
    return false;
  uint32_t headers = ppp.GetSerializedSize() + ip.GetSerializedSize() + tcp.GetSerializedSize();
  if (p->GetSize() <= headers)
    return false;
  *offset = headers;
  *length = p->GetSize() - headers;
  return true;
}

bool LinkErrorModel::FlipPayloadBit(ns3::Ptr<ns3::Packet> p)
{
  uint32_t offset = 0, tail = 0;
  if (!FindPayload(p, &offset, &tail))
    return false;
  std::vector<uint8_t> bytes(tail);
  p->CreateFragment(offset, tail)->CopyData(bytes.data(), tail);
  uint32_t at = m_corruptRng->GetInteger(0, tail - 1);
  uint32_t bit = m_corruptRng->GetInteger(0, 7);
  bytes[at] ^= static_cast<uint8_t>(1u << bit);
  // Only the payload is replaced: the headers and their metadata stay as they were.
  p->RemoveAtEnd(tail);
  p->AddAtEnd(ns3::Create<ns3::Packet>(bytes.data(), tail));
  return true;
}

} // namespace es

// Link impairments of the access, aggregation and core links as one ns-3 receive error model:
// independent loss, Gilbert-Elliott bursts, outage windows and payload corruption.
#ifndef ES_LINKMODEL_H
#define ES_LINKMODEL_H

#include <cstdint>
#include <utility>
#include <vector>

#include <ns3/error-model.h>
#include <ns3/random-variable-stream.h>

#include "config/es_link.h"

namespace es
{

// What a model did, by cause. A packet counts once: an outage drop draws no loss or burst.
struct LinkCounts {
  uint64_t loss = 0, burst = 0, outage = 0, corrupted = 0;
};

class LinkErrorModel : public ns3::ErrorModel
{
public:
  static ns3::TypeId GetTypeId();
  LinkErrorModel();
  // Random variables exist only for the mechanisms in use (a link's model costs a few hundred
  // bytes per variable, and 100k links add up): configure first, then assign streams.
  // `link` is checked (es_link_check) and copied; its rate and delay are the channel's.
  void Configure(const EsLinkParams &link);
  // One stream per mechanism, so that turning corruption on does not move the losses. The
  // loss stream draws exactly as ns-3's RateErrorModel (one uniform per packet, drop when
  // below the rate): a loss-only link given RateErrorModel's stream drops the same packets.
  void AssignStreams(int64_t loss, int64_t burst, int64_t corrupt);
  const LinkCounts &Counts() const { return m_counts; }
  bool InBurst() const { return m_bad; }
  // Where the TCP payload of a PPP frame starts and how long it is; false for anything but
  // a TCP segment carrying data. Public for tests.
  static bool FindPayload(ns3::Ptr<const ns3::Packet> p, uint32_t *offset, uint32_t *length);

private:
  bool DoCorrupt(ns3::Ptr<ns3::Packet> p) override;
  void DoReset() override { m_bad = false; }
  bool FlipPayloadBit(ns3::Ptr<ns3::Packet> p);

  ~LinkErrorModel() override;

  EsLinkParams m_imp{}; // outages owned
  ns3::Ptr<ns3::UniformRandomVariable> m_lossRng, m_burstRng, m_corruptRng;
  bool m_bad = false;
  LinkCounts m_counts;
};

} // namespace es

#endif

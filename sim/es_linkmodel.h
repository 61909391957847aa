// Link impairments of the access, aggregation and core links as one ns-3 receive error model:
// independent loss, Gilbert-Elliott bursts, outage windows and payload corruption.
#ifndef ES_LINKMODEL_H
#define ES_LINKMODEL_H

#include <cstdint>
#include <utility>
#include <vector>

#include <ns3/error-model.h>
#include <ns3/random-variable-stream.h>

namespace es {

struct LinkImpairments {
  double loss = 0;          // independent drop probability per packet
  double burst_enter = 0;   // Gilbert-Elliott: good -> bad per packet (0: no bursts)
  double burst_exit = 0;    // bad -> good per packet
  double burst_loss = 1;    // drop probability in the bad state
  std::vector<std::pair<double, double>> outages;  // [start, end) in simulated seconds
  double corrupt = 0;       // probability of flipping one payload bit of a data packet

  bool Any() const { return loss > 0 || burst_enter > 0 || !outages.empty() || corrupt > 0; }
};

class LinkErrorModel : public ns3::ErrorModel {
 public:
  static ns3::TypeId GetTypeId();
  LinkErrorModel();
  void Configure(const LinkImpairments &imp);
  int64_t AssignStreams(int64_t stream);
  uint64_t Drops() const { return m_drops; }
  uint64_t Corruptions() const { return m_corruptions; }

 private:
  bool DoCorrupt(ns3::Ptr<ns3::Packet> p) override;
  void DoReset() override { m_bad = false; }
  void FlipPayloadBit(ns3::Ptr<ns3::Packet> p);

  LinkImpairments m_imp;
  ns3::Ptr<ns3::UniformRandomVariable> m_rng;
  bool m_bad = false;
  uint64_t m_drops = 0, m_corruptions = 0;
};

}  // namespace es

#endif

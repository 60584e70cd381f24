// The settlement that ends the war of the burn-in (ODD 7.20) as a mechanism: its two keys, the draws by
// which each party's fighters leave the country with a withdrawing party or lay down their arms at day 0,
// and the counts of those who did, recorded as run summaries. It acts once, at the end of the burn-in
// (Mechanism::after_burn_in), and hooks no phase.
#pragma once
#include <cstdint>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class Settlement : public MechanismOf<Settlement> {
 public:
  double share = 0;            ///< start.settlement_share: chance each militia member lays down arms at day 0
  double withdrawn_share = 0;  ///< start.withdrawn_share: chance each militia member leaves the country then

  void after_burn_in(PeaceModel& m) override;
  std::vector<AttrValue> summary(const PeaceModel& m, const Recorder& rec) const override;

 private:
  /// Fighters demobilised at the settlement. A resumed run's constructor repeats the burn-in and the
  /// settlement, so this is not checkpointed.
  std::int64_t demobilised_ = 0;
  std::int64_t withdrawn_ = 0;  ///< fighters who left with a withdrawing party; not checkpointed either
};

}  // namespace keepsim::peace

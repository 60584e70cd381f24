// Regional development (ODD 7.3) as a mechanism: each region's baseline hardship multiplier, which falls
// slowly while the region stays secure (livelihood effort) down to a floor. The citizens' hardship pass
// (social.cpp) and rearming (ddr.cpp) read the multiplier inline, so the class is declared here rather than
// inside development.cpp.
#pragma once
#include <cstdint>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class Development : public MechanismOf<Development> {
 public:
  bool hardship = false;  ///< hardship.enabled: development works through hardship (7.3)
  double rate = 0;        ///< hardship.development_rate (1/day)
  double floor = 0.5;     ///< hardship.development_floor
  std::int64_t secure_days =
      30;  ///< legitimacy.secure_days: days without a killing that make a region secure

  /// Per region: the multiplier on its citizens' baseline hardship (1 at the start).
  std::vector<double> level;

  void init(PeaceModel& m) override;
  std::vector<Phase> phases() const override { return {Phase::Social}; }
  void run(Phase p, PeaceModel& m) override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;
};

}  // namespace keepsim::peace

// Territorial control (ODD 7.15) as a mechanism: each cell's incumbent share of armed presence, computed
// before the agents' turns from yesterday's end positions, the five control zones, and the killings and
// citizens counted by zone. Its data are read inline in the agents' turns (act.cpp: selective violence,
// engagements), so the class is declared here rather than inside control.cpp.
#pragma once
#include <cstdint>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

/// Kalyvas's five zones of control (ODD 7.15): 0 full incumbent control ... 4 full insurgent control.
/// Zone 0 from 0.9 up, 1 from 0.6, 2 above 0.4, 3 above 0.1, 4 at or below 0.1 (and for NaN): one step
/// for each bound not reached, added without branches, as a count over every cell reads it (observe).
inline int control_zone(double incumbent_share) {
  return !(incumbent_share >= 0.9) + !(incumbent_share >= 0.6) + !(incumbent_share > 0.4) +
         !(incumbent_share > 0.1);
}

class Control : public MechanismOf<Control> {
 public:
  /// control.enabled, or spoilers.political (whose rules read control, 7.14).
  bool on = false;
  double radius = 5;  ///< control.radius (cells)

  /// Incumbent share k_c at cell c today; 1 (the government's) where control is off.
  double incumbent_share(std::int32_t c) const {
    return share_.empty() ? 1.0 : static_cast<double>(share_[static_cast<std::size_t>(c)]);
  }
  /// A militia killing of a civilian at cell c, counted by the zone of c.
  void count_killing(std::int32_t c) { ++zone_killings_[control_zone(incumbent_share(c))]; }

  std::vector<Phase> phases() const override { return {Phase::DayStart, Phase::BeforeAgents}; }
  void run(Phase p, PeaceModel& m) override;
  void after_burn_in(PeaceModel&) override;
  void observe(const PeaceModel& m, Recorder& rec) const override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;
  void memory(double cells, double agents, double& state, double& transient) const override;

 private:
  void compute(PeaceModel& m);
  std::vector<float> share_;                         ///< incumbent share per cell, today (empty while off)
  std::vector<double> sec_;                          ///< summed-area tables, kept between days: security
  std::vector<std::int32_t> arm_;                    ///< and armed spoilers (a count)
  std::int64_t zone_killings_[5] = {0, 0, 0, 0, 0};  ///< militia killings of civilians today, by zone
};

}  // namespace keepsim::peace

// The citizens' daily legitimacy and hardship (ODD 7.2 and 7.3, ODD 3 step 5) as a mechanism: the update of
// each citizen's L_i and hardship from what its vision holds of the day's killings, victims, abuse,
// constables and the mission, the aid it received and its region's development, with the mission's own
// M_i (7.13) in the same pass; the aid fallback when hardship is off; and the regional means of L_i, which
// the constabulary's defection reads (7.9). Their keys stay the model's (params.cpp, Config::legitimacy and
// Config::hardship): they are interleaved with keys the model reads itself (legitimacy.local,
// initial_spread, secure_days, hardship.enabled). The model's end_day sets the regional means in the one
// pass over the agents that also counts the mission's census, so the class is declared here.
#pragma once
#include <cstdint>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class Legitimacy : public MechanismOf<Legitimacy> {
 public:
  /// By region: the mean L_i of its citizens on the grid at the end of the last day (ODD 7.2; the base L
  /// until a region has had one). Set by PeaceModel::end_day.
  std::vector<double> region;

  void init(PeaceModel& m) override;
  std::vector<Phase> phases() const override { return {Phase::Social}; }
  void run(Phase p, PeaceModel& m) override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;

 private:
  // By cell, whether its vision holds a mark of the day's sparse layers (killings, victims, abuse), one bit
  // per question, spread once from the marks instead of each citizen counting its vision of every layer.
  std::vector<std::uint8_t> near_marks_;
  // Whether near_marks_ answers for the fear vision and for the citizens' vision (spreads_exactly): it
  // depends on the grid and the visions only, so it is decided once, at init.
  bool spread_fear_ = false, spread_vision_ = false;
};

}  // namespace keepsim::peace

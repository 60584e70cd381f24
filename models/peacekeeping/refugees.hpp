// Refuge abroad (ODD 7.16) as a mechanism: who is outside the country (a per-agent flag), the chance that a
// flight crosses the border, the day's departures and returns, two series and their checkpoint fields. The
// flight itself happens in a citizen's turn and the return in the model's return rules (7.6), which read
// and change the flag through this class, so it is declared here rather than inside refugees.cpp.
#pragma once
#include <cstdint>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class Refugees : public MechanismOf<Refugees> {
 public:
  double probability = 0;  ///< displacement.refugee_probability: chance a flight leaves the country

  bool abroad(std::size_t id) const { return abroad_[id] != 0; }
  /// A fleeing citizen crossed the border (it has left the grid).
  void leave(std::size_t id) {
    abroad_[id] = 1;
    ++out_today_;
  }
  /// A refugee came home (voluntary or forced return, 7.6).
  void come_home(std::size_t id) {
    abroad_[id] = 0;
    ++returns_today_;
  }

  void init(PeaceModel& m) override { attach_column(m, abroad_); }
  std::vector<Phase> phases() const override { return {Phase::DayStart}; }
  void run(Phase, PeaceModel&) override { out_today_ = returns_today_ = 0; }
  void after_burn_in(PeaceModel&) override { out_today_ = returns_today_ = 0; }
  void observe(const PeaceModel& m, Recorder& rec) const override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;
  void memory(double cells, double agent_slots, double& state, double& transient) const override;

 private:
  std::vector<std::uint8_t> abroad_;  ///< per agent: a refugee outside the country
  std::int64_t out_today_ = 0, returns_today_ = 0;
};

}  // namespace keepsim::peace

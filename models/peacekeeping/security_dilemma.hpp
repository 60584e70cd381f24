// What outlasts a settlement (ODD 7.17) as a mechanism: arming for protection between groups and the
// excluded group's lower regard for the government. Its two parameters, its daily counter, its series and its
// checkpoint field live here. The rules themselves run where their inputs are: arming inside a citizen's
// turn (act.cpp, which calls armed()), the gap when the population is made (model.cpp populate, which reads
// the prototype before the mechanisms are built), so this class is declared in a header.
#pragma once
#include <cstdint>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class SecurityDilemma : public MechanismOf<SecurityDilemma> {
 public:
  double protection_probability = 0;  ///< spoilers.protection_probability, p_prot a day
  double exclusion_gap = 0;           ///< legitimacy.exclusion_gap: group 1's lower L_i(0)

  /// A citizen took up arms for protection today.
  void armed() { ++today_; }

  std::vector<Phase> phases() const override { return {Phase::DayStart}; }
  void run(Phase, PeaceModel&) override { today_ = 0; }
  void after_burn_in(PeaceModel&) override { today_ = 0; }
  void observe(const PeaceModel& m, Recorder& rec) const override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;

 private:
  std::int64_t today_ = 0;
};

}  // namespace keepsim::peace

// The return of the displaced (ODD 7.6, and the return of refugees from abroad of 7.16) as a mechanism: the
// Return phase of the day (ODD 3 step 5a), after DDR, which reads where the displaced are. It keeps no state
// and makes its draws from streams of its own purposes (kReturn, kForcedReturn). Its one key of its own is
// displacement.return_rule; the others stay the model's (params.cpp, Config::displacement): the citizens'
// flight reads them too.
#pragma once
#include <cstdint>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class Returns : public MechanismOf<Returns> {
 public:
  /// displacement.return_rule (ODD 7.6): voluntary return waits for K quiet days only ("quiet"), also until
  /// the other group's fighters no longer hold the home area ("held"), or also until its people do not
  /// outnumber the citizen's own group there ("own_ground").
  enum class Rule : std::uint8_t { Quiet, Held, OwnGround };
  Rule rule = Rule::Quiet;

  std::vector<Phase> phases() const override { return {Phase::Return}; }
  void run(Phase p, PeaceModel& m) override;

 private:
  void forced_return(PeaceModel& m);
  bool held_by_other(const PeaceModel& m, std::int32_t home, int g) const;
};

}  // namespace keepsim::peace

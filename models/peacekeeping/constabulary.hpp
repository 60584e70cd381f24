// The domestic constabulary and the international civilian police (ODD 7.9) as a mechanism: the
// constabulary.* and police.* keys, the police's one arrival and their departure with the mission, and the
// daily recruitment, training and defection of constables. The agents' turns read constables through the
// model's constable layer and the skill column (act.cpp, security_seen), which stay the model's, so nothing
// outside constabulary.cpp needs this class; it is declared here for tests and for docs/design.md's list.
#pragma once
#include <cstdint>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class Constabulary : public MechanismOf<Constabulary> {
 public:
  bool enabled = false;                 ///< constabulary.enabled
  bool mission = false;                 ///< mission.enabled: the police come with a present mission
  bool militias = false;                ///< spoilers.enabled with groups = 2: a defector has a militia
  std::int64_t start_day = 0;           ///< constabulary.start_day
  double recruit_legitimacy = 0.6;      ///< constabulary.recruit_legitimacy: least L_i of a recruit
  double throughput = 0;                ///< constabulary.throughput (1/day)
  double throughput_per_trainer = 0;    ///< constabulary.throughput_per_trainer (1/day)
  double initial_skill = 0.2;           ///< constabulary.initial_skill: q0
  double max_skill = 0.9;               ///< constabulary.max_skill: q_max
  double training_rate = 0.01;          ///< constabulary.training_rate (1/day)
  double trainees_per_trainer = 10;     ///< constabulary.trainees_per_trainer
  double defect_probability = 0;        ///< constabulary.defect_probability (1/day)
  double defect_to_militia = 0.5;       ///< constabulary.defect_to_militia
  std::int64_t police_count = 0;        ///< police.count
  std::int64_t police_arrival_day = 0;  ///< police.arrival_day
  double police_skill = 0.5;            ///< police.skill

  /// Recruits owed by the training throughput, carried from day to day (below 1 at the end of a day).
  double recruit_credit = 0;
  /// Whether the international police have arrived (they come once).
  bool police_arrived = false;

  std::vector<Phase> phases() const override { return {Phase::Mission}; }
  void run(Phase p, PeaceModel& m) override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;
};

}  // namespace keepsim::peace

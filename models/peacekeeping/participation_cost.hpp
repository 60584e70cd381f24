// The cost of keeping up open defiance (ODD 7.18) as a component: the participation.* keys, a column of the
// days of defiance each citizen still feels, and the social-phase pass that adds today's and lets the old
// fade. Rule A reads it inline in the citizen's turn (act.cpp decide_rule_a), through PeaceModel's pointer
// to this class, so it is declared here rather than in participation_cost.cpp. With participation.cost = 0
// (the schema default) nothing is attached or read and rule A is Epstein's.
#pragma once
#include <cstddef>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class ParticipationCost : public MechanismOf<ParticipationCost> {
 public:
  double cost = 0;           ///< participation.cost: added to T per day of defiance still felt
  double memory_days = 365;  ///< participation.memory_days: the days over which that cost fades
  bool on() const { return cost > 0; }
  /// Rule A's threshold for citizen `id` is T plus this (ODD 7.18).
  double extra_threshold(std::size_t id) const { return cost * static_cast<double>(felt[id]); }

  /// Per agent: the days of open defiance still felt, each fading by a factor 1 - 1/memory_days a day.
  std::vector<float> felt;

  void init(PeaceModel& m) override;
  std::vector<Phase> phases() const override { return {Phase::Social}; }
  void run(Phase p, PeaceModel& m) override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;
  void memory(double cells, double agent_slots, double& state, double& transient) const override;
};

}  // namespace keepsim::peace

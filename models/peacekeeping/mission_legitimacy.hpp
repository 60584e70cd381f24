// The mission's popular legitimacy M_i (ODD 7.13) as a mechanism: its parameters, its per-agent column, the
// people's first measure of the mission on its arrival, one series and its checkpoint field. The daily update
// of M_i shares the citizens' parallel legitimacy pass (legitimacy.cpp: what is secure and who saw abuse is
// computed once for both), and cooperation reads M_i in the agents' turns, so the class is declared here
// for legitimacy.cpp and act.cpp to read inline.
#pragma once
#include <cstdint>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class MissionLegitimacy : public MechanismOf<MissionLegitimacy> {
 public:
  bool separate = false;     ///< legitimacy.mission_separate: M_i kept apart from L_i
  double initial = 0.5;      ///< legitimacy.mission_initial: M0, every citizen's M_i on the first arrival
  double security_gain = 0;  ///< legitimacy.mission_security_gain: m_sec
  std::vector<float> value;  ///< M_i per agent

  void init(PeaceModel& m) override { attach_column(m, value); }
  std::vector<Phase> phases() const override { return {Phase::Mission}; }
  void run(Phase p, PeaceModel& m) override;
  void observe(const PeaceModel& m, Recorder& rec) const override;
  void save(StateWriter& w) const override { w.put("agents.mission_legitimacy", value); }
  void load(const StateReader& r, PeaceModel& m) override;
  void memory(double cells, double agent_slots, double& state, double& transient) const override;
};

}  // namespace keepsim::peace

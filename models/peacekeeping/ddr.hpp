// Demobilisation and rearming (ODD 7.5 DDR, with 7.17 rule 3's motive) as a mechanism: the spoilers.ddr_*
// and rearm keys, the `demobilised` agent column, and the daily pass in which fighters where it is secure
// lay down their arms, former fighters may take them up again, and those who do not may settle for good. An
// arrest (model.cpp jail) and a citizen joining a militia (act.cpp join_militia) write the column inline,
// through PeaceModel's pointer to this class, and constable recruitment (constabulary.cpp) reads it, so it is
// declared here rather than in ddr.cpp.
#pragma once
#include <cstdint>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class Ddr : public MechanismOf<Ddr> {
 public:
  bool spoilers = false;                 ///< spoilers.enabled: without fighters there is no one to demobilise
  bool political = false;                ///< spoilers.political: refusal is 1 - c_i (ODD 7.14), else 1
  bool two_groups = false;               ///< groups = 2: rearming needs a group to rearm for
  double ddr_probability = 0;            ///< spoilers.ddr_probability (1/day)
  double rearm_probability = 0;          ///< spoilers.rearm_probability (1/day)
  bool rearm_refusal_or_fear = false;    ///< spoilers.rearm_motive = "refusal_or_fear"
  double reintegration_probability = 0;  ///< spoilers.reintegration_probability (1/day)
  bool rearm_recall = false;             ///< spoilers.rearm_recall: rearming needs a militia member in sight
  bool rearm_fear_alone = false;         ///< spoilers.rearm_fear_alone: fear rearms without a recall

  /// Per agent: 1 for a former fighter (demobilised, or arrested as a fighter), 0 otherwise.
  std::vector<std::uint8_t> demobilised;

  /// Fighter `i` lays down its arms and goes home a former fighter: the DDR rule's demobilisation, and the
  /// settlement's (ODD 7.20).
  void demobilise(PeaceModel& m, std::size_t i);

  void init(PeaceModel& m) override;
  std::vector<Phase> phases() const override { return {Phase::Social}; }
  void run(Phase p, PeaceModel& m) override;
  void observe(const PeaceModel& m, Recorder& rec) const override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;
  void memory(double cells, double agent_slots, double& state, double& transient) const override;

 private:
  /// Series reintegrated: zeroed at the start of each day's pass and recorded after the day, so a checkpoint,
  /// taken between days, need not hold it.
  std::int64_t reintegrated_today_ = 0;
};

}  // namespace keepsim::peace

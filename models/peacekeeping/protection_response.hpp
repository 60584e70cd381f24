// The mission's response to attacks on civilians (ODD 7.8, "Response to attacks") as a mechanism: its key,
// the patrols sent toward the day's killings of civilians by fighters, their series and checkpoint fields.
// kill() reports each such killing here (model.cpp), a patrol's turn reads where it was sent (act.cpp
// task_move, both schedules), and the dispatch runs once a day at the day's end, in cell order, so that it
// is the same on any thread count.
#pragma once
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class ProtectionResponse : public MechanismOf<ProtectionResponse> {
 public:
  /// mission.response_probability: the chance that a killing of a civilian by fighters, in a region where
  /// the mission has a patrol, brings the nearest one there (0: the mission never responds).
  double probability = 0;
  std::int64_t expire_days = 7;  ///< tasks.retask_days: a response not completed by then is dropped

  /// A civilian killed by a fighter on cell c today (PeaceModel::kill, in the agents' turns, one at a time).
  void attacked(std::int32_t c) {
    if (probability > 0) incidents_.push_back(c);
  }
  /// The cell patrol `id` is on its way to, or -1. Read in the patrols' turns (task_move).
  std::int32_t site_of(std::uint32_t id) const {
    if (sent_.empty()) return -1;
    const auto it = std::lower_bound(sent_.begin(), sent_.end(), id,
                                     [](const Sent& s, std::uint32_t v) { return s.unit < v; });
    return it != sent_.end() && it->unit == id ? it->site : -1;
  }

  std::vector<Phase> phases() const override { return {Phase::DayEnd}; }
  void run(Phase p, PeaceModel& m) override;
  void after_burn_in(PeaceModel&) override {
    sent_.clear();
    incidents_.clear();
    answered_today_ = 0;
  }
  void observe(const PeaceModel& m, Recorder& rec) const override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;

 private:
  struct Sent {
    std::uint32_t unit;  ///< the patrol's agent id
    std::int32_t site;   ///< the cell of the killing
    std::int64_t day;    ///< the day it was sent
  };
  std::vector<Sent> sent_;               ///< patrols under way, by unit id
  std::vector<std::int32_t> incidents_;  ///< today's cells with a civilian killed by fighters
  std::int64_t answered_today_ = 0;
};

}  // namespace keepsim::peace

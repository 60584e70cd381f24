// The mission's response to attacks on civilians (ODD 7.8, "Response to attacks") as a mechanism: its key,
// the patrols sent toward the day's killings of civilians by fighters, their series and checkpoint fields.
// kill() reports each such killing here (model.cpp), a patrol's turn reads where it was sent (act.cpp
// task_move, both schedules), and the dispatch runs once a day at the day's end, in cell order, so that it
// is the same on any thread count. With mission.response_deters the fighters expect that response: a fighter
// about to kill a civilian near a free patrol may hold back (choose_attack in act.cpp asks forgoes()).
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
  /// mission.response_deters: fighters expect the response (ODD 7.8, "Expected response").
  bool deters = false;
  /// Squared distance (cells) within which a patrol can reach a killing's site while the killer is still
  /// exposed: (mission.vision x (spoilers.exposed_days + 1))^2.
  double reach2 = 0;

  /// Whether fighter `id`, about to kill a civilian on cell `site` today, holds back for fear of the
  /// response: when a free patrol of the site's region stood within reach of it this morning, with
  /// probability `probability`, drawn from the fighter's own kAnticipate stream. Read in the agents' turns
  /// (both schedules, in parallel in the sync day's decisions).
  bool forgoes(const PeaceModel& m, std::int32_t site, std::size_t id) const {
    return !patrols_.empty() && forgoes_near(m, site, id);  // patrols_ is filled only when both are on
  }

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

  std::vector<Phase> phases() const override { return {Phase::BeforeAgents, Phase::DayEnd}; }
  void run(Phase p, PeaceModel& m) override;
  void after_burn_in(PeaceModel&) override {
    sent_.clear();
    incidents_.clear();
    answered_today_ = 0;
    forgone_ = 0;
  }
  void observe(const PeaceModel& m, Recorder& rec) const override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;
  /// The patrols under way, today's calls and the morning's patrols: each at most one entry per unit, or
  /// per killing in a day (counted as one per unit).
  void memory(double, double, double& state, double&) const override {
    state += static_cast<double>(units) * (sizeof(Sent) + sizeof(std::int32_t) + sizeof(patrols_[0]));
  }
  std::int64_t units = 0;  ///< the mission's units (contingents' sizes), for memory()

 private:
  bool forgoes_near(const PeaceModel& m, std::int32_t site, std::size_t id) const;
  bool free_patrol(const Agents& a, std::size_t i) const;
  /// The morning's free patrols by region (BeforeAgents), which the fighters' expectation reads all day.
  void index_patrols(const PeaceModel& m);
  void dispatch(PeaceModel& m);

  struct Sent {
    std::uint32_t unit;  ///< the patrol's agent id
    std::int32_t site;   ///< the cell of the killing
    std::int64_t day;    ///< the day it was sent
  };
  std::vector<Sent> sent_;               ///< patrols under way, by unit id
  std::vector<std::int32_t> incidents_;  ///< today's cells with a civilian killed by fighters
  std::int64_t answered_today_ = 0;
  /// Free patrols' (region, cell) this morning, sorted; empty unless the fighters expect responses.
  std::vector<std::pair<std::uint16_t, std::int32_t>> patrols_;
  /// Today's killings forgone (series responses_feared). Counted in the sync day's parallel decisions too,
  /// so added through an atomic_ref; a sum, so the same on any thread count. Reset each morning, so no
  /// checkpoint field.
  mutable std::int64_t forgone_ = 0;
};

}  // namespace keepsim::peace

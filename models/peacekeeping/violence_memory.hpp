// The model's memory of violence (ODD 7.2, 7.3, 7.6, 7.8) as a mechanism: the day's marks (cells with a
// killing, with a victim of each group, where lethal force was used) and the killings of the last
// legitimacy.secure_days days by cell (the "recent" layer behind "secure", its counts and its log), and each
// region's last killing. The agents' turns write it inline through PeaceModel::violence_ (kill() records a
// killing, a lethal response marks abuse: no virtual call per agent); legitimacy, DDR, the return of the
// displaced, development, the mission's tasking and the observer read it through PeaceModel's accessors.
// It takes no keys: legitimacy.secure_days is the model's (params.cpp, Config::legitimacy).
#pragma once
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "keepsim/core/bit_layer.hpp"
#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class ViolenceMemory : public MechanismOf<ViolenceMemory> {
 public:
  /// Cells with a killing in the last legitimacy.secure_days days ("secure" is none in vision, ODD 7.2).
  const BitLayer& recent() const { return kill_recent_; }
  /// Killings in those days on cell c.
  std::int16_t recent_count(std::int32_t c) const {
    const auto it = kill_count_.find(c);
    return it == kill_count_.end() ? std::int16_t{0} : it->second;
  }
  /// Cells with a killing today, a victim of group g today, lethal force used today (ODD 7.2, 7.3).
  const BitLayer& killed_today() const { return kill_today_; }
  const BitLayer& victims_today(int g) const { return victim_today_[g]; }
  const BitLayer& abuse_today() const { return abuse_today_; }
  /// The cells marked in those layers today (a cell may appear more than once).
  const std::vector<std::int32_t>& marked_today() const { return today_cells_; }
  /// Killings of the last legitimacy.secure_days days, (day, cell), oldest first (ODD 7.2, 7.8 tasking).
  const std::vector<std::pair<std::int64_t, std::int32_t>>& log() const { return kill_log_; }
  /// The last day with a killing in region r (long before day 0 if none).
  std::int64_t region_last_kill(int r) const { return region_last_kill_[static_cast<std::size_t>(r)]; }

  /// A killing on cell c of region `region` on `day`, of a citizen of group victim_group (-1: not a
  /// citizen). Called by PeaceModel::kill, inside the agents' turns.
  void record(std::int32_t c, int victim_group, std::int64_t day, int region) {
    kill_today_.set(c);
    if (victim_group >= 0) victim_today_[victim_group].set(c);
    today_cells_.push_back(c);
    if (kill_count_[c]++ == 0) kill_recent_.set(c);
    kill_log_.emplace_back(day, c);
    region_last_kill_[static_cast<std::size_t>(region)] = day;
  }
  /// Lethal force used on cell c today: witnesses within vision see abuse (ODD 7.2, 7.8 lethal response).
  void mark_abuse(std::int32_t c) {
    abuse_today_.set(c);
    today_cells_.push_back(c);
  }

  void init(PeaceModel& m) override;
  /// At the start of the day: yesterday's marks are cleared and killings older than K days leave the log.
  std::vector<Phase> phases() const override { return {Phase::DayStart}; }
  void run(Phase p, PeaceModel& m) override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;

 private:
  BitLayer kill_recent_, kill_today_, victim_today_[2], abuse_today_;
  /// Killings in the last K days, for the cells that had one: killings are few, so a count per cell of the
  /// grid (2 bytes a cell) held mostly zeros. The checkpoint keeps its count per cell (cells.kill_count).
  std::unordered_map<std::int32_t, std::int16_t> kill_count_;
  std::vector<std::pair<std::int64_t, std::int32_t>> kill_log_;  ///< (day, cell), oldest first
  std::vector<std::int32_t> today_cells_;                        ///< cells marked in the *_today_ layers
  std::vector<std::int64_t> region_last_kill_;                   ///< by region, the day
  std::int64_t cells_ = 0;
};

}  // namespace keepsim::peace

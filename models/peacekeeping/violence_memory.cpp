// The model's memory of violence as a component (mechanism.hpp; ODD 7.2 "secure", 7.3, 7.6, 7.8): what
// PeaceModel::kill and the lethal response record during the agents' turns, and its ageing at the start of
// each day. It is registered first and hooks only the day's start, where the model's start_day cleared
// yesterday's marks and aged the log: nothing the model does earlier in that phase (exposure, Epstein's cop
// schedule) reads or writes it, and it runs before every other component, so every read sees what it saw
// before the move. It makes no random draw. Its fields are saved under the names the model gave them
// (cells.kill_count, layer.kill_*, layer.abuse_today, layer.victim_today*, kill_log.*, today_cells,
// region.last_kill), so the checkpoint's names and kStateVersion are unchanged.
#include "models/peacekeeping/violence_memory.hpp"

#include <string>
#include <unordered_map>

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

void declare(Schema&) {}  // legitimacy.secure_days, its one key, is the model's (violence_memory.hpp)

std::shared_ptr<const Mechanism> read(const Params&, const Config&) {
  return std::make_shared<ViolenceMemory>();
}

}  // namespace

extern const MechanismType violence_memory_mechanism = {"violence_memory", &declare, &read, {}, {}};

void ViolenceMemory::init(PeaceModel& m) {
  const Grid& grid = m.grid();
  for (BitLayer* l : {&kill_recent_, &kill_today_, &victim_today_[0], &victim_today_[1], &abuse_today_})
    l->reset(grid);
  kill_count_.clear();
  cells_ = grid.cells();
  region_last_kill_.assign(static_cast<std::size_t>(m.regions()), -1000000);
}

void ViolenceMemory::run(Phase, PeaceModel& m) {
  // Yesterday's marks leave the *_today layers; killings older than K days leave the "recent" layer.
  for (const std::int32_t c : today_cells_) {
    kill_today_.clear(c);
    victim_today_[0].clear(c);
    victim_today_[1].clear(c);
    abuse_today_.clear(c);
  }
  today_cells_.clear();
  const std::int64_t day = m.day(), secure_days = m.config().legitimacy.secure_days;
  std::size_t expired = 0;
  while (expired < kill_log_.size() && kill_log_[expired].first <= day - secure_days) {
    const std::int32_t c = kill_log_[expired].second;
    const auto it = kill_count_.find(c);
    if (--it->second == 0) {
      kill_count_.erase(it);
      kill_recent_.clear(c);
    }
    ++expired;
  }
  kill_log_.erase(kill_log_.begin(), kill_log_.begin() + static_cast<std::ptrdiff_t>(expired));
}

void ViolenceMemory::save(StateWriter& w) const {
  // The names the model gave these fields when it kept them: the checkpoint's names are unchanged.
  const std::int64_t cells = cells_;
  put_cell_counts(w, "cells.kill_count", kill_count_, cells);
  put_layer(w, "layer.kill_recent", kill_recent_, cells);
  put_layer(w, "layer.kill_today", kill_today_, cells);
  put_layer(w, "layer.abuse_today", abuse_today_, cells);
  for (int g = 0; g < 2; ++g) put_layer(w, "layer.victim_today" + std::to_string(g), victim_today_[g], cells);
  std::vector<std::int64_t> log_day;
  std::vector<std::int32_t> log_cell;
  for (const auto& [d, c] : kill_log_) {
    log_day.push_back(d);
    log_cell.push_back(c);
  }
  w.put("kill_log.day", log_day);
  w.put("kill_log.cell", log_cell);
  w.put("today_cells", today_cells_);
  w.put("region.last_kill", region_last_kill_);
}

void ViolenceMemory::load(const StateReader& r, PeaceModel& m) {
  const std::int64_t cells = m.grid().cells();
  kill_count_ = get_cell_counts(r, "cells.kill_count", cells);
  get_layer(r, "layer.kill_recent", kill_recent_, cells);
  get_layer(r, "layer.kill_today", kill_today_, cells);
  get_layer(r, "layer.abuse_today", abuse_today_, cells);
  for (int g = 0; g < 2; ++g) get_layer(r, "layer.victim_today" + std::to_string(g), victim_today_[g], cells);
  // Cells are checked before anything uses them, so a checkpoint written by another build cannot make the
  // model read out of bounds.
  const auto log_day = r.get<std::int64_t>("kill_log.day");
  const auto log_cell = r.get<std::int32_t>("kill_log.cell", log_day.size());
  kill_log_.clear();
  for (std::size_t k = 0; k < log_day.size(); ++k) {
    if (log_cell[k] < 0 || log_cell[k] >= cells) r.fail("the killing log has a cell out of range");
    kill_log_.emplace_back(log_day[k], log_cell[k]);
  }
  // Each cell's count is the number of its killings in the log, which is what ageing takes off it.
  CellCounts logged;
  for (const auto& [d, c] : kill_log_) ++logged[c];
  if (logged != kill_count_) r.fail("the killing counts per cell do not match the killing log");
  today_cells_ = r.get<std::int32_t>("today_cells");
  for (const std::int32_t c : today_cells_)
    if (c < 0 || c >= cells) r.fail("today's marks have a cell out of range");
  region_last_kill_ = r.get<std::int64_t>("region.last_kill", static_cast<std::size_t>(m.regions()));
}

}  // namespace keepsim::peace

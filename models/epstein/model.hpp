// Epstein's civil-violence Models I and II (docs/epstein.md): citizens with hardship H, risk aversion R
// and a shared perceived legitimacy L, and cops. Model I: active citizens rebel and cops arrest them. Model
// II: two groups, going active means killing a member of the other group, citizens clone and die of age, and
// cops (peacekeepers) arrest actives of either group.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "keepsim/core/bit_layer.hpp"
#include "keepsim/core/grid.hpp"
#include "keepsim/core/model.hpp"
#include "keepsim/core/parallel.hpp"
#include "keepsim/core/rng.hpp"
#include "models/epstein/params.hpp"
#include "models/epstein/purpose.hpp"
#include "models/epstein/rules.hpp"

namespace keepsim::epstein {

enum class Kind : std::uint8_t { Citizen, Cop };

/// What a cell holds, one byte, so that vision scans read a compact layer. Citizens: bit 2 set, bit 1 active,
/// bit 0 group.
namespace cell {
constexpr std::uint8_t kEmpty = 0;
constexpr std::uint8_t kCitizen = 4;
constexpr std::uint8_t kActiveBit = 2;
constexpr std::uint8_t kCop = 8;
constexpr std::uint8_t kJailed = 16;  ///< a jailed citizen keeping its cell (rules.jailed = keep_cell)
inline bool is_citizen(std::uint8_t c) {
  return (c & kCitizen) != 0;
}
inline bool is_active(std::uint8_t c) {
  return (c & (kCitizen | kActiveBit)) == (kCitizen | kActiveBit);
}
inline int group(std::uint8_t c) {
  return c & 1;
}
inline std::uint8_t citizen(int group, bool active) {
  return static_cast<std::uint8_t>(kCitizen | (active ? kActiveBit : 0) | group);
}
}  // namespace cell

/// Agents: the columns of both engines (rules.hpp), no more.
struct Agents : AgentColumns<Kind> {
  bool ages = false;  ///< age and death_age are kept (Model II with a maximum age); empty otherwise
  void reserve(std::size_t n);
  std::size_t add(Kind k, std::uint8_t g, float h, float r, std::int32_t death);
};

/// Counters of events in the current period.
struct Events {
  std::int64_t arrests = 0, releases = 0, births = 0, deaths_of_age = 0;
  std::int64_t killed[2] = {0, 0};
};

class EpsteinModel : public Model {
 public:
  /// `threads` only changes speed, never results.
  EpsteinModel(const Config& config, int threads);

  std::vector<Coordinate> coordinates() const override;
  void declare(Recorder& rec) override;
  void step() override;
  void observe(Recorder& rec) override;
  std::int64_t period() const override { return period_; }
  std::vector<Scalar> summary(const Recorder& rec) const override;
  void save_state(StateWriter& w) const override;  // state.cpp
  void load_state(const StateReader& r) override;

  // Read access for tests and invariants.
  const Agents& agents() const { return agents_; }
  const std::vector<std::uint8_t>& cells() const { return code_; }
  const std::vector<std::int32_t>& occupants() const { return occupant_; }
  const Grid& grid() const { return grid_; }
  double legitimacy() const { return legitimacy_; }
  const Events& events() const { return events_; }
  /// Throws std::logic_error when the layers and the agents disagree (one agent per cell, codes match
  /// status).
  void check_invariants() const;

 private:
  // Shared rules (model.cpp).
  double legitimacy_at(std::int64_t t) const;
  void apply_cop_schedule();
  bool decides_active(std::size_t id, int cops, int actives) const {
    const double p = arrest_table_(cops, actives);
    return goes_active(agents_.hardship[id], legitimacy_, agents_.risk[id], p, cfg_.threshold);
  }
  void place(std::size_t id, std::int32_t c);
  /// `concurrent`: other threads are changing other cells at the same time (set_code); the caller then
  /// counts the events.
  void vacate(std::size_t id, bool concurrent = false);
  void jail(std::size_t id, bool concurrent = false);
  void kill(std::size_t id, bool concurrent = false);
  /// For every cell in `a` or `b` whose claim is set, in parallel by rows: clears the claim and calls
  /// settle(occupant) (which may change that cell, concurrently with other rows); returns how many.
  template <class Settle>
  std::int64_t settle_claims(const BitLayer& a, const BitLayer& b, Settle&& settle);
  void age_and_release();
  std::int32_t random_empty_cell(Stream& s) const;
  std::uint8_t code_of(std::size_t id) const;
  /// Writes a cell's code and its bits in the layers; `concurrent`: other threads are writing other cells.
  void set_code(std::size_t c, std::uint8_t code, bool concurrent = false);
  void rebuild_layers();
  void count_seen();
  void choose_moves(std::uint64_t t);
  void apply_moves();

  // Schedules (async.cpp, sync.cpp).
  void step_async();
  void step_sync();
  void activate(std::size_t id);
  bool move_random(std::size_t id, Stream& s);
  void clone_into_neighbour(std::size_t id, Stream& s);
  void spawn(std::size_t parent, std::int32_t c);

  Config cfg_;
  Grid grid_;
  Vision citizen_vision_, cop_vision_, neighbours_;
  std::vector<std::uint8_t> code_;
  std::vector<std::int32_t> occupant_;
  // Bit layers derived from code_ by set_code(), for counting and choosing within a vision.
  BitLayer cops_, actives_, empties_,
      members_[2];  ///< members_[g]: citizens of group g on the grid, not jailed
  VisionQuery query_{grid_};
  Agents agents_;
  Events events_;
  std::int64_t period_ = 0;
  double legitimacy_ = 0;
  std::int64_t cops_on_grid_ = 0;
  std::int64_t initial_cops_ = 0;
  std::unique_ptr<Executor> exec_;
  static constexpr std::int64_t kFewCells = 64 * 64;  ///< grids with fewer cells run on one thread
  ArrestTable arrest_table_;
  // Scratch space of the sync schedule, kept between periods.
  std::vector<Status> next_status_;
  /// Per cell: the best (priority << 32 | id) claiming it or its occupant; all kNoClaim between phases.
  std::vector<std::uint64_t> cell_claim_;
  std::vector<std::int32_t> target_;  ///< per agent: chosen target (agent or cell), -1 none
  /// Per cell: cops (low byte) and actives (high byte) within the citizens' vision, centre included, when
  /// the vision is a square of reach <= kSeenReach (at most 224 other cells: each count fits a byte).
  std::vector<std::uint16_t> seen_;
  static constexpr int kSeenReach = 7;
  bool window_ = false;  ///< the citizens' vision is a square: count it by sliding sums
  // Handles of the recorded series.
  Recorder::Handle h_quiet_{}, h_active_{}, h_jailed_{}, h_cops_{}, h_alive_{}, h_killed_{}, h_arrests_{},
      h_releases_{}, h_births_{}, h_deaths_{}, h_legitimacy_{}, h_near_{}, h_near_active_{};
};

}  // namespace keepsim::epstein

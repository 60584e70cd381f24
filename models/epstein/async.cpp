// The reference schedule (docs/epstein.md, `async`): every period the agents on the grid are activated one
// at a time in a fresh random order, and each sees the moves, arrests and killings of those before it.
#include <vector>

#include "models/epstein/model.hpp"
#include "models/epstein/rules.hpp"

namespace keepsim::epstein {

void EpsteinModel::step_async() {
  std::vector<std::uint32_t> order;
  // Asked ahead (take_turns): the agent's columns, then its cell's code and occupant, which on a large grid
  // are far out of cache. Not the layer rows of its vision, as the peacekeeping day asks: an Epstein turn is
  // light, and those 30 to 90 prefetches cost more than they saved at every size (docs/performance.md).
  auto prefetch_agent = [this](std::size_t id) __attribute__((always_inline)) {
    prefetch_columns(id, agents_.cell, agents_.status, agents_.kind, agents_.hardship, agents_.risk);
  };
  auto prefetch_around = [this](std::size_t id) __attribute__((always_inline)) {
    const std::int32_t c = agents_.cell[id];
    if (c < 0) return;
    __builtin_prefetch(&code_[static_cast<std::size_t>(c)], 1);
    __builtin_prefetch(&occupant_[static_cast<std::size_t>(c)], 1);
  };
  take_turns(agents_, cfg_.seed, period_, order, prefetch_agent, prefetch_around,
             [this](std::size_t id) { activate(id); });
}

void EpsteinModel::activate(std::size_t id) {
  Stream s(cfg_.seed, kDecide, id, static_cast<std::uint64_t>(period_));
  const bool cop = agents_.kind[id] == Kind::Cop;
  const bool moves = cop ? cfg_.cops_move : cfg_.citizens_move;
  if (moves && cfg_.order == Order::MoveFirst) move_random(id, s);
  const std::int64_t here = agents_.cell[id];
  auto draw = [&s](std::uint32_t n) { return s.below(n); };

  if (cop) {
    // Rule C: arrest a random active citizen within vision.
    if (const std::int64_t c = query_.choose(actives_, here, cop_vision_, draw); c >= 0)
      jail(static_cast<std::size_t>(occupant_[static_cast<std::size_t>(c)]));
  } else {
    // Rule A, counting cops C and actives A (1 + those seen) within vision.
    const auto [cops, seen_active] = query_.count2(cops_, actives_, here, citizen_vision_);
    const int actives = 1 + seen_active;
    bool active = decides_active(id, cops, actives);
    if (cfg_.violence == Violence::InterGroup) {
      // Model II: going active means killing a random member of the other group within vision.
      const BitLayer& others = members_[1 - agents_.group[id]];
      const std::int64_t c = active ? query_.choose(others, here, citizen_vision_, draw) : -1;
      active = c >= 0;
      if (active) kill(static_cast<std::size_t>(occupant_[static_cast<std::size_t>(c)]));
    }
    agents_.status[id] = active ? Status::Active : Status::Quiet;
    set_code(static_cast<std::size_t>(here), code_of(id));
  }

  if (moves && cfg_.order == Order::ActFirst) move_random(id, s);
  if (!cop && cfg_.clone_probability > 0) clone_into_neighbour(id, s);
}

bool EpsteinModel::move_random(std::size_t id, Stream& s) {
  // Rule M: move to a random empty cell within vision.
  const Vision& v = agents_.kind[id] == Kind::Cop ? cop_vision_ : citizen_vision_;
  const std::int64_t to = move_target(s, query_, empties_, agents_.cell[id], v);
  if (to < 0) return false;
  vacate(id);
  place(id, static_cast<std::int32_t>(to));
  return true;
}

void EpsteinModel::clone_into_neighbour(std::size_t id, Stream& s) {
  // Model II reproduction (spawn() says what the child inherits).
  const std::int64_t to = clone_target(cfg_, s, query_, empties_, agents_.cell[id], neighbours_);
  if (to >= 0) spawn(id, static_cast<std::int32_t>(to));
}

}  // namespace keepsim::epstein

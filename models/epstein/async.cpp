// The reference schedule (MODEL.md section 3, `async`): every period the agents on the grid are activated one
// at a time in a fresh random order, and each sees the moves, arrests and killings of those before it.
#include <vector>

#include "models/epstein/model.hpp"

namespace keepsim::epstein {

void EpsteinModel::step_async() {
  std::vector<std::uint32_t> order;
  order.reserve(agents_.size());
  for (std::size_t i = 0; i < agents_.size(); ++i)
    if (agents_.cell[i] >= 0 && agents_.status[i] != Status::Jailed)
      order.push_back(static_cast<std::uint32_t>(i));
  Stream shuffle(cfg_.seed, kShuffle, 0, static_cast<std::uint64_t>(period_));
  for (std::size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[shuffle.below(static_cast<std::uint32_t>(i))]);
  for (const std::uint32_t id : order)
    if (agents_.cell[id] >= 0 && agents_.status[id] != Status::Jailed)
      activate(id);  // not arrested or killed
}

void EpsteinModel::activate(std::size_t id) {
  Stream s(cfg_.seed, kDecide, id, static_cast<std::uint64_t>(period_));
  const bool cop = agents_.kind[id] == Kind::Cop;
  const bool moves = cop ? cfg_.cops_move : cfg_.citizens_move;
  if (moves && cfg_.order == Order::MoveFirst) move_random(id, s);

  thread_local std::vector<std::int32_t> found;
  found.clear();
  if (cop) {
    // Rule C: arrest a random active citizen within vision.
    grid_.for_each_in(agents_.cell[id], cop_vision_, [&](std::int64_t c) {
      if (cell::is_active(code_[static_cast<std::size_t>(c)])) found.push_back(static_cast<std::int32_t>(c));
    });
    if (!found.empty()) {
      const std::int32_t c = found[s.below(static_cast<std::uint32_t>(found.size()))];
      jail(static_cast<std::size_t>(occupant_[static_cast<std::size_t>(c)]));
    }
  } else {
    // Rule A, counting cops C and actives A (1 + those seen) within vision.
    int cops = 0;
    int actives = 1;
    const bool killing = cfg_.violence == Violence::InterGroup;
    const int mine = agents_.group[id];
    grid_.for_each_in(agents_.cell[id], citizen_vision_, [&](std::int64_t c) {
      const std::uint8_t code = code_[static_cast<std::size_t>(c)];
      cops += code == cell::kCop;
      actives += cell::is_active(code);
      if (killing && cell::is_citizen(code) && cell::group(code) != mine)
        found.push_back(static_cast<std::int32_t>(c));
    });
    bool active = decides_active(id, cops, actives);
    if (killing) {
      // Model II: going active means killing a random member of the other group within vision.
      active = active && !found.empty();
      if (active)
        kill(static_cast<std::size_t>(
            occupant_[static_cast<std::size_t>(found[s.below(static_cast<std::uint32_t>(found.size()))])]));
    }
    agents_.status[id] = active ? Status::Active : Status::Quiet;
    code_[static_cast<std::size_t>(agents_.cell[id])] = code_of(id);
  }

  if (moves && cfg_.order == Order::ActFirst) move_random(id, s);
  if (!cop && cfg_.clone_probability > 0) clone_into_neighbour(id, s);
}

bool EpsteinModel::move_random(std::size_t id, Stream& s) {
  // Rule M: move to a random empty cell within vision.
  const Vision& v = agents_.kind[id] == Kind::Cop ? cop_vision_ : citizen_vision_;
  thread_local std::vector<std::int32_t> empty;
  empty.clear();
  grid_.for_each_in(agents_.cell[id], v, [&](std::int64_t c) {
    if (code_[static_cast<std::size_t>(c)] == cell::kEmpty) empty.push_back(static_cast<std::int32_t>(c));
  });
  if (empty.empty()) return false;
  const std::int32_t to = empty[s.below(static_cast<std::uint32_t>(empty.size()))];
  vacate(id);
  place(id, to);
  return true;
}

void EpsteinModel::clone_into_neighbour(std::size_t id, Stream& s) {
  // Model II reproduction: with a small probability, a copy with the same group and hardship (hence the same
  // grievance) appears on an empty neighbouring cell; its risk aversion and death age are its own.
  if (!s.bernoulli(cfg_.clone_probability)) return;
  thread_local std::vector<std::int32_t> empty;
  empty.clear();
  grid_.for_each_in(agents_.cell[id], neighbours_, [&](std::int64_t c) {
    if (code_[static_cast<std::size_t>(c)] == cell::kEmpty) empty.push_back(static_cast<std::int32_t>(c));
  });
  if (empty.empty()) return;
  const std::int32_t to = empty[s.below(static_cast<std::uint32_t>(empty.size()))];
  spawn(id, to);
}

}  // namespace keepsim::epstein

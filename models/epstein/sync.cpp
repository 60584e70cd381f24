// The parallel schedule (MODEL.md section 3, `sync`): all citizens decide from the state at the start of the
// period; then killings, arrests, moves and births are resolved in phases. Where several agents want the same
// victim or cell, the one with the smallest priority wins; priorities are hashes of (seed, agent, period)
// with the agent id as tie-break, and "smallest" does not depend on which thread looks first. So the outcome
// is the same for any thread count.
#include <atomic>
#include <limits>
#include <vector>

#include "models/epstein/model.hpp"

namespace keepsim::epstein {
namespace {

constexpr std::uint64_t kNoClaim = std::numeric_limits<std::uint64_t>::max();

void claim_min(std::uint64_t& slot, std::uint64_t priority) {
  std::atomic_ref<std::uint64_t> ref(slot);
  std::uint64_t seen = ref.load(std::memory_order_relaxed);
  while (priority < seen && !ref.compare_exchange_weak(seen, priority, std::memory_order_relaxed)) {
  }
}

}  // namespace

void EpsteinModel::step_sync() {
  const std::size_t n = agents_.size();
  const auto t = static_cast<std::uint64_t>(period_);
  const std::uint64_t seed = cfg_.seed;
  next_status_.resize(n);
  claim_.assign(n, kNoClaim);
  target_.assign(n, -1);
  if (cell_claim_.size() != code_.size()) cell_claim_.assign(code_.size(), kNoClaim);
  auto priority = [&](std::size_t i) { return (std::uint64_t{hash32(seed, kPriority, i, t)} << 32) | i; };
  auto on_grid = [&](std::size_t i) { return agents_.cell[i] >= 0 && agents_.status[i] != Status::Jailed; };
  const bool killing = cfg_.violence == Violence::InterGroup;

  // 1. Every citizen on the grid decides from the start state (Rule A); in Model II an active one picks a
  // victim. Nothing is written in this phase, so every citizen sees the same snapshot.
  exec_->for_each(n, [&](std::size_t i) {
    next_status_[i] = agents_.status[i];
    if (agents_.kind[i] != Kind::Citizen || !on_grid(i)) return;
    const std::int64_t here = agents_.cell[i];
    const auto [cops, seen_active] = query_.count2(cops_, actives_, here, citizen_vision_);
    const int actives = 1 + seen_active;
    bool active = decides_active(i, cops, actives);
    if (killing && active) {
      const BitLayer& others = members_[1 - agents_.group[i]];
      Stream s(seed, kKill, i, t);
      const std::int64_t c =
          query_.choose(others, here, citizen_vision_, [&s](std::uint32_t m) { return s.below(m); });
      active = c >= 0;
      if (active)
        claim_min(claim_[static_cast<std::size_t>(occupant_[static_cast<std::size_t>(c)])], priority(i));
    }
    next_status_[i] = active ? Status::Active : Status::Quiet;
  });

  // 2. Statuses change together; then the victims die (a killer can be killed in the same period).
  exec_->for_each(n, [&](std::size_t i) {
    if (agents_.kind[i] != Kind::Citizen || !on_grid(i) || agents_.status[i] == next_status_[i]) return;
    agents_.status[i] = next_status_[i];
    set_code(static_cast<std::size_t>(agents_.cell[i]), code_of(i));
  });
  if (killing)
    for (std::size_t i = 0; i < n; ++i)
      if (claim_[i] != kNoClaim) {
        kill(i);
        claim_[i] = kNoClaim;
      }

  // 3. Each cop picks a random active citizen within vision (Rule C); one arrest per citizen.
  exec_->for_each(n, [&](std::size_t i) {
    target_[i] = -1;
    if (agents_.kind[i] != Kind::Cop || agents_.cell[i] < 0) return;
    Stream s(seed, kArrest, i, t);
    const std::int64_t c =
        query_.choose(actives_, agents_.cell[i], cop_vision_, [&s](std::uint32_t m) { return s.below(m); });
    if (c < 0) return;
    target_[i] = occupant_[static_cast<std::size_t>(c)];
    claim_min(claim_[static_cast<std::size_t>(target_[i])], priority(i));
  });
  for (std::size_t i = 0; i < n; ++i)
    if (claim_[i] != kNoClaim) jail(i);

  // 4. Moves (Rule M) to cells empty after the arrests; one mover per cell, the others stay.
  exec_->for_each(n, [&](std::size_t i) {
    target_[i] = -1;
    if (!on_grid(i) || !(agents_.kind[i] == Kind::Cop ? cfg_.cops_move : cfg_.citizens_move)) return;
    const Vision& v = agents_.kind[i] == Kind::Cop ? cop_vision_ : citizen_vision_;
    Stream s(seed, kMove, i, t);
    const std::int64_t c =
        query_.choose(empties_, agents_.cell[i], v, [&s](std::uint32_t m) { return s.below(m); });
    if (c < 0) return;
    target_[i] = static_cast<std::int32_t>(c);
    claim_min(cell_claim_[static_cast<std::size_t>(target_[i])], priority(i));
  });
  // Winners' old cells are all distinct and occupied, their new cells distinct and empty: no two writes meet.
  exec_->for_each(n, [&](std::size_t i) {
    if (target_[i] < 0 || cell_claim_[static_cast<std::size_t>(target_[i])] != priority(i)) return;
    vacate(i);
    place(i, target_[i]);
  });
  exec_->for_each(n, [&](std::size_t i) {
    if (target_[i] >= 0)
      std::atomic_ref<std::uint64_t>(cell_claim_[static_cast<std::size_t>(target_[i])])
          .store(kNoClaim, std::memory_order_relaxed);
  });

  // 5. Model II births onto empty neighbouring cells, one per cell; children get ids in their parents' order.
  if (cfg_.clone_probability <= 0) return;
  exec_->for_each(n, [&](std::size_t i) {
    target_[i] = -1;
    if (agents_.kind[i] != Kind::Citizen || !on_grid(i)) return;
    Stream s(seed, kClone, i, t);
    if (!s.bernoulli(cfg_.clone_probability)) return;
    const std::int64_t c =
        query_.choose(empties_, agents_.cell[i], neighbours_, [&s](std::uint32_t m) { return s.below(m); });
    if (c < 0) return;
    target_[i] = static_cast<std::int32_t>(c);
    claim_min(cell_claim_[static_cast<std::size_t>(target_[i])], priority(i));
  });
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t c = target_[i];
    if (c < 0) continue;
    const bool won = cell_claim_[static_cast<std::size_t>(c)] == priority(i);
    cell_claim_[static_cast<std::size_t>(c)] = kNoClaim;
    if (!won) continue;
    spawn(i, c);
  }
}

}  // namespace keepsim::epstein

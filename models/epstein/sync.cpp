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
constexpr int kCopField = 0, kActiveField = 1, kEmptyField = 2;

void claim_min(std::uint64_t& slot, std::uint64_t priority) {
  std::atomic_ref<std::uint64_t> ref(slot);
  std::uint64_t seen = ref.load(std::memory_order_relaxed);
  while (priority < seen && !ref.compare_exchange_weak(seen, priority, std::memory_order_relaxed)) {
  }
}

std::int32_t pick(std::vector<std::int32_t>& v, Stream& s) {
  return v.empty() ? -1 : v[s.below(static_cast<std::uint32_t>(v.size()))];
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
  // victim. C and A come from row prefix sums of the start state: one subtraction per row of the vision.
  counts_.build(
      grid_, code_,
      [](std::uint8_t c) {
        return (c == cell::kCop ? SpanCounts::one(kCopField) : 0) |
               (cell::is_active(c) ? SpanCounts::one(kActiveField) : 0);
      },
      *exec_);
  exec_->for_each(n, [&](std::size_t i) {
    next_status_[i] = agents_.status[i];
    if (agents_.kind[i] != Kind::Citizen || !on_grid(i)) return;
    const std::int64_t here = agents_.cell[i];
    const std::uint64_t seen = counts_.around(here, citizen_vision_);
    const int cops = static_cast<int>(SpanCounts::field(seen, kCopField));
    // A counts the citizen itself once, whether or not it was active (the sum above includes its own cell).
    const int actives = 1 + static_cast<int>(SpanCounts::field(seen, kActiveField)) -
                        (cell::is_active(code_[static_cast<std::size_t>(here)]) ? 1 : 0);
    bool active = decides_active(i, cops, actives);
    if (killing && active) {
      thread_local std::vector<std::int32_t> victims;
      victims.clear();
      const int mine = agents_.group[i];
      grid_.for_each_in(here, citizen_vision_, [&](std::int64_t c) {
        const std::uint8_t code = code_[static_cast<std::size_t>(c)];
        if (cell::is_citizen(code) && cell::group(code) != mine) victims.push_back(occupant_[c]);
      });
      Stream s(seed, kKill, i, t);
      const std::int32_t victim = pick(victims, s);
      active = victim >= 0;
      if (active) claim_min(claim_[static_cast<std::size_t>(victim)], priority(i));
    }
    next_status_[i] = active ? Status::Active : Status::Quiet;
  });

  // 2. Statuses change together; then the victims die (a killer can be killed in the same period).
  exec_->for_each(n, [&](std::size_t i) {
    if (agents_.kind[i] != Kind::Citizen || !on_grid(i) || agents_.status[i] == next_status_[i]) return;
    agents_.status[i] = next_status_[i];
    code_[static_cast<std::size_t>(agents_.cell[i])] = code_of(i);
  });
  if (killing)
    for (std::size_t i = 0; i < n; ++i)
      if (claim_[i] != kNoClaim) {
        kill(i);
        claim_[i] = kNoClaim;
      }

  // 3. Each cop picks a random active citizen within vision (Rule C); one arrest per citizen.
  exec_->for_each(n, [&](std::size_t i) {
    if (agents_.kind[i] != Kind::Cop || agents_.cell[i] < 0) return;
    thread_local std::vector<std::int32_t> actives;
    actives.clear();
    grid_.for_each_in(agents_.cell[i], cop_vision_, [&](std::int64_t c) {
      if (cell::is_active(code_[static_cast<std::size_t>(c)])) actives.push_back(occupant_[c]);
    });
    Stream s(seed, kArrest, i, t);
    target_[i] = pick(actives, s);
    if (target_[i] >= 0) claim_min(claim_[static_cast<std::size_t>(target_[i])], priority(i));
  });
  for (std::size_t i = 0; i < n; ++i)
    if (claim_[i] != kNoClaim) jail(i);

  // 4. Moves (Rule M) to cells empty after the arrests; one mover per cell, the others stay. The k-th empty
  // cell is found by walking row counts and reading one row span, not the whole vision.
  counts_.build(
      grid_, code_, [](std::uint8_t c) { return c == cell::kEmpty ? SpanCounts::one(kEmptyField) : 0; },
      *exec_);
  auto is_empty = [&](std::int64_t c) { return code_[static_cast<std::size_t>(c)] == cell::kEmpty; };
  exec_->for_each(n, [&](std::size_t i) {
    target_[i] = -1;
    if (!on_grid(i) || !(agents_.kind[i] == Kind::Cop ? cfg_.cops_move : cfg_.citizens_move)) return;
    const Vision& v = agents_.kind[i] == Kind::Cop ? cop_vision_ : citizen_vision_;
    const auto empties = SpanCounts::field(counts_.around(agents_.cell[i], v), kEmptyField);
    if (empties == 0) return;
    Stream s(seed, kMove, i, t);
    const std::uint32_t k = s.below(static_cast<std::uint32_t>(empties));
    target_[i] = static_cast<std::int32_t>(counts_.kth(agents_.cell[i], v, kEmptyField, k, is_empty));
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
    thread_local std::vector<std::int32_t> empty;
    empty.clear();
    grid_.for_each_in(agents_.cell[i], neighbours_, [&](std::int64_t c) {
      if (code_[static_cast<std::size_t>(c)] == cell::kEmpty) empty.push_back(static_cast<std::int32_t>(c));
    });
    target_[i] = pick(empty, s);
    if (target_[i] >= 0) claim_min(cell_claim_[static_cast<std::size_t>(target_[i])], priority(i));
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

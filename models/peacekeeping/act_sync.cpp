// The agents' turns under the sync schedule (ODD 3, `rules.schedule = "sync"`): decide-then-resolve, as
// Epstein's sync period (models/epstein/sync.cpp), extended to every kind of agent of the peacekeeping day.
// Each phase's decisions are taken in parallel from the state at the start of the phase and written to the
// deciding agent's own plan; their consequences are then carried out in id order. Where several agents want
// one cell, the smallest priority (a hash of seed, agent and day, the id as tie-break) takes it. Nothing a
// thread does depends on what another thread has done, so a run is the same on any number of threads.
// With every extension off the draws, their purposes and their order are those of Epstein's sync period, so
// the two engines give the same runs (tests/models/test_peace_equivalence.cpp).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "keepsim/core/parallel.hpp"
#include "models/epstein/rules.hpp"
#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
using namespace plan;

namespace {

constexpr std::uint64_t kNoClaim = std::numeric_limits<std::uint64_t>::max();

}  // namespace

void PeaceModel::act_all_sync() {
  const std::size_t n = agents_.size();
  plan_.resize(n);  // every plan is reset by the first decisions below
  if (claim_.size() != static_cast<std::size_t>(grid_.cells())) claim_.assign(grid_.cells(), kNoClaim);
  const auto on_grid = [this](std::size_t i) {
    return agents_.cell[i] >= 0 && agents_.status[i] != Status::Jailed && agents_.status[i] != Status::Dead;
  };
  // The ids for which keep(i) holds, in id order, found in parallel (Executor::ids_where): the passes below
  // that must run in id order then visit only the few agents with something to do.
  const auto ids_where = [&](auto&& keep, std::vector<std::uint32_t>& out) {
    exec_->ids_where(n, keep, out);
  };
  const auto is_security = [this](std::size_t i) {
    return agents_.kind[i] == Kind::Peacekeeper || agents_.kind[i] == Kind::Constable;
  };

  // 1. Citizens and spoilers decide from the state at the start of the day. Whether a citizen's vision holds
  // its group's fighters (recruitment) or the other group's armed ones (the security dilemma) is spread from
  // the fighters first, where that answers as the counts would (spreads_exactly); the counts themselves are
  // then made only where they are not zero.
  const bool exact = spreads_exactly(grid_, citizen_vision_);
  // Rule A's C counts each constable in sight by its skill (ODD 7.9): summed from the few constables where
  // the sum is the same to the bit (spread_skill_sums), else walked by every citizen (decide_rule_a).
  skill_spread_ =
      constable_cells_ > 0 && exact &&
      spread_skill_sums(
          *exec_, grid_, constables_, citizen_vision_, citizen_vision_.size(),
          [this](std::int64_t c) {
            return agents_.skill[static_cast<std::size_t>(occupant_[static_cast<std::size_t>(c)])];
          },
          skill_in_sight_);
  // The peacekeepers in sight likewise: most citizens see none, and then rule A reads no layer at all
  // unless a constable is in sight.
  if (exact) {
    std::vector<Spread> spreads;
    if (cfg_.spoilers.enabled && cfg_.base.groups == 2) {
      marks_ |= kSeesSpoiler;
      for (int g = 0; g < 2; ++g)
        spreads.push_back(
            {&spoilers_[g], &citizen_vision_, false, static_cast<std::uint8_t>(kSeesSpoiler << g)});
      // The armed fighters in sight are counted, not only marked: exposure needs both numbers, and a walk
      // of the vision for them by every citizen who sees one was the day's largest single cost (callgrind).
      armed_spread_ = spread_counts(*exec_, grid_, armed_[0], citizen_vision_, armed_in_sight_[0]) &&
                      spread_counts(*exec_, grid_, armed_[1], citizen_vision_, armed_in_sight_[1]);
      if (!armed_spread_) {
        marks_ |= kSeesArmed;
        for (int g = 0; g < 2; ++g)
          spreads.push_back(
              {&armed_[g], &citizen_vision_, false, static_cast<std::uint8_t>(kSeesArmed << g)});
      }
    }
    if (cfg_.mission.enabled) {
      marks_ |= kSeesPeacekeeper;
      spreads.push_back({&peacekeepers_, &citizen_vision_, false, kSeesPeacekeeper});
    }
    if (!spreads.empty()) spread_marks(*exec_, grid_, spreads, in_sight_);
  }
  // Decisions run over agents in parallel ranges; each writes its own plan only. This pass resets every plan,
  // so no plan of yesterday survives.
  exec_->for_ranges(n, 4096, [&](std::size_t i0, std::size_t i1) {
    for (std::size_t i = i0; i < i1; ++i) {
      SyncPlan& p = plan_[i];
      p = SyncPlan{};
      if (!on_grid(i) || is_security(i)) continue;
      p.flags = kDecided;
      if (agents_.kind[i] == Kind::Citizen)
        decide_citizen(i, p);
      else
        decide_spoiler(i, p);
    }
  });
  // The counts again for everyone else. The arrays keep their size for tomorrow: emptied, they were filled
  // with zeros twice on the next day, once by growing back and once by each band (callgrind: 1.4 % of a
  // 408 x 408 day for the skills alone).
  marks_ = 0;
  skill_spread_ = armed_spread_ = false;

  // 2. Statuses change together; those who leave the country go; recruits join; then the attacks land, in
  // id order of the attackers, each victim once (an attacker killed earlier in the pass still attacks: the
  // decisions were simultaneous).
  // Each citizen changes its own status and its own cell's code; the cell layers' bits are set atomically,
  // so this runs in parallel.
  exec_->for_ranges(n, 4096, [&](std::size_t i0, std::size_t i1) {
    for (std::size_t i = i0; i < i1; ++i) {
      const SyncPlan& p = plan_[i];
      if (!(p.flags & kDecided) || agents_.kind[i] != Kind::Citizen || (p.flags & kAbroad)) continue;
      const Status next = (p.flags & kActive) ? Status::Active : Status::Quiet;
      if (agents_.status[i] == next) continue;
      agents_.status[i] = next;
      refresh(i);
    }
  });
  std::vector<std::uint32_t>& eventful = movers_;
  ids_where([&](std::size_t i) { return (plan_[i].flags & (kAbroad | kJoin)) || plan_[i].act != kNothing; },
            eventful);
  for (const std::uint32_t i : eventful)
    if (plan_[i].flags & kAbroad) {
      events_.uprooted += !uprooted(i);
      vacate(i);
      refugees_->leave(i);
    }
  for (const std::uint32_t i : eventful)
    if (plan_[i].flags & kJoin) {
      apply_join(i, plan_[i]);
      refresh(i);
    }
  for (const std::uint32_t i : eventful) {
    const SyncPlan& p = plan_[i];
    if (!(p.flags & kDecided) || p.act == kNothing) continue;
    Stream raid(cfg_.base.seed, kRaid, i, static_cast<std::uint64_t>(day_));
    // An attacker whose victim is gone (killed by another this day, fled abroad, turned fighter) has not
    // attacked and is not exposed (ODD 7.5).
    if (apply_attack(i, p, &raid) && agents_.kind[i] == Kind::Spoiler) {
      agents_.exposed_until[i] = static_cast<std::int32_t>(day_ + cfg_.spoilers.exposed_days);
      refresh(i);
    }
  }

  // 3. Security units decide from the state after the attacks (Epstein's cops arrest after the statuses
  // change), and 4. their arrests, engagements and lethal force land in id order, each target once.
  // A unit's decision reads the agents around it (locate_spoiler weighs every civilian in sight), and units'
  // ids are not in the order of their cells (contingents arrive unit by unit, anywhere): they decide in the
  // order of their cells, so that the next unit's neighbours are mostly still in cache. Each decision writes
  // its own plan only, so the order changes nothing but the time (in id order these decisions cost about 3
  // times as much per agent at 3000 x 3000 as at 300 x 300: docs/performance.md). The list of the units that
  // decide, in id order, is then the one whose consequences land.
  ids_where([&](std::size_t i) { return on_grid(i) && is_security(i); }, eventful);
  std::vector<std::uint64_t>& by_cell = security_by_cell_;
  by_cell.clear();
  for (const std::uint32_t i : eventful)
    by_cell.push_back(static_cast<std::uint64_t>(agents_.cell[i]) << 32 | i);
  std::sort(by_cell.begin(), by_cell.end());
  exec_->for_ranges(by_cell.size(), 256, [&](std::size_t k0, std::size_t k1) {
    for (std::size_t k = k0; k < k1; ++k) {
      const auto i = static_cast<std::size_t>(by_cell[k] & 0xffffffffu);
      plan_[i].flags = kDecided;
      decide_security(i, plan_[i]);
    }
  });
  for (const std::uint32_t i : eventful) {
    const SyncPlan& p = plan_[i];
    if ((p.flags & kStay) && p.aux >= 0) ++events_.withdrawals;  // ODD 7.8 riot response: withdraw
    if (p.target < 0) continue;
    const auto v = static_cast<std::size_t>(p.target);
    if (agents_.cell[v] < 0 || agents_.status[v] == Status::Dead || agents_.status[v] == Status::Jailed)
      continue;
    switch (p.act) {
      case kJailIt:
        jail(v, i);
        break;
      case kLethalForce:
        violence_->mark_abuse(agents_.cell[i] >= 0 ? agents_.cell[i] : agents_.cell[v]);
        ++events_.lethal_uses;
        kill(v, static_cast<int>(agents_.kind[i]));
        break;
      case kEngageKill:
        kill(v, static_cast<int>(agents_.kind[i]));
        break;
      case kEngageCapture:
        ++events_.spoilers_captured;
        jail(v, i);
        break;
      default:
        break;
    }
  }

  // 5. Everyone still on the grid picks where to move from the state after the arrests; conflicts go to the
  // smallest priority, the others stay.
  // The winners' cells are all different, and different from every cell a winner leaves (a chosen cell was
  // empty), so the moves are carried out in parallel.
  std::vector<std::uint32_t>& movers = movers_;
  ids_where([&](std::size_t i) { return (plan_[i].flags & kDecided) && on_grid(i); }, movers);
  resolve_claims(
      movers, [&](std::size_t i) { return decide_move(i, plan_[i]); },
      [&](std::size_t i, std::int32_t c) {
        const bool from_home = (plan_[i].flags & kFleeing) && !uprooted(i);
        vacate(i);
        place(i, c);
        if (from_home && uprooted(i))  // moves land in parallel
          std::atomic_ref<std::int64_t>(events_.uprooted).fetch_add(1, std::memory_order_relaxed);
      },
      true);

  // 6. Births (Model II) onto empty neighbouring cells, likewise.
  if (cfg_.base.clone_probability <= 0) return;
  ids_where(
      [&](std::size_t i) {
        return agents_.kind[i] == Kind::Citizen && on_grid(i) && (plan_[i].flags & kDecided);
      },
      movers);
  resolve_claims(
      movers,
      [&](std::size_t i) -> std::int32_t {
        Stream s(cfg_.base.seed, kClone, i, static_cast<std::uint64_t>(day_));
        return static_cast<std::int32_t>(
            epstein::clone_target(cfg_.base, s, query_, empties_, agents_.cell[i], neighbours_));
      },
      [&](std::size_t i, std::int32_t c) { spawn_child(i, c); }, false);
}

template <class Choose, class Act>
void PeaceModel::resolve_claims(const std::vector<std::uint32_t>& movers, Choose&& choose, Act&& act,
                                bool parallel) {
  // The choices are made in parallel into `want`; claims go to each cell's smallest priority by an atomic
  // minimum, which no thread order changes; the winners then act, in parallel or in id order, and the claims
  // are cleared.
  std::vector<std::int32_t>& want = want_;
  want.assign(movers.size(), -1);
  const auto t = static_cast<std::uint64_t>(day_);
  const auto priority = [&](std::size_t i) { return epstein::sync_priority(cfg_.base.seed, i, t); };
  exec_->for_ranges(movers.size(), 4096, [&](std::size_t k0, std::size_t k1) {
    for (std::size_t k = k0; k < k1; ++k) {
      const std::int32_t c = choose(movers[k]);
      want[k] = c;
      if (c >= 0) claim_min(claim_[static_cast<std::size_t>(c)], priority(movers[k]));
    }
  });
  const auto settle = [&](std::size_t k0, std::size_t k1) {
    for (std::size_t k = k0; k < k1; ++k) {
      const std::int32_t c = want[k];
      if (c >= 0 && claim_[static_cast<std::size_t>(c)] == priority(movers[k])) act(movers[k], c);
    }
  };
  if (parallel)
    exec_->for_ranges(movers.size(), 4096, settle);
  else
    settle(0, movers.size());
  exec_->for_ranges(movers.size(), 4096, [&](std::size_t k0, std::size_t k1) {
    for (std::size_t k = k0; k < k1; ++k)
      if (want[k] >= 0)  // several losers may clear one cell's claim at once
        std::atomic_ref<std::uint64_t>(claim_[static_cast<std::size_t>(want[k])])
            .store(kNoClaim, std::memory_order_relaxed);
  });
}

void PeaceModel::decide_citizen(std::size_t id, SyncPlan& p) const {
  // As act_citizen (act.cpp), from the state at the start of the day; the move comes later (decide_move), and
  // a Model II victim is drawn from the stream of Epstein's sync killings.
  const auto day = static_cast<std::uint64_t>(day_);
  Stream x(cfg_.base.seed, kFlee, id, day);
  if (flees_today(id, x)) {
    p.flags |= kFleeing;
    if (leaves_country(id)) {
      p.flags |= kAbroad;
      return;
    }
  }
  Stream victims(cfg_.base.seed, kKill, id, day);
  precipitant_days_ > 0 ? decide_rule_a<true>(id, victims, p) : decide_rule_a<false>(id, victims, p);
}

void PeaceModel::decide_spoiler(std::size_t id, SyncPlan& p) const {
  // As act_spoiler (act.cpp): outgunned spoilers hide (move away from the nearest security unit,
  // decide_move); the others may attack by their faction's priorities (a raid is settled with the attacks),
  // then move at random.
  if (spoiler_hides(id)) {
    p.flags |= kStay;
    p.aux = nearest_security(agents_.cell[id]);
    return;
  }
  Stream x(cfg_.base.seed, kSpoilerAct, id, static_cast<std::uint64_t>(day_));
  if (!spoiler_attacks(id, x)) return;
  choose_attack(id, x, p);
  if (p.act == kNothing) choose_security_attack(id, x, p);
}

void PeaceModel::decide_security(std::size_t id, SyncPlan& p) const {
  // As act_security and arrest_in_vision (act.cpp): the riot response, or an engagement (ODD 7.14), or an
  // arrest. Epstein's cops draw their suspect from the stream of Epstein's sync arrests. The move by task
  // comes later (decide_move).
  const auto day = static_cast<std::uint64_t>(day_);
  const std::int32_t here = agents_.cell[id];
  const bool cop = is_epstein_cop(agents_, id);
  const bool constable = agents_.kind[id] == Kind::Constable;
  const Vision& v = cop ? cop_vision_ : constable ? constable_vision_ : mission_vision_;
  bool lethal = false;
  if (!cop) {
    const int seen_active = query_.count(actives_, here, v);
    const double own = constable ? agents_.skill[id] : 1.0;
    if (seen_active > 0 && seen_active > cfg_.mission.riot_ratio * (security_seen(here, v) + own)) {
      p.flags |= kStay;
      switch (cfg_.mission.riot_response) {
        case RiotResponse::Withdraw: {
          Stream s(cfg_.base.seed, kDecide, id, day);
          p.aux = static_cast<std::int32_t>(
              query_.choose(actives_, here, v, [&s](std::uint32_t m) { return s.below(m); }));
          return;
        }
        case RiotResponse::HoldNonlethal:
          break;
        case RiotResponse::Lethal:
          lethal = true;
          break;
      }
    } else if (seeks_fighters(id)) {  // ODD 7.14 engagement, as engage_spoiler (act.cpp)
      Stream x(cfg_.base.seed, kEngage, id, day);
      if (const std::int64_t c = locate_spoiler(id, v, x); c >= 0) {
        p.target = occupant_[static_cast<std::size_t>(c)];
        p.act = x.bernoulli(cfg_.spoilers.engage_kill_share) ? kEngageKill : kEngageCapture;
        return;
      }
    }
  }
  // Rule C, as arrest_in_vision (act.cpp), from the stream of Epstein's sync arrests.
  Stream s(cfg_.base.seed, kArrest, id, day);
  const std::int64_t c = arrest_target(id, v, s, lethal);
  if (c < 0) return;
  // ODD 7.9: a constable's arrest succeeds with probability equal to its skill; 7.8: lethal force.
  if (constable && !s.bernoulli(agents_.skill[id])) return;
  p.target = occupant_[static_cast<std::size_t>(c)];
  p.act = lethal && s.bernoulli(cfg_.mission.lethal_probability) ? kLethalForce : kJailIt;
}

std::int32_t PeaceModel::decide_move(std::size_t id, const SyncPlan& p) const {
  // Where agent `id` wants to move, from the state after the day's attacks and arrests: -1 to stay.
  const auto day = static_cast<std::uint64_t>(day_);
  const std::int32_t here = agents_.cell[id];
  auto random_in = [&](const Vision& v) {
    Stream s(cfg_.base.seed, kMove, id, day);
    return static_cast<std::int32_t>(epstein::move_target(s, query_, empties_, here, v));
  };
  switch (agents_.kind[id]) {
    case Kind::Citizen:
      if (p.flags & kFleeing) return flight_cell(id);
      return cfg_.base.citizens_move ? random_in(citizen_vision_) : -1;
    case Kind::Spoiler:
      if (p.flags & kStay) return p.aux >= 0 ? cell_toward(here, p.aux, spoiler_vision_, true) : -1;
      return random_in(spoiler_vision_);
    case Kind::Peacekeeper:
    case Kind::Constable:
      break;
  }
  if (is_epstein_cop(agents_, id)) return cfg_.base.cops_move ? random_in(cop_vision_) : -1;
  const bool constable = agents_.kind[id] == Kind::Constable;
  const Vision& v = constable ? constable_vision_ : mission_vision_;
  if (p.flags & kStay) return p.aux >= 0 ? cell_toward(here, p.aux, v, true) : -1;  // withdraw, or hold
  const TaskMove m = task_move(id, v);
  switch (m.how) {
    case TaskMove::kToward:
      return cell_toward(here, m.cell, v, false);
    case TaskMove::kRandom:
      return random_in(v);
    case TaskMove::kTo:
      return m.cell;
    case TaskMove::kStay:
      break;
  }
  return -1;
}

std::int32_t PeaceModel::flight_cell(std::size_t id) const {
  // As flee (act.cpp, ODD 7.6), from the flight stream after its decision to flee.
  // The draw that decided the flight is passed over, not repeated: the fighters in sight it read may have
  // changed since.
  Stream x(cfg_.base.seed, kFlee, id, static_cast<std::uint64_t>(day_));
  x.uniform();
  return flight_choice(id, x);
}

}  // namespace keepsim::peace

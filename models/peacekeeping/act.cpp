// The agents' turns (ODD 3, step 3): random sequential activation as in Epstein's async
// schedule. Citizens follow rules A and M (ODD 7.1) with the extensions of 7.2 to 7.6; spoilers hide or
// attack (7.5); security units move by their task and arrest (rule C, 7.8, 7.9). The Epstein draws come
// from the same streams in the same order as epstein::EpsteinModel; every extension draws from streams of
// its own, so switching one on never shifts the draws of the core.
#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include "models/epstein/rules.hpp"
#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
using namespace plan;

void PeaceModel::act_all() {
  // The async day (epstein::take_turns, which asks the caches ahead for what the turns to come will read).
  // What grows with the world is memory latency, not work (docs/performance.md): each turn reads a random
  // agent's columns and the rows of the cell layers around a random cell, which on a large grid are rarely
  // in cache.
  std::vector<std::uint32_t> order;
  auto prefetch_agent = [this](std::size_t id) __attribute__((always_inline)) {
    const Agents& a = agents_;
    epstein::prefetch_columns(id, a.cell, a.kind, a.status, a.group, a.hardship, a.risk, a.legitimacy,
                              a.last_victim);
  };
  auto prefetch_around = [this](std::size_t id) __attribute__((always_inline)) {
    const std::int32_t c = agents_.cell[id];
    if (c < 0) return;
    // The layers the agent's turn counts or chooses from within its vision (act_citizen, act_spoiler,
    // act_security), and its cell's code and occupant, which a move or a state change writes.
    const BitLayer* layers[6];
    std::size_t n = 0;
    layers[n++] = &peacekeepers_;
    layers[n++] = &empties_;
    if (constable_cells_ > 0) layers[n++] = &constables_;
    const Vision* v = &mission_vision_;
    switch (agents_.kind[id]) {
      case Kind::Citizen: {
        v = &citizen_vision_;
        layers[n++] = &actives_;
        const int g = agents_.group[id];
        if (cfg_.spoilers.enabled) {
          layers[n++] = &spoilers_[g];
          layers[n++] = &armed_[1 - g];
        }
        break;
      }
      case Kind::Spoiler:
        v = &spoiler_vision_;
        layers[n++] = &armed_[agents_.faction[id]];
        break;
      case Kind::Peacekeeper:
      case Kind::Constable:
        layers[n++] = &actives_;
        if (cfg_.spoilers.enabled) layers[n++] = &exposed_;
        break;
    }
    __builtin_prefetch(&code_[static_cast<std::size_t>(c)], 1);
    __builtin_prefetch(&occupant_[static_cast<std::size_t>(c)], 1);
    query_.prefetch(std::span(layers, n), c, *v);
  };
  epstein::take_turns(agents_, cfg_.base.seed, day_, order, prefetch_agent, prefetch_around,
                      [this](std::size_t id) {
                        Stream s(cfg_.base.seed, kDecide, id, static_cast<std::uint64_t>(day_));
                        switch (agents_.kind[id]) {
                          case Kind::Citizen:
                            act_citizen(id, s);
                            break;
                          case Kind::Spoiler:
                            act_spoiler(id, s);
                            break;
                          case Kind::Peacekeeper:
                          case Kind::Constable:
                            act_security(id, s);
                            break;
                        }
                      });
}

void PeaceModel::act_citizen(std::size_t id, Stream& s) {
  const epstein::Config& b = cfg_.base;
  const bool moves = b.citizens_move;
  // ODD 7.6: a citizen whose group was hit within vision lately may flee instead of moving at random.
  bool fled = false;
  Stream x(b.seed, kFlee, id, static_cast<std::uint64_t>(day_));
  if (flees_today(id, x)) {
    flee(id, x);
    fled = true;
    if (agents_.cell[id] < 0) return;  // gone abroad (ODD 7.16)
  }
  if (moves && !fled && b.order == epstein::Order::MoveFirst) move_random(id, citizen_vision_, s);
  SyncPlan p;
  precipitant_days_ > 0 ? decide_rule_a<true>(id, s, p) : decide_rule_a<false>(id, s, p);
  apply_attack(id, p, nullptr);  // Model II: the victim, if any
  agents_.status[id] = (p.flags & kActive) ? Status::Active : Status::Quiet;
  apply_join(id, p);
  refresh(id);

  if (moves && !fled && b.order == epstein::Order::ActFirst) move_random(id, citizen_vision_, s);
  if (b.clone_probability > 0) clone_into_neighbour(id, s);
}

// Inlined into the citizen's turn (its only callers are in this file): out of line it cost the default day
// about 0.4 % more instructions (callgrind, keepsim_bench_peace at 300x300).
__attribute__((always_inline)) inline double PeaceModel::exposure(std::size_t id,
                                                                  const double* security) const {
  // exposure_at the citizen's own cell, the motive of arming for protection (7.17) and of flight from
  // threat (7.16). The sync day's counts (act_sync.cpp) give both numbers at once; else its marks say
  // where no fighter is, and with no fighter in sight protection (>= 0) is never outnumbered; where one
  // is, one walk of the vision reads both counts.
  if (cfg_.base.groups != 2 || !cfg_.spoilers.enabled) return 0;
  const int g = agents_.group[id];
  const std::int32_t here = agents_.cell[id];
  int threat = 0, own = 0;
  if (armed_spread_) {  // both counts spread from the fighters
    const auto c = static_cast<std::size_t>(here);
    threat = armed_in_sight_[1 - g][c];
    if (threat == 0) return 0;
    own = armed_in_sight_[g][c];
  } else {
    if (!(marks_ & kSeesArmed)) return exposure_at(here, g, security);
    const auto bit = static_cast<std::uint8_t>(kSeesArmed << (1 - g));
    if ((in_sight_[static_cast<std::size_t>(here)] & bit) == 0) return 0;
    std::tie(threat, own) = query_.count2(armed_[1 - g], armed_[g], here, citizen_vision_);
  }
  return exposure_of((security ? *security : security_seen(here, citizen_vision_)) + own, threat);
}

// The part of a citizen's decision after rule A (ODD 7.5, 7.14, 7.17): joining its group's militia or arming
// for protection. `cops` is rule A's C where the citizen counted it, else nullptr (exposure() counts it the
// same way). Inlined into both paths of decide_rule_a<true> and into decide_rule_a<false>, the instance every
// citizen's turn takes when 7.19 is off (callgrind: a test of the option on that path cost about 2 % of a
// day's instructions).
__attribute__((always_inline)) inline void PeaceModel::join_or_arm(std::size_t id, std::int32_t here,
                                                                   double grievance, bool active,
                                                                   const double* cops, SyncPlan& p) const {
  const epstein::Config& b = cfg_.base;
  const auto day = static_cast<std::uint64_t>(day_);
  if (!cfg_.spoilers.enabled) return;

  // ODD 7.5 recruitment: an aggrieved active citizen who sees its group's militia may join it, more readily
  // when the militia has arms to hand out.
  // With political spoilers (ODD 7.14) any aggrieved citizen may join, not only one who riots today, and
  // the more readily the less it cooperates with the government and the mission.
  const int g = agents_.group[id];
  const bool political = cfg_.spoilers.political;
  const double availability = arms_[g] / (arms_[g] + cfg_.spoilers.arms_half_saturation);
  // Whether the vision holds a set cell of a fighters' layer: from in_sight_ in the sync day's decisions
  // (act_sync.cpp), else counted.
  const auto sees = [&](const BitLayer& layer, std::uint8_t bit) {
    return (marks_ & kSeesSpoiler) ? (in_sight_[static_cast<std::size_t>(here)] & bit) != 0
                                   : query_.count(layer, here, citizen_vision_) > 0;
  };
  if ((active || political) && grievance > cfg_.spoilers.recruit_grievance &&
      sees(spoilers_[g], static_cast<std::uint8_t>(kSeesSpoiler << g))) {
    Stream x(b.seed, kRecruitSpoiler, id, day);
    const double support = political ? 1.0 - cooperation(id) : 1.0;
    if (x.bernoulli(cfg_.spoilers.recruit_probability * availability * support)) {
      p.flags |= kJoin;
      return;
    }
  }
  // ODD 7.17, the security dilemma: a citizen who sees the other group's fighters outnumber the protection
  // around it (security units, its own group's fighters) may arm itself with its own group's militia,
  // whatever its grievance. Protection, not grievance, is the motive (Kalyvas and Kocher 2007), so this
  // keeps going after a settlement wherever no one is left to guard it (Walter 1997; Posen 1993).
  if (!security_dilemma_ || security_dilemma_->protection_probability <= 0) return;
  // Rule A's C is the security in sight, summed as security_seen sums it (pk, then each constable's skill:
  // every partial sum exact where the spread sum is used), so the walk is not made twice.
  const double exposed = exposure(id, cops);
  if (exposed <= 0) return;
  Stream x(b.seed, kProtect, id, day);
  if (x.bernoulli(security_dilemma_->protection_probability * availability * exposed))
    p.flags |= kJoin | kForProtection;
}

template <bool Gated>
void PeaceModel::decide_rule_a(std::size_t id, Stream& victims, SyncPlan& p) const {
  // Rule A with C weighted by constable skill (ODD 7.9) and deterrence scaled by justice (7.4); in Model II
  // the victim, drawn from `victims`.
  // ODD 7.19 (the instance Gated, used when participation.precipitant_days > 0): a citizen riots only in the
  // days after an attack on its own group within its sight; on other days it stays quiet, counts nothing in
  // its vision for rule A, and only the choices that do not need it to riot are left (join_or_arm).
  if constexpr (Gated) {
    if (!precipitants_->may_riot(agents_.last_victim[id], agents_.group[id], world().region, agents_.cell[id],
                                 day_)) {
      join_or_arm(id, agents_.cell[id], grievance_of(id), false, nullptr, p);
      return;
    }
  }
  const epstein::Config& b = cfg_.base;
  const std::int32_t here = agents_.cell[id];
  // Where the sync day's marks say no peacekeeper is in sight, neither layer is read yet: the actives in
  // sight matter only when there is some security to count them against (C = 0 gives P = 0 whatever A is).
  const bool no_pk =
      (marks_ & kSeesPeacekeeper) && (in_sight_[static_cast<std::size_t>(here)] & kSeesPeacekeeper) == 0;
  int pk = 0, seen_active = 0;
  if (!no_pk) std::tie(pk, seen_active) = query_.count2(peacekeepers_, actives_, here, citizen_vision_);
  double cops = pk;
  if (constable_cells_ > 0 && skill_spread_)  // the same sum, made once for every cell
    cops += static_cast<double>(skill_in_sight_[static_cast<std::size_t>(here)]) * 0x1p-45;
  else if (constable_cells_ > 0)
    query_.for_each(constables_, here, citizen_vision_, [&](std::int64_t at) {
      cops += agents_.skill[static_cast<std::size_t>(occupant_[static_cast<std::size_t>(at)])];
    });
  if (no_pk && cops > 0) seen_active = query_.count(actives_, here, citizen_vision_);
  const int actives = 1 + seen_active;
  // No security in sight: P = 1 - exp(-k x 0) = 0 exactly, without the call.
  double q =
      cops > 0 ? 1.0 - std::exp(-b.arrest_constant * epstein::vision_ratio(b.ratio, cops, actives)) : 0.0;
  if (justice_->enabled) q *= justice_->deterrence(static_cast<std::size_t>(region_of(here)));
  const double grievance = grievance_of(id);
  // ODD 7.18: a citizen who has been openly defiant lately needs a larger margin (T itself when off).
  double threshold = b.threshold;
  if (participation_on_) [[unlikely]]
    threshold += participation_->extra_threshold(id);
  bool active = epstein::goes_active(agents_.hardship[id], legitimacy_of(id), agents_.risk[id], q, threshold);
  if (active && b.violence == epstein::Violence::InterGroup) {
    const std::int64_t c = query_.choose(members_[1 - agents_.group[id]], here, citizen_vision_,
                                         [&victims](std::uint32_t n) { return victims.below(n); });
    active = c >= 0;
    if (active) {
      p.act = kCitizenKill;
      p.target = occupant_[static_cast<std::size_t>(c)];
    }
  }
  if (active) p.flags |= kActive;
  join_or_arm(id, here, grievance, active, &cops, p);
}
template void PeaceModel::decide_rule_a<false>(std::size_t, Stream&, SyncPlan&) const;
template void PeaceModel::decide_rule_a<true>(std::size_t, Stream&, SyncPlan&) const;

void PeaceModel::join_militia(std::size_t id, int g) {
  // ODD 7.5, 7.14, 7.17: a citizen (a recruit, a former fighter, one arming for protection) becomes a
  // fighter of its group's militia, armed from the militia's stock when there is a weapon left.
  agents_.kind[id] = Kind::Spoiler;
  agents_.faction[id] = static_cast<std::uint8_t>(g);
  agents_.status[id] = Status::Quiet;
  ddr_->demobilised[id] = 0;
  if (arms_[g] >= 1) {
    arms_[g] -= 1;
    agents_.armed[id] = 1;
  }
}

void PeaceModel::act_spoiler(std::size_t id, Stream& s) {
  // ODD 7.5: outgunned spoilers hide; the others attack by their faction's priorities, then move.
  if (spoiler_hides(id)) {  // step away from the nearest security unit seen
    const std::int32_t nearest = nearest_security(agents_.cell[id]);
    if (nearest >= 0) move_toward(id, nearest, spoiler_vision_, true);
    return;
  }
  Stream x(cfg_.base.seed, kSpoilerAct, id, static_cast<std::uint64_t>(day_));
  if (spoiler_attacks(id, x)) {
    SyncPlan p;
    choose_attack(id, x, p);
    bool attacked = p.act != kNothing;
    if (p.act == kRaidConvoy) {  // settled now, from the same stream; a convoy out of reach is no attack
      attacked = raid_convoy_near(id, x);
      p.act = kNothing;
    }
    if (!attacked) choose_security_attack(id, x, p);
    if (p.act != kNothing) attacked = apply_attack(id, p, nullptr);
    if (attacked) agents_.exposed_until[id] = static_cast<std::int32_t>(day_ + cfg_.spoilers.exposed_days);
  }
  refresh(id);
  move_random(id, spoiler_vision_, s);
}

bool PeaceModel::spoiler_hides(std::size_t id) const {
  // ODD 7.5: a spoiler hides when the security it sees outnumbers its armed comrades (itself included) by
  // more than spoilers.outgun_ratio.
  const std::int32_t here = agents_.cell[id];
  const double security = security_seen(here, spoiler_vision_);
  const int comrades = query_.count(armed_[agents_.faction[id]], here, spoiler_vision_) + agents_.armed[id];
  return security > 0 && security > cfg_.spoilers.outgun_ratio * comrades;
}

bool PeaceModel::spoiler_attacks(std::size_t id, Stream& x) const {
  // ODD 7.14: a political spoiler attacks as often as the people around it support it, and lies low while
  // a mission that has announced its departure date is there to be waited out. Only the armed attack.
  // The draw is bernoulli's (uniform() < p), taken first: support and 1 - wait_out are at most 1, so p is at
  // most attack_probability, and a draw at or above that decides without the walk over the people around.
  const SpoilerParams& sp = cfg_.spoilers;
  if (!agents_.armed[id]) return false;
  const double u = x.uniform();
  if (!(u < sp.attack_probability)) return false;
  const int f = agents_.faction[id];
  double p_attack = sp.attack_probability;
  if (sp.political) {
    p_attack *= support_around(agents_.cell[id], spoiler_vision_, f == kBandits ? -1 : f);
    if (mission_present() && cfg_.mission.exit == ExitRule::Date) p_attack *= 1.0 - sp.wait_out;
  }
  return u < p_attack;
}

void PeaceModel::choose_attack(std::size_t id, Stream& x, SyncPlan& p) const {
  // ODD 7.5, 7.14, 7.15: whom an attacking spoiler goes for first: a rival fighter (a share of attacks), then
  // civilians (a militia) or a convoy in sight (bandits). p.act stays kNothing when there is none.
  const SpoilerParams& sp = cfg_.spoilers;
  const int f = agents_.faction[id];
  const std::int32_t here = agents_.cell[id];
  auto draw = [&x](std::uint32_t n) { return x.below(n); };
  auto at_cell = [this](std::int64_t c) { return occupant_[static_cast<std::size_t>(c)]; };
  if (sp.political && sp.rival_attack_share > 0 && x.bernoulli(sp.rival_attack_share)) {
    // Rival armed groups fight each other.
    int n_rivals = 0;
    for (int r = 0; r < kFactions; ++r)
      if (r != f) n_rivals += query_.count(armed_[r], here, spoiler_vision_);
    if (n_rivals > 0) {
      auto k = static_cast<int>(x.below(static_cast<std::uint32_t>(n_rivals)));
      for (int r = 0; r < kFactions; ++r) {
        if (r == f) continue;
        const int nr = query_.count(armed_[r], here, spoiler_vision_);
        if (k < nr) {
          p.act = kRivalKill;
          p.target = at_cell(query_.choose(armed_[r], here, spoiler_vision_,
                                           [k](std::uint32_t) { return static_cast<std::uint32_t>(k); }));
          return;
        }
        k -= nr;
      }
    }
  }
  if (f != kBandits && sp.political) {
    // ODD 7.15 (Kalyvas 2006): where the spoiler controls the area, civilians' denunciations reach it and
    // it kills selectively: the most cooperative civilian in sight, of either group, if any cooperates at
    // all. Where it lacks control it has no such information and kills at random among the other group.
    if (x.bernoulli(1.0 - incumbent_share(here))) {
      std::int64_t best = -1;
      double best_coop = 0.5;
      for (int gg = 0; gg < 2; ++gg)
        query_.for_each(members_[gg], here, spoiler_vision_, [&](std::int64_t at) {
          const double c = cooperation(static_cast<std::size_t>(at_cell(at)));
          if (c > best_coop) best_coop = c, best = at;
        });
      if (best >= 0) {  // with no collaborator in sight it turns to other targets
        p.act = kSelectiveKill;
        p.target = at_cell(best);
      }
    } else if (const std::int64_t c = query_.choose(members_[1 - f], here, spoiler_vision_, draw); c >= 0) {
      p.act = kIndiscriminate;
      p.target = at_cell(c);
    }
  } else if (f != kBandits) {  // militias kill civilians of the other group
    if (const std::int64_t c = query_.choose(members_[1 - f], here, spoiler_vision_, draw); c >= 0) {
      p.act = kMilitiaKill;
      p.target = at_cell(c);
    }
  } else {  // bandits raid a convoy in sight (ODD 7.7), settled by raid_convoy_near
    const BitLayer& convoys = aid_->layer();
    if (convoys.any() && query_.count(convoys, here, spoiler_vision_) + convoys.test(here) > 0)
      p.act = kRaidConvoy;
  }
  // ODD 7.8 "Expected response": a fighter may hold back from a killing of a civilian that a patrol could
  // answer, and then turns to other targets as when no civilian is in sight.
  if ((p.act == kSelectiveKill || p.act == kIndiscriminate || p.act == kMilitiaKill) &&
      response_->forgoes(*this, agents_.cell[static_cast<std::size_t>(p.target)], id)) {
    p.act = kNothing;
    p.target = -1;
  }
}

void PeaceModel::choose_security_attack(std::size_t id, Stream& x, SyncPlan& p) const {
  // ODD 7.5: with no one else to attack, an ambush on a security unit in sight, else an installation in
  // vision when no one guards it.
  const SpoilerParams& sp = cfg_.spoilers;
  const std::int32_t here = agents_.cell[id];
  const int npk = query_.count(peacekeepers_, here, spoiler_vision_);
  const int nco = query_.count(constables_, here, spoiler_vision_);
  if (npk + nco > 0) {
    const auto k = x.below(static_cast<std::uint32_t>(npk + nco));
    const std::int64_t c =
        k < static_cast<std::uint32_t>(npk)
            ? query_.choose(peacekeepers_, here, spoiler_vision_, [k](std::uint32_t) { return k; })
            : query_.choose(constables_, here, spoiler_vision_,
                            [k, npk](std::uint32_t) { return k - static_cast<std::uint32_t>(npk); });
    p.act = kAmbush;
    p.target = c >= 0 ? occupant_[static_cast<std::size_t>(c)] : -1;
    if (c >= 0 && x.bernoulli(sp.kill_security_probability)) p.flags |= kLethal;
    return;
  }
  for (std::size_t k = 0; k < installations_.size(); ++k) {
    const std::int32_t at = installations_[k];
    if (!grid_.sees(here, at, spoiler_vision_) || installation_down_until_[k] >= day_) continue;
    p.act = kInstallation;
    p.aux = static_cast<std::int32_t>(k);
    if (security_seen(at, near_) == 0 && x.bernoulli(sp.installation_attack_probability)) p.flags |= kLethal;
    return;
  }
}

bool PeaceModel::still_there(std::int32_t target, Kind k) const {
  if (target < 0) return false;
  const auto j = static_cast<std::size_t>(target);
  return agents_.cell[j] >= 0 && agents_.status[j] != Status::Dead && agents_.status[j] != Status::Jailed &&
         (agents_.kind[j] == k || (k == Kind::Peacekeeper && agents_.kind[j] == Kind::Constable));
}

bool PeaceModel::apply_attack(std::size_t id, const SyncPlan& p, Stream* raid) {
  // A killing lands only if its victim is still there as what it was: in the async turn it always is (it was
  // just chosen); in the sync day another attacker may have killed it first, or it left or turned fighter.
  const auto v = static_cast<std::size_t>(std::max(p.target, 0));
  const int by = static_cast<int>(agents_.kind[id] == Kind::Citizen ? Kind::Citizen : Kind::Spoiler);
  switch (p.act) {
    case kCitizenKill:
    case kMilitiaKill:
      if (!still_there(p.target, Kind::Citizen)) return false;
      kill(v, by);
      return true;
    case kSelectiveKill:
    case kIndiscriminate:
      if (!still_there(p.target, Kind::Citizen)) return false;
      ++(p.act == kSelectiveKill ? events_.selective : events_.indiscriminate);
      if (control_) control_->count_killing(agents_.cell[v]);
      kill(v, by);
      return true;
    case kRivalKill:
      if (!still_there(p.target, Kind::Spoiler)) return false;
      kill(v, by);
      ++events_.rival_killings;
      return true;
    case kRaidConvoy:
      if (raid && agents_.cell[id] >= 0) raid_convoy_near(id, *raid);
      return true;
    case kAmbush:  // any security unit (still_there's Peacekeeper)
      if ((p.flags & kLethal) && still_there(p.target, Kind::Peacekeeper)) kill(v, by);
      return true;
    case kInstallation:
      if (p.flags & kLethal) {
        installation_down_until_[static_cast<std::size_t>(p.aux)] =
            day_ + cfg_.spoilers.installation_downtime;
        ++events_.installation_attacks;
      }
      return true;
    default:
      return false;
  }
}

void PeaceModel::act_security(std::size_t id, Stream& s) {
  const bool cop = is_epstein_cop(agents_, id);
  if (cop) {  // Epstein's cop: rule M then rule C, exactly as in the Epstein model
    const bool moves = cfg_.base.cops_move;
    if (moves && cfg_.base.order == epstein::Order::MoveFirst) move_random(id, cop_vision_, s);
    arrest_in_vision(id, cop_vision_, s, false);
    if (moves && cfg_.base.order == epstein::Order::ActFirst) move_random(id, cop_vision_, s);
    return;
  }
  const bool constable = agents_.kind[id] == Kind::Constable;
  const Vision& v = constable ? constable_vision_ : mission_vision_;
  const std::int32_t here = agents_.cell[id];
  // ODD 7.8 riot response: when actives seen outnumber the security seen (itself included) by more than the
  // ratio.
  const int seen_active = query_.count(actives_, here, v);
  const double own = constable ? agents_.skill[id] : 1.0;
  if (seen_active > 0 && seen_active > cfg_.mission.riot_ratio * (security_seen(here, v) + own)) {
    switch (cfg_.mission.riot_response) {
      case RiotResponse::Withdraw: {
        const std::int64_t c = query_.choose(actives_, here, v, [&s](std::uint32_t n) { return s.below(n); });
        move_toward(id, static_cast<std::int32_t>(c), v, true);
        ++events_.withdrawals;
        return;
      }
      case RiotResponse::HoldNonlethal:
        arrest_in_vision(id, v, s, false);
        return;
      case RiotResponse::Lethal:
        arrest_in_vision(id, v, s, true);
        return;
    }
  }
  // Movement by task (ODD 7.8); off duty (coherence), a unit stays near its base.
  const TaskMove m = task_move(id, v);
  switch (m.how) {
    case TaskMove::kToward:
      move_toward(id, m.cell, v, false);
      break;
    case TaskMove::kRandom:
      move_random(id, v, s);
      break;
    case TaskMove::kTo:
      if (m.cell >= 0) {
        vacate(id);
        place(id, m.cell);
      }
      break;
    case TaskMove::kStay:
      break;
  }
  if (seeks_fighters(id) && engage_spoiler(id, v, s)) return;
  arrest_in_vision(id, v, s, false);
}

PeaceModel::TaskMove PeaceModel::task_move(std::size_t id, const Vision& v) const {
  // ODD 7.8: how a security unit (not an Epstein cop) moves by its task. Constables patrol their own region;
  // international police patrol where they were posted; off duty (coherence) a unit stays near its base; an
  // escort keeps up with its convoy; border, guard and training posts are held; a riot team goes where the
  // riot was once it sees no one rioting; a patrol goes to its region, then patrols it at random.
  const std::int32_t here = agents_.cell[id];
  const std::int32_t target = agents_.target[id];
  const Task task = static_cast<Task>(agents_.task[id]);
  if (agents_.kind[id] == Kind::Constable) {
    if (target >= 0 && region_of(here) != region_of(target)) return {TaskMove::kToward, target};
    return {TaskMove::kRandom, -1};
  }
  if (!agents_.on_duty[id]) {
    const std::int32_t base = agents_.home[id];
    if (base >= 0 && grid_.distance2(here, base) > cfg_.mission.base_radius * cfg_.mission.base_radius)
      return {TaskMove::kToward, base};
    return {TaskMove::kStay, -1};
  }
  if (task == kEscort && target >= 0 && static_cast<std::size_t>(target) < aid_->convoys().size() &&
      aid_->convoys()[static_cast<std::size_t>(target)].alive) {
    const Convoy& cv = aid_->convoys()[static_cast<std::size_t>(target)];
    const std::int32_t at = cv.path[std::min(cv.at, cv.path.size() - 1)];
    if (grid_.distance2(here, at) <= kEscortReach * kEscortReach) return {TaskMove::kStay, -1};
    Stream x(cfg_.base.seed, kSecurityAct, id, static_cast<std::uint64_t>(day_));
    return {TaskMove::kTo, empty_cell_near(at, kEscortReach, x)};
  }
  if (task == kBorder || task == kGuard || task == kTrain) {
    const int hold = task == kBorder ? 0 : task == kGuard ? 2 : 3;
    if (target >= 0 && grid_.distance2(here, target) > hold * hold) return {TaskMove::kToward, target};
    return {TaskMove::kStay, -1};
  }
  if (task == kRiot && target >= 0 && query_.count(actives_, here, v) == 0)
    return {TaskMove::kToward, target};
  // A patrol sent toward a killing of a civilian (7.8, protection_response.hpp) goes there until it has the
  // site in sight, then patrols from there.
  if (task == kPresence) {
    const std::int32_t site = response_->site_of(static_cast<std::uint32_t>(id));
    if (site >= 0 && !grid_.sees(here, site, v)) return {TaskMove::kToward, site};
  }
  if (task == kPresence && target >= 0 && region_of(here) != region_of(target))
    return {TaskMove::kToward, target};
  return {TaskMove::kRandom, -1};
}

bool PeaceModel::seeks_fighters(std::size_t id) const {
  // ODD 7.14 rule 3 with political spoilers. Under mission.use_of_force = "self_defence" (7.8) the mission's
  // own units, its soldiers and the international police, do not go after the fighters they are told of: they
  // use force in riots and against fighters caught attacking (exposed, rule C) only. The host's constables
  // still do. Skipping the engagement skips only draws of its own stream (kEngage), so nothing else shifts.
  if (!cfg_.spoilers.political) return false;
  if (cfg_.mission.use_of_force == UseOfForce::Offensive) return true;
  return !is_mission_soldier(agents_, id) && !agents_.foreign[id];  // foreign: international police
}

bool PeaceModel::engage_spoiler(std::size_t id, const Vision& v, Stream&) {
  // ODD 7.14: a located spoiler is engaged, and killed or captured.
  Stream x(cfg_.base.seed, kEngage, id, static_cast<std::uint64_t>(day_));
  const std::int64_t c = locate_spoiler(id, v, x);
  if (c < 0) return false;
  const auto target = static_cast<std::size_t>(occupant_[static_cast<std::size_t>(c)]);
  if (x.bernoulli(cfg_.spoilers.engage_kill_share)) {
    kill(target, static_cast<int>(agents_.kind[id]));
  } else {
    ++events_.spoilers_captured;
    jail(target, id);
  }
  return true;
}

std::int64_t PeaceModel::locate_spoiler(std::size_t id, const Vision& v, Stream& x) const {
  // ODD 7.14: a security unit finds an armed spoiler in its vision only through what civilians tell it
  // (Kalyvas 2006): the chance is the incumbent's share of control here times how far the civilians it sees
  // accept it: the mission's popular legitimacy for a mission unit (when it is kept apart, 7.13), their
  // cooperation with the government for constables and police. Returns the located fighter's cell, or -1.
  const std::int32_t here = agents_.cell[id];
  int n_armed = 0;
  for (int f = 0; f < kFactions; ++f) n_armed += query_.count(armed_[f], here, v);
  if (n_armed == 0) return -1;
  const bool mission_unit = agents_.kind[id] == Kind::Peacekeeper && mission_legitimacy_ &&
                            mission_legitimacy_->separate && mission_present();
  double coop = 0;
  int n = 0;
  for (int g = 0; g < 2; ++g)
    query_.for_each(members_[g], here, v, [&](std::int64_t at) {
      const auto j = static_cast<std::size_t>(occupant_[static_cast<std::size_t>(at)]);
      coop += mission_unit ? static_cast<double>(mission_legitimacy_->value[j]) : cooperation(j);
      ++n;
    });
  // Spoilers who wait out a mission with an announced exit date also lie low: arms cached, fighters blended
  // in, so that they are found less often in the same proportion (Marten).
  const bool waiting = mission_present() && cfg_.mission.exit == ExitRule::Date;
  const double info =
      incumbent_share(here) * (n > 0 ? coop / n : 0.0) * (waiting ? 1.0 - cfg_.spoilers.wait_out : 1.0);
  if (!x.bernoulli(info * cfg_.spoilers.engage_probability)) return -1;
  auto k = static_cast<int>(x.below(static_cast<std::uint32_t>(n_armed)));
  std::int64_t c = -1;
  for (int f = 0; f < kFactions && c < 0; ++f) {
    const int nf = query_.count(armed_[f], here, v);
    if (k < nf)
      c = query_.choose(armed_[f], here, v, [k](std::uint32_t) { return static_cast<std::uint32_t>(k); });
    k -= nf;
  }
  return c;
}

std::int32_t PeaceModel::nearest_security(std::int32_t here) const {
  // ODD 7.5: the security unit a hiding spoiler steps away from, the nearest it sees (-1: none).
  std::int64_t nearest = -1;
  double best = 1e300;
  auto consider = [&](std::int64_t at) {
    const int dx = std::abs(grid_.x(at) - grid_.x(here)), dy = std::abs(grid_.y(at) - grid_.y(here));
    const double d = dx * dx + dy * dy;
    if (d < best) best = d, nearest = at;
  };
  query_.for_each(peacekeepers_, here, spoiler_vision_, consider);
  query_.for_each(constables_, here, spoiler_vision_, consider);
  return static_cast<std::int32_t>(nearest);
}

double PeaceModel::cooperation(std::size_t id) const {
  // ODD 7.13: how far a civilian sides with the incumbent side: its legitimacy of the government, less the
  // resentment of a mission whose standing has fallen below what it arrived with (imposed outcomes, abuse).
  // A mission that keeps or raises its standing costs the government nothing: people do not turn to the
  // spoilers because foreigners arrived, but because of what they then did.
  const double l = legitimacy_of(id);
  const MissionLegitimacy* M = mission_legitimacy_;
  if (!M || !M->separate || !mission_present()) return l;
  const double resentment = std::max(0.0, M->initial - static_cast<double>(M->value[id]));
  return std::max(0.0, l - resentment);
}

double PeaceModel::support_around(std::int32_t centre, const Vision& v, int group) const {
  // Mean refusal to cooperate (1 - cooperation) among the civilians a spoiler sees: its own group's for a
  // militia (group >= 0), everyone's for bandits. No one in sight: no support.
  double sum = 0;
  int n = 0;
  for (int g = 0; g < 2; ++g) {
    if (group >= 0 && g != group) continue;
    query_.for_each(members_[g], centre, v, [&](std::int64_t at) {
      sum += 1.0 - cooperation(static_cast<std::size_t>(occupant_[static_cast<std::size_t>(at)]));
      ++n;
    });
  }
  return n > 0 ? sum / n : 0.0;
}

bool PeaceModel::arrest_in_vision(std::size_t id, const Vision& v, Stream& s, bool lethal) {
  const std::int64_t c = arrest_target(id, v, s, lethal);
  if (c < 0) return false;
  const auto target = static_cast<std::size_t>(occupant_[static_cast<std::size_t>(c)]);
  const bool extension = agents_.kind[id] == Kind::Constable || lethal;
  if (extension) {
    Stream x(cfg_.base.seed, kArrest, id, static_cast<std::uint64_t>(day_));
    // ODD 7.9: a constable's arrest succeeds with probability equal to its skill.
    if (agents_.kind[id] == Kind::Constable && !x.bernoulli(agents_.skill[id])) return false;
    if (lethal && x.bernoulli(cfg_.mission.lethal_probability)) {
      // ODD 7.8 lethal response: witnesses within vision see abuse (7.2).
      violence_->mark_abuse(agents_.cell[id]);
      ++events_.lethal_uses;
      kill(target, static_cast<int>(agents_.kind[id]));
      return true;
    }
  }
  jail(target, id);
  return true;
}

std::int64_t PeaceModel::arrest_target(std::size_t id, const Vision& v, Stream& s, bool lethal) const {
  // Rule C: a random active citizen or exposed spoiler (ODD 7.5) within vision, or -1. With no spoilers
  // exposed this is the same single draw as the Epstein cop's.
  const std::int32_t here = agents_.cell[id];
  const int n_exposed = cfg_.spoilers.enabled ? query_.count(exposed_, here, v) : 0;
  // ODD 7.8: where soldiers leave public order to police (mission.soldiers_arrest = fighters), a mission
  // soldier detains only exposed fighters; its lethal riot response is force, not an arrest, and is
  // unchanged.
  const bool fighters_only =
      !lethal && cfg_.mission.soldiers_arrest == SoldiersArrest::Fighters && is_mission_soldier(agents_, id);
  if (fighters_only)
    return n_exposed == 0 ? -1
                          : query_.choose(exposed_, here, v, [&s](std::uint32_t n) { return s.below(n); });
  if (n_exposed == 0) return query_.choose(actives_, here, v, [&s](std::uint32_t n) { return s.below(n); });
  const int n_active = query_.count(actives_, here, v);
  const auto k = s.below(static_cast<std::uint32_t>(n_active + n_exposed));
  return static_cast<int>(k) < n_active ? query_.choose(actives_, here, v, [k](std::uint32_t) { return k; })
                                        : query_.choose(exposed_, here, v, [k, n_active](std::uint32_t) {
                                            return k - static_cast<std::uint32_t>(n_active);
                                          });
}

bool PeaceModel::move_random(std::size_t id, const Vision& v, Stream& s) {
  // Rule M: a random empty cell within vision.
  const std::int64_t to = epstein::move_target(s, query_, empties_, agents_.cell[id], v);
  if (to < 0) return false;
  vacate(id);
  place(id, static_cast<std::int32_t>(to));
  return true;
}

bool PeaceModel::move_toward(std::size_t id, std::int32_t target, const Vision& v, bool away) {
  const std::int32_t best = cell_toward(agents_.cell[id], target, v, away);
  if (best < 0) return false;
  vacate(id);
  place(id, best);
  return true;
}

std::int32_t PeaceModel::cell_toward(std::int32_t here, std::int32_t target, const Vision& v,
                                     bool away) const {
  // The empty cell within vision nearest to (or farthest from) the target; ties go to the first in vision
  // order, so the move is deterministic; -1 when none is nearer (farther) than where the agent stands.
  // Security units and hiding spoilers are few, so a scan is cheap.
  if (target < 0) return -1;
  auto d2 = [&](std::int64_t a) { return grid_.distance2(a, target); };
  std::int64_t best = -1, best_d = d2(here);
  query_.for_each(empties_, here, v, [&](std::int64_t c) {
    const std::int64_t d = d2(c);
    if (away ? d > best_d : d < best_d) best = c, best_d = d;
  });
  return static_cast<std::int32_t>(best);
}

bool PeaceModel::flees_today(std::size_t id, Stream& x) const {
  // ODD 7.6: flight within displacement.memory_days of a killing of the own group nearby, with probability
  // flee_probability x R, drawn first from the flight stream `x`. ODD 7.16: with flee_threat, a citizen
  // with no such killing in memory flees the other side's fighters in sight with that probability times
  // its exposure (7.17). At most one draw, taken only when the probability is above 0.
  const DisplacementParams& d = cfg_.displacement;
  if (!d.enabled) return false;
  if (day_ - agents_.last_victim[id] < d.memory_days)  // false for kNever (mechanism.hpp)
    return x.bernoulli(d.flee_probability * agents_.risk[id]);
  if (!d.flee_threat) return false;
  // Out of line: inlined here, the threat path made every citizen's call dearer, used or not (callgrind).
  const double e = [ this, id ]() __attribute__((noinline)) {
    return exposure(id);
  }
  ();
  return e > 0 && x.bernoulli(d.flee_probability * agents_.risk[id] * e);
}

bool PeaceModel::leaves_country(std::size_t id) const {
  // ODD 7.16: some of those who flee leave the country, where it has a border to cross.
  if (!refugees_ || refugees_->probability <= 0 || border_cells_.empty()) return false;
  Stream r(cfg_.base.seed, kRefuge, id, static_cast<std::uint64_t>(day_));
  return r.bernoulli(refugees_->probability);
}

void PeaceModel::apply_join(std::size_t id, const SyncPlan& p) {
  // ODD 7.5, 7.17: a recruit or a citizen arming for protection joins its group's militia.
  if (!(p.flags & kJoin)) return;
  join_militia(id, agents_.group[id]);
  if (p.flags & kForProtection)
    security_dilemma_->armed();
  else
    ++events_.recruits;
}

void PeaceModel::flee(std::size_t id, Stream& x) {
  const bool was_home = !uprooted(id);
  if (leaves_country(id)) {
    vacate(id);
    refugees_->leave(id);
    events_.uprooted += was_home;
    return;
  }
  const std::int32_t best = flight_choice(id, x);
  if (best < 0) return;
  vacate(id);
  place(id, best);
  events_.uprooted += was_home && uprooted(id);
}

std::int32_t PeaceModel::flight_choice(std::size_t id, Stream& x) const {
  // ODD 7.6: weigh a few empty cells within flight range: away from hostile spoilers, toward security and
  // toward the group's homeland. -1 when there is no empty cell to draw.
  const int g = agents_.group[id];
  const std::int32_t here = agents_.cell[id];
  std::int64_t best = -1;
  double best_score = -1e300;
  for (int k = 0; k < 4; ++k) {
    const std::int64_t c =
        query_.choose(empties_, here, flight_vision_, [&x](std::uint32_t n) { return x.below(n); });
    if (c < 0) return -1;
    const double hostile =
        query_.count(spoilers_[1 - g], c, near_) + query_.count(spoilers_[kBandits], c, near_);
    const double score = (map_.homeland[static_cast<std::size_t>(c)] == g ? 1.0 : 0.0) +
                         std::min(1.0, security_seen(static_cast<std::int32_t>(c), near_)) - 2.0 * hostile;
    if (score > best_score) best_score = score, best = c;
  }
  return static_cast<std::int32_t>(best);
}

void PeaceModel::clone_into_neighbour(std::size_t id, Stream& s) {
  const std::int64_t to =
      epstein::clone_target(cfg_.base, s, query_, empties_, agents_.cell[id], neighbours_);
  if (to >= 0) spawn_child(id, static_cast<std::int32_t>(to));
}

void PeaceModel::spawn_child(std::size_t parent, std::int32_t to) {
  // Model II reproduction (epstein::newborn): the child has its parent's group and hardship, and here also
  // its parent's legitimacy and a home where it is born.
  const epstein::Newborn b = epstein::newborn(cfg_.base, agents_.size(), day_);
  const std::size_t child = agents_.add(Kind::Citizen, agents_.group[parent]);
  agents_.hardship[child] = agents_.hardship[parent];
  agents_.base_hardship[child] = agents_.base_hardship[parent];
  agents_.risk[child] = b.risk;
  agents_.death_age[child] = b.death_age;
  agents_.legitimacy[child] = agents_.legitimacy[parent];
  agents_.legitimacy0[child] = agents_.legitimacy0[parent];
  agents_.home[child] = to;
  place(child, to);
  ++events_.births;
  ++births_total_;
}

}  // namespace keepsim::peace

// The day's order (ODD 3) and its social steps: ageing and releases (ODD 7.1 rule C; the jails of 7.4 are
// justice.cpp's), then legitimacy and hardship (7.2, 7.3), and, after development (7.3, development.cpp)
// and DDR (7.5, ddr.cpp), the return of the displaced (7.6).
#include <algorithm>
#include <bit>
#include <cmath>

#include "models/epstein/rules.hpp"
#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

// Bits of near_marks_: what a citizen on the cell sees of the day's sparse layers (social_day).
constexpr std::uint8_t kNearVictim[2] = {1, 2}, kNearRecent = 4, kNearAbuse = 8, kNearViolence = 16;

// Sets `bit` on every cell whose vision `v` holds a set cell of `layer` other than itself (as
// VisionQuery::count(layer, cell, v) > 0), and with `centre` also on the set cells themselves. The marks are
// few (killings, abuse), so this is their number times a vision instead of a vision per citizen.
void spread(const Grid& grid, const BitLayer& layer, const Vision& v, bool centre, std::uint8_t bit,
            std::vector<std::uint8_t>& flags) {
  const int w = grid.width(), h = grid.height(), words = layer.words_per_row();
  for (int y = 0; y < h; ++y) {
    const std::uint64_t* row = layer.row_words(y);
    for (int i = 0; i < words; ++i)
      for (std::uint64_t b = row[i]; b != 0; b &= b - 1) {
        const std::int64_t m = static_cast<std::int64_t>(y) * w + i * 64 + std::countr_zero(b);
        grid.for_each_span(m, v, [&](int yy, int x0, int x1, int skip) {
          std::uint8_t* cells = &flags[static_cast<std::size_t>(yy) * static_cast<std::size_t>(w)];
          for (int x = x0; x <= x1; ++x)
            if (x != skip) cells[x] |= bit;
        });
        if (centre) flags[static_cast<std::size_t>(m)] |= bit;
      }
  }
}

}  // namespace

// Marking every cell within v of each mark answers, for every cell at once, whether its vision holds a
// mark, when the relation is symmetric and each cell is met once: true for the symmetric shapes (Moore, von
// Neumann, Euclidean) on a bounded grid, and on a torus wider and taller than the vision.
bool spreads_exactly(const Grid& grid, const Vision& v) {
  const int r = v.reach();
  int widest = 0;
  for (int dy = -r; dy <= r; ++dy) {
    if (v.half_width(dy) != v.half_width(-dy)) return false;
    widest = std::max(widest, v.half_width(dy));
  }
  return grid.topology() == Topology::Bounded ||
         (2 * r + 1 <= grid.height() && 2 * widest + 1 <= grid.width());
}

void PeaceModel::step() {
  // The day's phases in their one order (mechanism.hpp Phase, ODD 3): the model's own work for the phase,
  // then the mechanisms that hook it, in registration order.
  for (std::size_t p = 0; p < kPhases; ++p) {
    run_phase(static_cast<Phase>(p));
    for (Mechanism* m : hooks_[p]) m->run(static_cast<Phase>(p), *this);
  }
#ifndef NDEBUG
  check_invariants();  // debug builds check every day; the tests check release builds too
#endif
}

void PeaceModel::run_phase(Phase p) {
  switch (p) {
    case Phase::DayStart:
      start_day();
      break;
    case Phase::Mission:      // the mission layer, the constabulary and police, the mission's legitimacy
      break;                  // (components: mission_layer.cpp, constabulary.cpp, mission_legitimacy.cpp)
    case Phase::Environment:  // arms supply and aid convoys (components: arms_supply.cpp, aid_convoys.cpp)
      break;
    case Phase::BeforeAgents:
      break;
    case Phase::Agents:
      act_all();
      break;
    case Phase::Justice:
      justice_day();
      break;
    case Phase::Social:  // then development (development.cpp) and DDR (ddr.cpp)
      social_day();
      break;
    case Phase::Return:
      return_day();
      break;
    case Phase::DayEnd:
      end_day();
      break;
  }
}

void PeaceModel::start_day() {
  ++day_;
  events_ = Events{};
  // Yesterday's marks leave the *_today layers; killings older than K days leave the "recent" layer.
  for (const std::int32_t c : today_cells_) {
    kill_today_.clear(c);
    victim_today_[0].clear(c);
    victim_today_[1].clear(c);
    abuse_today_.clear(c);
  }
  today_cells_.clear();
  std::size_t expired = 0;
  while (expired < kill_log_.size() && kill_log_[expired].first <= day_ - cfg_.legitimacy.secure_days) {
    const std::int32_t c = kill_log_[expired].second;
    if (--kill_count_[static_cast<std::size_t>(c)] == 0) kill_recent_.clear(c);
    ++expired;
  }
  kill_log_.erase(kill_log_.begin(), kill_log_.begin() + static_cast<std::ptrdiff_t>(expired));
  if (cfg_.spoilers.enabled)  // exposure ends
    for (std::size_t i = 0; i < agents_.size(); ++i)
      if (agents_.kind[i] == Kind::Spoiler && agents_.exposed_until[i] == day_ - 1) refresh(i);

  legitimacy_ = legitimacy_at(day_);
  apply_cop_schedule();
}

double PeaceModel::legitimacy_at(std::int64_t t) const {
  // Epstein's shared legitimacy schedules (docs/epstein.md), used while legitimacy.local is off.
  return epstein::scheduled_legitimacy(cfg_.base, t);
}

void PeaceModel::apply_cop_schedule() {
  // Epstein's cop schedules (docs/epstein.md): cops added at random empty cells or withdrawn at random.
  const epstein::Config& b = cfg_.base;
  if (b.cop_schedule == epstein::CopSchedule::Constant) return;
  const std::int64_t want =
      epstein::scheduled_cops(b, static_cast<double>(grid_.cells()), initial_cops_, day_);
  Stream s(b.seed, kCopSchedule, 0, static_cast<std::uint64_t>(day_));
  while (cops_on_grid_ < want) {
    const std::int32_t c = random_empty_cell(s);
    if (c < 0) break;
    place(agents_.add(Kind::Peacekeeper, 0), c);
    ++cops_on_grid_;
  }
  if (cops_on_grid_ > want) {
    std::vector<std::size_t> on;
    for (std::size_t i = 0; i < agents_.size(); ++i)
      if (is_epstein_cop(agents_, i) && agents_.status[i] != Status::Dead) on.push_back(i);
    const auto remove = static_cast<std::size_t>(cops_on_grid_ - want);
    for (std::size_t k = 0; k < remove; ++k) {
      const std::size_t j = k + s.below(static_cast<std::uint32_t>(on.size() - k));
      std::swap(on[k], on[j]);
      agents_.status[on[k]] = Status::Dead;
      vacate(on[k]);
      --cops_on_grid_;
    }
  }
}

void PeaceModel::justice_day() {
  // In id order, as the Epstein model: aging, then terms count down and the released return to a random
  // empty cell exactly as aggrieved as before. Justice (ODD 7.4, justice.hpp) frees the region's jail place.
  const epstein::Config& b = cfg_.base;
  const bool justice = justice_->enabled;
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    if (agents_.kind[i] == Kind::Peacekeeper || agents_.foreign[i] || agents_.status[i] == Status::Dead)
      continue;
    if (agents_.death_age[i] > 0 && ++agents_.age[i] >= agents_.death_age[i]) {
      if (agents_.status[i] == Status::Jailed && justice) justice_->release(agents_.jail_region[i]);
      agents_.status[i] = Status::Dead;
      ++events_.deaths_of_age;
      ++dead_people_;
      vacate(i);
      continue;
    }
    if (agents_.status[i] != Status::Jailed || agents_.jail_left[i] == Agents::kLife) continue;
    if (--agents_.jail_left[i] > 0) continue;
    agents_.status[i] = Status::Quiet;
    ++events_.releases;
    if (b.jailed == epstein::Jailed::KeepCell) {
      refresh(i);
      continue;
    }
    Stream s(b.seed, kRelease, i, static_cast<std::uint64_t>(day_));
    // On a map the released go home (a cell near their home cell); in Epstein's featureless world they return
    // to a random empty cell, as in the paper.
    const bool home = cfg_.map_source != MapSource::None && agents_.home[i] >= 0;
    const std::int32_t c = home ? empty_cell_near(agents_.home[i], 2, s) : random_empty_cell(s);
    if (c < 0) {
      agents_.status[i] = Status::Jailed;
      agents_.jail_left[i] = 1;
      --events_.releases;
      continue;
    }
    if (justice) justice_->release(agents_.jail_region[i]);
    place(i, c);
  }
}

void PeaceModel::social_day() {
  const LegitimacyParams& L = cfg_.legitimacy;
  const HardshipParams& H = cfg_.hardship;
  const bool present = mission_present();
  const bool separate = mission_legitimacy_ && mission_legitimacy_->separate;  // ODD 7.13
  const bool watch = L.local || H.enabled || cfg_.displacement.enabled;
  // Imposition (7.2, 7.13): a daily cost while the mission is present, or, with imposition_interval, one
  // imposed outcome (a decision taken over the heads of the people: a timetable, a constitution, a returns
  // programme) every so many days of its presence.
  double imposition_today = 0;
  if (present && cfg_.mission.imposition > 0) {
    const std::int64_t every = cfg_.mission.imposition_interval;
    if (every == 0) {
      imposition_today = cfg_.mission.imposition;
    } else if (first_arrival() >= 0 && (day_ - first_arrival()) % every == every - 1) {
      imposition_today = cfg_.mission.imposition * static_cast<double>(every);
      ++events_.imposed;
    }
  }
  if (watch) {
    // Each citizen reads the layers around it and changes only its own state, so this runs in parallel and
    // gives the same result on any number of threads.
    const bool killings = kill_today_.any(), recent = kill_recent_.any(), abuse = abuse_today_.any();
    const bool gov = L.gov_gain > 0 && constable_cells_ > 0;
    // Whether a citizen's vision holds a mark of a sparse layer: read from near_marks_, spread from the marks
    // first, where that gives the same answer as counting the vision (spreads_exactly, decided at
    // construction); the answers, and so the results, are the same either way.
    const bool spread_fear = spread_fear_, spread_vision = spread_vision_;
    if (spread_fear || spread_vision) {
      std::fill(near_marks_.begin(), near_marks_.end(), 0);
      if (killings && spread_fear)
        for (int g = 0; g < 2; ++g)
          spread(grid_, victim_today_[g], fear_vision_, true, kNearVictim[g], near_marks_);
      if (L.local && recent && spread_vision)
        spread(grid_, kill_recent_, citizen_vision_, true, kNearRecent, near_marks_);
      if (L.local && abuse && spread_vision)
        spread(grid_, abuse_today_, citizen_vision_, false, kNearAbuse, near_marks_);
      if (H.enabled && killings && spread_vision)
        spread(grid_, kill_today_, citizen_vision_, true, kNearViolence, near_marks_);
    }
    // near(): the vision of `here` holds a mark of `layer` (or, with `centre`, `here` is one).
    auto near = [&](std::int32_t here, bool spread_ok, std::uint8_t bit, const BitLayer& layer,
                    const Vision& v, bool centre) {
      if (spread_ok) return (near_marks_[static_cast<std::size_t>(here)] & bit) != 0;
      return query_.count(layer, here, v) > 0 || (centre && layer.test(here));
    };
    exec_->for_each(agents_.size(), [&](std::size_t i) {
      if (agents_.kind[i] != Kind::Citizen || agents_.cell[i] < 0) return;
      const std::int32_t here = agents_.cell[i];
      const int g = agents_.group[i];
      const bool victimised =
          killings && near(here, spread_fear, kNearVictim[g], victim_today_[g], fear_vision_, true);
      if (victimised) agents_.last_victim[i] = static_cast<std::int32_t>(day_);
      const bool aided = agents_.aided[i] != 0;
      if (L.local) {
        const bool secure =
            !recent || !near(here, spread_vision, kNearRecent, kill_recent_, citizen_vision_, true);
        const bool abused =
            abuse && near(here, spread_vision, kNearAbuse, abuse_today_, citizen_vision_, false);
        double presence = 0;
        if (gov)
          query_.for_each(constables_, here, citizen_vision_, [&](std::int64_t at) {
            const auto o = static_cast<std::size_t>(occupant_[static_cast<std::size_t>(at)]);
            if (!agents_.foreign[o]) presence += agents_.skill[o];
          });
        const double l = agents_.legitimacy[i];
        // Imposed outcomes cost the government's legitimacy (7.2) unless the mission's own is kept apart
        // (7.13), where they cost the mission's.
        const double imposed = present && !separate ? imposition_today : 0.0;
        const double next = l + L.secure_gain * secure - L.victim_loss * victimised -
                            L.imposition_loss * imposed - L.abuse_loss * abused + L.gov_gain * presence +
                            L.aid_gain * aided + L.relax * (agents_.legitimacy0[i] - l);
        agents_.legitimacy[i] = static_cast<float>(std::clamp(next, 0.0, 1.0));
        if (separate && present) {
          // ODD 7.13 (mission_legitimacy.hpp): the mission gains where it is seen delivering security, loses
          // with abuse it is near and with each imposed outcome, and relaxes toward its starting value.
          std::vector<float>& M = mission_legitimacy_->value;
          const double m = M[i];
          const bool seen = query_.count(peacekeepers_, here, citizen_vision_) > 0;
          const double nm = m + mission_legitimacy_->security_gain * (secure && seen) -
                            L.abuse_loss * abused - L.imposition_loss * imposition_today +
                            L.relax * (mission_legitimacy_->initial - m);
          M[i] = static_cast<float>(std::clamp(nm, 0.0, 1.0));
        }
      }
      if (H.enabled) {
        const bool violence =
            killings && near(here, spread_vision, kNearViolence, kill_today_, citizen_vision_, true);
        const double base =
            agents_.base_hardship[i] * development_->level[static_cast<std::size_t>(region_of(here))];
        const double h = agents_.hardship[i];
        const double next =
            h + H.violence_gain * violence - aid_->hardship_relief * aided + H.relax * (base - h);
        agents_.hardship[i] = static_cast<float>(std::clamp(next, 0.0, 1.0));
      }
    });
  }
  if (aid_->enabled && aid_->hardship_relief > 0 && !H.enabled)
    for (std::size_t i = 0; i < agents_.size(); ++i)
      if (agents_.aided[i])
        agents_.hardship[i] = static_cast<float>(std::max(0.0, agents_.hardship[i] - aid_->hardship_relief));
  std::fill(agents_.aided.begin(), agents_.aided.end(), 0);
}

void PeaceModel::return_day() {
  // ODD 7.6: the displaced go home, after the day's DDR (ddr.cpp), which reads where they are.
  const bool present = mission_present();
  if (cfg_.displacement.enabled && cfg_.displacement.return_probability > 0) {
    // Voluntary return: the displaced go home once no killing happened near home for K days.
    for (std::size_t i = 0; i < agents_.size(); ++i) {
      if (agents_.kind[i] != Kind::Citizen || agents_.home[i] < 0 || agents_.status[i] == Status::Dead)
        continue;
      const bool away = abroad(i);
      if (agents_.cell[i] < 0 && !away) continue;  // jailed, or away on other business
      const std::int32_t home = agents_.home[i];
      if (!away && region_of(agents_.cell[i]) == region_of(home)) continue;
      if (query_.count(kill_recent_, home, citizen_vision_) > 0 || kill_recent_.test(home)) continue;
      Stream s(cfg_.base.seed, kReturn, i, static_cast<std::uint64_t>(day_));
      if (!s.bernoulli(cfg_.displacement.return_probability)) continue;
      const std::int32_t c = empty_cell_near(home, 2, s);
      if (c < 0 || region_of(c) != region_of(home)) continue;
      vacate(i);
      place(i, c);
      if (away) refugees_->come_home(i);
    }
  }
  if (cfg_.displacement.enabled && cfg_.displacement.forced_return && present &&
      day_ % cfg_.displacement.return_interval == 0)
    forced_return();
}

void PeaceModel::end_day() {
  // Regional legitimacy, and the aggregates the mission layer reads tomorrow (mission_layer.cpp), in one
  // pass.
  std::vector<double> sum(static_cast<std::size_t>(regions_), 0), n(static_cast<std::size_t>(regions_), 0);
  double total = 0, count = 0;
  std::int64_t people = 0, constables = 0;
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    if (agents_.kind[i] == Kind::Peacekeeper || agents_.foreign[i] || agents_.status[i] == Status::Dead)
      continue;
    ++people;
    constables += agents_.kind[i] == Kind::Constable;
    if (agents_.kind[i] != Kind::Citizen || agents_.cell[i] < 0) continue;
    const double l = legitimacy_of(i);
    const auto r = static_cast<std::size_t>(region_of(agents_.cell[i]));
    sum[r] += l;
    n[r] += 1;
    total += l;
    count += 1;
  }
  for (std::size_t r = 0; r < sum.size(); ++r)
    if (n[r] > 0) region_legitimacy_[r] = sum[r] / n[r];
  mission_->close_day(*this, people, constables, count > 0 ? total / count : 0, events_.peacekeepers_killed,
                      killings_today());
}

std::int64_t PeaceModel::killings_today() const {
  return events_.killed[0] + events_.killed[1] + events_.spoilers_killed + events_.peacekeepers_killed +
         events_.constables_killed;
}

void PeaceModel::forced_return() {
  // ODD 7.6 forced return: the displaced are sent back near their home cells, minorities included.
  Stream s(cfg_.base.seed, kForcedReturn, 0, static_cast<std::uint64_t>(day_));
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    if (agents_.kind[i] != Kind::Citizen || agents_.home[i] < 0 || agents_.status[i] == Status::Dead)
      continue;
    const bool away = abroad(i);
    if (agents_.cell[i] < 0 && !away) continue;
    if (!away && region_of(agents_.cell[i]) == region_of(agents_.home[i])) continue;
    const std::int32_t c = empty_cell_near(agents_.home[i], 2, s);
    if (c < 0 || region_of(c) != region_of(agents_.home[i])) continue;
    vacate(i);
    place(i, c);
    if (away) refugees_->come_home(i);  // refugees are sent back too
  }
}

}  // namespace keepsim::peace

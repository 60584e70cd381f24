// Set-up and the primitive state changes every mechanism goes through (place, vacate, kill, jail), so that
// the cell layers always agree with the agents (ODD 2 and 5).
#include "models/peacekeeping/model.hpp"

#include "models/epstein/rules.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace keepsim::peace {

std::size_t Agents::add(Kind k, std::uint8_t g) {
  for_each_column([](auto& column, auto fill) { column.push_back(fill); });
  kind.back() = k;
  group.back() = g;
  for (auto& [column, fill] : extra_f32) column->push_back(fill);
  for (auto& [column, fill] : extra_u8) column->push_back(fill);
  for (auto& [column, fill] : extra_i32) column->push_back(fill);
  return kind.size() - 1;
}

void Agents::reserve(std::size_t n) {
  // The mechanisms' columns are attached later, with this capacity (Mechanism::attach_column).
  for_each_column([n](auto& column, auto) { column.reserve(n); });
}

PeaceModel::PeaceModel(const Config& c, WorldMap map, int threads)
    : cfg_(c),
      map_(std::move(map)),
      grid_(c.base.width, c.base.height, c.base.topology),
      citizen_vision_(c.base.metric, c.base.citizen_vision),
      cop_vision_(c.base.metric, c.base.cop_vision),
      spoiler_vision_(c.base.metric, c.spoilers.vision),
      mission_vision_(c.base.metric, c.mission.vision),
      constable_vision_(c.base.metric, c.constabulary.vision),
      neighbours_(Metric::Moore, 1.0),
      near_(Metric::Moore, 2.0),
      flight_vision_(c.base.metric,
                     c.displacement.flight_radius > 0 ? c.displacement.flight_radius : c.base.citizen_vision),
      fear_vision_(c.base.metric,
                   c.displacement.fear_radius > 0 ? c.displacement.fear_radius : c.base.citizen_vision),
      exec_(std::make_unique<Executor>(threads)) {
  const auto cells = static_cast<std::size_t>(grid_.cells());
  code_.assign(cells, cell::kEmpty);
  occupant_.assign(cells, -1);
  for (BitLayer* l :
       {&peacekeepers_, &constables_, &actives_, &empties_, &members_[0], &members_[1], &exposed_})
    l->reset(grid_);
  for (int f = 0; f < kFactions; ++f) {
    spoilers_[f].reset(grid_);
    armed_[f].reset(grid_);
  }
  empties_.fill();
  // The killings since the last map snapshot are counted only when maps are written (4 bytes a cell).
  if (c.map_every > 0) map_killings_.assign(cells, 0);

  regions_ = std::max(1, map_.regions());
  const auto R = static_cast<std::size_t>(regions_);
  region_pop0_.assign(R, 0);
  // Region centres: the region's cell nearest its centroid (region ids need not be contiguous in space).
  std::vector<double> sx(R, 0), sy(R, 0), n(R, 0);
  for (std::size_t i = 0; i < cells; ++i) {
    const auto r = map_.region[i];
    sx[r] += grid_.x(static_cast<std::int64_t>(i));
    sy[r] += grid_.y(static_cast<std::int64_t>(i));
    n[r] += 1;
  }
  region_centre_.assign(R, 0);
  std::vector<double> best(R, 1e300);
  for (std::size_t i = 0; i < cells; ++i) {
    const auto r = map_.region[i];
    const double dx = grid_.x(static_cast<std::int64_t>(i)) - sx[r] / std::max(1.0, n[r]);
    const double dy = grid_.y(static_cast<std::int64_t>(i)) - sy[r] / std::max(1.0, n[r]);
    if (dx * dx + dy * dy < best[r]) {
      best[r] = dx * dx + dy * dy;
      region_centre_[r] = static_cast<std::int32_t>(i);
    }
    if (map_.border[i]) border_cells_.push_back(static_cast<std::int32_t>(i));
    if (map_.installation[i] != kNoInstallation) installations_.push_back(static_cast<std::int32_t>(i));
    if (map_.urban[i] >= 0.999f) towns_.push_back(static_cast<std::int32_t>(i));
  }
  installation_down_until_.assign(installations_.size(), -1);
  populate();
  // The mechanisms (mechanism.hpp), one from each prototype read_config made, in registration order.
  if (cfg_.mechanisms.size() != mechanism_types().size())
    throw std::logic_error("the config was not made by read_config: it lacks the mechanisms' prototypes");
  for (const auto& prototype : cfg_.mechanisms) {
    mechanisms_.push_back(prototype->clone());
    mechanisms_.back()->init(*this);
    for (const Phase p : mechanisms_.back()->phases())
      hooks_[static_cast<std::size_t>(p)].push_back(mechanisms_.back().get());
  }
  violence_ = mechanism<ViolenceMemory>();
  mission_ = mechanism<MissionLayer>();
  control_ = mechanism<Control>();
  legitimacy_pass_ = mechanism<Legitimacy>();
  refugees_ = mechanism<Refugees>();
  mission_legitimacy_ = mechanism<MissionLegitimacy>();
  security_dilemma_ = mechanism<SecurityDilemma>();
  justice_ = mechanism<Justice>();
  arms_supply_ = mechanism<ArmsSupply>();
  arms_ = arms_supply_->stock;
  aid_ = mechanism<AidConvoys>();
  ddr_ = mechanism<Ddr>();
  development_ = mechanism<Development>();
  response_ = mechanism<ProtectionResponse>();
  participation_ = mechanism<ParticipationCost>();
  participation_on_ = participation_->on();
  precipitants_ = mechanism<RiotPrecipitants>();
  precipitant_days_ = precipitants_->days;
  legitimacy_ = cfg_.base.legitimacy;
  // ODD 7.12: a post-conflict start. The pre-mission dynamics run for burn_in_days (days -B+1 .. 0, before
  // any mission: arrival days are >= 1) so that day 0 is a state the dynamics keep, not a transient; nothing
  // of them is recorded, and the day's counters start afresh.
  if (cfg_.burn_in_days > 0) {
    day_ = -cfg_.burn_in_days;
    while (day_ < 0) {
      step();
      // The day's tallies, as the run's series would have them (observe.cpp).
      std::int64_t away = 0;
      for (std::size_t i = 0; i < agents_.size(); ++i)
        away += agents_.kind[i] == Kind::Citizen && agents_.status[i] != Status::Dead &&
                agents_.status[i] != Status::Jailed && this->uprooted(i);
      ++burn_in_.days;
      burn_in_.killings += killings_today();
      burn_in_.civilians_killed += events_.killed[0] + events_.killed[1];
      burn_in_.peak_uprooted = std::max(burn_in_.peak_uprooted, away);
      burn_in_.agent_days += static_cast<double>(population());
    }
    events_ = Events{};
    std::fill(map_killings_.begin(), map_killings_.end(), 0);
    for (const auto& m : mechanisms_) m->after_burn_in(*this);
  }
}

void PeaceModel::populate() {
  // ODD 7.17: the mechanisms are built after the population, so the gap is read from the prototype.
  double exclusion_gap = 0;
  for (const auto& prototype : cfg_.mechanisms)
    if (const auto* d = dynamic_cast<const SecurityDilemma*>(prototype.get()))
      exclusion_gap = d->exclusion_gap;
  const epstein::Config& b = cfg_.base;
  const std::int64_t cells = grid_.cells();
  auto add_citizen = [&](std::int32_t c) {
    // The same draws, from the same streams, as epstein::EpsteinModel (epstein::founder), so that the
    // Epstein runs repeat.
    const std::size_t id = agents_.size();
    const epstein::Founder f = epstein::founder(b, id);
    std::uint8_t g = f.group;
    Stream e(b.seed, kPeaceInit, id, 0);
    if (cfg_.map_source != MapSource::None && b.groups == 2) {
      const std::uint8_t home = map_.homeland[static_cast<std::size_t>(c)];
      // ODD 5: a settler belongs to its homeland's group with probability ms + (1 - ms)(s_home - s_other)
      // (ms = population.majority_share, s = the groups' shares, citizens.group_share), which is ms when
      // the shares are equal and keeps each group's expected share of the people at its share of the area.
      const double s0 = cfg_.base.group_share;
      const double lean = home == 0 ? s0 - (1 - s0) : (1 - s0) - s0;
      g = e.uniform() < cfg_.majority_share + (1 - cfg_.majority_share) * lean
              ? home
              : static_cast<std::uint8_t>(1 - home);
    }
    agents_.add(Kind::Citizen, g);
    agents_.hardship[id] = agents_.base_hardship[id] = f.hardship;
    agents_.risk[id] = f.risk;
    agents_.death_age[id] = f.death_age;
    agents_.home[id] = c;
    // ODD 7.17: the group out of power (group 1) holds the government in lower regard from the start, and
    // L_i relaxes toward this starting value, so the gap outlasts any spell of security.
    const double excluded = g == 1 ? exclusion_gap : 0.0;
    const double l0 =
        std::clamp(b.legitimacy - excluded + cfg_.legitimacy.initial_spread * (e.uniform() - 0.5), 0.0, 1.0);
    agents_.legitimacy[id] = agents_.legitimacy0[id] = static_cast<float>(l0);
    if (cfg_.spoilers.enabled) {
      const double u = e.uniform();
      if (u < cfg_.spoilers.militia_share && b.groups == 2) {
        agents_.kind[id] = Kind::Spoiler;
        agents_.faction[id] = g;
        agents_.armed[id] = 1;
      } else if (u < cfg_.spoilers.militia_share + cfg_.spoilers.bandit_share) {
        agents_.kind[id] = Kind::Spoiler;
        agents_.faction[id] = kBandits;
        agents_.armed[id] = 1;
      }
    }
    ++initial_people_;
    ++region_pop0_[static_cast<std::size_t>(region_of(c))];
    place(id, c);
  };
  // Room for the people placed now (an expected number on a map), those arriving later, and a sixteenth more
  // for births, recruits and the spread of a map's count; beyond that the columns grow by doubling.
  auto reserve_agents = [&](double placed, double cops) {
    agents_.reserve(static_cast<std::size_t>(placed * (1.0 + 1.0 / 16) + arriving_agents(cfg_, cops)));
  };
  auto add_cop = [&](std::int32_t c) {
    place(agents_.add(Kind::Peacekeeper, 0), c);
    ++cops_on_grid_;
  };

  if (cfg_.map_source == MapSource::None) {
    // Exactly round(density * cells) agents on distinct cells, as in the Epstein model (rules.hpp).
    const epstein::Population n = epstein::population_of(b, cells);
    reserve_agents(static_cast<double>(n.citizens + n.cops), static_cast<double>(n.cops));
    epstein::place_population(b, cells, add_cop, add_citizen);
    initial_cops_ = n.cops;
    return;
  }
  // On a map, people settle towns more densely: cell c is settled with probability proportional to
  // 1 + urban_weight * urban(c), scaled so the expected density is citizens.density (capped at 1).
  double mean_w = 0;
  for (std::int64_t cl = 0; cl < cells; ++cl)
    mean_w += 1.0 + cfg_.urban_weight * map_.urban[static_cast<std::size_t>(cl)];
  mean_w /= static_cast<double>(cells);
  const double total = b.citizen_density + b.cop_density;
  // The expected number settled is at most total x cells (the cap at 1 only lowers it), as memory.cpp counts.
  reserve_agents(std::min(1.0, total) * static_cast<double>(cells),
                 b.cop_density * static_cast<double>(cells));
  for (std::int64_t cl = 0; cl < cells; ++cl) {
    Stream s(b.seed, kPlace, static_cast<std::uint64_t>(cl), 0);
    const double w = (1.0 + cfg_.urban_weight * map_.urban[static_cast<std::size_t>(cl)]) / mean_w;
    if (s.uniform() >= std::min(1.0, total * w)) continue;
    if (s.uniform() * total < b.cop_density) {
      add_cop(static_cast<std::int32_t>(cl));
      ++initial_cops_;
    } else {
      add_citizen(static_cast<std::int32_t>(cl));
    }
  }
}

std::uint8_t PeaceModel::code_of(std::size_t id) const {
  switch (agents_.kind[id]) {
    case Kind::Peacekeeper:
      return cell::kPeacekeeper;
    case Kind::Constable:
      return cell::kConstable;
    case Kind::Spoiler:
      return static_cast<std::uint8_t>(cell::kSpoiler | agents_.faction[id] | (agents_.armed[id] ? 4 : 0) |
                                       (agents_.exposed_until[id] >= day_ ? 8 : 0));
    case Kind::Citizen:
      break;
  }
  if (agents_.status[id] == Status::Jailed) return cell::kJailed;
  return static_cast<std::uint8_t>(cell::kCitizen | agents_.group[id] |
                                   (agents_.status[id] == Status::Active ? 2 : 0));
}

void PeaceModel::set_code(std::size_t c, std::uint8_t code) {
  const std::uint8_t old = code_[c];
  if (old == code) return;
  code_[c] = code;
  const auto at = static_cast<std::int64_t>(c);
  const std::uint8_t ko = cell::kind(old), kn = cell::kind(code);
  if ((ko == cell::kPeacekeeper) != (kn == cell::kPeacekeeper))
    peacekeepers_.assign(at, kn == cell::kPeacekeeper);
  if ((ko == cell::kConstable) != (kn == cell::kConstable)) {
    constables_.assign(at, kn == cell::kConstable);
    // Atomic: the sync day applies its moves in parallel (act_sync.cpp), each on cells of its own.
    std::atomic_ref<std::int64_t>(constable_cells_)
        .fetch_add(kn == cell::kConstable ? 1 : -1, std::memory_order_relaxed);
  }
  if (cell::is_active(old) != cell::is_active(code)) actives_.assign(at, cell::is_active(code));
  if ((old == cell::kEmpty) != (code == cell::kEmpty)) empties_.assign(at, code == cell::kEmpty);
  for (int g = 0; g < 2; ++g) {
    const bool was = ko == cell::kCitizen && (old & 1) == g, is = kn == cell::kCitizen && (code & 1) == g;
    if (was != is) members_[g].assign(at, is);
  }
  for (int f = 0; f < kFactions; ++f) {
    const bool was = ko == cell::kSpoiler && (old & 3) == f, is = kn == cell::kSpoiler && (code & 3) == f;
    if (was != is) spoilers_[f].assign(at, is);
    const bool wa = was && (old & 4), ia = is && (code & 4);
    if (wa != ia) armed_[f].assign(at, ia);
  }
  const bool we = ko == cell::kSpoiler && (old & 8), ie = kn == cell::kSpoiler && (code & 8);
  if (we != ie) exposed_.assign(at, ie);
}

void PeaceModel::place(std::size_t id, std::int32_t c) {
  agents_.cell[id] = c;
  occupant_[static_cast<std::size_t>(c)] = static_cast<std::int32_t>(id);
  set_code(static_cast<std::size_t>(c), code_of(id));
}

void PeaceModel::vacate(std::size_t id) {
  const std::int32_t c = agents_.cell[id];
  if (c < 0) return;
  occupant_[static_cast<std::size_t>(c)] = -1;
  set_code(static_cast<std::size_t>(c), cell::kEmpty);
  agents_.cell[id] = -1;
}

bool PeaceModel::installation_down(std::int32_t c) const {
  bool down = false;
  for (std::size_t i = 0; i < installations_.size(); ++i)
    if (installations_[i] == c && installation_down_until_[i] >= day_) down = true;
  return down;
}

void PeaceModel::refresh(std::size_t id) {
  if (agents_.cell[id] >= 0) set_code(static_cast<std::size_t>(agents_.cell[id]), code_of(id));
}

void PeaceModel::kill(std::size_t v, int perpetrator) {
  const std::int32_t c = agents_.cell[v];
  switch (agents_.kind[v]) {
    case Kind::Citizen:
      ++events_.killed[agents_.group[v]];
      if (perpetrator == static_cast<int>(Kind::Spoiler)) {
        ++events_.civ_by_spoilers;
        if (c >= 0) response_->attacked(c);
      }
      if (perpetrator == static_cast<int>(Kind::Citizen)) ++events_.civ_by_citizens;
      if (perpetrator == static_cast<int>(Kind::Peacekeeper) ||
          perpetrator == static_cast<int>(Kind::Constable))
        ++events_.civ_by_security;
      break;
    case Kind::Spoiler:
      ++events_.spoilers_killed;
      break;
    case Kind::Peacekeeper:
      ++events_.peacekeepers_killed;
      if (is_mission_soldier(agents_, v)) {
        mission_->unit_killed(static_cast<std::size_t>(agents_.contingent[v]));
      } else {
        --cops_on_grid_;
      }
      break;
    case Kind::Constable:
      ++events_.constables_killed;
      break;
  }
  if (agents_.kind[v] != Kind::Peacekeeper && !agents_.foreign[v]) ++dead_people_;
  // The memory of violence (violence_memory.hpp), and the map's killings since the last snapshot.
  if (c >= 0) {
    violence_->record(c, agents_.kind[v] == Kind::Citizen ? agents_.group[v] : -1, day_, region_of(c));
    if (!map_killings_.empty()) ++map_killings_[static_cast<std::size_t>(c)];
  }
  agents_.status[v] = Status::Dead;
  vacate(v);
}

void PeaceModel::jail(std::size_t id, std::size_t by) {
  // Rule C, and ODD 7.4: when the region's jail is full the arrested is held release_days and let go.
  // Events::arrests_by: Epstein cops are peacekeepers outside any contingent; police are foreign constables.
  ++events_.arrests_by[is_epstein_cop(agents_, by)       ? 0
                       : is_mission_soldier(agents_, by) ? 1
                       : agents_.foreign[by]             ? 3
                                                         : 2];
  std::int32_t term = epstein::jail_term(cfg_.base, id, day_);
  const int r = agents_.cell[id] >= 0 ? region_of(agents_.cell[id]) : 0;
  agents_.jail_region[id] = static_cast<std::uint16_t>(r);
  if (justice_->enabled) {
    const auto ru = static_cast<std::size_t>(r);
    // The draw is taken only where it can matter, from its own stream, so no other draw moves.
    const double places = justice_->places_free(ru, region_pop0_[ru]);
    const double u = places > 0 && places < 1
                         ? Stream(cfg_.base.seed, kJailPlace, id, static_cast<std::uint64_t>(day_)).uniform()
                         : 1.0;
    if (justice_->arrest(ru, region_pop0_[ru], u)) {  // the jail is full: catch and release
      term = static_cast<std::int32_t>(justice_->release_days);
      ++events_.early_releases;
    }
  }
  epstein::start_term(agents_, id, term);
  ++events_.arrests;
  if (agents_.kind[id] == Kind::Spoiler) {
    // An arrested spoiler loses its weapon and leaves its faction: it serves its term as a citizen.
    agents_.kind[id] = Kind::Citizen;
    agents_.armed[id] = 0;
    ddr_->demobilised[id] = 1;
    agents_.exposed_until[id] = kNever;
  }
  if (cfg_.base.jailed == epstein::Jailed::OffGrid)
    vacate(id);
  else
    refresh(id);
}

std::int32_t PeaceModel::random_empty_cell(Stream& s) const {
  return epstein::random_empty_cell(code_, s);
}

std::int32_t PeaceModel::empty_cell_near(std::int32_t centre, double radius, Stream& s) const {
  if (code_[static_cast<std::size_t>(centre)] == cell::kEmpty) return centre;
  for (double r = std::max(1.0, radius); r <= 4 * std::max(1.0, radius) + 64; r *= 2) {
    const Vision v(Metric::Moore, r);
    const std::int64_t c = query_.choose(empties_, centre, v, [&s](std::uint32_t n) { return s.below(n); });
    if (c >= 0) return static_cast<std::int32_t>(c);
    if (r > grid_.width() && r > grid_.height()) break;
  }
  return random_empty_cell(s);
}

double PeaceModel::security_seen(std::int32_t centre, const Vision& v) const {
  // C of ODD 7.1 and 7.9: peacekeepers count 1, constables their skill q.
  double c = query_.count(peacekeepers_, centre, v);
  if (constable_cells_ > 0)
    query_.for_each(constables_, centre, v, [&](std::int64_t at) {
      c += agents_.skill[static_cast<std::size_t>(occupant_[static_cast<std::size_t>(at)])];
    });
  return c;
}

std::int64_t PeaceModel::population() const {
  std::int64_t n = 0;
  for (std::size_t i = 0; i < agents_.size(); ++i)
    n += agents_.kind[i] != Kind::Peacekeeper && !agents_.foreign[i] && agents_.status[i] != Status::Dead;
  return n;
}

void PeaceModel::check_invariants() const {
  auto fail = [](const std::string& what) { throw std::logic_error("invariant violated: " + what); };
  epstein::check_cells(
      cfg_.base, agents_, occupant_, code_, [this](std::size_t i) { return code_of(i); },
      [this](std::size_t at) { return empties_.test(static_cast<std::int64_t>(at)); }, fail);
  std::int64_t alive = 0;
  for (std::size_t i = 0; i < agents_.size(); ++i)
    if (agents_.status[i] != Status::Dead && agents_.kind[i] != Kind::Peacekeeper && !agents_.foreign[i])
      ++alive;
  if (initial_people_ + births_total_ != alive + dead_people_ + left_people_)
    fail("population accounting: initial " + std::to_string(initial_people_) + " + births " +
         std::to_string(births_total_) + " != alive " + std::to_string(alive) + " + dead " +
         std::to_string(dead_people_) + " + left " + std::to_string(left_people_));
}

}  // namespace keepsim::peace

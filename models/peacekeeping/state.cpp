// The peacekeeping model's checkpoint state (Model::save_state, load_state). Random draws need none (streams
// are pure functions of seed, purpose, id and day), but much else carries over from day to day and is saved:
// the agents and cells with their bit layers; installations' downtime; killings per cell since the last map
// snapshot; population accounting. The map is saved too (map_from_state), so
// constructor-derived layout (region centres, border cells, installations, towns, road trees) is rebuilt from
// the same map. Event counters are zeroed at the start of each day; they are saved anyway, so that a loaded
// model is the saved one field for field. The mechanisms that are components save their own fields after
// these (the mission's phase, will, arrival and departure days, calm-day run, expansion day, contingents'
// losses and presence, draw-down credit, trainers, deployment, task needs, the aggregates it reads tomorrow
// and the day-by-day killings, under their old names mission.* and region.*: mission_layer.cpp; per-region
// jails and arrest memory: justice.cpp; arms stocks: arms_supply.cpp; convoys under way, their escorts and
// the convoy credit: aid_convoys.cpp; the constables' recruitment credit and the police's arrival, under
// their old names mission.recruit_credit and mission.police_arrived: constabulary.cpp; per-region
// legitimacy, under its old name region.legitimacy: legitimacy.cpp; the day's marks of killings, victims
// and abuse, the K-day killing log behind "secure" with its counts and layer, and per-region last killing,
// under their old names cells.kill_count, layer.*, kill_log.*, today_cells and region.last_kill:
// violence_memory.cpp).
#include <stdexcept>
#include <string>

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

// 2: mission legitimacy, refugees, ODD 7.12-7.16 counters; 3: 7.17; 4: arrests by who made them; 5: patrols
// answering attacks on civilians (protection_response.cpp); 6: the uprooted counter; 7: the days of defiance
// felt, when participation.cost > 0 (participation_cost.cpp); 8: kNever, not -1, for a day never reached
// (last_victim, exposed_until, riot_precipitants.heard), since burn-in days are negative
constexpr std::int64_t kStateVersion = 8;

// The event counters, by name.
constexpr std::pair<const char*, std::int64_t Events::*> kEventCounts[] = {
    {"arrests", &Events::arrests},
    {"releases", &Events::releases},
    {"early_releases", &Events::early_releases},
    {"births", &Events::births},
    {"deaths_of_age", &Events::deaths_of_age},
    {"civ_by_spoilers", &Events::civ_by_spoilers},
    {"civ_by_citizens", &Events::civ_by_citizens},
    {"civ_by_security", &Events::civ_by_security},
    {"spoilers_killed", &Events::spoilers_killed},
    {"peacekeepers_killed", &Events::peacekeepers_killed},
    {"constables_killed", &Events::constables_killed},
    {"recruits", &Events::recruits},
    {"demobilised", &Events::demobilised},
    {"rearmed", &Events::rearmed},
    {"defections", &Events::defections},
    {"new_constables", &Events::new_constables},
    {"convoys_sent", &Events::convoys_sent},
    {"convoys_delivered", &Events::convoys_delivered},
    {"convoys_raided", &Events::convoys_raided},
    {"installation_attacks", &Events::installation_attacks},
    {"lethal_uses", &Events::lethal_uses},
    {"withdrawals", &Events::withdrawals},
    {"spoilers_captured", &Events::spoilers_captured},
    {"selective", &Events::selective},
    {"indiscriminate", &Events::indiscriminate},
    {"rival_killings", &Events::rival_killings},
    {"uprooted", &Events::uprooted},
    {"imposed", &Events::imposed},
};

}  // namespace

void put_layer(StateWriter& w, const std::string& name, const BitLayer& layer, std::int64_t cells) {
  std::vector<std::uint8_t> packed(static_cast<std::size_t>((cells + 7) / 8), 0);
  for (std::int64_t c = 0; c < cells; ++c)
    if (layer.test(c)) packed[static_cast<std::size_t>(c >> 3)] |= static_cast<std::uint8_t>(1u << (c & 7));
  w.put(name, packed);
}

void get_layer(const StateReader& r, const std::string& name, BitLayer& layer, std::int64_t cells) {
  const auto packed = r.get<std::uint8_t>(name, static_cast<std::size_t>((cells + 7) / 8));
  for (std::int64_t c = 0; c < cells; ++c)
    layer.assign(c, ((packed[static_cast<std::size_t>(c >> 3)] >> (c & 7)) & 1u) != 0);
}

void put_cell_counts(StateWriter& w, const std::string& name, const CellCounts& counts, std::int64_t cells) {
  std::vector<std::int16_t> dense(static_cast<std::size_t>(cells), 0);
  for (const auto& [c, n] : counts) dense[static_cast<std::size_t>(c)] = n;
  w.put(name, dense);
}

CellCounts get_cell_counts(const StateReader& r, const std::string& name, std::int64_t cells) {
  const auto dense = r.get<std::int16_t>(name, static_cast<std::size_t>(cells));
  CellCounts counts;
  for (std::size_t c = 0; c < dense.size(); ++c)
    if (dense[c] != 0) counts[static_cast<std::int32_t>(c)] = dense[c];
  return counts;
}

WorldMap map_from_state(const StateReader& r) {
  WorldMap m;
  m.width = static_cast<int>(r.value<std::int64_t>("map.width"));
  m.height = static_cast<int>(r.value<std::int64_t>("map.height"));
  if (m.width <= 0 || m.height <= 0) r.fail("the saved map has no cells");
  const auto cells = static_cast<std::size_t>(m.cells());
  m.region = r.get<std::uint16_t>("map.region", cells);
  m.homeland = r.get<std::uint8_t>("map.homeland", cells);
  m.urban = r.get<float>("map.urban", cells);
  m.road = r.get<std::uint8_t>("map.road", cells);
  m.border = r.get<std::uint8_t>("map.border", cells);
  m.installation = r.get<std::uint8_t>("map.installation", cells);
  try {
    check_map(m, r.where());
  } catch (const std::exception& e) {
    r.fail(std::string("the saved map is invalid: ") + e.what());
  }
  return m;
}

void PeaceModel::save_state(StateWriter& w) const {
  w.put_string("model", "peacekeeping");
  w.put("state_version", kStateVersion);
  w.put("map.width", std::int64_t{map_.width});
  w.put("map.height", std::int64_t{map_.height});
  w.put("map.region", map_.region);
  w.put("map.homeland", map_.homeland);
  w.put("map.urban", map_.urban);
  w.put("map.road", map_.road);
  w.put("map.border", map_.border);
  w.put("map.installation", map_.installation);

  w.put("day", day_);
  w.put("legitimacy", legitimacy_);
  w.put("cops_on_grid", cops_on_grid_);
  w.put("initial_cops", initial_cops_);
  w.put("initial_people", initial_people_);
  w.put("births_total", births_total_);
  w.put("dead_people", dead_people_);
  for (const auto& [name, member] : kEventCounts) w.put(std::string("events.") + name, events_.*member);
  w.put("events.killed", std::span<const std::int64_t>(events_.killed, 2));
  w.put("events.arrests_by", std::span<const std::int64_t>(events_.arrests_by, kArresters));
  w.put("events.arms_inflow", events_.arms_inflow);
  w.put("events.arms_interdicted", events_.arms_interdicted);

  const Agents& a = agents_;
  w.put("agents.kind", a.kind);
  w.put("agents.status", a.status);
  w.put("agents.group", a.group);
  w.put("agents.cell", a.cell);
  w.put("agents.hardship", a.hardship);
  w.put("agents.base_hardship", a.base_hardship);
  w.put("agents.risk", a.risk);
  w.put("agents.legitimacy", a.legitimacy);
  w.put("agents.legitimacy0", a.legitimacy0);
  w.put("agents.jail_left", a.jail_left);
  w.put("agents.age", a.age);
  w.put("agents.death_age", a.death_age);
  w.put("agents.home", a.home);
  w.put("agents.last_victim", a.last_victim);
  w.put("agents.exposed_until", a.exposed_until);
  w.put("agents.faction", a.faction);
  w.put("agents.armed", a.armed);
  w.put("agents.foreign", a.foreign);
  w.put("agents.on_duty", a.on_duty);
  w.put("agents.task", a.task);
  w.put("agents.contingent", a.contingent);
  w.put("agents.target", a.target);
  w.put("agents.skill", a.skill);
  w.put("agents.jail_region", a.jail_region);
  w.put("agents.aided", a.aided);

  const std::int64_t cells = grid_.cells();
  w.put("cells.code", code_);
  w.put("cells.occupant", occupant_);
  w.put("cells.map_killings", map_killings_);
  put_layer(w, "layer.peacekeepers", peacekeepers_, cells);
  put_layer(w, "layer.constables", constables_, cells);
  put_layer(w, "layer.actives", actives_, cells);
  put_layer(w, "layer.empties", empties_, cells);
  put_layer(w, "layer.exposed", exposed_, cells);
  for (int g = 0; g < 2; ++g) put_layer(w, "layer.members" + std::to_string(g), members_[g], cells);
  for (int f = 0; f < kFactions; ++f) {
    put_layer(w, "layer.spoilers" + std::to_string(f), spoilers_[f], cells);
    put_layer(w, "layer.armed" + std::to_string(f), armed_[f], cells);
  }

  w.put("region.pop0", region_pop0_);
  w.put("installation_down_until", installation_down_until_);

  for (const auto& m : mechanisms_) m->save(w);  // each mechanism's own fields (mechanism.hpp)
}

void PeaceModel::load_state(const StateReader& r) {
  if (const std::string m = r.string("model"); m != "peacekeeping")
    r.fail("holds the state of a '" + m + "' model, but its config is a peacekeeping run");
  if (const auto v = r.value<std::int64_t>("state_version"); v != kStateVersion)
    r.fail("peacekeeping state version " + std::to_string(v) + ", this keepsim reads " +
           std::to_string(kStateVersion));
  // The model was built on map_from_state(r); anything else is a programming error of the caller.
  if (r.get<std::uint16_t>("map.region") != map_.region || r.get<float>("map.urban") != map_.urban ||
      r.get<std::uint8_t>("map.installation") != map_.installation)
    r.fail("the model was not built on the checkpoint's map");

  day_ = r.value<std::int64_t>("day");
  legitimacy_ = r.value<double>("legitimacy");
  cops_on_grid_ = r.value<std::int64_t>("cops_on_grid");
  initial_cops_ = r.value<std::int64_t>("initial_cops");
  initial_people_ = r.value<std::int64_t>("initial_people");
  births_total_ = r.value<std::int64_t>("births_total");
  dead_people_ = r.value<std::int64_t>("dead_people");
  for (const auto& [name, member] : kEventCounts)
    events_.*member = r.value<std::int64_t>(std::string("events.") + name);
  r.get_into("events.killed", std::span<std::int64_t>(events_.killed, 2));
  r.get_into("events.arrests_by", std::span<std::int64_t>(events_.arrests_by, kArresters));
  events_.arms_inflow = r.value<double>("events.arms_inflow");
  events_.arms_interdicted = r.value<double>("events.arms_interdicted");

  Agents& a = agents_;
  a.kind = r.get<Kind>("agents.kind");
  const std::size_t n = a.kind.size();
  a.status = r.get<Status>("agents.status", n);
  a.group = r.get<std::uint8_t>("agents.group", n);
  a.cell = r.get<std::int32_t>("agents.cell", n);
  a.hardship = r.get<float>("agents.hardship", n);
  a.base_hardship = r.get<float>("agents.base_hardship", n);
  a.risk = r.get<float>("agents.risk", n);
  a.legitimacy = r.get<float>("agents.legitimacy", n);
  a.legitimacy0 = r.get<float>("agents.legitimacy0", n);
  a.jail_left = r.get<std::int32_t>("agents.jail_left", n);
  a.age = r.get<std::int32_t>("agents.age", n);
  a.death_age = r.get<std::int32_t>("agents.death_age", n);
  a.home = r.get<std::int32_t>("agents.home", n);
  a.last_victim = r.get<std::int32_t>("agents.last_victim", n);
  a.exposed_until = r.get<std::int32_t>("agents.exposed_until", n);
  a.faction = r.get<std::uint8_t>("agents.faction", n);
  a.armed = r.get<std::uint8_t>("agents.armed", n);
  a.foreign = r.get<std::uint8_t>("agents.foreign", n);
  a.on_duty = r.get<std::uint8_t>("agents.on_duty", n);
  a.task = r.get<std::uint8_t>("agents.task", n);
  a.contingent = r.get<std::int8_t>("agents.contingent", n);
  a.target = r.get<std::int32_t>("agents.target", n);
  a.skill = r.get<float>("agents.skill", n);
  a.jail_region = r.get<std::uint16_t>("agents.jail_region", n);
  a.aided = r.get<std::uint8_t>("agents.aided", n);

  const std::int64_t cells = grid_.cells();
  const auto ucells = static_cast<std::size_t>(cells);
  const auto regions = static_cast<std::size_t>(regions_);
  code_ = r.get<std::uint8_t>("cells.code", ucells);
  occupant_ = r.get<std::int32_t>("cells.occupant", ucells);
  map_killings_ = r.get<std::int32_t>("cells.map_killings", cfg_.map_every > 0 ? ucells : 0);
  // Indices are checked before anything uses them, so a checkpoint written by another build cannot make the
  // model read out of bounds.
  const auto in_cells = [&](std::int64_t c) { return c >= -1 && c < cells; };
  const auto contingents = static_cast<std::int64_t>(cfg_.mission.contingents.size());
  for (std::size_t i = 0; i < n; ++i)
    if (!in_cells(a.cell[i]) || !in_cells(a.home[i]) || a.group[i] > 1 || a.faction[i] >= kFactions ||
        a.jail_region[i] >= regions || a.contingent[i] < -1 || a.contingent[i] >= contingents ||
        a.task[i] >= kTasks || a.target[i] < -1 ||
        (a.target[i] >= cells && !(a.kind[i] == Kind::Peacekeeper && a.task[i] == kEscort)))
      r.fail("agent " + std::to_string(i) +
             " has a cell, group, faction, region, contingent or task out of range");
  for (std::size_t c = 0; c < ucells; ++c)
    if (occupant_[c] < -1 || occupant_[c] >= static_cast<std::int64_t>(n))
      r.fail("cell " + std::to_string(c) + " has an occupant out of range");
  get_layer(r, "layer.peacekeepers", peacekeepers_, cells);
  get_layer(r, "layer.constables", constables_, cells);
  constable_cells_ = 0;
  for (std::int64_t c = 0; c < cells; ++c) constable_cells_ += constables_.test(c);
  get_layer(r, "layer.actives", actives_, cells);
  get_layer(r, "layer.empties", empties_, cells);
  get_layer(r, "layer.exposed", exposed_, cells);
  for (int g = 0; g < 2; ++g) get_layer(r, "layer.members" + std::to_string(g), members_[g], cells);
  for (int f = 0; f < kFactions; ++f) {
    get_layer(r, "layer.spoilers" + std::to_string(f), spoilers_[f], cells);
    get_layer(r, "layer.armed" + std::to_string(f), armed_[f], cells);
  }

  region_pop0_ = r.get<std::int64_t>("region.pop0", regions);
  installation_down_until_ = r.get<std::int64_t>("installation_down_until", installations_.size());
  for (const auto& m : mechanisms_) m->load(r, *this);
  try {
    check_invariants();
  } catch (const std::logic_error& e) {
    r.fail(std::string("inconsistent peacekeeping state: ") + e.what());
  }
}

}  // namespace keepsim::peace

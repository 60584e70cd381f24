#include "models/peacekeeping/params.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "keepsim/core/errors.hpp"
#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string contingent_key(int c, const char* field) {
  return "contingents.c" + std::to_string(c + 1) + "." + field;
}

}  // namespace

void declare_params(Schema& s) {
  s.add(string_param("doctrine", "custom",
                     "name of the doctrine preset the levers come from (a label written to the run file)"));

  // Section 1: the world's static layers.
  s.add(choice_param("map.source", {"none", "generate", "file"},
                     "none: one featureless region (Epstein); generate: procedural map; file: HDF5 raster"));
  s.add(path_param("map.file", "", "HDF5 raster with the layers of ODD 2 (map.source = file)"));
  s.add(int_param("map.seed", 1, "1", 0, 9.0e18, "seed of the map generator (separate from run.seed)"));
  s.add(int_param("map.regions", 6, "1", 1, 65534, "provinces (Voronoi cells)"));
  s.add(int_param("map.towns", 8, "1", 0, 10000, "towns (settlement clusters)"));
  s.add(
      real_param("map.town_radius", 4, "cells", 0.5, 1000, "radius over which a town's density falls to 0"));
  s.add(real_param("map.mixing", 0.3, "1", 0, 1, "ethnic geography: 0 two separated halves, 1 fully mixed"));
  s.add(string_param("map.border", "west",
                     "porous border edges, comma-separated among west, east, north, south, or none"));
  s.add(int_param("map.depots", 1, "1", 0, 1000, "aid depots (in towns)"));
  s.add(int_param("map.training_centres", 1, "1", 0, 1000, "training centres (in towns)"));
  s.add(real_param("population.majority_share", 1, "1", 0, 1,
                   "chance a citizen belongs to its cell's homeland group (with a map and 2 groups)"));
  s.add(real_param("population.urban_weight", 0, "1", 0, 100,
                   "extra settlement weight of urban cells: a cell is settled with odds (1 + w urban)"));

  // 7.12 scale and start.
  s.add(real_param("scale.people_per_agent", 1, "people/agent", 1e-6, 1e9,
                   "how many people one agent (citizen, fighter or security unit) stands for"));
  s.add(real_param("scale.km_per_cell", 1, "km", 1e-6, 1e6, "side of one cell"));
  s.add(int_param("start.burn_in_days", 0, "days", 0, 100000,
                  "days of pre-mission dynamics run before day 0 and not recorded (a post-conflict start)"));
  declare_mechanism_params(s, "start");
  // The mechanisms that are components (mechanism.hpp), in registration order; those moved out of the model
  // keep their keys' place below (MechanismType::schema_after).
  declare_mechanism_params(s, nullptr);

  // ODD 7.2 local legitimacy.
  s.add(bool_param("legitimacy.local", false, "each citizen holds its own legitimacy L_i (ODD 7.2)"));
  s.add(real_param("legitimacy.initial_spread", 0, "1", 0, 1, "L_i starts uniform on L +- spread/2"));
  s.add(real_param("legitimacy.secure_gain", 0, "1/day", 0, 1, "a_sec: gain on a day with no killing seen"));
  s.add(real_param("legitimacy.victim_loss", 0, "1/day", 0, 1, "a_vic: loss when the own group is hit"));
  s.add(real_param("legitimacy.imposition_loss", 0, "1/day", 0, 1, "a_imp: loss per unit of imposition"));
  s.add(real_param("legitimacy.abuse_loss", 0, "1/day", 0, 1, "a_abuse: loss on seeing lethal force"));
  s.add(real_param("legitimacy.gov_gain", 0, "1/day", 0, 1, "a_gov: gain per unit of constable skill seen"));
  s.add(real_param("legitimacy.aid_gain", 0, "1/day", 0, 1, "a_aid: gain on a day aid is received"));
  s.add(real_param("legitimacy.relax", 0, "1/day", 0, 1, "a_rel: pull of L_i back toward its start value"));
  s.add(int_param("legitimacy.secure_days", 30, "days", 1, kDays,
                  "K: days without a killing that make secure"));

  // ODD 7.3 hardship.
  s.add(
      bool_param("hardship.enabled", false, "hardship responds to violence, aid and development (ODD 7.3)"));
  s.add(real_param("hardship.violence_gain", 0, "1/day", 0, 1, "rise on a day a killing is seen"));
  s.add(real_param("hardship.relax", 0, "1/day", 0, 1, "pull back toward the regional baseline"));

  // ODD 7.3 development (development.cpp), then ODD 7.4 justice (justice.cpp).
  declare_mechanism_params(s, "hardship");

  // ODD 7.5 spoilers and arms.
  s.add(bool_param("spoilers.enabled", false, "militias and bandits (ODD 7.5)"));
  s.add(real_param("spoilers.militia_share", 0, "1", 0, 1, "share of each group's people in its militia"));
  s.add(real_param("spoilers.bandit_share", 0, "1", 0, 1, "share of people who are bandits"));
  s.add(real_param("spoilers.vision", 7, "cells", 0, 1000, "spoiler vision radius"));
  s.add(real_param("spoilers.outgun_ratio", 1, "1", 0, 1000,
                   "a spoiler hides when security units seen exceed this times armed comrades seen"));
  s.add(real_param("spoilers.attack_probability", 0, "1/day", 0, 1, "p_attack of an armed spoiler"));
  s.add(real_param("spoilers.kill_security_probability", 0, "1", 0, 1, "p_kill_sec of an ambush"));
  s.add(real_param("spoilers.installation_attack_probability", 0, "1", 0, 1,
                   "chance an attack on an unguarded installation in vision succeeds"));
  s.add(int_param("spoilers.installation_downtime", 10, "days", 0, kDays, "days an attacked site is shut"));
  s.add(int_param("spoilers.exposed_days", 3, "days", 0, kDays, "E: days an attacker stays arrestable"));
  s.add(
      real_param("spoilers.recruit_grievance", 0.5, "1", 0, 1, "g_recruit: least grievance to be recruited"));
  s.add(real_param("spoilers.recruit_probability", 0, "1/day", 0, 1, "p_recruit"));
  // ODD 7.5 DDR (ddr.cpp), after the recruitment keys.
  declare_mechanism_params(s, "spoilers.recruitment");
  s.add(bool_param("spoilers.political", false,
                   "spoilers' attacks and recruits follow popular support, security finds them through "
                   "civilian information, rivals fight, and a dated exit is waited out (7.14)"));
  s.add(real_param("spoilers.engage_probability", 0, "1/day", 0, 1,
                   "chance a security unit engages an armed spoiler it has located in its vision"));
  s.add(real_param("spoilers.engage_kill_share", 0.5, "1", 0, 1,
                   "share of engagements that kill the spoiler (the rest capture it)"));
  s.add(real_param("spoilers.rival_attack_share", 0, "1", 0, 1,
                   "chance an attack goes to a rival faction's fighter in vision"));
  s.add(real_param("spoilers.wait_out", 0, "1", 0, 1,
                   "share by which attacks fall while a mission with an announced exit date is present"));
  // ODD 7.5 arms supply (arms_supply.cpp).
  declare_mechanism_params(s, "spoilers");

  // ODD 7.6 displacement.
  s.add(bool_param("displacement.enabled", false, "flight after killings of one's group (ODD 7.6)"));
  s.add(real_param("displacement.flee_probability", 0, "1/day", 0, 1, "chance to flee, times R"));
  s.add(int_param("displacement.memory_days", 7, "days", 1, kDays, "K: how long a killing drives flight"));
  s.add(bool_param("displacement.forced_return", false, "send the displaced back home periodically"));
  s.add(
      real_param("displacement.return_probability", 0, "1/day", 0, 1,
                 "daily chance a displaced citizen goes home when no killing happened near home for K days"));
  s.add(int_param("displacement.return_interval", 30, "days", 1, kDays, "days between forced returns"));
  s.add(real_param("displacement.flight_radius", 0, "cells", 0, 1000,
                   "how far a flight can go (0: citizen vision)"));
  s.add(real_param("displacement.fear_radius", 0, "cells", 0, 1000,
                   "a killing of the own group within this radius drives flight (0: citizen vision)"));
  s.add(
      choice_param("displacement.definition", {"home_region", "home_cell"},
                   "who counts as displaced and may go home: a citizen outside its home region, or one more "
                   "than 2 cells (the reach of a return) from its home cell"));
  s.add(bool_param("displacement.flee_threat", false,
                   "citizens also flee the other group's fighters in sight that outnumber their protection, "
                   "with flee_probability x R x the exposure of ODD 7.17 (ODD 7.16)"));

  // ODD 7.7 aid convoys (aid_convoys.cpp).
  declare_mechanism_params(s, "displacement");

  // ODD 7.8 and 7.10 the mission.
  s.add(bool_param("mission.enabled", false, "contingents, tasks and the mission layer (ODD 7.8, 7.10)"));
  s.add(real_param("mission.vision", 7, "cells", 0, 1000, "peacekeeper vision radius"));
  for (int t = 0; t < kTasks; ++t)
    s.add(real_param(std::string("tasks.") + kTaskNames[static_cast<std::size_t>(t)], t == kPresence ? 1 : 0,
                     "1", 0, 1,
                     std::string("share of units given the ") + kTaskNames[static_cast<std::size_t>(t)] +
                         " task (the seven shares sum to 1)"));
  s.add(int_param("tasks.retask_days", 7, "days", 1, kDays, "days between re-taskings"));
  s.add(
      choice_param("mission.riot_response", {"hold_nonlethal", "withdraw", "lethal"},
                   "when actives seen outnumber security seen by riot_ratio: stay and arrest one, move away "
                   "without arresting, or use lethal force"));
  s.add(real_param("mission.riot_ratio", 3, "1", 0, 1e6, "actives per security unit that make a riot"));
  s.add(real_param("mission.lethal_probability", 0.5, "1", 0, 1, "lethal response: chance the target dies"));
  s.add(choice_param(
      "mission.soldiers_arrest", {"everyone", "fighters"},
      "whom a mission soldier detains: any active citizen or exposed fighter (rule C), or exposed "
      "fighters only, leaving active citizens to constables and police"));
  s.add(choice_param(
      "mission.use_of_force", {"offensive", "self_defence"},
      "whether the mission's soldiers and international police seek out the fighters civilians tell them of "
      "(ODD 7.14 rule 3), or use force only against fighters caught attacking (rule C) and in riots"));
  // ODD 7.8 the response to attacks on civilians (protection_response.cpp).
  declare_mechanism_params(s, "mission.use_of_force");
  // ODD 7.10 the mission's political will (mission_layer.cpp).
  declare_mechanism_params(s, "mission.riot");
  s.add(
      choice_param("mission.exit", {"date", "end_state"}, "exit rule: fixed date, or end-state conditions"));
  s.add(int_param("mission.elections_day", 0, "days", 0, kDays,
                  "date rule: draw-down starts (0: no elections)"));
  s.add(int_param("mission.exit_day", 730, "days", 1, kDays, "date rule: the last troops leave"));
  s.add(real_param("mission.end_constables_per_1000", 2, "1/1000 inhabitants", 0, 1000,
                   "end-state: domestic constables needed"));
  s.add(real_param("mission.end_min_legitimacy", 0.5, "1", 0, 1, "end-state: mean legitimacy needed"));
  s.add(real_param("mission.drawdown", 0.1, "1/month", 0, 1,
                   "end-state: share of the force withdrawn a month"));
  s.add(choice_param("mission.deployment", {"territory_wide", "capital_first"},
                     "spread over every region from day one, or start in the capital and expand"));
  s.add(int_param("mission.expand_days", 30, "days", 1, kDays, "capital_first: days per added region"));
  s.add(real_param("mission.imposition", 0, "1", 0, 1, "how far the mission imposes political outcomes"));
  s.add(int_param("mission.imposition_interval", 0, "days", 0, kDays,
                  "days between imposed outcomes, each costing imposition_loss x imposition once (0: a "
                  "daily cost)"));
  s.add(int_param("mission.base_radius", 5, "cells", 0, 100000, "off-duty units stay this close to base"));
  for (int c = 0; c < kMaxContingents; ++c) {
    s.add(int_param(contingent_key(c, "size"), 0, "units", 0, 1e8,
                    "peacekeepers of this contingent (0: none)"));
    s.add(int_param(contingent_key(c, "arrival_day"), 1, "days", 1, kDays,
                    "day the contingent deploys (day 1 is the first)"));
    s.add(real_param(contingent_key(c, "casualty_tolerance"), 1, "1", 0, 1,
                     "share of its force it will lose before it goes home"));
    s.add(real_param(contingent_key(c, "coherence"), 1, "1", 0, 1,
                     "kappa: daily chance a unit follows the mission's tasking"));
    s.add(string_param(contingent_key(c, "caveats"), "", "tasks it refuses, comma-separated task names"));
  }

  // ODD 7.9 constabulary and international police (constabulary.cpp).
  declare_mechanism_params(s, "mission");

  // Section 7 summaries and maps.
  s.add(real_param("summary.killing_threshold", 36.5, "1/100000/year", 0, 1e12,
                   "killings per 100k inhabitants per year below which a day counts as calm"));
  s.add(int_param("summary.stable_days", 90, "days", 1, kDays,
                  "M: calm days in a row that make security stable"));
  s.add(int_param("summary.calm_window", 30, "days", 1, kDays,
                  "a day is calm when the killing rate averaged over this many days is below the threshold"));
  s.add(int_param("summary.relapse_days", 180, "days", 1, kDays,
                  "Y: window before and after the mission leaves"));
  s.add(int_param("output.map_every", 0, "days", 0, kDays, "write maps every N days (0: no maps)"));
}

namespace {

ConfigError error_at(const Params& p, const std::string& key, const std::string& msg) {
  return ConfigError(p.origin(key), key, msg);
}

std::array<bool, kTasks> parse_caveats(const Params& p, const std::string& key) {
  std::array<bool, kTasks> out{};
  std::stringstream in(p.get_string(key));
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    item = item.substr(b, item.find_last_not_of(" \t") - b + 1);
    bool found = false;
    for (int t = 0; t < kTasks; ++t)
      if (item == kTaskNames[static_cast<std::size_t>(t)]) out[static_cast<std::size_t>(t)] = found = true;
    if (!found)
      throw error_at(
          p, key,
          "unknown task '" + item + "'; allowed: presence, riot, escort, border, guard, train, political");
  }
  return out;
}

}  // namespace

Config read_config(const Params& p) {
  Config c;
  c.base = epstein::read_config(p);
  c.doctrine = p.get_string("doctrine");
  const std::string& src = p.get_string("map.source");
  c.map_source = src == "none" ? MapSource::None : src == "generate" ? MapSource::Generate : MapSource::File;
  c.map.seed = static_cast<std::uint64_t>(p.get_int("map.seed"));
  c.map.regions = static_cast<int>(p.get_int("map.regions"));
  c.map.towns = static_cast<int>(p.get_int("map.towns"));
  c.map.town_radius = p.get_real("map.town_radius");
  c.map.mixing = p.get_real("map.mixing");
  c.map.group0_share = p.get_real("citizens.group_share");
  c.map.border = p.get_string("map.border");
  c.map.depots = static_cast<int>(p.get_int("map.depots"));
  c.map.training_centres = static_cast<int>(p.get_int("map.training_centres"));
  c.map_file = p.get_string("map.file");
  c.majority_share = p.get_real("population.majority_share");
  c.urban_weight = p.get_real("population.urban_weight");

  auto& l = c.legitimacy;
  l.local = p.get_bool("legitimacy.local");
  l.initial_spread = p.get_real("legitimacy.initial_spread");
  l.secure_gain = p.get_real("legitimacy.secure_gain");
  l.victim_loss = p.get_real("legitimacy.victim_loss");
  l.imposition_loss = p.get_real("legitimacy.imposition_loss");
  l.abuse_loss = p.get_real("legitimacy.abuse_loss");
  l.gov_gain = p.get_real("legitimacy.gov_gain");
  l.aid_gain = p.get_real("legitimacy.aid_gain");
  l.relax = p.get_real("legitimacy.relax");
  l.secure_days = p.get_int("legitimacy.secure_days");

  auto& h = c.hardship;
  h.enabled = p.get_bool("hardship.enabled");
  h.violence_gain = p.get_real("hardship.violence_gain");
  h.relax = p.get_real("hardship.relax");

  auto& s = c.spoilers;
  s.enabled = p.get_bool("spoilers.enabled");
  s.militia_share = p.get_real("spoilers.militia_share");
  s.bandit_share = p.get_real("spoilers.bandit_share");
  s.vision = p.get_real("spoilers.vision");
  s.outgun_ratio = p.get_real("spoilers.outgun_ratio");
  s.attack_probability = p.get_real("spoilers.attack_probability");
  s.kill_security_probability = p.get_real("spoilers.kill_security_probability");
  s.installation_attack_probability = p.get_real("spoilers.installation_attack_probability");
  s.installation_downtime = p.get_int("spoilers.installation_downtime");
  s.exposed_days = p.get_int("spoilers.exposed_days");
  s.recruit_grievance = p.get_real("spoilers.recruit_grievance");
  s.recruit_probability = p.get_real("spoilers.recruit_probability");
  s.arms_half_saturation = p.get_real("arms.half_saturation");  // declared by arms_supply.cpp
  s.political = p.get_bool("spoilers.political");
  s.engage_probability = p.get_real("spoilers.engage_probability");
  s.engage_kill_share = p.get_real("spoilers.engage_kill_share");
  s.rival_attack_share = p.get_real("spoilers.rival_attack_share");
  s.wait_out = p.get_real("spoilers.wait_out");

  auto& d = c.displacement;
  d.enabled = p.get_bool("displacement.enabled");
  d.flee_probability = p.get_real("displacement.flee_probability");
  d.memory_days = p.get_int("displacement.memory_days");
  d.forced_return = p.get_bool("displacement.forced_return");
  d.return_interval = p.get_int("displacement.return_interval");
  d.return_probability = p.get_real("displacement.return_probability");
  d.flight_radius = p.get_real("displacement.flight_radius");
  d.fear_radius = p.get_real("displacement.fear_radius");
  d.flee_threat = p.get_bool("displacement.flee_threat");
  d.definition =
      p.get_string("displacement.definition") == "home_cell" ? Displaced::HomeCell : Displaced::HomeRegion;

  auto& m = c.mission;
  m.enabled = p.get_bool("mission.enabled");
  m.vision = p.get_real("mission.vision");
  double weight_sum = 0;
  for (int t = 0; t < kTasks; ++t) {
    m.task_weights[static_cast<std::size_t>(t)] =
        p.get_real(std::string("tasks.") + kTaskNames[static_cast<std::size_t>(t)]);
    weight_sum += m.task_weights[static_cast<std::size_t>(t)];
  }
  m.retask_days = p.get_int("tasks.retask_days");
  const std::string& rr = p.get_string("mission.riot_response");
  m.riot_response = rr == "withdraw" ? RiotResponse::Withdraw
                    : rr == "lethal" ? RiotResponse::Lethal
                                     : RiotResponse::HoldNonlethal;
  m.riot_ratio = p.get_real("mission.riot_ratio");
  m.lethal_probability = p.get_real("mission.lethal_probability");
  m.soldiers_arrest = p.get_string("mission.soldiers_arrest") == "fighters" ? SoldiersArrest::Fighters
                                                                            : SoldiersArrest::Everyone;
  m.use_of_force = p.get_string("mission.use_of_force") == "self_defence" ? UseOfForce::SelfDefence
                                                                          : UseOfForce::Offensive;
  m.exit = p.get_string("mission.exit") == "date" ? ExitRule::Date : ExitRule::EndState;
  m.elections_day = p.get_int("mission.elections_day");
  m.exit_day = p.get_int("mission.exit_day");
  m.end_constables_per_1000 = p.get_real("mission.end_constables_per_1000");
  m.end_min_legitimacy = p.get_real("mission.end_min_legitimacy");
  m.drawdown = p.get_real("mission.drawdown");
  m.deployment = p.get_string("mission.deployment") == "capital_first" ? Deployment::CapitalFirst
                                                                       : Deployment::TerritoryWide;
  m.expand_days = p.get_int("mission.expand_days");
  m.imposition = p.get_real("mission.imposition");
  m.base_radius = p.get_int("mission.base_radius");
  m.imposition_interval = p.get_int("mission.imposition_interval");
  for (int k = 0; k < kMaxContingents; ++k) {
    Contingent ct;
    ct.size = p.get_int(contingent_key(k, "size"));
    ct.arrival_day = p.get_int(contingent_key(k, "arrival_day"));
    ct.casualty_tolerance = p.get_real(contingent_key(k, "casualty_tolerance"));
    ct.coherence = p.get_real(contingent_key(k, "coherence"));
    ct.refuses = parse_caveats(p, contingent_key(k, "caveats"));
    if (ct.size > 0 && m.enabled && m.exit == ExitRule::Date && ct.arrival_day >= m.exit_day)
      throw error_at(p, contingent_key(k, "arrival_day"),
                     "the contingent would arrive on or after mission.exit_day = " +
                         std::to_string(m.exit_day) + "; expected a day before it");
    m.contingents.push_back(ct);
  }

  // The constabulary's keys are its component's (constabulary.cpp); the model reads these three too: the
  // constables' vision, and the police in the memory estimate and the check that the world holds them.
  auto& k = c.constabulary;
  k.enabled = p.get_bool("constabulary.enabled");
  k.vision = p.get_real("constabulary.vision");
  k.police_count = p.get_int("police.count");

  c.people_per_agent = p.get_real("scale.people_per_agent");
  c.km_per_cell = p.get_real("scale.km_per_cell");
  c.burn_in_days = p.get_int("start.burn_in_days");
  c.killing_threshold = p.get_real("summary.killing_threshold");
  c.stable_days = p.get_int("summary.stable_days");
  c.relapse_days = p.get_int("summary.relapse_days");
  c.calm_window = p.get_int("summary.calm_window");
  c.map_every = p.get_int("output.map_every");

  for (const MechanismType* t : mechanism_types()) c.mechanisms.push_back(t->read(p, c));

  // Cross-parameter checks, each naming the key that makes the combination impossible.
  if (m.enabled && std::abs(weight_sum - 1.0) > 1e-6) {
    std::string last = "tasks.political";
    throw error_at(p, last,
                   "the seven task shares tasks.presence .. tasks.political must sum to 1, got " +
                       std::to_string(weight_sum));
  }
  if (m.enabled && m.exit == ExitRule::Date && m.elections_day != 0 && m.elections_day >= m.exit_day)
    throw error_at(p, "mission.elections_day",
                   "elections must come before mission.exit_day = " + std::to_string(m.exit_day));
  // The will's keys are the mission layer's (mission_layer.cpp); this check stays here, in its old turn
  // among the cross-checks, so that a config with several faults is told of the same one first.
  if (p.get_real("mission.will_min") > p.get_real("mission.will_initial") && m.enabled)
    throw error_at(p, "mission.will_min", "must not exceed mission.will_initial");
  if (c.map_source == MapSource::File && c.map_file.empty())  // named where map.source was set
    throw ConfigError(p.origin("map.source"), "map.file", "map.source = file needs a map.file path");
  if (c.map_source == MapSource::Generate) {
    try {  // the generator's checks, reported at the file or --set that gave the key
      check_map_params(c.map, c.base.width, c.base.height);
    } catch (const ConfigError& e) {
      const std::string key = p.schema().find(e.key()) != nullptr ? e.key() : "world.width";
      throw error_at(p, key, e.message());
    }
  }
  if (l.local && c.base.legitimacy_schedule != epstein::LegitimacySchedule::Constant)
    throw error_at(
        p, "legitimacy.schedule",
        "with legitimacy.local = true legitimacy moves by its own rule; the schedule must be constant");
  if (c.base.topology == Topology::Torus) {
    // Citizens and cops are checked by epstein::read_config; the same rule for every other kind that sees.
    const int shortest = std::min(c.base.width, c.base.height);
    for (const char* key : {"spoilers.vision", "mission.vision", "constabulary.vision", "control.radius",
                            "displacement.flight_radius", "displacement.fear_radius"}) {
      const int reach = static_cast<int>(std::floor(p.get_real(key) + 1e-9));
      if (2 * reach + 1 > shortest)
        throw error_at(p, key,
                       "on a torus the vision must not wrap onto itself: allowed [0, " +
                           std::to_string((shortest - 1) / 2) + "] for a " + std::to_string(c.base.width) +
                           "x" + std::to_string(c.base.height) + " grid");
    }
  }
  // One agent per cell: peacekeepers and international police that find no empty cell would be left out
  // without a word, so a config that asks for more than the world can hold is refused, with the numbers.
  {
    const auto cells = static_cast<std::int64_t>(c.base.width) * c.base.height;
    const std::string world = std::to_string(c.base.width) + "x" + std::to_string(c.base.height);
    // Citizens and cops placed at the start: exactly so without a map, about so on one (settled by chance).
    const std::int64_t people = std::llround(c.base.citizen_density * static_cast<double>(cells)) +
                                std::llround(c.base.cop_density * static_cast<double>(cells));
    std::int64_t asked = people;
    std::string last_key, parts = std::to_string(people) + " citizens and cops";
    if (m.enabled)
      for (int i = 0; i < kMaxContingents; ++i) {
        const std::int64_t n = m.contingents[static_cast<std::size_t>(i)].size;
        if (n == 0) continue;
        if (n > cells)
          throw error_at(p, contingent_key(i, "size"),
                         std::to_string(n) + " peacekeepers, but the " + world + " world has " +
                             std::to_string(cells) + " cells (one agent per cell)");
        asked += n;
        last_key = contingent_key(i, "size");
        parts += " + " + std::to_string(n) + " peacekeepers (" + last_key + ")";
      }
    if (k.enabled && k.police_count > 0) {
      if (k.police_count > cells)
        throw error_at(p, "police.count",
                       std::to_string(k.police_count) + " police, but the " + world + " world has " +
                           std::to_string(cells) + " cells (one agent per cell)");
      asked += k.police_count;
      last_key = "police.count";
      parts += " + " + std::to_string(k.police_count) + " police";
    }
    if (!last_key.empty() && asked > cells)
      throw error_at(p, last_key,
                     "the " + world + " world holds " + std::to_string(cells) +
                         " agents (one per cell), the " + "config asks for " + parts + " = " +
                         std::to_string(asked) +
                         (c.map_source == MapSource::None ? std::string() : std::string(" (people: about)")));
  }
  return c;
}

}  // namespace keepsim::peace

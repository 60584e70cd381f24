#include "models/epstein/params.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "keepsim/core/errors.hpp"

namespace keepsim::epstein {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

void declare_params(Schema& s) {
  s.add(choice_param(
      "model", {"epstein", "peacekeeping"},
      "which model to run: epstein (civil-violence Models I and II) or peacekeeping (the scenario "
      "engine with spoilers, peacekeepers, constabulary and mission layer)"));
  s.add(string_param("title", "keepsim run", "title of the run file"));

  s.add(int_param("run.steps", 500, "periods", 0, 1e9, "number of periods to run"));
  s.add(int_param("run.seed", 1, "1", 0, 9.0e18, "base seed of every random draw"));

  s.add(int_param("world.width", 40, "cells", 1, 65535, "grid width"));
  s.add(int_param("world.height", 40, "cells", 1, 65535, "grid height"));
  s.add(choice_param("world.topology", {"torus", "bounded"}, "torus wraps at the edges; bounded does not"));

  s.add(real_param("citizens.density", 0.7, "1", 0, 1, "initial share of cells holding a citizen"));
  s.add(real_param("citizens.vision", 7, "cells", 0, 1000,
                   "citizen vision radius (1.7 covers the 8 neighbours)"));
  s.add(real_param("citizens.threshold", 0.1, "1", 0, 1, "T: a citizen is active when G - N > T"));
  s.add(real_param("citizens.arrest_constant", 2.3, "1", 0, 1000, "k in P = 1 - exp(-k * ratio(C, A))"));
  s.add(real_param("citizens.legitimacy", 0.82, "1", 0, 1, "L: legitimacy of the authority at period 0"));
  s.add(choice_param("citizens.move", {"random", "none"},
                     "rule M for citizens: random empty cell in vision, or stay"));
  s.add(int_param("citizens.groups", 1, "1", 1, 2, "number of groups (2 for inter-group violence)"));
  s.add(real_param("citizens.group_share", 0.5, "1", 0, 1,
                   "share of citizens in group 0 when there are 2 groups (on a peacekeeping map, also group "
                   "0's share of the homeland, west)"));
  s.add(choice_param(
      "citizens.violence", {"rebellion", "inter_group"},
      "what going active means: rebellion against the authority (Model I) or killing a member of "
      "the other group (Model II)"));

  s.add(real_param("cops.density", 0.04, "1", 0, 1, "initial share of cells holding a cop"));
  s.add(real_param("cops.vision", 7, "cells", 0, 1000, "cop vision radius"));
  s.add(choice_param("cops.move", {"random", "none"}, "rule M for cops"));
  s.add(choice_param(
      "cops.schedule", {"constant", "linear", "step"},
      "cop numbers over time: constant; linear change toward target_density by change_rate a period "
      "from change_start; step to target_density at change_start (and back at change_end)"));
  s.add(int_param("cops.change_start", 0, "periods", 0, 1e9, "first period the cop schedule applies"));
  s.add(int_param("cops.change_end", 0, "periods", 0, 1e9, "step schedule: period it is undone (0: never)"));
  s.add(real_param("cops.target_density", 0, "1", 0, 1, "cop density the schedule moves to"));
  s.add(real_param("cops.change_rate", 0, "1", 0, 1, "linear schedule: change of cop density per period"));

  s.add(real_param("jail.max_term", 30, "periods", 0, kInf,
                   "J_max: jail terms are uniform on 1..J_max (inf: life)"));

  s.add(
      choice_param("legitimacy.schedule", {"constant", "linear", "jump"},
                   "legitimacy over time: constant; linear change toward target by change_rate a period from "
                   "change_start; one jump to target at change_start"));
  s.add(int_param("legitimacy.change_start", 0, "periods", 0, 1e9,
                  "first period the legitimacy schedule applies"));
  s.add(real_param("legitimacy.change_rate", 0.01, "1", 0, 1,
                   "linear schedule: change of legitimacy per period"));
  s.add(real_param("legitimacy.target", 0.2, "1", 0, 1, "legitimacy the schedule moves to"));

  s.add(real_param(
      "demography.clone_probability", 0, "1", 0, 1,
      "chance a citizen clones itself onto an empty neighbouring cell each period (Model II: 0.05)"));
  s.add(int_param("demography.max_age", 0, "periods", 0, 1e9,
                  "death ages are uniform on 1..max_age (0: citizens never die of age; Model II: 200)"));

  s.add(choice_param(
      "rules.ratio", {"floor", "literal", "round"},
      "ratio(C, A) in the arrest probability: floor(C/A) as NetLogo, C/A as the paper, round-half-even "
      "as Mesa"));
  s.add(
      choice_param("rules.vision_metric", {"euclidean", "moore", "von_neumann"},
                   "shape of vision: euclidean radius (NetLogo), moore square, von_neumann diamond (Mesa)"));
  s.add(choice_param(
      "rules.jailed", {"off_grid", "keep_cell"},
      "jailed citizens leave the grid and return to a random empty cell, or keep their cell (Mesa)"));
  s.add(choice_param(
      "rules.schedule", {"async", "sync"},
      "async: random sequential activation (reference); sync: all decide from the period's start "
      "state, then conflicts are resolved (parallel)"));
  s.add(choice_param("rules.order", {"move_first", "act_first"},
                     "within an activation, move then act (NetLogo) or act then move (Mesa)"));

  s.add(int_param("summary.outburst_threshold", 50, "1", 0, 1e12,
                  "an outburst is a run of periods with more actives than this"));
  s.add(bool_param("output.cop_proximity", false,
                   "also record citizens with a cop within vision and how many of them are active (run 1's "
                   "deception)"));
}

namespace {

ConfigError error_at(const Params& p, const std::string& key, const std::string& msg) {
  return ConfigError(p.origin(key), key, msg);
}

template <class E>
E pick(const Params& p, const std::string& key, std::initializer_list<std::pair<const char*, E>> table) {
  const std::string& v = p.get_string(key);
  for (const auto& [name, e] : table)
    if (v == name) return e;
  throw error_at(p, key, "unexpected value '" + v + "'");
}

}  // namespace

Config read_config(const Params& p) {
  Config c;
  c.steps = p.get_int("run.steps");
  c.seed = static_cast<std::uint64_t>(p.get_int("run.seed"));
  c.width = static_cast<int>(p.get_int("world.width"));
  c.height = static_cast<int>(p.get_int("world.height"));
  c.topology = parse_topology(p.get_string("world.topology"));

  c.citizen_density = p.get_real("citizens.density");
  c.citizen_vision = p.get_real("citizens.vision");
  c.threshold = p.get_real("citizens.threshold");
  c.arrest_constant = p.get_real("citizens.arrest_constant");
  c.legitimacy = p.get_real("citizens.legitimacy");
  c.citizens_move = p.get_string("citizens.move") == "random";
  c.groups = static_cast<int>(p.get_int("citizens.groups"));
  c.group_share = p.get_real("citizens.group_share");
  c.violence = pick<Violence>(p, "citizens.violence",
                              {{"rebellion", Violence::Rebellion}, {"inter_group", Violence::InterGroup}});

  c.cop_density = p.get_real("cops.density");
  c.cop_vision = p.get_real("cops.vision");
  c.cops_move = p.get_string("cops.move") == "random";
  c.cop_schedule = pick<CopSchedule>(
      p, "cops.schedule",
      {{"constant", CopSchedule::Constant}, {"linear", CopSchedule::Linear}, {"step", CopSchedule::Step}});
  c.cop_change_start = p.get_int("cops.change_start");
  c.cop_change_end = p.get_int("cops.change_end");
  c.cop_target_density = p.get_real("cops.target_density");
  c.cop_change_rate = p.get_real("cops.change_rate");

  c.max_jail_term = p.get_real("jail.max_term");

  c.legitimacy_schedule = pick<LegitimacySchedule>(p, "legitimacy.schedule",
                                                   {{"constant", LegitimacySchedule::Constant},
                                                    {"linear", LegitimacySchedule::Linear},
                                                    {"jump", LegitimacySchedule::Jump}});
  c.legitimacy_change_start = p.get_int("legitimacy.change_start");
  c.legitimacy_change_rate = p.get_real("legitimacy.change_rate");
  c.legitimacy_target = p.get_real("legitimacy.target");

  c.clone_probability = p.get_real("demography.clone_probability");
  c.max_age = p.get_int("demography.max_age");

  c.ratio = pick<Ratio>(p, "rules.ratio",
                        {{"literal", Ratio::Literal}, {"floor", Ratio::Floor}, {"round", Ratio::Round}});
  c.metric = parse_metric(p.get_string("rules.vision_metric"));
  c.jailed =
      pick<Jailed>(p, "rules.jailed", {{"off_grid", Jailed::OffGrid}, {"keep_cell", Jailed::KeepCell}});
  c.schedule = pick<Schedule>(p, "rules.schedule", {{"async", Schedule::Async}, {"sync", Schedule::Sync}});
  c.order = pick<Order>(p, "rules.order", {{"move_first", Order::MoveFirst}, {"act_first", Order::ActFirst}});
  c.outburst_threshold = p.get_int("summary.outburst_threshold");
  c.cop_proximity = p.get_bool("output.cop_proximity");

  // Cross-parameter checks: each names the key whose value makes the combination impossible.
  if (c.citizen_density + c.cop_density > 1.0 + 1e-12)
    throw error_at(p, "cops.density",
                   "citizens.density + cops.density must be at most 1 (one agent per cell), got " +
                       std::to_string(c.citizen_density + c.cop_density));
  if (c.cop_schedule != CopSchedule::Constant && c.citizen_density + c.cop_target_density > 1.0 + 1e-12)
    throw error_at(p, "cops.target_density", "citizens.density + cops.target_density must be at most 1");
  {
    // Densities become counts by rounding each: on a small world the two rounded counts can exceed the
    // cells (0.5 + 0.5 of 3 cells asks for 2 + 2), and the model would drop the cops that find no cell.
    const auto cells = static_cast<std::int64_t>(c.width) * c.height;
    const std::int64_t citizens = std::llround(c.citizen_density * static_cast<double>(cells));
    for (const auto& [key, density] :
         {std::pair{"cops.density", c.cop_density}, std::pair{"cops.target_density", c.cop_target_density}}) {
      if (c.cop_schedule == CopSchedule::Constant && std::string_view(key) == "cops.target_density") continue;
      const std::int64_t cops = std::llround(density * static_cast<double>(cells));
      if (citizens + cops > cells)
        throw error_at(p, key,
                       "the " + std::to_string(c.width) + "x" + std::to_string(c.height) + " world holds " +
                           std::to_string(cells) + " agents (one per cell); the config asks for " +
                           std::to_string(citizens) + " citizens + " + std::to_string(cops) +
                           " cops = " + std::to_string(citizens + cops));
    }
  }
  if (c.topology == Topology::Torus) {
    const int shortest = std::min(c.width, c.height);
    for (const char* key : {"citizens.vision", "cops.vision"}) {
      const int reach = static_cast<int>(std::floor(p.get_real(key) + 1e-9));
      if (2 * reach + 1 > shortest)
        throw error_at(p, key,
                       "on a torus the vision must not wrap onto itself: allowed [0, " +
                           std::to_string((shortest - 1) / 2) + "] for a " + std::to_string(c.width) + "x" +
                           std::to_string(c.height) + " grid");
    }
  }
  if (c.violence == Violence::InterGroup && c.groups != 2)
    throw error_at(p, "citizens.groups", "inter_group violence needs citizens.groups = 2");
  if (c.cop_schedule != CopSchedule::Constant && c.cop_change_start < 1)
    throw error_at(p, "cops.change_start", "a cop schedule needs a start period of at least 1");
  if (c.cop_schedule == CopSchedule::Step && c.cop_change_end != 0 && c.cop_change_end <= c.cop_change_start)
    throw error_at(p, "cops.change_end", "must be 0 (never) or after cops.change_start");
  if (c.legitimacy_schedule != LegitimacySchedule::Constant && c.legitimacy_change_start < 1)
    throw error_at(p, "legitimacy.change_start", "a legitimacy schedule needs a start period of at least 1");
  if (static_cast<double>(c.width) * c.height * (1.0 + c.cop_target_density) > 2.0e9)
    throw error_at(p, "world.width", "grids above 2e9 cells are not supported");
  return c;
}

}  // namespace keepsim::epstein

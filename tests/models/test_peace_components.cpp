// The peacekeeping model's mechanisms as components (models/peacekeeping/mechanism.hpp, docs/design.md): the
// phase list, the registration list against the schema and the output catalogue, and agent columns that a
// mechanism owns growing with every agent the model adds. Behaviour (bit for bit the same results as before
// the mechanisms moved) is covered by the equivalence, checkpoint and thread tests.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/params.hpp"
#include "keepsim/core/recorder.hpp"
#include "models/peacekeeping/constabulary.hpp"
#include "models/peacekeeping/control.hpp"
#include "models/peacekeeping/mechanism.hpp"
#include "models/peacekeeping/mission_layer.hpp"
#include "models/peacekeeping/model.hpp"
#include "models/peacekeeping/returns.hpp"
#include "models/peacekeeping/violence_memory.hpp"
#include "models/registry.hpp"

using namespace keepsim;
using namespace keepsim::peace;

TEST_CASE("peacekeeping phases are named once, from day_start to day_end", "[peace][components]") {
  REQUIRE(kPhaseNames.size() == kPhases);
  std::set<std::string> names(kPhaseNames.begin(), kPhaseNames.end());
  CHECK(names.size() == kPhases);
  CHECK(std::string(kPhaseNames[static_cast<std::size_t>(Phase::DayStart)]) == "day_start");
  CHECK(std::string(kPhaseNames[static_cast<std::size_t>(Phase::Agents)]) == "agents");
  CHECK(std::string(kPhaseNames[static_cast<std::size_t>(Phase::DayEnd)]) == "day_end");
  CHECK(static_cast<std::size_t>(Phase::DayEnd) == kPhases - 1);
}

TEST_CASE("every registered mechanism's keys are in the schema and its series in the catalogue, each once",
          "[peace][components]") {
  const Schema& full = full_schema();
  std::set<std::string> types;
  for (const MechanismType* t : mechanism_types()) {
    INFO(t->name);
    CHECK(types.insert(t->name).second);
    Schema own;
    t->declare_params(own);
    // The citizens' legitimacy and hardship, and the return of the displaced, keep their keys in the model's
    // schema (legitimacy.hpp, returns.hpp): those keys are interleaved with keys the model reads itself. The
    // memory of violence reads one key of the model's, legitimacy.secure_days (violence_memory.hpp).
    const std::string name = t->name;
    if (name != "legitimacy" && name != "returns" && name != "violence_memory")
      CHECK_FALSE(own.all().empty());
    for (const ParamSpec& spec : own.all()) CHECK(full.find(spec.key) != nullptr);
  }
  std::set<std::string> outputs;
  for (const auto& [name, meaning] : output_catalogue()) {
    INFO(name);
    CHECK(outputs.insert(name).second);
  }
  for (const MechanismType* t : mechanism_types()) {
    for (const SeriesDef& s : t->series) CHECK(outputs.count(s.name) == 1);
    for (const SummaryDef& s : t->summaries) CHECK(outputs.count(s.name) == 1);
  }
}

TEST_CASE("a mechanism's agent column grows with every agent the model adds", "[peace][components]") {
  // The default country with a mission arriving on day 1: arrivals add agents after the columns were
  // attached. Tolerance: exact sizes on every day.
  Params p(full_schema());
  p.load_file(std::string(KEEPSIM_SOURCE_DIR) + "/configs/scenarios/default.toml");
  p.load_file(std::string(KEEPSIM_SOURCE_DIR) + "/configs/doctrines/security_keeping.toml");
  p.set("start.burn_in_days", std::int64_t{20}, "test");
  PeaceModel model(read_config(p), scenario_map(p), 1);
  const MissionLegitimacy* m = model.mechanism<MissionLegitimacy>();
  REQUIRE(m != nullptr);
  REQUIRE(model.mechanism<Refugees>() != nullptr);
  REQUIRE(model.mechanism<Control>() != nullptr);
  REQUIRE(model.mechanism<Legitimacy>() != nullptr);
  REQUIRE(model.mechanism<Returns>() != nullptr);
  REQUIRE(model.mechanism<ViolenceMemory>() != nullptr);
  const Ddr* ddr = model.mechanism<Ddr>();
  REQUIRE(ddr != nullptr);
  REQUIRE(model.mechanism<Constabulary>() != nullptr);
  const MissionLayer* mission = model.mechanism<MissionLayer>();
  REQUIRE(mission != nullptr);
  Recorder rec;
  model.declare(rec);
  rec.begin_step(model.period());  // as the run driver: the state at day 0 first
  model.observe(rec);
  const std::size_t before = model.agents().size();
  for (int day = 1; day <= 5; ++day) {
    model.step();
    rec.begin_step(model.period());
    model.observe(rec);
    CHECK(m->value.size() == model.agents().size());
    CHECK(ddr->demobilised.size() == model.agents().size());
  }
  CHECK(model.agents().size() > before);  // the mission arrived
  // The model reads the mission layer's state through its pointer: the same phase, units and first day.
  CHECK(mission->present());
  CHECK(model.mission_present());
  CHECK(model.phase() == mission->phase);
  CHECK(model.first_arrival() == 1);  // every contingent of the doctrine arrives on day 1
  CHECK(model.peacekeepers_present() > 0);
  CHECK(model.peacekeepers_present() <= mission->force_initial);
  // The column took the first-arrival value M0 (ODD 7.13) for agents present then.
  CHECK(m->value[0] != 0.0f);
}

TEST_CASE("a moved mechanism's keys keep their place in the schema", "[peace][components]") {
  // MechanismType::schema_after: justice's keys (ODD 7.4) follow the model's hardship keys (7.3), as
  // before justice became a component, so keepsim describe and a run's config attribute are unchanged.
  // Tolerance: exact positions.
  const auto& all = full_schema().all();
  auto at = [&](const std::string& key) {
    for (std::size_t i = 0; i < all.size(); ++i)
      if (all[i].key == key) return static_cast<std::ptrdiff_t>(i);
    return std::ptrdiff_t{-1};
  };
  // The development keys (ODD 7.3, development.cpp) close the model's hardship keys, before justice's.
  REQUIRE(at("hardship.relax") >= 0);
  CHECK(at("hardship.development_rate") == at("hardship.relax") + 1);
  CHECK(at("hardship.development_floor") == at("hardship.development_rate") + 1);
  CHECK(at("justice.enabled") == at("hardship.development_floor") + 1);
  CHECK(at("justice.memory") == at("justice.enabled") + 4);
  CHECK(at("spoilers.enabled") == at("justice.memory") + 1);
  // The settlement's key (ODD 7.20, settlement.cpp) follows the burn-in's.
  REQUIRE(at("start.burn_in_days") >= 0);
  CHECK(at("start.settlement_share") == at("start.burn_in_days") + 1);
  // The DDR keys (ODD 7.5, ddr.cpp) follow the model's recruitment keys, in the middle of its spoiler keys.
  REQUIRE(at("spoilers.recruit_probability") >= 0);
  CHECK(at("spoilers.ddr_probability") == at("spoilers.recruit_probability") + 1);
  CHECK(at("spoilers.rearm_motive") == at("spoilers.ddr_probability") + 2);
  CHECK(at("spoilers.reintegration_probability") == at("spoilers.rearm_motive") + 1);
  CHECK(at("spoilers.rearm_recall") == at("spoilers.reintegration_probability") + 1);
  CHECK(at("spoilers.rearm_fear_alone") == at("spoilers.rearm_recall") + 1);
  CHECK(at("spoilers.political") == at("spoilers.rearm_fear_alone") + 1);
  // The arms keys (ODD 7.5, arms_supply.cpp) close the model's spoiler keys.
  REQUIRE(at("spoilers.wait_out") >= 0);
  CHECK(at("arms.border_rate") == at("spoilers.wait_out") + 1);
  CHECK(at("arms.convoy_loot") == at("arms.border_rate") + 4);
  CHECK(at("displacement.enabled") == at("arms.convoy_loot") + 1);
  // The aid keys (ODD 7.7, aid_convoys.cpp) follow the model's displacement keys (7.6).
  REQUIRE(at("displacement.fear_radius") >= 0);
  CHECK(at("displacement.definition") == at("displacement.fear_radius") + 1);
  CHECK(at("displacement.flee_threat") == at("displacement.definition") + 1);
  // The return rule (ODD 7.6, returns.cpp) closes the displacement keys, before the aid keys.
  CHECK(at("displacement.return_rule") == at("displacement.flee_threat") + 1);
  CHECK(at("aid.enabled") == at("displacement.return_rule") + 1);
  CHECK(at("aid.escort_strength") == at("aid.enabled") + 7);
  CHECK(at("aid.escorts_counted") == at("aid.escort_strength") + 1);
  CHECK(at("mission.enabled") == at("aid.escorts_counted") + 1);
  // The response to attacks and its expectation (ODD 7.8, protection_response.cpp) follow the use-of-force
  // key; the will's keys (ODD 7.10, mission_layer.cpp) follow both, before the exit rule.
  REQUIRE(at("mission.soldiers_arrest") >= 0);
  CHECK(at("mission.use_of_force") == at("mission.soldiers_arrest") + 1);
  CHECK(at("mission.response_probability") == at("mission.use_of_force") + 1);
  CHECK(at("mission.response_deters") == at("mission.response_probability") + 1);
  CHECK(at("mission.will_initial") == at("mission.response_deters") + 1);
  CHECK(at("mission.will_fatigue") == at("mission.will_initial") + 3);
  CHECK(at("mission.exit") == at("mission.will_fatigue") + 1);
  // The constabulary and police keys (ODD 7.9, constabulary.cpp) follow the mission's contingent keys.
  REQUIRE(at("contingents.c6.caveats") >= 0);
  CHECK(at("constabulary.enabled") == at("contingents.c6.caveats") + 1);
  CHECK(at("police.skill") == at("constabulary.enabled") + 14);
  CHECK(at("summary.killing_threshold") == at("police.skill") + 1);
}

TEST_CASE("the constabulary's check names the key that makes it impossible", "[peace][components]") {
  // ODD 7.9: a recruit starts at q0 and training raises skill toward q_max, so q0 must not exceed q_max; the
  // component's read() refuses it at constabulary.initial_skill, as read_config did before the move.
  Params p(full_schema());
  p.load_file(std::string(KEEPSIM_SOURCE_DIR) + "/configs/scenarios/default.toml");
  p.set("constabulary.initial_skill", 0.95, "test");
  std::string key;
  try {
    read_config(p);
  } catch (const ConfigError& e) {
    key = e.key();
  }
  CHECK(key == "constabulary.initial_skill");
}

TEST_CASE("the mission's will check names the key that makes it impossible", "[peace][components]") {
  // ODD 7.10: the mission leaves once W falls below W_min, so W_min above W_0 would end it on arrival; the
  // check stays among the model's cross-checks and names mission.will_min, as before the move.
  Params p(full_schema());
  p.load_file(std::string(KEEPSIM_SOURCE_DIR) + "/configs/scenarios/default.toml");
  p.load_file(std::string(KEEPSIM_SOURCE_DIR) + "/configs/doctrines/complex_peacekeeping.toml");
  p.set("mission.will_initial", 0.3, "test");
  p.set("mission.will_min", 0.4, "test");
  std::string key;
  try {
    read_config(p);
  } catch (const ConfigError& e) {
    key = e.key();
  }
  CHECK(key == "mission.will_min");
}

TEST_CASE("justice's checks name the key that makes it impossible", "[peace][components]") {
  // ODD 7.4: a jail place is freed only by a release or a death, so justice needs jailed agents off the grid
  // and finite terms; the component's read() refuses the combination at the Epstein key.
  auto error_key = [](const std::string& key, const Value& value) -> std::string {
    Params p(full_schema());
    p.load_file(std::string(KEEPSIM_SOURCE_DIR) + "/configs/scenarios/default.toml");
    p.set(key, value, "test");
    try {
      read_config(p);
    } catch (const ConfigError& e) {
      return e.key();
    }
    return "";
  };
  CHECK(error_key("rules.jailed", std::string("keep_cell")) == "rules.jailed");
  CHECK(error_key("jail.max_term", std::numeric_limits<double>::infinity()) == "jail.max_term");
  CHECK(error_key("justice.memory", 10.0).empty());
}

TEST_CASE("the memory of violence keeps the K days' killings and the day's marks together",
          "[peace][components]") {
  // The default country under security keeping for 40 days: the "recent" layer is exactly the cells of the
  // log, every entry of the log is younger than legitimacy.secure_days, and the day's killings are among the
  // recent ones, as the model's accessors and the component see them. Tolerance: exact.
  Params p(full_schema());
  p.load_file(std::string(KEEPSIM_SOURCE_DIR) + "/configs/scenarios/default.toml");
  p.load_file(std::string(KEEPSIM_SOURCE_DIR) + "/configs/doctrines/security_keeping.toml");
  PeaceModel model(read_config(p), scenario_map(p), 1);
  const ViolenceMemory* v = model.mechanism<ViolenceMemory>();
  REQUIRE(v != nullptr);
  const std::int64_t secure_days = model.config().legitimacy.secure_days;
  std::int64_t logged = 0;
  for (int day = 1; day <= 40; ++day) {
    model.step();
    const auto& log = model.kill_log();
    CHECK(&log == &v->log());
    logged += static_cast<std::int64_t>(log.size());
    std::set<std::int32_t> cells;
    for (const auto& [d, c] : log) {
      CHECK(d > model.day() - secure_days);
      CHECK(d <= model.day());
      cells.insert(c);
    }
    std::int64_t recent = 0, today_outside = 0, counted = 0;
    for (std::int64_t c = 0; c < model.grid().cells(); ++c) {
      recent += model.recent_killings().test(c);
      counted += v->recent_count(static_cast<std::int32_t>(c));
      today_outside += model.killed_today().test(c) && !model.recent_killings().test(c);
    }
    CHECK(recent == static_cast<std::int64_t>(cells.size()));
    CHECK(counted == static_cast<std::int64_t>(log.size()));
    CHECK(today_outside == 0);
  }
  CHECK(logged > 0);  // there were killings to remember
}

TEST_CASE("the control field's share is the armed presence in each cell's window, on every tile",
          "[peace][components]") {
  // ODD 7.15: k_c = (1 + security in the window) / (1 + security + armed fighters), the window the square of
  // control.radius around c cut at the edges. control.cpp builds it from summed-area tables filled tile by
  // tile on a skewed front of rows; this sums each window directly. A grid of 261 x 142 has a tile 5 cells
  // wide and a last band of 14 rows (not a whole number of the front's 4), where a wrong order of filling
  // would read entries not yet made. The default country under complex peacekeeping (constables' skills,
  // peacekeepers, armed fighters), 60 days. Tolerance: 1e-6 (float shares; the table's rounding differs from
  // the direct sums').
  Params p(full_schema());
  p.load_file(std::string(KEEPSIM_SOURCE_DIR) + "/configs/scenarios/default.toml");
  p.load_file(std::string(KEEPSIM_SOURCE_DIR) + "/configs/doctrines/complex_peacekeeping.toml");
  p.set("world.width", std::int64_t{261}, "test");
  p.set("world.height", std::int64_t{142}, "test");
  p.set("start.burn_in_days", std::int64_t{30}, "test");
  p.set("control.enabled", true, "test");
  PeaceModel model(read_config(p), scenario_map(p), 1);
  Control* control = model.mechanism<Control>();
  REQUIRE(control != nullptr);
  const Grid& grid = model.grid();
  const int w = grid.width(), h = grid.height();
  const int r = static_cast<int>(std::floor(control->radius + 1e-9));
  const Agents& a = model.agents();
  double most_security = 0, most_armed = 0;
  for (int day = 1; day <= 60; ++day) {
    model.step();
    control->run(Phase::BeforeAgents, model);  // the share of the state the day ended with
    std::vector<double> security(static_cast<std::size_t>(grid.cells()), 0.0), armed(security.size(), 0.0);
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a.cell[i] < 0 || a.status[i] == Status::Jailed || a.status[i] == Status::Dead) continue;
      const auto c = static_cast<std::size_t>(a.cell[i]);
      if (a.kind[i] == Kind::Peacekeeper) security[c] = 1;
      if (a.kind[i] == Kind::Constable) security[c] = a.skill[i];
      if (a.kind[i] == Kind::Spoiler && a.armed[i]) armed[c] = 1;
    }
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        double s = 0, f = 0;
        for (int yy = std::max(0, y - r); yy <= std::min(h - 1, y + r); ++yy)
          for (int xx = std::max(0, x - r); xx <= std::min(w - 1, x + r); ++xx) {
            s += security[static_cast<std::size_t>(yy) * static_cast<std::size_t>(w) +
                          static_cast<std::size_t>(xx)];
            f += armed[static_cast<std::size_t>(yy) * static_cast<std::size_t>(w) +
                       static_cast<std::size_t>(xx)];
          }
        most_security = std::max(most_security, s);
        most_armed = std::max(most_armed, f);
        const std::int32_t c = y * w + x;
        const double want = (1.0 + s) / (1.0 + s + f);
        if (std::abs(control->incumbent_share(c) - want) > 1e-6)
          FAIL("day " << day << " cell (" << x << ", " << y << "): share " << control->incumbent_share(c)
                      << ", window sums give " << want);
      }
  }
  // The field was not trivially 1 everywhere.
  CHECK(most_security > 0);
  CHECK(most_armed > 0);
}

TEST_CASE("spread counts and marks equal what each cell's vision query finds", "[peace][components]") {
  // The sync day reads the armed fighters in sight from spread_counts and the fighters and peacekeepers in
  // sight from spread_marks instead of walking every citizen's vision (act_sync.cpp); the results are the
  // same only if every cell gets exactly VisionQuery::count. Layers of several densities (up to a vision
  // full of set cells), both topologies, every metric, bands of rows split over 1 and 2 threads.
  const auto topology = GENERATE(Topology::Torus, Topology::Bounded);
  const auto metric = GENERATE(Metric::Euclidean, Metric::Moore, Metric::VonNeumann);
  const double radius = GENERATE(1.0, 5.0, 7.0);
  const double density = GENERATE(0.02, 0.3, 1.0);
  const int threads = GENERATE(1, 2);
  const Grid grid(71, 70, topology);  // more than two bands of 32 rows, a partial last word a row
  const Vision vision(metric, radius);
  if (!spreads_exactly(grid, vision)) return;
  BitLayer layer;
  layer.reset(grid);
  Stream s(11, 2, 0, 0);
  for (std::int64_t c = 0; c < grid.cells(); ++c) layer.assign(c, s.bernoulli(density));
  Executor exec(threads);
  std::vector<std::uint8_t> counts, marks;
  REQUIRE(spread_counts(exec, grid, layer, vision, counts));
  const Spread spread{&layer, &vision, false, 4};
  spread_marks(exec, grid, std::span<const Spread>(&spread, 1), marks);
  const VisionQuery query(grid);
  for (std::int64_t c = 0; c < grid.cells(); ++c) {
    const int n = query.count(layer, c, vision);
    REQUIRE(counts[static_cast<std::size_t>(c)] == n);
    REQUIRE((marks[static_cast<std::size_t>(c)] == 4) == (n > 0));
  }
  // A vision of more than 255 cells cannot be counted in a byte: the caller is told to count instead.
  const Vision wide(Metric::Moore, 8.0);
  REQUIRE(!spread_counts(exec, grid, layer, wide, counts));
  REQUIRE(counts.empty());
}

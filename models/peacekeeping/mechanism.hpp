// The peacekeeping day as named phases, and the component interface through which a mechanism of ODD 7 is
// one unit: its parameters (its part of the schema), its agent and cell columns, the phases it hooks, its
// series and summaries, and its checkpoint fields (docs/design.md, "Mechanisms as components"). Adding a
// mechanism is one new file that defines a MechanismType, and one line in mechanisms.cpp.
#pragma once
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "keepsim/core/model.hpp"
#include "keepsim/core/params.hpp"
#include "keepsim/core/recorder.hpp"
#include "keepsim/core/rng.hpp"
#include "keepsim/core/state.hpp"

namespace keepsim {
class Executor;
}

namespace keepsim::peace {

/// "Never" for a column or table that holds a day. Burn-in days are negative (ODD 7.12), so -1 is a day
/// like any other and cannot mean never: a victim of day -1 would be forgotten, and every burn-in day would
/// read as after one that never was. It lies so far back that, in 64-bit day arithmetic, day - kNever
/// exceeds every window, so "within D days of kNever" is false with no test of its own.
inline constexpr std::int32_t kNever = std::numeric_limits<std::int32_t>::min();

class PeaceModel;
struct Agents;
struct Config;

/// The phases of one day, in the order PeaceModel::step() runs them (ODD 3). Each runs the model's own
/// work for the phase first (what is not yet a component), then every registered mechanism that hooks it,
/// in registration order. The recording of the day (ODD 3 row 6) is Model::observe, called by the runner.
enum class Phase : std::uint8_t {
  DayStart,      ///< t <- t+1, counters zeroed, yesterday's marks cleared, Epstein's schedules
  Mission,       ///< mission layer, constabulary and police (ODD 7.8 to 7.10)
  Environment,   ///< arms over the border, convoys (7.5, 7.7)
  BeforeAgents,  ///< what the agents' turns read, from yesterday's end positions (control, 7.15)
  Agents,        ///< every agent on the grid acts once, in a shuffled order (7.1, 7.5, 7.6, 7.8, 7.14)
  Justice,       ///< ageing, jail terms, releases (7.1, 7.4)
  Social,        ///< legitimacy, hardship, development, DDR (7.2, 7.3, 7.5, 7.13)
  Return,        ///< the displaced go home, of their own accord or sent (7.6, 7.16)
  DayEnd,        ///< the aggregates the mission layer reads tomorrow (ODD 3)
};
inline constexpr std::size_t kPhases = 9;
inline constexpr std::array<const char*, kPhases> kPhaseNames = {"day_start",     "mission", "environment",
                                                                 "before_agents", "agents",  "justice",
                                                                 "social",        "return",  "day_end"};

/// One output series (docs/output.md): `dim` is a second dimension (group, faction, decile, contingent,
/// zone) or nullptr.
struct SeriesDef {
  const char* name;
  const char* long_name;
  const char* units;
  DType dtype;
  const char* dim;
};

/// One run summary scalar (`summary_*`).
struct SummaryDef {
  const char* name;
  const char* long_name;
  const char* units;
};

/// The second dimensions a series may have (group, faction, decile, contingent, arrester, zone), with their
/// values and meaning: the one declaration the run file's coordinates and the series' widths both come from.
std::vector<Coordinate> series_dimensions(int groups);
/// How many columns a series with `dim` has (its dimension's number of values; 1 without one).
std::size_t dim_width(const char* dim, int groups);

/// A mechanism's state and daily work. A model holds one instance of every registered mechanism, made from
/// the prototype read_config built (so keepsim validate checks the mechanism's parameters too).
///
/// Hooks are called once per phase per day, never per agent: a mechanism whose rule runs inside an agent's
/// turn keeps that rule in the agent's inlined turn (act.cpp) and provides its data from here.
class Mechanism {
 public:
  virtual ~Mechanism() = default;
  /// A fresh copy of this prototype, for one model.
  virtual std::unique_ptr<Mechanism> clone() const = 0;

  /// Once, after the model has placed its agents (before the burn-in): allocate cell columns, attach agent
  /// columns (attach_column), read the map.
  virtual void init(PeaceModel&) {}
  /// The phases this mechanism hooks; run() is called for each, once a day.
  virtual std::vector<Phase> phases() const { return {}; }
  virtual void run(Phase, PeaceModel&) {}
  /// After the burn-in (ODD 7.12): reset what the burn-in counted but the run must not.
  virtual void after_burn_in(PeaceModel&) {}
  /// The day's values of the series of its MechanismType, in the order declared there (put).
  virtual void observe(const PeaceModel&, Recorder&) const {}
  /// The values of the summaries of its MechanismType, in order, from the recorded series.
  virtual std::vector<AttrValue> summary(const PeaceModel&, const Recorder&) const { return {}; }
  /// Checkpoint fields (state.cpp writes the model's own around them). Names should start with the
  /// mechanism's name, or "agents." for an agent column.
  virtual void save(StateWriter&) const {}
  /// Called after the model has loaded its own fields, so that m.agents().size() is the saved number.
  virtual void load(const StateReader&, PeaceModel&) {}
  /// Adds its bytes to the memory estimate (models/memory.hpp): state kept all run, and transient buffers.
  /// `agent_slots` is the capacity the agent columns grow to.
  virtual void memory(double /*cells*/, double /*agent_slots*/, double& /*state*/,
                      double& /*transient*/) const {}

  /// The recorder handles of its series, set by PeaceModel::declare.
  std::vector<Recorder::Handle> handles;

 protected:
  void put(Recorder& rec, std::size_t series, std::int64_t v) const { rec.put(handles[series], v); }
  void put(Recorder& rec, std::size_t series, double v) const { rec.put(handles[series], v); }
  void put(Recorder& rec, std::size_t series, std::span<const std::int64_t> v) const {
    rec.put(handles[series], v);
  }
  void put(Recorder& rec, std::size_t series, std::span<const double> v) const {
    rec.put(handles[series], v);
  }

  // What a mechanism may change in the model, in one place (PeaceModel befriends Mechanism, not its
  // subclasses): the agents, the day's event counters. Read-only access is PeaceModel's public interface.
  static Agents& agents(PeaceModel& m);
  static struct Events& events(PeaceModel& m);
  /// Re-derives the cell code of agent `id` after a change of its state (kind, armed, ...).
  static void refresh(PeaceModel& m, std::size_t id);
  /// Citizen `id` becomes a fighter of group g's militia, armed from its stock if a weapon is left (ODD 7.5).
  static void join_militia(PeaceModel& m, std::size_t id, int group);
  /// Agent `id` takes the empty cell c / leaves the grid (its cell is left empty), as the model's own
  /// arrivals and departures do.
  static void place(PeaceModel& m, std::size_t id, std::int32_t c);
  static void vacate(PeaceModel& m, std::size_t id);
  /// Agent `id` leaves the country for good without being killed: a soldier or police officer gone home
  /// (ODD 7.9, 7.10), a fighter with a withdrawing party (7.20). It leaves the grid and the simulation, and
  /// the population accounting counts it when it was one of the people.
  static void leave(PeaceModel& m, std::size_t id);
  /// An empty cell near `centre` (within `radius` if there is one, then ever farther), drawn from `s`; -1
  /// when the grid is full.
  static std::int32_t empty_cell_near(const PeaceModel& m, std::int32_t centre, double radius, Stream& s);
  /// The model's executor, for a pass over the agents in parallel where each changes only its own state.
  static Executor& executor(PeaceModel& m);
  /// A per-cell scratch array of the model's, for one pass at a time (the sync day's decisions fill it with
  /// the constables' skills in sight and are done with it before the social phase): one such array instead
  /// of one per pass.
  static std::vector<std::int64_t>& cell_sums(PeaceModel& m);
  /// A per-agent column owned by the mechanism: every agent added from now on gets `fill` in it, and it is
  /// grown to the current number of agents at once.
  static void attach_column(PeaceModel& m, std::vector<float>& column, float fill = 0);
  static void attach_column(PeaceModel& m, std::vector<std::uint8_t>& column, std::uint8_t fill = 0);
  static void attach_column(PeaceModel& m, std::vector<std::int32_t>& column, std::int32_t fill = 0);
};

/// Implements clone() for a mechanism class M.
template <class M>
class MechanismOf : public Mechanism {
 public:
  std::unique_ptr<Mechanism> clone() const override {
    return std::make_unique<M>(static_cast<const M&>(*this));
  }
};

/// What the registration list names: a mechanism's parameters, series and summaries, and how to build it.
struct MechanismType {
  const char* name;
  /// Adds the mechanism's parameters to the schema.
  void (*declare_params)(Schema&);
  /// Reads and cross-checks its parameters (throws ConfigError naming the key) and returns the prototype,
  /// also when the mechanism is switched off (its series are recorded all the same). `config` is the
  /// model's config so far (read_config reads the mechanisms last), for checks that involve other keys.
  std::shared_ptr<const Mechanism> (*read)(const Params&, const Config& config);
  std::span<const SeriesDef> series;
  std::span<const SummaryDef> summaries;
  /// Where its keys go in the schema, and so in `keepsim describe` and a run's config: nullptr, with the
  /// other components' keys after the model's scale and start keys; or the name of a section of keys the
  /// model still declares itself (params.cpp), which they follow, so that the keys of a mechanism moved out
  /// of the model keep their place.
  const char* schema_after = nullptr;
};

/// Every registered mechanism, in registration order (mechanisms.cpp): the order of their hooks within a
/// phase, of their series after the model's own, of their parameters in the schema.
std::span<const MechanismType* const> mechanism_types();

/// Adds to the schema the keys of every registered mechanism whose schema_after is `after` (nullptr: those
/// without one), in registration order.
void declare_mechanism_params(Schema& schema, const char* after);

}  // namespace keepsim::peace

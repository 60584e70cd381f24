// The peacekeeping scenario (ODD 2, 3, 5, 7 and 10): citizens, spoilers, peacekeepers and a
// domestic constabulary on a map of regions, towns, roads and a porous border, under a mission layer. It is
// Epstein's model with mechanisms added, each behind its own switch: with all of them off the engine makes
// the same draws in the same order as epstein::EpsteinModel's async schedule, so the two give the same
// results (tests/models/test_peace_equivalence.cpp).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "keepsim/core/bit_layer.hpp"
#include "keepsim/core/grid.hpp"
#include "keepsim/core/model.hpp"
#include "keepsim/core/parallel.hpp"
#include "keepsim/core/rng.hpp"
#include "models/epstein/purpose.hpp"
#include "models/epstein/rules.hpp"
#include "models/peacekeeping/aid_convoys.hpp"
#include "models/peacekeeping/arms_supply.hpp"
#include "models/peacekeeping/control.hpp"
#include "models/peacekeeping/ddr.hpp"
#include "models/peacekeeping/development.hpp"
#include "models/peacekeeping/justice.hpp"
#include "models/peacekeeping/legitimacy.hpp"
#include "models/peacekeeping/mechanism.hpp"
#include "models/peacekeeping/mission_layer.hpp"
#include "models/peacekeeping/mission_legitimacy.hpp"
#include "models/peacekeeping/params.hpp"
#include "models/peacekeeping/participation_cost.hpp"
#include "models/peacekeeping/protection_response.hpp"
#include "models/peacekeeping/refugees.hpp"
#include "models/peacekeeping/riot_precipitants.hpp"
#include "models/peacekeeping/security_dilemma.hpp"
#include "models/peacekeeping/violence_memory.hpp"
#include "models/peacekeeping/world_map.hpp"

namespace keepsim::peace {

enum class Kind : std::uint8_t { Citizen, Spoiler, Peacekeeper, Constable };
using Status = epstein::Status;  ///< one enumeration for both engines (models/epstein/rules.hpp)

/// What a cell holds, one byte. Bits 4-6: the kind; low bits: citizens group (bit 0) and active (bit 1);
/// spoilers faction (bits 0-1), armed (bit 2) and exposed (bit 3).
namespace cell {
constexpr std::uint8_t kEmpty = 0, kCitizen = 16, kPeacekeeper = 32, kConstable = 48, kSpoiler = 64,
                       kJailed = 80;
inline std::uint8_t kind(std::uint8_t c) {
  return c & 0x70;
}
inline bool is_active(std::uint8_t c) {
  return kind(c) == kCitizen && (c & 2) != 0;
}
}  // namespace cell

/// Agents: the columns of both engines (epstein::AgentColumns: kind, status, group, cell, hardship, risk,
/// jail_left, age, death_age), then the extensions' own.
struct Agents : epstein::AgentColumns<Kind> {
  std::vector<float> base_hardship, legitimacy, legitimacy0;
  std::vector<std::int32_t> home;           ///< home cell (displacement)
  std::vector<std::int32_t> last_victim;    ///< last day the own group was hit within vision (kNever)
  std::vector<std::int32_t> exposed_until;  ///< last day a spoiler is exposed (kNever)
  std::vector<std::uint8_t> faction, armed, foreign, on_duty, task;  ///< demobilised: ddr.hpp
  std::vector<std::int8_t> contingent;  ///< -1: an Epstein cop (no mission layer)
  std::vector<std::int32_t> target;     ///< task target: a cell, or a convoy index for escorts
  std::vector<float> skill;             ///< constables
  std::vector<std::uint16_t> jail_region;
  std::vector<std::uint8_t> aided;  ///< received aid today
  /// Columns owned by mechanisms (Mechanism::attach_column), with the value a new agent gets.
  std::vector<std::pair<std::vector<float>*, float>> extra_f32;
  std::vector<std::pair<std::vector<std::uint8_t>*, std::uint8_t>> extra_u8;
  std::vector<std::pair<std::vector<std::int32_t>*, std::int32_t>> extra_i32;
  std::size_t add(Kind k, std::uint8_t g);
  /// Room for n agents in every built-in column, so that a population of known size is not held in arrays
  /// twice its size (with the slack of doubling, which huge pages would make resident: docs/performance.md).
  void reserve(std::size_t n);
  /// Calls f(column, value of a new agent) for every built-in column (not the mechanisms' extra ones).
  template <class F>
  void for_each_column(F&& f) {
    f(kind, Kind::Citizen), f(status, Status::Quiet), f(group, std::uint8_t{0}), f(cell, -1);
    for (auto* v : {&hardship, &base_hardship, &risk, &legitimacy, &legitimacy0, &skill}) f(*v, 0.f);
    for (auto* v : {&jail_left, &age, &death_age}) f(*v, 0);
    f(home, -1), f(last_victim, kNever), f(exposed_until, kNever);
    for (auto* v : {&faction, &armed, &foreign, &on_duty, &task, &aided}) f(*v, std::uint8_t{0});
    f(contingent, std::int8_t{-1}), f(target, -1), f(jail_region, std::uint16_t{0});
  }
};

/// ODD 7.17 exposure: 1 - protection / threat while the threat outnumbers the protection, else 0.
inline double exposure_of(double protection, int threat) {
  return protection >= threat ? 0 : 1.0 - protection / static_cast<double>(threat);
}

/// Agent `id` is a unit of one of the mission's contingents (ODD 7.8): a peacekeeper with a contingent.
inline bool is_mission_soldier(const Agents& a, std::size_t id) {
  return a.kind[id] == Kind::Peacekeeper && a.contingent[id] >= 0;
}
/// Agent `id` is one of Epstein's cops: a peacekeeper outside any contingent (no mission layer).
inline bool is_epstein_cop(const Agents& a, std::size_t id) {
  return a.kind[id] == Kind::Peacekeeper && a.contingent[id] < 0;
}

/// Event counters of the current day (ODD 10).
inline constexpr int kArresters = 4;  ///< Events::arrests_by: Epstein cops, soldiers, constables, police

struct Events {
  std::int64_t arrests = 0, releases = 0, early_releases = 0, births = 0, deaths_of_age = 0;
  std::int64_t killed[2] = {0, 0};  ///< civilians killed, by victim's group
  std::int64_t civ_by_spoilers = 0, civ_by_citizens = 0, civ_by_security = 0;
  std::int64_t spoilers_killed = 0, peacekeepers_killed = 0, constables_killed = 0;
  std::int64_t recruits = 0, demobilised = 0, rearmed = 0, defections = 0, new_constables = 0;
  double arms_inflow = 0, arms_interdicted = 0;
  std::int64_t convoys_sent = 0, convoys_delivered = 0, convoys_raided = 0, installation_attacks = 0;
  std::int64_t lethal_uses = 0, withdrawals = 0;
  // ODD 7.14 and 7.15: engagements, killings by kind (by control zone: control.hpp; refuge: refugees.hpp).
  std::int64_t spoilers_captured = 0, selective = 0, indiscriminate = 0, rival_killings = 0;
  std::int64_t imposed = 0;
  /// ODD 7.6, 7.16: citizens whose flight took them from home (not displaced before it, displaced or abroad
  /// after it): the day's inflow into the stocks `displaced` and `refugees` (series uprooted).
  std::int64_t uprooted = 0;
  /// Arrests (engagement captures included) by who made them: 0 Epstein cops, 1 mission soldiers, 2 domestic
  /// constables, 3 international police (series arrests_by).
  std::int64_t arrests_by[kArresters] = {0, 0, 0, 0};
};

// Random streams: Epstein's purposes for the draws the two models share (models/epstein/purpose.hpp), then
// the extensions' own.
using enum epstein::Purpose;
enum PeacePurpose : std::uint32_t {
  kPeaceInit = 40,
  kSpoilerAct,
  kSecurityAct,
  kFlee,
  kSocial,
  kMission,
  kArrive,
  kConvoy,
  kRecruitConstable,
  kReturn,
  kRecruitSpoiler,
  kTaskOrder,
  kDefect,
  kForcedReturn,
  kEngage,
  kRefuge,
  kProtect,
  kRaid,        ///< a bandit's raid on a convoy in the sync day (act_sync.cpp; the async day draws it from
                ///< kSpoilerAct)
  kRespond,     ///< ODD 7.8: whether the mission answers a killing of a civilian (protection_response.cpp)
  kAnticipate,  ///< ODD 7.8: whether a fighter holds back for fear of that answer (protection_response.cpp)
  kJailPlace,   ///< ODD 7.4: whether an arrested agent fits the part of an agent's worth of places left
  kSettle,      ///< ODD 7.20: whether a militia member lays down arms at the settlement on day 0
  kWithdraw     ///< ODD 7.20: whether a militia member leaves the country with a withdrawing party on day 0
};
static_assert(std::uint32_t{kPeaceInit} > std::uint32_t{epstein::kLastPurpose});

/// The words of a plan (SyncPlan): what an agent does to its target, and how.
namespace plan {
/// What an agent does to its plan's target.
enum Act : std::uint8_t {
  kNothing,
  kCitizenKill,     // Model II: an active citizen kills one of the other group
  kRivalKill,       // ODD 7.14: a fighter kills a rival armed group's fighter
  kSelectiveKill,   // ODD 7.15: the most cooperative civilian in sight
  kIndiscriminate,  // ODD 7.15: a random civilian of the other group
  kMilitiaKill,     // ODD 7.5: a militia's fighter kills a civilian of the other group
  kRaidConvoy,      // ODD 7.7: a bandit raids a convoy in sight
  kAmbush,          // ODD 7.5: a fighter attacks a security unit, and kills it with flag kLethal
  kInstallation,    // ODD 7.5: an installation (index in aux) attacked, shut with flag kLethal
  kJailIt,          // rule C, ODD 7.5, 7.8, 7.9
  kLethalForce,     // ODD 7.8 lethal riot response: the target is killed, witnesses see abuse
  kEngageKill,      // ODD 7.14: a located fighter killed
  kEngageCapture,   // ODD 7.14: a located fighter captured
};

/// Flags of a plan.
enum Flag : std::uint8_t {
  kDecided = 1,        // the agent took part in the phase (on the grid and free at its start)
  kActive = 2,         // rule A: active today
  kJoin = 4,           // joins its group's militia (ODD 7.5 recruit; 7.17 arming, with kForProtection)
  kForProtection = 8,  // ODD 7.17
  kFleeing = 16,       // ODD 7.6: flees today (moves by flight_cell)
  kAbroad = 32,        // ODD 7.16: leaves the country
  kLethal = 64,        // the ambush kills; the installation is shut
  kStay = 128,         // a security unit that holds its ground today (riot response), or a hiding spoiler
};

}  // namespace plan

/// One agent's decision (act.cpp, act_sync.cpp, ODD 3). The async turn carries out its plan at once; the sync
/// day takes every plan of a step from the state at the start of the step and carries them out in id order.
struct SyncPlan {
  std::int32_t target = -1;  ///< the agent attacked, killed or arrested (an id), or -1
  std::int32_t aux = -1;     ///< a cell to move away from (hiding, withdrawing) or an installation's index
  std::uint8_t act = 0;      ///< what is done to `target` (act_sync.cpp Act)
  std::uint8_t flags = 0;    ///< act_sync.cpp Flag
};

/// The agents that arrive after day 0 as new slots (a cop schedule's, the contingents, the international
/// police), given the cops placed at the start (memory.cpp; populate() reserves room for them).
double arriving_agents(const Config& c, double cops);

/// Every output variable of a peacekeeping run with its meaning, unit and dimensions (describe --outputs).
std::vector<std::pair<std::string, std::string>> output_catalogue();

/// The map a checkpoint carries (PeaceModel::save_state writes it), so a run resumes on the map it started
/// with even if the map file changed or is gone. Throws CheckpointError.
WorldMap map_from_state(const StateReader& r);

/// A cell layer in a checkpoint, packed 8 cells a byte (state.cpp), for the model's layers and the
/// mechanisms'. get_layer sets every cell of `layer` (as the constructor left it: padding bits keep their
/// value) from the saved bits.
void put_layer(StateWriter& w, const std::string& name, const BitLayer& layer, std::int64_t cells);
void get_layer(const StateReader& r, const std::string& name, BitLayer& layer, std::int64_t cells);
/// Counts kept for the few cells that have one (the recent killings, the convoys on the road), saved as a
/// count for every one of `cells` cells (state.cpp), the form the checkpoint held them in before.
/// get_cell_counts keeps the cells whose saved count is not 0.
using CellCounts = std::unordered_map<std::int32_t, std::int16_t>;
void put_cell_counts(StateWriter& w, const std::string& name, const CellCounts& counts, std::int64_t cells);
CellCounts get_cell_counts(const StateReader& r, const std::string& name, std::int64_t cells);

/// Whether "m is within v of c" is the same relation as "c is within v of m" on this grid, and each cell is
/// met at most once in a vision, so that marks can be spread to the cells that see them (legitimacy.cpp).
bool spreads_exactly(const Grid& grid, const Vision& v);
/// One layer to spread: `bit` goes on every cell whose vision `v` holds a set cell of `layer` other than
/// itself (as VisionQuery::count(layer, cell, v) > 0 where spreads_exactly holds), and with `centre` also on
/// the set cells themselves.
struct Spread {
  const BitLayer* layer;
  const Vision* vision;
  bool centre;
  std::uint8_t bit;
};
/// Clears `flags` (one per cell) and spreads every entry of `spreads` into it, by bands of rows in parallel;
/// setting a bit twice is setting it once, so the flags are the same on any number of threads
/// (legitimacy.cpp).
void spread_marks(Executor& exec, const Grid& grid, std::span<const Spread> spreads,
                  std::vector<std::uint8_t>& flags);

/// sums[cell] = the sum of skill(m), in units of 2^-45, over the set cells m of `layer` other than the cell
/// itself within its vision `v` (where spreads_exactly holds), by bands of rows in parallel. Returns whether
/// `start` plus that sum, taken in double in any order, is exact: then sums[c] * 2^-45 added to `start` is,
/// to the bit, what adding the skills one by one to `start` gives (legitimacy.cpp). A constable layer is
/// sparse, so this costs far less than walking every citizen's vision for it.
bool spread_skill_sums(Executor& exec, const Grid& grid, const BitLayer& layer, const Vision& v, double start,
                       const std::function<float(std::int64_t)>& skill, std::vector<std::int64_t>& sums);
/// counts[cell] = how many set cells of `layer` other than the cell itself lie within its vision `v` (as
/// VisionQuery::count(layer, cell, v) where spreads_exactly holds), by bands of rows in parallel. Returns
/// false, and leaves `counts` empty, where a vision holds more than 255 cells; the caller then counts.
bool spread_counts(Executor& exec, const Grid& grid, const BitLayer& layer, const Vision& v,
                   std::vector<std::uint8_t>& counts);

/// observe()'s integer counts over a block of agents (observe.cpp); blocks add up in any order.
struct AgentTally {
  std::int64_t quiet = 0, active = 0, jailed = 0, security = 0, displaced = 0, constables = 0, police = 0,
               pk = 0, on_duty = 0, people = 0;
  std::int64_t alive[2] = {}, armed[3] = {}, unarmed[3] = {}, present[kMaxContingents] = {};
  std::vector<std::int64_t> histogram = std::vector<std::int64_t>(1001, 0);  ///< legitimacy by 0.001
  void add(const AgentTally& o);
};

class PeaceModel : public Model {
 public:
  PeaceModel(const Config& config, WorldMap map, int threads);

  std::vector<Coordinate> coordinates() const override;
  void declare(Recorder& rec) override;
  void step() override;
  void observe(Recorder& rec) override;
  void tally_agents(std::size_t i0, std::size_t i1, AgentTally& t) const;  // observe.cpp
  std::int64_t secure_cells() const;  // cells with no recent killing within reach (observe.cpp)
  std::int64_t period() const override { return day_; }
  std::vector<Scalar> summary(const Recorder& rec) const override;
  std::vector<VarSpec> map_specs() const override;
  int map_height() const override { return grid_.height(); }
  int map_width() const override { return grid_.width(); }
  bool map_due() const override;
  void write_maps(MapSink& sink) override;
  void save_state(StateWriter& w) const override;  // state.cpp
  void load_state(const StateReader& r) override;

  const Agents& agents() const { return agents_; }
  const Events& events() const { return events_; }
  const WorldMap& world() const { return map_; }
  const Grid& grid() const { return grid_; }
  const Config& config() const { return cfg_; }
  std::int64_t day() const { return day_; }
  /// The mission layer's state (ODD 7.8, 7.10; mission_layer.hpp), read inline by the agents' turns.
  bool mission_present() const { return mission_->present(); }
  std::int64_t first_arrival() const { return mission_->first_arrival; }  ///< -1 before the mission arrives
  /// A refugee outside the country (ODD 7.16, refugees.hpp).
  bool abroad(std::size_t id) const { return refugees_ && refugees_->abroad(id); }
  /// ODD 7.6: whether a citizen with home cell `home` (>= 0) standing on cell c counts as displaced, by
  /// displacement.definition. The one rule of the `displaced` series, its map and the returns.
  bool displaced_at(std::int32_t c, std::int32_t home) const {
    if (cfg_.displacement.definition == Displaced::HomeRegion)
      return map_.region[static_cast<std::size_t>(c)] != map_.region[static_cast<std::size_t>(home)];
    const auto [dx, dy] = grid_.offset(c, home);
    return std::max(dx, dy) > kHomeRadius;
  }
  /// A citizen away from home as the stocks count it: abroad, or on a cell displaced_at its home.
  bool uprooted(std::size_t id) const {
    const std::int32_t c = agents_.cell[id], home = agents_.home[id];
    return abroad(id) || (c >= 0 && home >= 0 && displaced_at(c, home));
  }
  /// Each cell's one-byte code (namespace cell) and its occupant's id (-1 empty).
  const std::vector<std::uint8_t>& codes() const { return code_; }
  const std::vector<std::int32_t>& occupants() const { return occupant_; }
  /// The cells of the porous border (ODD 2), in cell order.
  const std::vector<std::int32_t>& border_cells() const { return border_cells_; }
  /// Town cells (urban 1), in cell order.
  const std::vector<std::int32_t>& towns() const { return towns_; }
  /// Citizens of group g, by cell.
  const BitLayer& group_layer(int g) const { return members_[g]; }
  /// Members of faction f, armed or not, by cell.
  const BitLayer& militia_layer(int f) const { return spoilers_[f]; }
  /// Armed fighters of faction f, by cell.
  const BitLayer& armed_layer(int f) const { return armed_[f]; }
  /// Cells with a killing in the last legitimacy.secure_days days ("secure" is none in vision, ODD 7.2).
  const BitLayer& recent_killings() const { return violence_->recent(); }
  /// Cells with a killing today, a victim of group g today, lethal force used today (ODD 7.2, 7.3).
  const BitLayer& killed_today() const { return violence_->killed_today(); }
  const BitLayer& victims_today(int g) const { return violence_->victims_today(g); }
  const BitLayer& abuse_today() const { return violence_->abuse_today(); }
  /// The cells marked in the three layers above today (a cell may appear more than once).
  const std::vector<std::int32_t>& marked_today() const { return violence_->marked_today(); }
  /// Peacekeepers (Epstein cops included) and constables (police included), by cell, and the number of
  /// cells in the constable layer.
  const BitLayer& peacekeeper_layer() const { return peacekeepers_; }
  const BitLayer& constable_layer() const { return constables_; }
  std::int64_t constable_cells() const { return constable_cells_; }
  /// Counts and visits of a layer's cells within a vision (thread-safe: the parallel passes share it).
  const VisionQuery& query() const { return query_; }
  /// The threads, for a read-only pass whose result is the same on any number of them (a mechanism's
  /// observe); passes that change the model reach it through Mechanism::executor.
  Executor& executor() const { return *exec_; }
  /// Adds each phase's and each hook's wall time, in seconds, to (*out)[name] from the next step() on
  /// (nullptr: off). For the benchmark (keepsim_bench_peace --phases).
  void time_phases(std::map<std::string, double>* out) { phase_seconds_ = out; }
  const Vision& citizen_vision() const { return citizen_vision_; }
  /// Within it a citizen is hit by a killing of its own group (displacement.fear_radius, ODD 7.6).
  const Vision& fear_vision() const { return fear_vision_; }
  const Vision& spoiler_vision() const { return spoiler_vision_; }
  const Vision& mission_vision() const { return mission_vision_; }
  /// C of ODD 7.1 and 7.9 around `centre`: peacekeepers count 1, constables their skill q.
  double security_seen(std::int32_t centre, const Vision& v) const;
  /// ODD 7.17 exposure at cell `c` of a citizen of group `g`, seeing with citizen vision: 1 - protection /
  /// threat, 0 when protection is not outnumbered (two groups and spoilers only). `security`, when given,
  /// is security_seen() there. The citizen's turn reads it at its own cell; return (returns.cpp) at home.
  /// Inline here, for the citizen's turn (act.cpp) as much as for return.
  double exposure_at(std::int32_t c, int g, const double* security = nullptr) const {
    if (cfg_.base.groups != 2 || !cfg_.spoilers.enabled) return 0;
    const int threat = query_.count(armed_[1 - g], c, citizen_vision_);
    if (threat == 0) return 0;
    const int own = query_.count(armed_[g], c, citizen_vision_);
    return exposure_of((security ? *security : security_seen(c, citizen_vision_)) + own, threat);
  }
  /// c_i of ODD 7.13: how far civilian `id` sides with the incumbent.
  double cooperation(std::size_t id) const;
  /// Region r's baseline hardship multiplier (ODD 7.3 development).
  double development(int r) const { return development_->level[static_cast<std::size_t>(r)]; }
  /// L_i of citizen `id` (ODD 7.2), or Epstein's shared L when legitimacy.local is off.
  double legitimacy_of(std::size_t id) const {  // inlined: the passes over every citizen call it
    return cfg_.legitimacy.local ? static_cast<double>(agents_.legitimacy[id]) : legitimacy_;
  }
  /// Epstein's grievance G = H (1 - L) of citizen `id` (ODD 7.1).
  double grievance_of(std::size_t id) const { return agents_.hardship[id] * (1.0 - legitimacy_of(id)); }
  /// The number of regions (at least 1), region r's centre cell, whether the mission has deployed to it,
  /// and its mean legitimacy (ODD 7.2; legitimacy.hpp, set at the end of each day).
  int regions() const { return regions_; }
  std::int32_t region_centre(int r) const { return region_centre_[static_cast<std::size_t>(r)]; }
  bool deployed(int r) const { return mission_->deployed[static_cast<std::size_t>(r)] != 0; }
  double region_legitimacy(int r) const { return legitimacy_pass_->region[static_cast<std::size_t>(r)]; }
  /// The peacekeepers training constables today, at an open training centre (ODD 7.9; the mission layer
  /// counts them, the constabulary reads them).
  std::int64_t trainers() const { return mission_->trainers; }
  /// The day the mission's last unit left (-1 while it has not).
  std::int64_t departure() const { return mission_->departure; }
  /// Region r's population at the start (ODD 7.4 jail places, 7.8 arrivals and presence by population).
  const std::vector<std::int64_t>& region_pop0() const { return region_pop0_; }
  /// Installation cells (capital, depots, training centres), in cell order.
  const std::vector<std::int32_t>& installations() const { return installations_; }
  /// Killings of the last legitimacy.secure_days days, (day, cell), oldest first (ODD 7.2, 7.8 tasking).
  const std::vector<std::pair<std::int64_t, std::int32_t>>& kill_log() const { return violence_->log(); }
  /// The last day with a killing in region r (long before day 0 if none).
  std::int64_t region_last_kill(int r) const { return violence_->region_last_kill(r); }
  /// Whether the installation at cell c is shut today after an attack (ODD 7.5).
  bool installation_down(std::int32_t c) const;
  /// The recorder handle of a series, the model's own or a mechanism's, by name (after declare()).
  Recorder::Handle series_handle(std::string_view name) const;
  /// The model's mechanism of type M (mechanism.hpp), or nullptr when none is registered.
  template <class M>
  M* mechanism() const {
    for (const auto& m : mechanisms_)
      if (auto* p = dynamic_cast<M*>(m.get())) return p;
    return nullptr;
  }
  double will() const { return mission_->will; }
  int phase() const { return mission_->phase; }
  std::int64_t peacekeepers_present() const { return mission_->peacekeepers_present(); }
  /// Throws std::logic_error when agents and layers disagree (one agent per cell, codes match states, no
  /// jailed agent on the grid, initial + births = alive + dead + left).
  void check_invariants() const;

 private:
  friend class Mechanism;  // its protected helpers are what a mechanism may change (mechanism.hpp)

  // social.cpp: the day, phase by phase (mechanism.hpp Phase, ODD 3).
  void run_phase(Phase p);
  void start_day();
  void end_day();

  // model.cpp: set-up, cells and layers, the primitive state changes.
  void populate();
  std::uint8_t code_of(std::size_t id) const;
  void set_code(std::size_t c, std::uint8_t code);
  void place(std::size_t id, std::int32_t c);
  void vacate(std::size_t id);
  void refresh(std::size_t id);  ///< re-derives the cell code after a state change
  void kill(std::size_t victim, int perpetrator_kind);
  void jail(std::size_t id, std::size_t by);  ///< `by`: the unit that arrests (Events::arrests_by)
  std::int32_t random_empty_cell(Stream& s) const;
  std::int32_t empty_cell_near(std::int32_t centre, double radius, Stream& s) const;
  int region_of(std::int32_t c) const { return map_.region[static_cast<std::size_t>(c)]; }

  // act.cpp: the agents' turns (ODD 3 step 3).
  void act_all();
  void act_citizen(std::size_t id, Stream& s);
  void act_spoiler(std::size_t id, Stream& s);
  void join_militia(std::size_t id, int group);
  void act_security(std::size_t id, Stream& s);
  bool move_random(std::size_t id, const Vision& v, Stream& s);
  bool move_toward(std::size_t id, std::int32_t target, const Vision& v, bool away);
  void clone_into_neighbour(std::size_t id, Stream& s);
  bool arrest_in_vision(std::size_t id, const Vision& v, Stream& s, bool lethal);
  void flee(std::size_t id, Stream& s);
  bool engage_spoiler(std::size_t id, const Vision& v, Stream& s);  // ODD 7.14
  bool seeks_fighters(std::size_t id) const;                        // ODD 7.14 rule 3, 7.8 use of force
  void spawn_child(std::size_t parent, std::int32_t c);             // Model II birth onto cell c

  // act_sync.cpp: the sync day (ODD 3, rules.schedule = "sync"): decisions in parallel from the state at the
  // start of each phase, their consequences in id order.
  void act_all_sync();
  void decide_citizen(std::size_t id, SyncPlan& p) const;
  void decide_spoiler(std::size_t id, SyncPlan& p) const;
  void decide_security(std::size_t id, SyncPlan& p) const;
  std::int32_t decide_move(std::size_t id, const SyncPlan& p) const;
  std::int32_t flight_cell(std::size_t id) const;

  // act.cpp: the rules' choices that both schedules make the same way; each reads the state, draws from the
  // stream it is given and changes nothing. Then what carries out an attack of either schedule.
  bool flees_today(std::size_t id, Stream& x) const;  // ODD 7.6, from the flight stream
  // ODD 7.17, threat over protection; `security`, when given, is security_seen() of the citizen's vision
  double exposure(std::size_t id, const double* security = nullptr) const;
  bool leaves_country(std::size_t id) const;  // ODD 7.16, a flight abroad
  /// Rule A, 7.5, 7.14, 7.17; Gated: with the precipitants of 7.19 (participation.precipitant_days > 0), a
  /// separate instance so that the default path carries no test of its own.
  template <bool Gated>
  void decide_rule_a(std::size_t id, Stream& victims, SyncPlan& p) const;
  void join_or_arm(std::size_t id, std::int32_t here, double grievance, bool active, const double* cops,
                   SyncPlan& p) const;                                        // 7.5, 7.14, 7.17
  bool spoiler_hides(std::size_t id) const;                                   // ODD 7.5
  bool spoiler_attacks(std::size_t id, Stream& x) const;                      // ODD 7.5, 7.14
  void choose_attack(std::size_t id, Stream& x, SyncPlan& p) const;           // rivals, civilians, convoys
  void choose_security_attack(std::size_t id, Stream& x, SyncPlan& p) const;  // ambush, installation
  bool still_there(std::int32_t target, Kind k) const;  ///< on the grid, free, alive, still of kind k
  /// Carries out an attack (the kills of Model II and of spoilers, ambush, installation; a raid with `raid`);
  /// false when its victim is no longer there as what it was.
  bool apply_attack(std::size_t id, const SyncPlan& p, Stream* raid);
  void apply_join(std::size_t id, const SyncPlan& p);  ///< a recruit or one arming for protection joins
  std::int32_t cell_toward(std::int32_t here, std::int32_t target, const Vision& v, bool away) const;
  std::int32_t flight_choice(std::size_t id, Stream& x) const;  // ODD 7.6, -1: none
  std::int64_t arrest_target(std::size_t id, const Vision& v, Stream& s, bool lethal) const;  // rule C
  std::int64_t locate_spoiler(std::size_t id, const Vision& v, Stream& x) const;              // ODD 7.14
  std::int32_t nearest_security(std::int32_t here) const;  // ODD 7.5 hiding
  /// How a security unit moves by its task (ODD 7.8): toward a cell, to a cell, at random, or not at all.
  struct TaskMove {
    enum How : std::uint8_t { kStay, kToward, kTo, kRandom } how;
    std::int32_t cell;
  };
  TaskMove task_move(std::size_t id, const Vision& v) const;
  /// Every agent in `movers` with a cell from choose(id) (-1: none) that is empty now; where several pick
  /// one cell, the smallest (hash of seed, id, day; id) takes it, and act(id, cell) runs: in parallel when
  /// `parallel` (act must then touch only the agent and the two cells), else in id order.
  template <class Choose, class Act>
  void resolve_claims(const std::vector<std::uint32_t>& movers, Choose&& choose, Act&& act, bool parallel);
  double support_around(std::int32_t centre, const Vision& v, int group) const;
  double incumbent_share(std::int32_t c) const {  // ODD 7.15, from the control mechanism
    return control_ ? control_->incumbent_share(c) : 1.0;
  }

  // environment.cpp: a bandit's raid on a convoy (ODD 7.7; the convoys are aid_convoys.hpp's).
  bool raid_convoy_near(std::size_t raider, Stream& s);

  // social.cpp: ageing and releases (ODD 7.1; the jails are justice.hpp's). Legitimacy and hardship,
  // development, DDR and the return of the displaced, after them, are components (legitimacy.cpp,
  // development.cpp, ddr.cpp, returns.cpp).
  void justice_day();

  // social.cpp: the day's order and Epstein's schedules over time.
  double legitimacy_at(std::int64_t t) const;
  void apply_cop_schedule();
  std::int64_t killings_today() const;

  std::int64_t population() const;

  /// ODD 7.12: what the burn-in's war did, for the summaries that compare it with a case's record before its
  /// mission (nothing of the burn-in is a series). Set by the constructor; a resumed run's constructor runs
  /// the same burn-in again before loading, so it is not checkpointed.
  struct BurnInRecord {
    std::int64_t days = 0, killings = 0, civilians_killed = 0, peak_uprooted = 0;
    double agent_days = 0;  ///< population summed over the burn-in's days
  };
  BurnInRecord burn_in_;

  Config cfg_;
  WorldMap map_;
  Grid grid_;
  Vision citizen_vision_, cop_vision_, spoiler_vision_, mission_vision_, constable_vision_, neighbours_,
      near_, flight_vision_, fear_vision_;
  std::int64_t constable_cells_ = 0;  ///< cells in the constable layer (no scan to ask "any?")
  std::vector<std::uint8_t> code_;
  std::vector<std::int32_t> occupant_;
  BitLayer peacekeepers_, constables_, actives_, empties_, members_[2], spoilers_[kFactions],
      armed_[kFactions], exposed_;
  VisionQuery query_{grid_};
  Agents agents_;
  Events events_;
  std::int64_t day_ = 0;
  double legitimacy_ = 0;                             ///< Epstein's shared L (when legitimacy.local is off)
  std::int64_t cops_on_grid_ = 0, initial_cops_ = 0;  ///< Epstein cops (no contingent)
  std::int64_t initial_people_ = 0, births_total_ = 0, dead_people_ = 0;
  /// People who left the country alive (Mechanism::leave): today only those who go with a withdrawing party
  /// at the settlement (ODD 7.20), which a resumed run's constructor repeats, so this is set again there and
  /// not checkpointed. A mechanism that made people leave during the days would have to save it.
  std::int64_t left_people_ = 0;
  std::unique_ptr<Executor> exec_;
  // The sync day's scratch (act_sync.cpp): one plan per agent, one claim per cell (kept empty between uses).
  std::vector<SyncPlan> plan_;
  std::vector<std::uint64_t> claim_;
  std::vector<std::uint32_t> movers_;
  std::vector<std::int32_t> want_;
  std::vector<std::uint64_t> security_by_cell_;  ///< the sync day's security units, (cell << 32 | id)
  /// While the sync day's citizens decide (the layers then stand still): per cell, whether the citizens'
  /// vision holds a fighter of group g's militia (kSeesSpoiler << g), an armed one (kSeesArmed << g) or a
  /// peacekeeper (kSeesPeacekeeper), spread from the few fighters and units instead of counted by every
  /// citizen (decide_rule_a). Which of them are spread says marks_ (none when it is 0; the arrays of this
  /// block keep their size between days, and flags say whether they hold today's answers).
  static constexpr std::uint8_t kSeesSpoiler = 1, kSeesArmed = 4, kSeesPeacekeeper = 16;
  std::vector<std::uint8_t> in_sight_;
  std::uint8_t marks_ =
      0;  ///< the bits of in_sight_ spread today: kSeesSpoiler | kSeesArmed, kSeesPeacekeeper; 0: none
  /// Likewise, per cell, the constables' skills within the citizens' vision in units of 2^-45
  /// (spread_skill_sums), where that sum is exact, as skill_spread_ says; else they are walked. Lent to the
  /// legitimacy component for its own sum later in the day (Mechanism::cell_sums).
  std::vector<std::int64_t> skill_in_sight_;
  bool skill_spread_ = false;  ///< skill_in_sight_ holds today's sums (else walked)
  /// Likewise, per cell, how many armed fighters of group g the citizens' vision holds (spread_counts from
  /// the few fighters), the threat and the own side's guard of exposure (ODD 7.17), as armed_spread_ says;
  /// in_sight_'s kSeesArmed bits are spread instead where a vision is too large for a byte's count.
  std::vector<std::uint8_t> armed_in_sight_[2];
  bool armed_spread_ = false;  ///< armed_in_sight_ holds today's counts

  // Regions.
  int regions_ = 1;
  std::vector<std::int64_t> region_pop0_;
  std::vector<std::int32_t> region_centre_;
  std::vector<std::int32_t> border_cells_, installations_, towns_;
  std::vector<std::int64_t> installation_down_until_;

  // Maps: killings per cell since the last snapshot (empty when no maps are written).
  std::vector<std::int32_t> map_killings_;

  Recorder::Handle h_[64] = {};

  // Mechanisms as components (mechanism.hpp): one per registered type, and the hooks of each phase.
  std::vector<std::unique_ptr<Mechanism>> mechanisms_;
  std::array<std::vector<Mechanism*>, kPhases> hooks_;
  std::map<std::string, double>* phase_seconds_ = nullptr;  ///< time_phases()
  std::string mechanism_name(const Mechanism* m) const;
  /// The memory of violence (7.2, 7.3, 7.6, 7.8): written inline by kill() and the lethal response in the
  /// agents' turns, read through the accessors above.
  ViolenceMemory* violence_ = nullptr;
  /// The mission layer (7.8, 7.10): its phase read inline in the agents' turns, a contingent's losses
  /// counted by kill(), yesterday's census handed to it by end_day().
  MissionLayer* mission_ = nullptr;
  Control* control_ = nullptr;  ///< read inline in the agents' turns (7.14, 7.15)
  /// The citizens' legitimacy and hardship (7.2, 7.3): the regional means of L_i, set by end_day().
  Legitimacy* legitimacy_pass_ = nullptr;
  MissionLegitimacy* mission_legitimacy_ = nullptr;  ///< M_i, read in turns and in legitimacy.cpp (7.13)
  SecurityDilemma* security_dilemma_ = nullptr;      ///< arming for protection in a citizen's turn (7.17)
  Refugees* refugees_ = nullptr;                     ///< flight abroad in a citizen's turn, abroad() (7.16)
  Justice* justice_ = nullptr;  ///< deterrence in a citizen's turn, jail places in jail() and releases (7.4)
  ArmsSupply* arms_supply_ = nullptr;  ///< the factions' arms (7.5): loot from raids
  AidConvoys* aid_ =
      nullptr;  ///< convoys raided and escorted in agents' turns, aid read in legitimacy.cpp (7.7)
  double* arms_ = nullptr;              ///< arms_supply_->stock, drawn inline by recruitment and arming (7.5)
  Development* development_ = nullptr;  ///< regions' baseline multipliers, read by the hardship pass (7.3)
  Ddr* ddr_ = nullptr;  ///< the former fighters' column (7.5): set by jail, cleared by join_militia
  /// The mission's response to attacks on civilians (7.8): told of them by kill(), read by task_move.
  ProtectionResponse* response_ = nullptr;
  /// The cost of keeping up open defiance (7.18): rule A's threshold in a citizen's turn.
  ParticipationCost* participation_ = nullptr;
  /// participation_->on(), read once: rule A tests it on every citizen's turn (7.18).
  bool participation_on_ = false;
  /// participation.precipitant_days, read once: rule A tests it on every citizen's turn (7.19; 0: off).
  std::int32_t precipitant_days_ = 0;
  /// Riots that follow precipitating events (7.19): the news of attacks beyond sight, read by rule A.
  const RiotPrecipitants* precipitants_ = nullptr;
};

}  // namespace keepsim::peace

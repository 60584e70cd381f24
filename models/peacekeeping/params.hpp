// Parameters of the peacekeeping extension (ODD 2, 5, 7 and 8), declared once in the schema. The
// Epstein keys (world, citizens, cops, jail, legitimacy, demography, rules) keep their meaning: with every
// switch below off the peacekeeping engine runs Epstein's models exactly (ODD 4, basic principles).
// Nothing here names a doctrine: a doctrine is a config file that sets these levers (configs/doctrines/).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keepsim/core/params.hpp"
#include "models/epstein/params.hpp"
#include "models/peacekeeping/world_map.hpp"

namespace keepsim::peace {

enum Task : std::uint8_t { kPresence, kRiot, kEscort, kBorder, kGuard, kTrain, kPolitical, kTasks };
inline constexpr std::array<const char*, kTasks> kTaskNames = {"presence", "riot",  "escort",   "border",
                                                               "guard",    "train", "political"};

enum class MapSource { None, Generate, File };
enum class RiotResponse { Withdraw, HoldNonlethal, Lethal };
enum class SoldiersArrest { Everyone, Fighters };  ///< ODD 7.8: whom a mission soldier detains
/// ODD 7.8: whether the mission's own units seek out fighters.
enum class UseOfForce { Offensive, SelfDefence };
enum class ExitRule { Date, EndState };
enum class Deployment { CapitalFirst, TerritoryWide };

inline constexpr int kMaxContingents = 6;
inline constexpr double kDays = 1e7;  ///< the upper bound of every day key in the schema
/// cells: how near its home cell a return, a forced return or a release puts a citizen (a Moore radius), and
/// so what "at home" means under displacement.definition = "home_cell" (ODD 7.6).
inline constexpr int kHomeRadius = 2;
inline constexpr int kFactions = 3;  ///< militia of group 0, militia of group 1, bandits
inline constexpr int kBandits = 2;

class Mechanism;

struct LegitimacyParams {  // ODD 7.2
  bool local = false;
  double initial_spread = 0, secure_gain = 0, victim_loss = 0, imposition_loss = 0, abuse_loss = 0,
         gov_gain = 0, aid_gain = 0, relax = 0;
  std::int64_t secure_days = 30;
};

struct HardshipParams {  // ODD 7.3
  bool enabled = false;
  double violence_gain = 0, relax = 0;  // the development keys are development.cpp's
};

struct SpoilerParams {  // ODD 7.5
  bool enabled = false;
  double militia_share = 0, bandit_share = 0, vision = 7, outgun_ratio = 1, attack_probability = 0,
         kill_security_probability = 0, installation_attack_probability = 0, recruit_grievance = 0.5,
         recruit_probability = 0;  // DDR's keys are ddr.cpp's (ODD 7.5)
  std::int64_t exposed_days = 3, installation_downtime = 10;
  /// arms.half_saturation, read by recruitment (act.cpp); the key is declared with the other arms keys by
  /// the arms supply component (arms_supply.cpp, ODD 7.5), which holds the stocks.
  double arms_half_saturation = 10;
  // 7.14: spoilers whose strength follows popular support, who are found through civilian information,
  // fight rivals and wait out a mission with an announced exit date.
  bool political = false;
  double engage_probability = 0, engage_kill_share = 0.5, rival_attack_share = 0, wait_out = 0;
};

/// ODD 7.6: who counts as displaced, and so may go home: a citizen outside its home region, or one farther
/// than kHomeRadius cells from its home cell.
enum class Displaced : std::uint8_t { HomeRegion, HomeCell };

struct DisplacementParams {  // ODD 7.6
  bool enabled = false;
  Displaced definition = Displaced::HomeRegion;
  double flee_probability = 0;
  std::int64_t memory_days = 7;
  bool forced_return = false;
  double return_probability = 0;
  std::int64_t return_interval = 30;
  double flight_radius = 0, fear_radius = 0;  // 7.16 (refuge abroad: refugees.hpp)
  bool flee_threat = false;                   // 7.16: flight from armed men in sight, before any killing
};

struct Contingent {  // ODD 7.8
  std::int64_t size = 0, arrival_day = 0;
  double casualty_tolerance = 1, coherence = 1;
  std::array<bool, kTasks> refuses{};  ///< national caveats
};

struct MissionParams {  // ODD 7.8 and 7.10 (the will's keys: mission_layer.hpp)
  bool enabled = false;
  std::vector<Contingent> contingents;
  double vision = 7;
  std::array<double, kTasks> task_weights{};
  std::int64_t retask_days = 7;
  RiotResponse riot_response = RiotResponse::HoldNonlethal;
  double riot_ratio = 3, lethal_probability = 0.5;
  SoldiersArrest soldiers_arrest = SoldiersArrest::Everyone;
  UseOfForce use_of_force = UseOfForce::Offensive;
  ExitRule exit = ExitRule::Date;
  std::int64_t elections_day = 0, exit_day = 0;
  double end_constables_per_1000 = 2, end_min_legitimacy = 0.5, drawdown = 0.1;
  Deployment deployment = Deployment::TerritoryWide;
  std::int64_t expand_days = 30;
  double imposition = 0;
  std::int64_t imposition_interval = 0;  ///< days between imposed outcomes (0: a daily cost, 7.2)
  std::int64_t base_radius = 5;
};

struct ConstabularyParams {  // ODD 7.9: what the model reads of the constabulary's keys (constabulary.hpp)
  bool enabled = false;
  double vision = 7;
  std::int64_t police_count = 0;
};

struct Config {
  epstein::Config base;  ///< the Epstein core and its switches
  std::string doctrine;
  MapSource map_source = MapSource::None;
  MapParams map;
  std::string map_file;
  double majority_share = 1, urban_weight = 0;
  LegitimacyParams legitimacy;
  HardshipParams hardship;
  SpoilerParams spoilers;
  DisplacementParams displacement;
  MissionParams mission;
  ConstabularyParams constabulary;
  double people_per_agent = 1, km_per_cell = 1;  ///< 7.12: what an agent and a cell stand for
  std::int64_t burn_in_days = 0;                 ///< 7.12: days of pre-mission dynamics before day 0
  double killing_threshold = 36.5;  ///< killings per 100k inhabitants per year below which a day is calm
  std::int64_t stable_days = 90;    ///< M: calm days in a row that make security stable
  std::int64_t calm_window = 30;    ///< days over which the daily killing rate is averaged
  std::int64_t relapse_days = 180;  ///< Y: window before and after the mission leaves
  std::int64_t map_every = 0;       ///< maps every N days (0: none)
  /// The prototype of every registered mechanism, in registration order (mechanism.hpp).
  std::vector<std::shared_ptr<const Mechanism>> mechanisms;
};

/// Killings per 100k inhabitants per year, averaged over the `window` days ending at index `end` (exclusive)
/// of a day-by-day killing count. One definition for the mission's end-state and the run summary.
inline double calm_rate(const std::vector<std::int64_t>& killings, std::size_t end, std::int64_t window,
                        std::int64_t population) {
  std::int64_t sum = 0;
  const std::size_t w = static_cast<std::size_t>(window);
  const std::size_t begin = end > w ? end - w : 0;
  for (std::size_t t = begin; t < end; ++t) sum += killings[t];
  const double days = static_cast<double>(end - begin);
  return days > 0 ? 365.0 * 1e5 * static_cast<double>(sum) / days /
                        static_cast<double>(population > 0 ? population : 1)
                  : 0.0;
}

/// Adds the peacekeeping parameters to a schema (the Epstein ones must already be there).
void declare_params(Schema& schema);

/// Reads and cross-checks the parameters; throws ConfigError naming the file and key.
Config read_config(const Params& params);

}  // namespace keepsim::peace

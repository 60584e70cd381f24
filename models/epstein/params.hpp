// Parameters of Epstein's civil-violence models (docs/epstein.md), declared once in the schema.
#pragma once
#include <cstdint>
#include <string>

#include "keepsim/core/grid.hpp"
#include "keepsim/core/params.hpp"

namespace keepsim::epstein {

enum class Ratio { Literal, Floor, Round };
enum class Jailed { OffGrid, KeepCell };
enum class Schedule { Async, Sync };
enum class Order { MoveFirst, ActFirst };
enum class Violence { Rebellion, InterGroup };
enum class LegitimacySchedule { Constant, Linear, Jump };
enum class CopSchedule { Constant, Linear, Step };

/// The parameters as typed values, read once from Params so the hot loops never look up a string.
struct Config {
  std::int64_t steps = 0;
  std::uint64_t seed = 0;
  int width = 0, height = 0;
  Topology topology = Topology::Torus;

  double citizen_density = 0, citizen_vision = 0, threshold = 0, arrest_constant = 0, legitimacy = 0;
  bool citizens_move = true;
  int groups = 1;
  double group_share = 0.5;
  Violence violence = Violence::Rebellion;

  double cop_density = 0, cop_vision = 0;
  bool cops_move = true;
  CopSchedule cop_schedule = CopSchedule::Constant;
  std::int64_t cop_change_start = 0, cop_change_end = 0;
  double cop_target_density = 0, cop_change_rate = 0;

  double max_jail_term = 0;  ///< J_max, may be infinite

  LegitimacySchedule legitimacy_schedule = LegitimacySchedule::Constant;
  std::int64_t legitimacy_change_start = 0;
  double legitimacy_change_rate = 0, legitimacy_target = 0;

  double clone_probability = 0;
  std::int64_t max_age = 0;  ///< 0: agents do not age

  Ratio ratio = Ratio::Floor;
  Metric metric = Metric::Euclidean;
  Jailed jailed = Jailed::OffGrid;
  Schedule schedule = Schedule::Async;
  Order order = Order::MoveFirst;

  std::int64_t outburst_threshold = 50;
  bool cop_proximity = false;  ///< record citizens near cops, and how many of them are active
};

/// Adds the Epstein parameters (and the common run/world keys) to a schema.
void declare_params(Schema& schema);

/// Reads and cross-checks the parameters. Throws ConfigError naming the key and the file it came from when
/// parameters are inconsistent (densities above 1, a vision that wraps onto itself on a torus, ...).
Config read_config(const Params& params);

}  // namespace keepsim::epstein

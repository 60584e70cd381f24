// The memory an Epstein run needs (models/memory.hpp), term by term from the arrays of EpsteinModel
// (model.hpp): whoever adds an array there adds its term here, and test_memory_estimate.cpp checks the sum
// against what a real model allocates.
#include <algorithm>
#include <cmath>

#include "models/epstein/model.hpp"
#include "models/epstein/params.hpp"
#include "models/memory.hpp"

namespace keepsim::epstein {

std::size_t series_width(const Config& c) {
  // quiet, active, jailed, cops, arrests, releases, births, deaths_of_age, legitimacy; alive and killed by
  // group; near_cops and active_near_cops with output.cop_proximity.
  return 9 + 2 * static_cast<std::size_t>(c.groups) + (c.cop_proximity ? 2 : 0);
}

MemoryEstimate estimate_memory(const Config& c, int threads) {
  using estimate::grown;
  MemoryEstimate m;
  const double cells = static_cast<double>(c.width) * c.height;
  const auto icells = static_cast<std::int64_t>(c.width) * c.height;
  const auto n_cit = static_cast<double>(std::llround(c.citizen_density * cells));
  const auto n_cop = static_cast<double>(std::min<std::int64_t>(
      icells - std::llround(c.citizen_density * cells), std::llround(c.cop_density * cells)));
  // Cops added by a schedule are new agents (withdrawn ones keep their slot); a step schedule with an end
  // brings the initial force back as new agents too.
  double added_cops = 0;
  if (c.cop_schedule != CopSchedule::Constant) {
    const auto target = static_cast<double>(std::llround(c.cop_target_density * cells));
    added_cops = std::max(0.0, target - n_cop);
    if (c.cop_schedule == CopSchedule::Step && c.cop_change_end != 0 && target < n_cop)
      added_cops += n_cop - target;
  }
  const double born =
      estimate::births(n_cit, cells - std::max(n_cop, n_cop + added_cops), c.clone_probability, c.max_age,
                       c.violence == Violence::InterGroup, c.steps);
  const double agents = n_cit + n_cop + added_cops + born;
  const int workers = estimate::thread_count(threads);

  // Cells: the code and occupant layers, five bit layers (cops, actives, empties, members of each group).
  const double words = std::ceil(static_cast<double>(c.width) / 64.0) * c.height;
  m.state += cells * (sizeof(std::uint8_t) + sizeof(std::int32_t)) + 5 * 8 * words;
  // Agents: seven arrays (nine when citizens die of age) reserved at the initial count, then doubling from it
  // as births and added cops come.
  const double initial = n_cit + n_cop;
  const double capacity = initial > 0 ? initial * grown(agents / initial) : agents;
  const double per_agent = sizeof(Kind) + sizeof(Status) + 1 + 4 + 4 + 4 + 4 + (c.max_age > 0 ? 8 : 0);
  m.state += per_agent * capacity;
  if (c.schedule == Schedule::Sync) {
    // Scratch kept between periods: a claim per cell; decision counts per cell (two bytes, a square vision
    // of reach <= 7); the next status per agent unless statuses change as citizens decide (counted, no
    // killing) and, with births, a target per agent (both resized, so doubling).
    const auto reach = [](double radius) { return static_cast<int>(std::floor(radius + 1e-9)); };
    const int citizen_reach = reach(c.citizen_vision);
    const bool counted = c.metric == Metric::Moore && citizen_reach >= 1 && citizen_reach <= 7;
    m.state += cells * (8.0 + (counted ? 2.0 : 0.0));
    const bool killing = c.violence == Violence::InterGroup;
    m.state += (counted && !killing ? 0.0 : sizeof(Status) * capacity) +
               (c.clone_probability > 0 ? 4 * capacity : 0.0);
  } else {
    m.transient += 4 * agents;  // the activation order, built each period
  }
  if (agents > initial) m.transient += per_agent * capacity / 2;  // an agent array moving to a larger buffer

  // Every row of every series stays in memory for the whole run (Recorder), each array doubling as it grows.
  const double rows = grown(static_cast<double>(c.steps) + 1);
  m.recorder = 8 * (static_cast<double>(series_width(c)) + 1) * rows;

  // The program, its libraries and HDF5's caches (a chunk per series); worker threads' stacks in use.
  m.overhead =
      24.0 * 1024 * 1024 + 1024.0 * 1024 * workers + 8.0 * 1024 * (static_cast<double>(series_width(c)) + 1);
  // Reserved, not used: each worker thread's stack (4 MiB in oneTBB) and malloc arena (64 MiB in glibc).
  m.address_space = 68.0 * 1024 * 1024 * (workers - 1);

  m.what = "world " + std::to_string(c.width) + "x" + std::to_string(c.height) + ", " +
           estimate::count_text(agents) + " agents, " + std::to_string(c.steps) + " periods";
  m.advice = "reduce world.width/height, citizens.density or cops.density";
  if (born > 0.2 * agents) m.advice += ", demography.clone_probability or demography.max_age";
  if (m.recorder > 0.2 * m.total()) m.advice += ", or run.steps";
  return m;
}

}  // namespace keepsim::epstein

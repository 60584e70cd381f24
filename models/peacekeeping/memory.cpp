// The memory a peacekeeping run needs (models/memory.hpp), term by term from the arrays of PeaceModel
// (model.hpp) and WorldMap (world_map.hpp): whoever adds an array there adds its term here, and
// test_memory_estimate.cpp checks the sum against what a real model allocates.
#include <algorithm>
#include <cmath>

#include "models/memory.hpp"
#include "models/peacekeeping/mechanism.hpp"
#include "models/peacekeeping/model.hpp"
#include "models/peacekeeping/params.hpp"

namespace keepsim::peace {

double arriving_agents(const Config& c, double cops) {
  // Agents arriving later are new slots: Epstein cops added by a schedule, contingents, international police.
  const epstein::Config& b = c.base;
  double arriving = 0;
  if (b.cop_schedule != epstein::CopSchedule::Constant)
    arriving +=
        std::max(0.0, std::round(b.cop_target_density * static_cast<double>(b.width) * b.height) - cops);
  if (c.mission.enabled)
    for (const Contingent& k : c.mission.contingents) arriving += static_cast<double>(k.size);
  if (c.constabulary.enabled) arriving += static_cast<double>(c.constabulary.police_count);
  return arriving;
}

MemoryEstimate estimate_memory(const Config& c, int threads) {
  using estimate::grown;
  const epstein::Config& b = c.base;
  MemoryEstimate m;
  const double cells = static_cast<double>(b.width) * b.height;
  const auto icells = static_cast<std::int64_t>(b.width) * b.height;

  // People placed at the start: exactly round(density * cells) without a map; on a map each cell is settled
  // with a probability, of mean citizens.density + cops.density (less where towns cap it at 1).
  double citizens = 0, cops = 0;
  if (c.map_source == MapSource::None) {
    citizens = static_cast<double>(std::llround(b.citizen_density * cells));
    cops = static_cast<double>(std::min<std::int64_t>(icells - std::llround(b.citizen_density * cells),
                                                      std::llround(b.cop_density * cells)));
  } else {
    citizens = std::min(1.0, b.citizen_density) * cells;
    cops = std::min(b.cop_density, std::max(0.0, 1.0 - b.citizen_density)) * cells;
  }
  const double arriving = arriving_agents(c, cops);
  const double born = estimate::births(citizens, cells - cops - arriving, b.clone_probability, b.max_age,
                                       b.violence == epstein::Violence::InterGroup, b.steps);
  const double agents = citizens + cops + arriving + born;
  const int workers = estimate::thread_count(threads);

  // Cells: code, occupant, marks near (the legitimacy component's, legitimacy.cpp, counted here as before;
  // the memory of violence counts its killings for the few cells that had one, violence_memory.hpp); the
  // map's six layers (region, homeland, urban, road, border, installation); 19 bit layers (the memory of
  // violence's five and the aid convoys' among them: aid_convoys.cpp counts the rest of its own).
  const double words = std::ceil(static_cast<double>(b.width) / 64.0) * b.height;
  m.state += cells * (1 + 4 + 1) + cells * (2 + 1 + 4 + 1 + 1 + 1) + 19 * 8 * words;
  // Border cells, grown one at a time.
  m.state += 4 * grown(2.0 * (b.width + b.height));
  // Agents: 25 arrays reserved by populate() for those placed, those arriving and a sixteenth more, then
  // doubled as often as births need; the mechanisms' columns, reserved alike, are theirs to count (below).
  double slots = (citizens + cops) * (1.0 + 1.0 / 16) + arriving;
  while (slots < agents) slots *= 2;
  constexpr double per_agent =
      sizeof(Kind) + sizeof(Status) + 1 + 4 + 5 * 4 + 3 * 4 + 3 * 4 + 5 + 1 + 4 + 4 + 2 + 1;
  m.state += per_agent * slots;
  m.state += 8 * grown(static_cast<double>(b.steps));  // killings day by day (mission_layer.hpp)
  for (const auto& mech : c.mechanisms) mech->memory(cells, slots, m.state, m.transient);
  if (b.schedule == epstein::Schedule::Sync) {
    // The sync day (act_sync.cpp): a plan per agent, a claim per cell, the fighters and peacekeepers in
    // sight of each cell (with spoilers or a mission) and the counts of each group's armed fighters in
    // sight (with spoilers and two groups), kept; the movers and their chosen cells, for the day.
    const bool armed_counts = c.spoilers.enabled && b.groups == 2;
    m.state += static_cast<double>(sizeof(SyncPlan)) * agents +
               (8 + (c.spoilers.enabled || c.mission.enabled ? 1 : 0) + (armed_counts ? 2 : 0)) * cells;
    m.transient += (4 + 4) * agents;
  } else {
    m.transient += 4 * agents;  // the day's activation order
  }
  m.transient += 4 * slots / 2;  // an agent array being moved to a buffer twice its size
  // The constables' skills in sight, per cell (skill_in_sight_: the sync day's and the legitimacy pass's).
  if (c.constabulary.enabled) m.state += 8 * cells;

  const double rows = grown(static_cast<double>(b.steps) + 1);
  m.recorder = 8 * (static_cast<double>(series_width(b.groups)) + 1) * rows;

  m.overhead = 24.0 * 1024 * 1024 + 1024.0 * 1024 * workers +
               8.0 * 1024 * (static_cast<double>(series_width(b.groups)) + 1);
  if (c.map_every > 0) {
    m.state += 4 * cells;  // killings since the last snapshot (model.hpp)
    // A snapshot's occupancy, legitimacy, control and displaced layers, and HDF5's buffers for a compressed
    // chunk (one snapshot of one map); up to a 1 MiB chunk cache per map (six maps, docs/output.md).
    m.transient += 10 * cells + 2 * 4 * cells;
    m.overhead += 6 * std::min(1024.0 * 1024, 4 * cells);
  }
  m.address_space = 68.0 * 1024 * 1024 * (workers - 1);

  m.what = "world " + std::to_string(b.width) + "x" + std::to_string(b.height) + ", " +
           estimate::count_text(agents) + " agents, " + std::to_string(b.steps) + " days";
  m.advice = "reduce world.width/height or citizens.density";
  if (born > 0.2 * agents) m.advice += ", demography.clone_probability or demography.max_age";
  if (m.recorder > 0.2 * m.total()) m.advice += ", or run.steps";
  return m;
}

}  // namespace keepsim::peace

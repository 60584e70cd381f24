// ODD 7.7 aid convoys as a component (mechanism.hpp): the aid.* keys, the road routes from the depots, the
// convoys' daily advance, delivery and sending with their escorts, a raid's outcome, the memory estimate and
// the checkpoint fields. Its series (convoys_sent, convoys_delivered, convoys_raided) stay among the model's
// own (observe.cpp), from the day's event counters.
#include "models/peacekeeping/aid_convoys.hpp"

#include <algorithm>
#include <cmath>
#include <deque>

#include "models/memory.hpp"
#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

void declare(Schema& s) {
  s.add(bool_param("aid.enabled", false, "aid convoys from depots to towns (ODD 7.7)"));
  s.add(real_param("aid.convoys_per_day", 0, "1/day", 0, 1000, "convoys each open depot sends a day"));
  s.add(int_param("aid.speed", 5, "cells/day", 1, 100000, "road cells a convoy covers a day"));
  s.add(real_param("aid.radius", 5, "cells", 0, 1000, "radius around the town that receives aid"));
  s.add(real_param("aid.hardship_relief", 0, "1", 0, 1, "hardship removed by one delivery"));
  s.add(real_param("aid.raid_probability", 0, "1", 0, 1, "success chance of a raid on an unescorted convoy"));
  s.add(int_param("aid.escorts_per_convoy", 2, "units", 0, 1000,
                  "idle escort units that join each new convoy"));
  s.add(real_param("aid.escort_strength", 1, "1", 0, 1000, "raid chance divides by 1 + strength * escorts"));
  s.add(choice_param(
      "aid.escorts_counted", {"present", "assigned"},
      "which escorts divide a raid's chance: those still alive, on duty, escorting the convoy and "
      "within 2 cells of it, or (the earlier rule) those assigned when it left (ODD 7.7, 12 item 2)"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config& c) {
  auto m = std::make_shared<AidConvoys>();
  m->enabled = p.get_bool("aid.enabled");
  m->convoys_per_day = p.get_real("aid.convoys_per_day");
  m->speed = p.get_int("aid.speed");
  m->radius = p.get_real("aid.radius");
  m->hardship_relief = p.get_real("aid.hardship_relief");
  m->raid_probability = p.get_real("aid.raid_probability");
  m->escort_strength = p.get_real("aid.escort_strength");
  m->escorts_per_convoy = static_cast<int>(p.get_int("aid.escorts_per_convoy"));
  m->count_present = p.get_string("aid.escorts_counted") == "present";
  const epstein::Config& b = c.base;
  m->depots_estimate = c.map_source == MapSource::Generate ? c.map.depots : 1;
  m->convoys_estimate = std::ceil(m->convoys_per_day * static_cast<double>(b.steps));
  m->route_estimate = 4 * (b.width + b.height) / 2.0 + 16;  // about half the map across, 4 bytes a cell
  // A road search reaches the roads: on a generated map a spanning tree of straight paths between the towns,
  // each at most a width plus a height (world_map.cpp build_roads), with the towns' cores; a map file's roads
  // are not known before it is read, and the generator's default of 8 towns stands in for them.
  const double towns = c.map_source == MapSource::Generate ? c.map.towns : 8;
  m->reach_estimate = towns * (b.width + b.height);
  return m;
}

}  // namespace

// Its keys keep their place in the schema, after the model's displacement keys (ODD 7.6, 7.7 order).
extern const MechanismType aid_convoys_mechanism = {"aid_convoys", &declare, &read, {}, {}, "displacement"};

void AidConvoys::init(PeaceModel& m) {
  cells_ = m.grid().cells();
  layer_.reset(m.grid());
  if (enabled) build_roads(m);
}

void AidConvoys::run(Phase, PeaceModel& m) {
  if (enabled) move(m);
}

void AidConvoys::mark(std::int32_t c, int delta) {
  const auto n = static_cast<std::int16_t>(count_[c] + delta);
  if (n == 0)
    count_.erase(c);
  else
    count_[c] = n;
  layer_.assign(c, n > 0);
}

void AidConvoys::move(PeaceModel& m) {
  Agents& agents_ = agents(m);
  const std::vector<std::int32_t>& occupant = m.occupants();
  // Convoys under way advance along their road; on arrival the citizens around the town receive aid.
  const Vision reach(Metric::Euclidean, radius);
  const VisionQuery query(m.grid());
  for (Convoy& cv : convoys_) {
    if (!cv.alive) continue;
    mark(cv.path[cv.at], -1);
    cv.from = cv.at;
    cv.at = std::min(cv.path.size() - 1, cv.at + static_cast<std::size_t>(speed));
    if (cv.at + 1 < cv.path.size()) {
      mark(cv.path[cv.at], +1);
      continue;
    }
    cv.alive = false;
    ++events(m).convoys_delivered;
    const std::int32_t town = cv.path.back();
    auto give = [&](std::int64_t c) {
      const auto id = static_cast<std::size_t>(occupant[static_cast<std::size_t>(c)]);
      agents_.aided[id] = 1;
    };
    for (int g = 0; g < 2; ++g) {
      query.for_each(m.group_layer(g), town, reach, give);
      if (m.group_layer(g).test(town)) give(town);
    }
  }
  // Each open depot sends convoys_per_day convoys (fractions carry over) to a random town.
  std::vector<std::size_t> open;
  for (std::size_t k = 0; k < depot_cells_.size(); ++k)
    if (!m.installation_down(depot_cells_[k])) open.push_back(k);
  const std::vector<std::int32_t>& towns = m.towns();
  if (open.empty() || towns.empty()) return;
  credit_ += convoys_per_day * static_cast<double>(open.size());
  Stream s(m.config().base.seed, kConvoy, 0, static_cast<std::uint64_t>(m.day()));
  for (std::size_t sent = 0; credit_ >= 1; ++sent) {
    credit_ -= 1;
    const std::size_t k = open[sent % open.size()];
    const std::int32_t town = towns[s.below(static_cast<std::uint32_t>(towns.size()))];
    const RoadTree& tree = trees_[k];
    if (town == depot_cells_[k] || tree.parent_of(town) < 0) continue;  // no road there
    Convoy cv;
    for (std::int32_t c = town; c != depot_cells_[k]; c = tree.parent_of(c)) cv.path.push_back(c);
    cv.path.push_back(depot_cells_[k]);
    std::reverse(cv.path.begin(), cv.path.end());
    const auto index = static_cast<std::int32_t>(convoys_.size());
    // Idle escort units (their convoy arrived or was lost) join the new convoy.
    for (std::size_t i = 0; i < agents_.size() && cv.escorts < escorts_per_convoy; ++i) {
      if (!is_mission_soldier(agents_, i) || agents_.status[i] == Status::Dead || agents_.task[i] != kEscort)
        continue;
      const std::int32_t t = agents_.target[i];
      if (t >= 0 && static_cast<std::size_t>(t) < convoys_.size() &&
          convoys_[static_cast<std::size_t>(t)].alive)
        continue;
      agents_.target[i] = index;
      ++cv.escorts;
    }
    mark(cv.path[0], +1);
    convoys_.push_back(std::move(cv));
    ++events(m).convoys_sent;
  }
}

int AidConvoys::escorts_present(const PeaceModel& m, std::size_t k) const {
  // ODD 7.7 under aid.escorts_counted = "present": the mission's soldiers still escorting convoy k (task and
  // target), on duty and within 2 cells of it, the distance an escort keeps to its convoy (act.cpp
  // task_move). The convoy advanced in the environment phase and its escorts catch up on their own turns,
  // so one within 2 cells of where the convoy began the day travels with it too. Only units on the grid are
  // on the peacekeeper layer, so the dead and the jailed are not counted.
  const Agents& a = m.agents();
  const Convoy& cv = convoys_[k];
  const std::int32_t at = cv.path[cv.at];
  const std::int32_t from = cv.path[cv.from];
  const Grid& grid = m.grid();
  const std::vector<std::int32_t>& occupant = m.occupants();
  int n = 0;
  // `skip_near_at`: in the walk around the morning's cell, a unit already counted around the present one.
  auto count = [&](std::int64_t c, bool skip_near_at) {
    if (skip_near_at && grid.distance2(static_cast<std::int32_t>(c), at) <= kEscortReach * kEscortReach)
      return;
    const auto id = static_cast<std::size_t>(occupant[static_cast<std::size_t>(c)]);
    if (is_mission_soldier(a, id) && a.task[id] == kEscort && a.on_duty[id] &&
        a.target[id] == static_cast<std::int32_t>(k))
      ++n;
  };
  const BitLayer& units = m.peacekeeper_layer();
  m.query().for_each(units, at, escort_reach_, [&](std::int64_t c) { count(c, false); });
  if (units.test(at)) count(at, false);
  if (from != at) {
    m.query().for_each(units, from, escort_reach_, [&](std::int64_t c) { count(c, true); });
    if (units.test(from)) count(from, true);
  }
  return n;
}

int AidConvoys::raid(const PeaceModel& m, std::int32_t here, const Vision& vision, Stream& s) {
  // ODD 7.7: the first live convoy within reach; escorts divide the chance of success.
  const Grid& grid = m.grid();
  for (std::size_t k = 0; k < convoys_.size(); ++k) {
    Convoy& cv = convoys_[k];
    if (!cv.alive) continue;
    const std::int32_t at = cv.path[cv.at];
    if (!grid.sees(here, at, vision)) continue;
    const int escorts = count_present ? escorts_present(m, k) : cv.escorts;
    const double p = raid_probability / (1.0 + escort_strength * escorts);
    if (!s.bernoulli(p)) return 0;
    cv.alive = false;
    mark(at, -1);
    return 1;
  }
  return -1;
}

void AidConvoys::build_roads(const PeaceModel& m) {
  // Breadth-first search over road cells (4-neighbours, no wrap) from every depot, once: a convoy's route
  // is the shortest road path to its town.
  const Grid& grid = m.grid();
  const WorldMap& map = m.world();
  const auto cells = static_cast<std::size_t>(grid.cells());
  for (std::size_t c = 0; c < cells; ++c)
    if (map.installation[c] == kDepot) depot_cells_.push_back(static_cast<std::int32_t>(c));
  for (const std::int32_t depot : depot_cells_) {
    std::vector<std::int32_t> parent(cells, -1);
    std::deque<std::int32_t> queue{depot};
    parent[static_cast<std::size_t>(depot)] = depot;
    while (!queue.empty()) {
      const std::int32_t c = queue.front();
      queue.pop_front();
      const int x = grid.x(c), y = grid.y(c);
      const int nx[4] = {x - 1, x + 1, x, x}, ny[4] = {y, y, y - 1, y + 1};
      for (int k = 0; k < 4; ++k) {
        if (nx[k] < 0 || ny[k] < 0 || nx[k] >= grid.width() || ny[k] >= grid.height()) continue;
        const auto n = static_cast<std::int32_t>(ny[k] * grid.width() + nx[k]);
        const auto nu = static_cast<std::size_t>(n);
        if (parent[nu] >= 0 ||
            (!map.road[nu] && map.installation[nu] == kNoInstallation && map.urban[nu] < 0.999f))
          continue;
        parent[nu] = c;
        queue.push_back(n);
      }
    }
    // Only the reached cells are kept, so a depot costs 8 bytes a road cell rather than 4 a cell.
    RoadTree tree;
    for (std::size_t c = 0; c < cells; ++c)
      if (parent[c] >= 0) {
        tree.cell.push_back(static_cast<std::int32_t>(c));
        tree.parent.push_back(parent[c]);
      }
    trees_.push_back(std::move(tree));
  }
}

std::int32_t AidConvoys::RoadTree::parent_of(std::int32_t c) const {
  const auto it = std::lower_bound(cell.begin(), cell.end(), c);
  return it != cell.end() && *it == c ? parent[static_cast<std::size_t>(it - cell.begin())] : -1;
}

void AidConvoys::save(StateWriter& w) const {
  // Per cell of the grid, as the checkpoint always held it (empty while aid is off).
  put_cell_counts(w, "cells.convoy_count", count_, enabled ? cells_ : 0);
  put_layer(w, "layer.convoys", layer_, cells_);
  w.put("convoy_credit", credit_);
  // Convoys: their paths end to end, with each convoy's offset into them.
  std::vector<std::int32_t> paths;
  std::vector<std::int64_t> offsets{0}, at, escorts;
  std::vector<std::uint8_t> alive;
  for (const Convoy& cv : convoys_) {
    paths.insert(paths.end(), cv.path.begin(), cv.path.end());
    offsets.push_back(static_cast<std::int64_t>(paths.size()));
    at.push_back(static_cast<std::int64_t>(cv.at));
    escorts.push_back(cv.escorts);
    alive.push_back(cv.alive ? 1 : 0);
  }
  w.put("convoys.paths", paths);
  w.put("convoys.offsets", offsets);
  w.put("convoys.at", at);
  w.put("convoys.escorts", escorts);
  w.put("convoys.alive", alive);
}

void AidConvoys::load(const StateReader& r, PeaceModel&) {
  const std::int64_t cells = cells_;
  count_ = get_cell_counts(r, "cells.convoy_count", enabled ? cells : 0);
  get_layer(r, "layer.convoys", layer_, cells);
  credit_ = r.value<double>("convoy_credit");
  const auto paths = r.get<std::int32_t>("convoys.paths");
  const auto offsets = r.get<std::int64_t>("convoys.offsets");
  if (offsets.empty()) r.fail("convoy offsets are missing");
  const std::size_t convoys = offsets.size() - 1;
  const auto at = r.get<std::int64_t>("convoys.at", convoys);
  const auto escorts = r.get<std::int64_t>("convoys.escorts", convoys);
  const auto alive = r.get<std::uint8_t>("convoys.alive", convoys);
  convoys_.clear();
  for (std::size_t k = 0; k < convoys; ++k) {
    Convoy cv;
    if (offsets[k] < 0 || offsets[k + 1] <= offsets[k] ||
        offsets[k + 1] > static_cast<std::int64_t>(paths.size()) || at[k] < 0 ||
        at[k] >= offsets[k + 1] - offsets[k])
      r.fail("convoy " + std::to_string(k) + " has a path out of range");
    cv.path.assign(paths.begin() + offsets[k], paths.begin() + offsets[k + 1]);
    for (const std::int32_t c : cv.path)
      if (c < 0 || c >= cells) r.fail("convoy " + std::to_string(k) + " has a cell out of range");
    cv.at = static_cast<std::size_t>(at[k]);
    cv.from = cv.at;
    cv.escorts = static_cast<int>(escorts[k]);
    cv.alive = alive[k] != 0;
    convoys_.push_back(std::move(cv));
  }
}

void AidConvoys::memory(double cells, double, double& state, double& transient) const {
  if (!enabled) return;
  // A road search tree (a cell and its parent for each cell it reached) from every depot; every convoy sent
  // stays in the list, with its route. (The convoy layer is among the model's bit layers in memory.cpp; the
  // counts of convoys on the few cells that hold one are left out.)
  state += 8 * std::min(cells, reach_estimate) * depots_estimate;
  transient += 4 * cells;  // the search's parent per cell, while it runs
  state += static_cast<double>(sizeof(Convoy)) * estimate::grown(convoys_estimate) +
           convoys_estimate * route_estimate;
}

}  // namespace keepsim::peace

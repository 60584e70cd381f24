// The environment (ODD 3 step 2): aid convoys from depots to towns along the roads, which bandits raid
// and escorts protect (7.7). Arms over the porous border (7.5) are the arms supply component's
// (arms_supply.cpp).
#include <algorithm>
#include <cmath>
#include <deque>

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {

void PeaceModel::environment_day() {
  // Arms over the border and arming from the stock are the arms supply component's (arms_supply.cpp), which
  // runs after this in the phase; neither reads what the other changes.
  if (cfg_.aid.enabled) move_convoys();
}

void PeaceModel::move_convoys() {
  const AidParams& a = cfg_.aid;
  auto mark = [&](std::int32_t c, int delta) {
    auto& n = convoy_count_[static_cast<std::size_t>(c)];
    n = static_cast<std::int16_t>(n + delta);
    convoys_.assign(c, n > 0);
  };
  // Convoys under way advance along their road; on arrival the citizens around the town receive aid.
  const Vision reach(Metric::Euclidean, a.radius);
  for (Convoy& cv : convoys_list_) {
    if (!cv.alive) continue;
    mark(cv.path[cv.at], -1);
    cv.at = std::min(cv.path.size() - 1, cv.at + static_cast<std::size_t>(a.speed));
    if (cv.at + 1 < cv.path.size()) {
      mark(cv.path[cv.at], +1);
      continue;
    }
    cv.alive = false;
    ++events_.convoys_delivered;
    const std::int32_t town = cv.path.back();
    auto give = [&](std::int64_t c) {
      const auto id = static_cast<std::size_t>(occupant_[static_cast<std::size_t>(c)]);
      agents_.aided[id] = 1;
    };
    for (int g = 0; g < 2; ++g) {
      query_.for_each(members_[g], town, reach, give);
      if (members_[g].test(town)) give(town);
    }
  }
  // Each open depot sends convoys_per_day convoys (fractions carry over) to a random town.
  std::vector<std::size_t> open;
  for (std::size_t k = 0; k < depot_cells_.size(); ++k) {
    bool down = false;
    for (std::size_t i = 0; i < installations_.size(); ++i)
      if (installations_[i] == depot_cells_[k] && installation_down_until_[i] >= day_) down = true;
    if (!down) open.push_back(k);
  }
  if (open.empty() || towns_.empty()) return;
  convoy_credit_ += a.convoys_per_day * static_cast<double>(open.size());
  Stream s(cfg_.base.seed, kConvoy, 0, static_cast<std::uint64_t>(day_));
  for (std::size_t sent = 0; convoy_credit_ >= 1; ++sent) {
    convoy_credit_ -= 1;
    const std::size_t k = open[sent % open.size()];
    const std::int32_t town = towns_[s.below(static_cast<std::uint32_t>(towns_.size()))];
    const auto& parent = depot_parent_[k];
    if (town == depot_cells_[k] || parent[static_cast<std::size_t>(town)] < 0) continue;  // no road there
    Convoy cv;
    for (std::int32_t c = town; c != depot_cells_[k]; c = parent[static_cast<std::size_t>(c)])
      cv.path.push_back(c);
    cv.path.push_back(depot_cells_[k]);
    std::reverse(cv.path.begin(), cv.path.end());
    const auto index = static_cast<std::int32_t>(convoys_list_.size());
    // Idle escort units (their convoy arrived or was lost) join the new convoy.
    for (std::size_t i = 0; i < agents_.size() && cv.escorts < a.escorts_per_convoy; ++i) {
      if (agents_.kind[i] != Kind::Peacekeeper || agents_.status[i] == Status::Dead ||
          agents_.task[i] != kEscort || agents_.contingent[i] < 0)
        continue;
      const std::int32_t t = agents_.target[i];
      if (t >= 0 && static_cast<std::size_t>(t) < convoys_list_.size() &&
          convoys_list_[static_cast<std::size_t>(t)].alive)
        continue;
      agents_.target[i] = index;
      ++cv.escorts;
    }
    mark(cv.path[0], +1);
    convoys_list_.push_back(std::move(cv));
    ++events_.convoys_sent;
  }
}

bool PeaceModel::raid_convoy_near(std::size_t raider, Stream& s) {
  // Bandits raid a convoy within vision; escorts divide the chance of success (ODD 7.7).
  const std::int32_t here = agents_.cell[raider];
  if (!convoys_.any() || query_.count(convoys_, here, spoiler_vision_) + convoys_.test(here) == 0)
    return false;
  const double reach = cfg_.spoilers.vision * cfg_.spoilers.vision;
  for (Convoy& cv : convoys_list_) {
    if (!cv.alive) continue;
    const std::int32_t at = cv.path[cv.at];
    int dx = std::abs(grid_.x(at) - grid_.x(here)), dy = std::abs(grid_.y(at) - grid_.y(here));
    if (grid_.topology() == Topology::Torus)
      dx = std::min(dx, grid_.width() - dx), dy = std::min(dy, grid_.height() - dy);
    if (dx * dx + dy * dy > reach) continue;
    const double p = cfg_.aid.raid_probability / (1.0 + cfg_.aid.escort_strength * cv.escorts);
    if (s.bernoulli(p)) {
      cv.alive = false;
      auto& n = convoy_count_[static_cast<std::size_t>(at)];
      n = static_cast<std::int16_t>(n - 1);
      convoys_.assign(at, n > 0);
      ++events_.convoys_raided;
      arms_supply_->loot(agents_.faction[raider]);
    }
    return true;
  }
  return false;
}

void PeaceModel::build_roads() {
  // Breadth-first search over road cells (4-neighbours, no wrap) from every depot, once: a convoy's route
  // is the shortest road path to its town.
  for (const std::int32_t c : installations_)
    if (map_.installation[static_cast<std::size_t>(c)] == kDepot) depot_cells_.push_back(c);
  const auto cells = static_cast<std::size_t>(grid_.cells());
  convoy_count_.assign(cells, 0);
  for (const std::int32_t depot : depot_cells_) {
    std::vector<std::int32_t> parent(cells, -1);
    std::deque<std::int32_t> queue{depot};
    parent[static_cast<std::size_t>(depot)] = depot;
    while (!queue.empty()) {
      const std::int32_t c = queue.front();
      queue.pop_front();
      const int x = grid_.x(c), y = grid_.y(c);
      const int nx[4] = {x - 1, x + 1, x, x}, ny[4] = {y, y, y - 1, y + 1};
      for (int k = 0; k < 4; ++k) {
        if (nx[k] < 0 || ny[k] < 0 || nx[k] >= grid_.width() || ny[k] >= grid_.height()) continue;
        const auto n = static_cast<std::int32_t>(ny[k] * grid_.width() + nx[k]);
        const auto nu = static_cast<std::size_t>(n);
        if (parent[nu] >= 0 ||
            (!map_.road[nu] && map_.installation[nu] == kNoInstallation && map_.urban[nu] < 0.999f))
          continue;
        parent[nu] = c;
        queue.push_back(n);
      }
    }
    depot_parent_.push_back(std::move(parent));
  }
}

}  // namespace keepsim::peace

// The mission layer (ODD 7.8 and 7.10, ODD 3 step 1): arrivals, political will, casualty tolerance,
// the exit rule, deployment and tasking, and the day's count of trainers, which the constabulary reads
// (7.9; the constabulary and international police are constabulary.cpp's). Nothing here knows a doctrine:
// every behaviour follows from the levers in MissionParams.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {

void PeaceModel::mission_day() {
  const MissionParams& m = cfg_.mission;
  if (!m.enabled) return;
  bool arrived = false;
  for (std::size_t k = 0; k < m.contingents.size(); ++k)
    if (m.contingents[k].size > 0 && m.contingents[k].arrival_day == day_ && phase_ < 4) {
      arrive(static_cast<int>(k));
      arrived = true;
    }
  if (arrived && phase_ == 0) {
    phase_ = m.deployment == Deployment::CapitalFirst ? 1 : 2;
    first_arrival_ = day_;
    last_expand_ = day_;
    // ODD 7.13: the people's first measure of the mission is set by its mechanism after this phase.
  }
  if (mission_present()) {
    // Political will: each casualty costs, and days with killings wear it down (fatigue).
    will_ -= m.will_per_casualty * static_cast<double>(yesterday_peacekeepers_killed_);
    if (yesterday_killings_ > 0) will_ -= m.will_fatigue;
    will_ = std::max(0.0, will_);
    // A contingent goes home once its losses pass its casualty tolerance.
    for (std::size_t k = 0; k < m.contingents.size(); ++k)
      if (!contingent_gone_[k] && contingent_present_[k] > 0 &&
          static_cast<double>(contingent_killed_[k]) >
              m.contingents[k].casualty_tolerance * static_cast<double>(m.contingents[k].size)) {
        withdraw_units(contingent_present_[k], static_cast<int>(k));
        contingent_gone_[k] = 1;
      }
    // Deployment: capital_first adds the undeployed region nearest the capital every expand_days.
    if (m.deployment == Deployment::CapitalFirst && day_ - last_expand_ >= m.expand_days) {
      last_expand_ = day_;
      int capital = 0;
      for (int r = 0; r < regions_; ++r)
        if (deployed_[static_cast<std::size_t>(r)]) capital = r;  // any deployed region will do as origin
      for (const std::int32_t i : installations_)
        if (map_.installation[static_cast<std::size_t>(i)] == kCapital) capital = region_of(i);
      const std::int32_t origin = region_centre_[static_cast<std::size_t>(capital)];
      int best = -1;
      double best_d = 1e300;
      for (int r = 0; r < regions_; ++r) {
        if (deployed_[static_cast<std::size_t>(r)]) continue;
        const std::int32_t c = region_centre_[static_cast<std::size_t>(r)];
        const double dx = grid_.x(c) - grid_.x(origin), dy = grid_.y(c) - grid_.y(origin);
        if (dx * dx + dy * dy < best_d) best_d = dx * dx + dy * dy, best = r;
      }
      if (best >= 0) deployed_[static_cast<std::size_t>(best)] = 1;
      if (std::all_of(deployed_.begin(), deployed_.end(), [](std::uint8_t d) { return d != 0; }) &&
          phase_ == 1)
        phase_ = 2;
      arrived = true;  // re-task into the new region
    }
    // Exit rules.
    bool all_arrived = true;
    for (const Contingent& c : m.contingents)
      all_arrived = all_arrived && (c.size == 0 || c.arrival_day <= day_);
    if (will_ < m.will_min) {
      withdraw_units(peacekeepers_present(), -1);
    } else if (m.exit == ExitRule::Date) {
      if (day_ >= m.exit_day) {
        withdraw_units(peacekeepers_present(), -1);
      } else if (m.elections_day > 0 && day_ >= m.elections_day) {
        // After elections the force draws down linearly to nothing on the exit day.
        const double left =
            static_cast<double>(m.exit_day - day_) / static_cast<double>(m.exit_day - m.elections_day);
        const auto target = static_cast<std::int64_t>(std::ceil(left * static_cast<double>(force_initial_)));
        if (peacekeepers_present() > target) withdraw_units(peacekeepers_present() - target, -1);
        phase_ = 3;
      }
    } else if (all_arrived) {
      // End-state: draw down only while the conditions hold, and stop when they fail.
      const double per_1000 = 1000.0 * static_cast<double>(domestic_constables_) /
                              static_cast<double>(std::max<std::int64_t>(1, population_));
      const bool ready = per_1000 >= m.end_constables_per_1000 && calm_run_ >= cfg_.stable_days &&
                         mean_legitimacy_ >= m.end_min_legitimacy;
      if (ready) {
        phase_ = 3;
        drawdown_credit_ += m.drawdown * static_cast<double>(force_initial_) / 30.0;
        const auto n = static_cast<std::int64_t>(drawdown_credit_);
        drawdown_credit_ -= static_cast<double>(n);
        withdraw_units(std::min(n, peacekeepers_present()), -1);
      } else if (phase_ == 3) {
        phase_ = 2;
        drawdown_credit_ = 0;
      }
    }
    if (peacekeepers_present() == 0 && (all_arrived || will_ < m.will_min)) {
      phase_ = 4;
      departure_ = day_;  // the international police leave with it (constabulary.cpp)
    }
  }
  trainers_ = 0;  // no mission, no trainers (the constabulary's training and recruitment read them)
  if (mission_present()) {
    if (arrived || (day_ - first_arrival_) % m.retask_days == 0) assign_tasks();
    // Coherence: each day a unit follows the mission's tasking with probability kappa of its contingent.
    for (std::size_t i = 0; i < agents_.size(); ++i) {
      if (agents_.kind[i] != Kind::Peacekeeper || agents_.contingent[i] < 0 ||
          agents_.status[i] == Status::Dead)
        continue;
      Stream s(cfg_.base.seed, kMission, i, static_cast<std::uint64_t>(day_));
      const double kappa = m.contingents[static_cast<std::size_t>(agents_.contingent[i])].coherence;
      agents_.on_duty[i] = s.bernoulli(kappa) ? 1 : 0;
      if (agents_.on_duty[i] && agents_.task[i] == kTrain && agents_.cell[i] >= 0 && agents_.target[i] >= 0) {
        const std::int32_t t = agents_.target[i];
        const int dx = std::abs(grid_.x(t) - grid_.x(agents_.cell[i])),
                  dy = std::abs(grid_.y(t) - grid_.y(agents_.cell[i]));
        bool open = true;
        for (std::size_t k = 0; k < installations_.size(); ++k)
          if (installations_[k] == t && installation_down_until_[k] >= day_) open = false;
        if (dx <= 3 && dy <= 3 && open) ++trainers_;
      }
    }
  }
}

void PeaceModel::arrive(int k) {
  // capital_first lands around the capital; territory_wide spreads units over regions by population.
  const Contingent& ct = cfg_.mission.contingents[static_cast<std::size_t>(k)];
  Stream s(cfg_.base.seed, kArrive, static_cast<std::uint64_t>(k), static_cast<std::uint64_t>(day_));
  const double total =
      static_cast<double>(std::accumulate(region_pop0_.begin(), region_pop0_.end(), std::int64_t{0}));
  for (std::int64_t u = 0; u < ct.size; ++u) {
    int region = 0;
    if (cfg_.mission.deployment == Deployment::TerritoryWide && total > 0) {
      double pick = s.uniform() * total;
      for (region = 0; region + 1 < regions_; ++region) {
        pick -= static_cast<double>(region_pop0_[static_cast<std::size_t>(region)]);
        if (pick < 0) break;
      }
    } else {
      for (int r = 0; r < regions_; ++r)
        if (deployed_[static_cast<std::size_t>(r)]) region = r;
      for (const std::int32_t i : installations_)
        if (map_.installation[static_cast<std::size_t>(i)] == kCapital) region = region_of(i);
    }
    const std::int32_t c = empty_cell_near(region_centre_[static_cast<std::size_t>(region)], 3, s);
    if (c < 0) break;
    const std::size_t id = agents_.add(Kind::Peacekeeper, 0);
    agents_.contingent[id] = static_cast<std::int8_t>(k);
    agents_.home[id] = c;  // its base
    agents_.on_duty[id] = 1;
    place(id, c);
    ++contingent_present_[static_cast<std::size_t>(k)];
    ++force_initial_;
  }
}

void PeaceModel::withdraw_units(std::int64_t n, int only) {
  // The last to arrive leave first (highest ids), so a draw-down keeps the lead contingent longest.
  for (std::size_t i = agents_.size(); i-- > 0 && n > 0;) {
    if (agents_.kind[i] != Kind::Peacekeeper || agents_.contingent[i] < 0 ||
        agents_.status[i] == Status::Dead)
      continue;
    if (only >= 0 && agents_.contingent[i] != only) continue;
    agents_.status[i] = Status::Dead;  // gone home: no longer in the simulation
    vacate(i);
    --contingent_present_[static_cast<std::size_t>(agents_.contingent[i])];
    --n;
  }
}

PeaceModel::TaskSites PeaceModel::task_sites() const {
  // The places a task can be sent to, in the deployed regions; deployment does not change while units are
  // tasked, so they are listed once per tasking rather than once per unit (the border alone is a side of the
  // grid long, and the units grow with its area).
  TaskSites t;
  for (int r = 0; r < regions_; ++r)
    if (deployed_[static_cast<std::size_t>(r)]) t.deployed.push_back(r);
  auto in_deployed = [&](const std::vector<std::int32_t>& cells, std::uint8_t kind) {
    std::vector<std::int32_t> ok;
    for (const std::int32_t c : cells)
      if (deployed_[static_cast<std::size_t>(region_of(c))] &&
          (kind == 0 || map_.installation[static_cast<std::size_t>(c)] == kind))
        ok.push_back(c);
    return ok;
  };
  t.border = in_deployed(border_cells_, 0);
  std::vector<std::int32_t> sites;
  for (const std::int32_t c : installations_)
    if (map_.installation[static_cast<std::size_t>(c)] != kTrainingCentre) sites.push_back(c);
  t.guard = in_deployed(sites, 0);
  t.train = in_deployed(installations_, kTrainingCentre);
  return t;
}

std::int32_t PeaceModel::task_target(Task t, const TaskSites& sites, Stream& s) const {
  const std::vector<int>& deployed = sites.deployed;
  auto region_weighted = [&](bool by_actives) {
    // Presence follows population and recent violence; riot control goes where the actives are.
    std::vector<double> w;
    double total = 0;
    for (const int r : deployed) {
      const auto ru = static_cast<std::size_t>(r);
      const double x = by_actives ? static_cast<double>(region_actives_[ru])
                                  : static_cast<double>(region_pop0_[ru]) * (1.0 + region_recent_kills_[ru]);
      w.push_back(x);
      total += x;
    }
    if (total <= 0)
      return region_centre_[static_cast<std::size_t>(
          deployed[s.below(static_cast<std::uint32_t>(deployed.size()))])];
    double pick = s.uniform() * total;
    std::size_t k = 0;
    for (; k + 1 < w.size(); ++k) {
      pick -= w[k];
      if (pick < 0) break;
    }
    return region_centre_[static_cast<std::size_t>(deployed[k])];
  };
  auto one_of = [&](const std::vector<std::int32_t>& ok) {
    return ok.empty() ? std::int32_t{-1} : ok[s.below(static_cast<std::uint32_t>(ok.size()))];
  };
  switch (t) {
    case kRiot:
      return region_weighted(true);
    case kBorder:
      return one_of(sites.border);
    case kGuard:
      return one_of(sites.guard);
    case kTrain:
      return one_of(sites.train);
    case kEscort:
    case kPolitical:
      return -1;
    default:
      return region_weighted(false);
  }
}

void PeaceModel::assign_tasks() {
  // Quotas by the task shares (largest remainder); each unit, in a random order, takes the task with the
  // largest unfilled quota that its national caveats allow. Units nobody can place go on presence.
  const MissionParams& m = cfg_.mission;
  std::vector<std::size_t> units;
  for (std::size_t i = 0; i < agents_.size(); ++i)
    if (agents_.kind[i] == Kind::Peacekeeper && agents_.contingent[i] >= 0 &&
        agents_.status[i] != Status::Dead)
      units.push_back(i);
  Stream s(cfg_.base.seed, kTaskOrder, 0, static_cast<std::uint64_t>(day_));
  for (std::size_t i = units.size(); i > 1; --i)
    std::swap(units[i - 1], units[s.below(static_cast<std::uint32_t>(i))]);
  const double n = static_cast<double>(units.size());
  std::array<std::int64_t, kTasks> quota{};
  std::array<double, kTasks> rest{};
  std::int64_t given = 0;
  for (int t = 0; t < kTasks; ++t) {
    const double q = m.task_weights[static_cast<std::size_t>(t)] * n;
    quota[static_cast<std::size_t>(t)] = static_cast<std::int64_t>(std::floor(q));
    rest[static_cast<std::size_t>(t)] = q - std::floor(q);
    given += quota[static_cast<std::size_t>(t)];
  }
  for (; given < static_cast<std::int64_t>(units.size()); ++given) {
    const auto t = static_cast<std::size_t>(std::max_element(rest.begin(), rest.end()) - rest.begin());
    ++quota[t];
    rest[t] = -1;
  }
  // Task needs before the shares are handed out: where there is nothing to guard, train or hold, say so.
  region_actives_.assign(static_cast<std::size_t>(regions_), 0);
  region_recent_kills_.assign(static_cast<std::size_t>(regions_), 0);
  for (std::size_t i = 0; i < agents_.size(); ++i)
    if (agents_.cell[i] >= 0 && agents_.status[i] == Status::Active)
      ++region_actives_[static_cast<std::size_t>(region_of(agents_.cell[i]))];
  for (const auto& [d, c] : kill_log_) region_recent_kills_[static_cast<std::size_t>(region_of(c))] += 1;
  const TaskSites sites = task_sites();
  for (const std::size_t id : units) {
    const auto& refuses = m.contingents[static_cast<std::size_t>(agents_.contingent[id])].refuses;
    int pick = -1;
    for (int t = 0; t < kTasks; ++t)
      if (!refuses[static_cast<std::size_t>(t)] && quota[static_cast<std::size_t>(t)] > 0 &&
          (pick < 0 || quota[static_cast<std::size_t>(t)] > quota[static_cast<std::size_t>(pick)]))
        pick = t;
    if (pick >= 0) --quota[static_cast<std::size_t>(pick)];
    Task task = pick >= 0 ? static_cast<Task>(pick) : kPresence;
    std::int32_t target = task_target(task, sites, s);
    if (target < 0 && task != kEscort && task != kPolitical)
      task = kPresence, target = task_target(kPresence, sites, s);
    // A unit that keeps a fixed post (border cell, site, training centre, convoy) keeps it, so re-tasking
    // does not send post holders travelling; presence and riot units are re-spread by population, violence
    // and actives, and into newly deployed regions.
    const std::int32_t old = agents_.target[id];
    const bool post = task == kBorder || task == kGuard || task == kTrain || task == kEscort;
    const bool keep = agents_.task[id] == task && post && old >= 0 &&
                      (task == kEscort || deployed_[static_cast<std::size_t>(region_of(old))]);
    agents_.task[id] = task;
    if (!keep) agents_.target[id] = target;
    // Political work (ODD 7.8) uses troop-days but provides no security: those units leave the grid for the
    // day's work and return to their base when re-tasked.
    if (task == kPolitical && agents_.cell[id] >= 0) {
      vacate(id);
    } else if (task != kPolitical && agents_.cell[id] < 0) {
      const std::int32_t c = empty_cell_near(agents_.home[id], 3, s);
      if (c >= 0) place(id, c);
    }
  }
}

}  // namespace keepsim::peace

// ODD 7.8 and 7.10 the mission layer as a component (mechanism.hpp): the mission.will_* keys, arrivals,
// political will, casualty tolerance, the exit rule and draw-down, deployment and tasking, the daily on-duty
// draws and the count of trainers, which the constabulary reads (7.9, constabulary.cpp), and the aggregates
// of yesterday it acts on (ODD 3). It hooks the mission phase first of all, as the model's mission_day did
// before the constabulary and the mission's popular legitimacy. Nothing here knows a doctrine: every
// behaviour follows from the levers in MissionParams, whose keys other than the will's stay the model's
// (params.cpp), interleaved as they are with keys the agents' turns and the social phase read.
#include "models/peacekeeping/mission_layer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

void declare(Schema& s) {
  s.add(real_param("mission.will_initial", 1, "1", 0, 1, "W at day 0"));
  s.add(real_param("mission.will_min", 0.2, "1", 0, 1, "W_min: the mission leaves below it"));
  s.add(real_param("mission.will_per_casualty", 0, "1", 0, 1, "W lost per peacekeeper killed"));
  s.add(real_param("mission.will_fatigue", 0, "1/day", 0, 1, "W lost per day with killings (fatigue)"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config&) {
  // W_min <= W_0 is checked with the model's cross-checks (params.cpp), as it involves mission.enabled and
  // comes after the task shares' check there.
  auto m = std::make_shared<MissionLayer>();
  m->will_initial = p.get_real("mission.will_initial");
  m->will_min = p.get_real("mission.will_min");
  m->will_per_casualty = p.get_real("mission.will_per_casualty");
  m->will_fatigue = p.get_real("mission.will_fatigue");
  return m;
}

int region_of(const PeaceModel& m, std::int32_t c) {
  return m.world().region[static_cast<std::size_t>(c)];
}

}  // namespace

// Its keys keep their place in the schema, after the soldiers' riot and arrest keys (params.cpp).
extern const MechanismType mission_layer_mechanism = {"mission_layer", &declare, &read, {}, {},
                                                      "mission.riot"};

void MissionLayer::init(PeaceModel& m) {
  const MissionParams& mp = m.config().mission;
  const auto R = static_cast<std::size_t>(m.regions());
  deployed.assign(R, mp.deployment == Deployment::TerritoryWide ? 1 : 0);
  // capital_first starts in the capital's region (region 0 on a map without a capital).
  int capital_region = 0;
  for (const std::int32_t i : m.installations())
    if (m.world().installation[static_cast<std::size_t>(i)] == kCapital) capital_region = region_of(m, i);
  deployed[static_cast<std::size_t>(capital_region)] = 1;
  contingent_killed.assign(mp.contingents.size(), 0);
  contingent_present.assign(mp.contingents.size(), 0);
  contingent_gone.assign(mp.contingents.size(), 0);
  will = will_initial;
  mean_legitimacy = m.config().base.legitimacy;
}

void MissionLayer::after_burn_in(PeaceModel&) {
  // The burn-in's killings count neither toward the calm-day rate nor the run of calm days (ODD 7.12).
  killings_by_day.clear();
  calm_run = 0;
}

std::int64_t MissionLayer::peacekeepers_present() const {
  std::int64_t n = 0;
  for (const auto p : contingent_present) n += p;
  return n;
}

void MissionLayer::close_day(const PeaceModel& m, std::int64_t people, std::int64_t constables,
                             double legitimacy, std::int64_t peacekeepers_killed, std::int64_t killings) {
  population = people;
  domestic_constables = constables;
  mean_legitimacy = legitimacy;
  yesterday_peacekeepers_killed = peacekeepers_killed;
  yesterday_killings = killings;
  killings_by_day.push_back(yesterday_killings);
  const Config& c = m.config();
  const double rate = calm_rate(killings_by_day, killings_by_day.size(), c.calm_window, population);
  calm_run = rate < c.killing_threshold ? calm_run + 1 : 0;
}

void MissionLayer::run(Phase, PeaceModel& model) {
  const MissionParams& m = model.config().mission;
  if (!m.enabled) return;
  const std::int64_t day = model.day();
  const Grid& grid = model.grid();
  bool arrived = false;
  for (std::size_t k = 0; k < m.contingents.size(); ++k)
    if (m.contingents[k].size > 0 && m.contingents[k].arrival_day == day && phase < 4) {
      arrive(model, static_cast<int>(k));
      arrived = true;
    }
  if (arrived && phase == 0) {
    phase = m.deployment == Deployment::CapitalFirst ? 1 : 2;
    first_arrival = day;
    last_expand = day;
    // ODD 7.13: the people's first measure of the mission is set by its mechanism after this one.
  }
  if (present()) {
    // Political will: each casualty costs, and days with killings wear it down (fatigue).
    will -= will_per_casualty * static_cast<double>(yesterday_peacekeepers_killed);
    if (yesterday_killings > 0) will -= will_fatigue;
    will = std::max(0.0, will);
    // A contingent goes home once its losses pass its casualty tolerance.
    for (std::size_t k = 0; k < m.contingents.size(); ++k)
      if (!contingent_gone[k] && contingent_present[k] > 0 &&
          static_cast<double>(contingent_killed[k]) >
              m.contingents[k].casualty_tolerance * static_cast<double>(m.contingents[k].size)) {
        withdraw_units(model, contingent_present[k], static_cast<int>(k));
        contingent_gone[k] = 1;
      }
    // Deployment: capital_first adds the undeployed region nearest the capital every expand_days.
    if (m.deployment == Deployment::CapitalFirst && day - last_expand >= m.expand_days) {
      last_expand = day;
      const int regions = model.regions();
      int capital = 0;
      for (int r = 0; r < regions; ++r)
        if (deployed[static_cast<std::size_t>(r)]) capital = r;  // any deployed region will do as origin
      for (const std::int32_t i : model.installations())
        if (model.world().installation[static_cast<std::size_t>(i)] == kCapital)
          capital = region_of(model, i);
      const std::int32_t origin = model.region_centre(capital);
      int best = -1;
      double best_d = 1e300;
      for (int r = 0; r < regions; ++r) {
        if (deployed[static_cast<std::size_t>(r)]) continue;
        const std::int32_t c = model.region_centre(r);
        const double dx = grid.x(c) - grid.x(origin), dy = grid.y(c) - grid.y(origin);
        if (dx * dx + dy * dy < best_d) best_d = dx * dx + dy * dy, best = r;
      }
      if (best >= 0) deployed[static_cast<std::size_t>(best)] = 1;
      if (std::all_of(deployed.begin(), deployed.end(), [](std::uint8_t d) { return d != 0; }) && phase == 1)
        phase = 2;
      arrived = true;  // re-task into the new region
    }
    // Exit rules.
    bool all_arrived = true;
    for (const Contingent& c : m.contingents)
      all_arrived = all_arrived && (c.size == 0 || c.arrival_day <= day);
    if (will < will_min) {
      withdraw_units(model, peacekeepers_present(), -1);
    } else if (m.exit == ExitRule::Date) {
      if (day >= m.exit_day) {
        withdraw_units(model, peacekeepers_present(), -1);
      } else if (m.elections_day > 0 && day >= m.elections_day) {
        // After elections the force draws down linearly to nothing on the exit day.
        const double left =
            static_cast<double>(m.exit_day - day) / static_cast<double>(m.exit_day - m.elections_day);
        const auto target = static_cast<std::int64_t>(std::ceil(left * static_cast<double>(force_initial)));
        if (peacekeepers_present() > target) withdraw_units(model, peacekeepers_present() - target, -1);
        phase = 3;
      }
    } else if (all_arrived) {
      // End-state: draw down only while the conditions hold, and stop when they fail.
      const double per_1000 = 1000.0 * static_cast<double>(domestic_constables) /
                              static_cast<double>(std::max<std::int64_t>(1, population));
      const bool ready = per_1000 >= m.end_constables_per_1000 && calm_run >= model.config().stable_days &&
                         mean_legitimacy >= m.end_min_legitimacy;
      if (ready) {
        phase = 3;
        drawdown_credit += m.drawdown * static_cast<double>(force_initial) / 30.0;
        const auto n = static_cast<std::int64_t>(drawdown_credit);
        drawdown_credit -= static_cast<double>(n);
        withdraw_units(model, std::min(n, peacekeepers_present()), -1);
      } else if (phase == 3) {
        phase = 2;
        drawdown_credit = 0;
      }
    }
    if (peacekeepers_present() == 0 && (all_arrived || will < will_min)) {
      phase = 4;
      departure = day;  // the international police leave with it (constabulary.cpp)
    }
  }
  trainers = 0;  // no mission, no trainers (the constabulary's training and recruitment read them)
  if (present()) {
    if (arrived || (day - first_arrival) % m.retask_days == 0) assign_tasks(model);
    // Coherence: each day a unit follows the mission's tasking with probability kappa of its contingent.
    Agents& a = agents(model);
    const std::uint64_t seed = model.config().base.seed;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!is_mission_soldier(a, i) || a.status[i] == Status::Dead) continue;
      Stream s(seed, kMission, i, static_cast<std::uint64_t>(day));
      const double kappa = m.contingents[static_cast<std::size_t>(a.contingent[i])].coherence;
      a.on_duty[i] = s.bernoulli(kappa) ? 1 : 0;
      if (a.on_duty[i] && a.task[i] == kTrain && a.cell[i] >= 0 && a.target[i] >= 0) {
        const std::int32_t t = a.target[i];
        const int dx = std::abs(grid.x(t) - grid.x(a.cell[i])), dy = std::abs(grid.y(t) - grid.y(a.cell[i]));
        if (dx <= 3 && dy <= 3 && !model.installation_down(t)) ++trainers;
      }
    }
  }
}

void MissionLayer::arrive(PeaceModel& m, int k) {
  // capital_first lands around the capital; territory_wide spreads units over regions by population.
  const Contingent& ct = m.config().mission.contingents[static_cast<std::size_t>(k)];
  Stream s(m.config().base.seed, kArrive, static_cast<std::uint64_t>(k), static_cast<std::uint64_t>(m.day()));
  const std::vector<std::int64_t>& pop0 = m.region_pop0();
  const double total = static_cast<double>(std::accumulate(pop0.begin(), pop0.end(), std::int64_t{0}));
  const int regions = m.regions();
  Agents& a = agents(m);
  for (std::int64_t u = 0; u < ct.size; ++u) {
    int region = 0;
    if (m.config().mission.deployment == Deployment::TerritoryWide && total > 0) {
      double pick = s.uniform() * total;
      for (region = 0; region + 1 < regions; ++region) {
        pick -= static_cast<double>(pop0[static_cast<std::size_t>(region)]);
        if (pick < 0) break;
      }
    } else {
      for (int r = 0; r < regions; ++r)
        if (deployed[static_cast<std::size_t>(r)]) region = r;
      for (const std::int32_t i : m.installations())
        if (m.world().installation[static_cast<std::size_t>(i)] == kCapital) region = region_of(m, i);
    }
    const std::int32_t c = empty_cell_near(m, m.region_centre(region), 3, s);
    if (c < 0) break;
    const std::size_t id = a.add(Kind::Peacekeeper, 0);
    a.contingent[id] = static_cast<std::int8_t>(k);
    a.home[id] = c;  // its base
    a.on_duty[id] = 1;
    place(m, id, c);
    ++contingent_present[static_cast<std::size_t>(k)];
    ++force_initial;
  }
}

void MissionLayer::withdraw_units(PeaceModel& m, std::int64_t n, int only) {
  // The last to arrive leave first (highest ids), so a draw-down keeps the lead contingent longest.
  Agents& a = agents(m);
  for (std::size_t i = a.size(); i-- > 0 && n > 0;) {
    if (!is_mission_soldier(a, i) || a.status[i] == Status::Dead) continue;
    if (only >= 0 && a.contingent[i] != only) continue;
    leave(m, i);  // gone home
    --contingent_present[static_cast<std::size_t>(a.contingent[i])];
    --n;
  }
}

MissionLayer::TaskSites MissionLayer::task_sites(const PeaceModel& m) const {
  // The places a task can be sent to, in the deployed regions; deployment does not change while units are
  // tasked, so they are listed once per tasking rather than once per unit (the border alone is a side of the
  // grid long, and the units grow with its area).
  const WorldMap& map = m.world();
  TaskSites t;
  for (int r = 0; r < m.regions(); ++r)
    if (deployed[static_cast<std::size_t>(r)]) t.deployed.push_back(r);
  auto in_deployed = [&](const std::vector<std::int32_t>& cells, std::uint8_t kind) {
    std::vector<std::int32_t> ok;
    for (const std::int32_t c : cells)
      if (deployed[static_cast<std::size_t>(region_of(m, c))] &&
          (kind == 0 || map.installation[static_cast<std::size_t>(c)] == kind))
        ok.push_back(c);
    return ok;
  };
  t.border = in_deployed(m.border_cells(), 0);
  std::vector<std::int32_t> sites;
  for (const std::int32_t c : m.installations())
    if (map.installation[static_cast<std::size_t>(c)] != kTrainingCentre) sites.push_back(c);
  t.guard = in_deployed(sites, 0);
  t.train = in_deployed(m.installations(), kTrainingCentre);
  return t;
}

std::int32_t MissionLayer::task_target(const PeaceModel& m, Task t, const TaskSites& sites, Stream& s) const {
  const std::vector<int>& deployed_regions = sites.deployed;
  const std::vector<std::int64_t>& pop0 = m.region_pop0();
  auto region_weighted = [&](bool by_actives) {
    // Presence follows population and recent violence; riot control goes where the actives are.
    std::vector<double> w;
    double total = 0;
    for (const int r : deployed_regions) {
      const auto ru = static_cast<std::size_t>(r);
      const double x = by_actives ? static_cast<double>(region_actives[ru])
                                  : static_cast<double>(pop0[ru]) * (1.0 + region_recent_kills[ru]);
      w.push_back(x);
      total += x;
    }
    if (total <= 0)
      return m.region_centre(deployed_regions[s.below(static_cast<std::uint32_t>(deployed_regions.size()))]);
    double pick = s.uniform() * total;
    std::size_t k = 0;
    for (; k + 1 < w.size(); ++k) {
      pick -= w[k];
      if (pick < 0) break;
    }
    return m.region_centre(deployed_regions[k]);
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

void MissionLayer::assign_tasks(PeaceModel& model) {
  // Quotas by the task shares (largest remainder); each unit, in a random order, takes the task with the
  // largest unfilled quota that its national caveats allow. Units nobody can place go on presence.
  const MissionParams& m = model.config().mission;
  Agents& a = agents(model);
  std::vector<std::size_t> units;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (is_mission_soldier(a, i) && a.status[i] != Status::Dead) units.push_back(i);
  Stream s(model.config().base.seed, kTaskOrder, 0, static_cast<std::uint64_t>(model.day()));
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
  region_actives.assign(static_cast<std::size_t>(model.regions()), 0);
  region_recent_kills.assign(static_cast<std::size_t>(model.regions()), 0);
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a.cell[i] >= 0 && a.status[i] == Status::Active)
      ++region_actives[static_cast<std::size_t>(region_of(model, a.cell[i]))];
  for (const auto& [d, c] : model.kill_log())
    region_recent_kills[static_cast<std::size_t>(region_of(model, c))] += 1;
  const TaskSites sites = task_sites(model);
  for (const std::size_t id : units) {
    const auto& refuses = m.contingents[static_cast<std::size_t>(a.contingent[id])].refuses;
    int pick = -1;
    for (int t = 0; t < kTasks; ++t)
      if (!refuses[static_cast<std::size_t>(t)] && quota[static_cast<std::size_t>(t)] > 0 &&
          (pick < 0 || quota[static_cast<std::size_t>(t)] > quota[static_cast<std::size_t>(pick)]))
        pick = t;
    if (pick >= 0) --quota[static_cast<std::size_t>(pick)];
    Task task = pick >= 0 ? static_cast<Task>(pick) : kPresence;
    std::int32_t target = task_target(model, task, sites, s);
    if (target < 0 && task != kEscort && task != kPolitical)
      task = kPresence, target = task_target(model, kPresence, sites, s);
    // A unit that keeps a fixed post (border cell, site, training centre, convoy) keeps it, so re-tasking
    // does not send post holders travelling; presence and riot units are re-spread by population, violence
    // and actives, and into newly deployed regions.
    const std::int32_t old = a.target[id];
    const bool post = task == kBorder || task == kGuard || task == kTrain || task == kEscort;
    const bool keep = a.task[id] == task && post && old >= 0 &&
                      (task == kEscort || deployed[static_cast<std::size_t>(region_of(model, old))]);
    a.task[id] = task;
    if (!keep) a.target[id] = target;
    // Political work (ODD 7.8) uses troop-days but provides no security: those units leave the grid for the
    // day's work and return to their base when re-tasked.
    if (task == kPolitical && a.cell[id] >= 0) {
      vacate(model, id);
    } else if (task != kPolitical && a.cell[id] < 0) {
      const std::int32_t c = empty_cell_near(model, a.home[id], 3, s);
      if (c >= 0) place(model, id, c);
    }
  }
}

void MissionLayer::save(StateWriter& w) const {
  // The names the model gave these fields when it kept them: the checkpoint layout is unchanged by the move.
  w.put("region.deployed", deployed);
  w.put("region.actives", region_actives);
  w.put("region.recent_kills", region_recent_kills);
  w.put("mission.phase", std::int64_t{phase});
  w.put("mission.will", will);
  w.put("mission.first_arrival", first_arrival);
  w.put("mission.departure", departure);
  w.put("mission.calm_run", calm_run);
  w.put("mission.last_expand", last_expand);
  w.put("mission.contingent_killed", contingent_killed);
  w.put("mission.contingent_present", contingent_present);
  w.put("mission.contingent_gone", contingent_gone);
  w.put("mission.force_initial", force_initial);
  w.put("mission.drawdown_credit", drawdown_credit);
  w.put("mission.trainers", trainers);
  w.put("mission.yesterday_peacekeepers_killed", yesterday_peacekeepers_killed);
  w.put("mission.yesterday_killings", yesterday_killings);
  w.put("mission.population", population);
  w.put("mission.domestic_constables", domestic_constables);
  w.put("mission.mean_legitimacy", mean_legitimacy);
  w.put("mission.killings_by_day", killings_by_day);
}

void MissionLayer::load(const StateReader& r, PeaceModel& m) {
  const auto regions = static_cast<std::size_t>(m.regions());
  deployed = r.get<std::uint8_t>("region.deployed", regions);
  region_actives = r.get<std::int64_t>("region.actives");
  region_recent_kills = r.get<double>("region.recent_kills");
  if (!region_actives.empty() && (region_actives.size() != regions || region_recent_kills.size() != regions))
    r.fail("the per-region task needs have the wrong length");
  phase = static_cast<int>(r.value<std::int64_t>("mission.phase"));
  will = r.value<double>("mission.will");
  first_arrival = r.value<std::int64_t>("mission.first_arrival");
  departure = r.value<std::int64_t>("mission.departure");
  calm_run = r.value<std::int64_t>("mission.calm_run");
  last_expand = r.value<std::int64_t>("mission.last_expand");
  const std::size_t contingents = m.config().mission.contingents.size();
  contingent_killed = r.get<std::int64_t>("mission.contingent_killed", contingents);
  contingent_present = r.get<std::int64_t>("mission.contingent_present", contingents);
  contingent_gone = r.get<std::uint8_t>("mission.contingent_gone", contingents);
  force_initial = r.value<std::int64_t>("mission.force_initial");
  drawdown_credit = r.value<double>("mission.drawdown_credit");
  trainers = r.value<std::int64_t>("mission.trainers");
  yesterday_peacekeepers_killed = r.value<std::int64_t>("mission.yesterday_peacekeepers_killed");
  yesterday_killings = r.value<std::int64_t>("mission.yesterday_killings");
  population = r.value<std::int64_t>("mission.population");
  domestic_constables = r.value<std::int64_t>("mission.domestic_constables");
  mean_legitimacy = r.value<double>("mission.mean_legitimacy");
  killings_by_day = r.get<std::int64_t>("mission.killings_by_day");
}

}  // namespace keepsim::peace

// The day's order (ODD 3), Epstein's schedules, ageing and releases (ODD 7.1 rule C; the jails of 7.4 are
// justice.cpp's) and the end of the day (regional legitimacy and the mission's census). The social phase
// (legitimacy and hardship, development, DDR) and the return of the displaced are components
// (legitimacy.cpp, development.cpp, ddr.cpp, returns.cpp).
#include <algorithm>
#include <chrono>
#include <cmath>

#include "models/epstein/rules.hpp"
#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {

void PeaceModel::step() {
  // The day's phases in their one order (mechanism.hpp Phase, ODD 3): the model's own work for the phase,
  // then the mechanisms that hook it, in registration order.
  // With time_phases() on (keepsim_bench_peace --phases), the wall time of each phase's own work and of each
  // hook is added up by name: it shows which parts of a day do not shrink with more threads.
  using Clock = std::chrono::steady_clock;
  const auto timed = [this](const std::string& name, auto&& work) {
    if (!phase_seconds_) return work();
    const auto t0 = Clock::now();
    work();
    (*phase_seconds_)[name] += std::chrono::duration<double>(Clock::now() - t0).count();
  };
  for (std::size_t p = 0; p < kPhases; ++p) {
    const auto phase = static_cast<Phase>(p);
    timed(kPhaseNames[p], [&] { run_phase(phase); });
    for (Mechanism* m : hooks_[p])
      timed(phase_seconds_ ? std::string(kPhaseNames[p]) + ": " + mechanism_name(m) : std::string(),
            [&] { m->run(phase, *this); });
  }
#ifndef NDEBUG
  check_invariants();  // debug builds check every day; the tests check release builds too
#endif
}

std::string PeaceModel::mechanism_name(const Mechanism* m) const {
  for (std::size_t k = 0; k < mechanisms_.size(); ++k)
    if (mechanisms_[k].get() == m) return mechanism_types()[k]->name;
  return "?";
}

void PeaceModel::run_phase(Phase p) {
  switch (p) {
    case Phase::DayStart:
      start_day();
      break;
    case Phase::Mission:      // the mission layer, the constabulary and police, the mission's legitimacy
      break;                  // (components: mission_layer.cpp, constabulary.cpp, mission_legitimacy.cpp)
    case Phase::Environment:  // arms supply and aid convoys (components: arms_supply.cpp, aid_convoys.cpp)
      break;
    case Phase::BeforeAgents:
      break;
    case Phase::Agents:  // ODD 3: random sequential turns (async), or decide-then-resolve (sync,
                         // act_sync.cpp)
      if (cfg_.base.schedule == epstein::Schedule::Sync)
        act_all_sync();
      else
        act_all();
      break;
    case Phase::Justice:
      justice_day();
      break;
    case Phase::Social:  // legitimacy and hardship, development, DDR (components: legitimacy.cpp,
      break;             // development.cpp, ddr.cpp)
    case Phase::Return:  // the return of the displaced (component: returns.cpp)
      break;
    case Phase::DayEnd:
      end_day();
      break;
  }
}

void PeaceModel::start_day() {
  ++day_;
  events_ = Events{};
  // Yesterday's marks and the killings older than K days are cleared by the memory of violence, the first
  // component to hook this phase (violence_memory.cpp).
  if (cfg_.spoilers.enabled)  // exposure ends; each refresh sets its own cell's code and bits (atomically)
    exec_->for_each(agents_.size(), [this](std::size_t i) {
      if (agents_.kind[i] == Kind::Spoiler && agents_.exposed_until[i] == day_ - 1) refresh(i);
    });

  legitimacy_ = legitimacy_at(day_);
  apply_cop_schedule();
}

double PeaceModel::legitimacy_at(std::int64_t t) const {
  // Epstein's shared legitimacy schedules (docs/epstein.md), used while legitimacy.local is off.
  return epstein::scheduled_legitimacy(cfg_.base, t);
}

void PeaceModel::apply_cop_schedule() {
  // Epstein's cop schedules (docs/epstein.md, models/epstein/rules.hpp): cops added at random empty cells or
  // withdrawn at random.
  epstein::follow_cop_schedule(
      cfg_.base, day_, initial_cops_, cops_on_grid_, code_,
      [&](std::int32_t c) { place(agents_.add(Kind::Peacekeeper, 0), c); },
      [&] {
        std::vector<std::size_t> on;
        for (std::size_t i = 0; i < agents_.size(); ++i)
          if (is_epstein_cop(agents_, i) && agents_.status[i] != Status::Dead) on.push_back(i);
        return on;
      },
      [&](std::size_t id) {
        agents_.status[id] = Status::Dead;
        vacate(id);
      });
}

void PeaceModel::justice_day() {
  // As the Epstein model: ageing, then terms count down, and the deaths and releases follow in id order
  // (epstein::release_due); the released go back exactly as aggrieved as before. Justice (ODD 7.4,
  // justice.hpp) frees the region's jail place.
  // Ageing and the countdown of terms change each agent's own columns only, so they run in parallel; the
  // few agents whose day ends in a death or a release are listed in id order (Executor::ids_where) and
  // handled after, in that order, so the cells they leave and take are those of one pass in id order.
  std::vector<std::uint32_t> due;
  exec_->ids_where(
      agents_.size(),
      [this](std::size_t i) {
        if (agents_.kind[i] == Kind::Peacekeeper || agents_.foreign[i] || agents_.status[i] == Status::Dead)
          return false;
        return epstein::period_ends(agents_, i);
      },
      due);
  struct Hooks {
    PeaceModel& m;
    Agents& a = m.agents_;
    bool dies(std::size_t i) const { return epstein::reached_death_age(a, i); }
    void die(std::size_t i) {
      if (a.status[i] == Status::Jailed && m.justice_->enabled) m.justice_->release(a.jail_region[i]);
      a.status[i] = Status::Dead;
      ++m.events_.deaths_of_age;
      ++m.dead_people_;
      m.vacate(i);
    }
    void keep(std::size_t i) { m.refresh(i); }
    std::int32_t cell_for(std::size_t, std::size_t i) {
      // On a map the released go home (a cell near their home cell); in Epstein's featureless world they
      // return to a random empty cell, as in the paper.
      Stream s(m.cfg_.base.seed, kRelease, i, static_cast<std::uint64_t>(m.day_));
      const bool home = m.cfg_.map_source != MapSource::None && a.home[i] >= 0;
      return home ? m.empty_cell_near(a.home[i], kHomeRadius, s) : m.random_empty_cell(s);
    }
    void land(std::size_t i, std::int32_t c) {
      if (m.justice_->enabled) m.justice_->release(a.jail_region[i]);  // frees the region's jail place
      m.place(i, c);
    }
  };
  epstein::release_due(cfg_.base, agents_, events_.releases, due, Hooks{*this});
}

void PeaceModel::end_day() {
  // Regional legitimacy (legitimacy.cpp), and the aggregates the mission layer reads tomorrow
  // (mission_layer.cpp), in one pass.
  std::vector<double> sum(static_cast<std::size_t>(regions_), 0), n(static_cast<std::size_t>(regions_), 0);
  double total = 0, count = 0;
  std::int64_t people = 0, constables = 0;
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    if (agents_.kind[i] == Kind::Peacekeeper || agents_.foreign[i] || agents_.status[i] == Status::Dead)
      continue;
    ++people;
    constables += agents_.kind[i] == Kind::Constable;
    if (agents_.kind[i] != Kind::Citizen || agents_.cell[i] < 0) continue;
    const double l = legitimacy_of(i);
    const auto r = static_cast<std::size_t>(region_of(agents_.cell[i]));
    sum[r] += l;
    n[r] += 1;
    total += l;
    count += 1;
  }
  for (std::size_t r = 0; r < sum.size(); ++r)
    if (n[r] > 0) legitimacy_pass_->region[r] = sum[r] / n[r];
  mission_->close_day(*this, people, constables, count > 0 ? total / count : 0, events_.peacekeepers_killed,
                      killings_today());
}

std::int64_t PeaceModel::killings_today() const {
  return events_.killed[0] + events_.killed[1] + events_.spoilers_killed + events_.peacekeepers_killed +
         events_.constables_killed;
}

}  // namespace keepsim::peace

// The mission layer (ODD 7.8 and 7.10, ODD 3 step 1) as a mechanism: the mission.will_* keys, the mission's
// phase, political will, arrival and departure days, contingents' losses and presence, deployment, the exit
// rule and draw-down, tasking and the day's on-duty draws and trainers, and the aggregates of yesterday it
// acts on. The agents' turns read whether the mission is present, and kill() counts a contingent's losses,
// through PeaceModel::mission_ (inline, no virtual call per agent); the constabulary reads the trainers,
// the deployed regions and the departure day through PeaceModel's accessors.
#pragma once
#include <cstdint>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"
#include "models/peacekeeping/params.hpp"

namespace keepsim::peace {

class MissionLayer : public MechanismOf<MissionLayer> {
 public:
  double will_initial = 1;       ///< mission.will_initial: W at day 0
  double will_min = 0.2;         ///< mission.will_min: the mission leaves below it
  double will_per_casualty = 0;  ///< mission.will_per_casualty: W lost per peacekeeper killed
  double will_fatigue = 0;       ///< mission.will_fatigue: W lost per day with killings

  /// 0 before the first arrival, 1 in the capital's region only (capital_first), 2 deployed, 3 drawing
  /// down, 4 gone (mission_phase series).
  int phase = 0;
  double will = 1;                                  ///< W (political_will series)
  std::int64_t first_arrival = -1, departure = -1;  ///< days; -1 while it has not happened
  std::int64_t calm_run = 0;                        ///< calm days in a row, by yesterday's count
  std::int64_t last_expand = 0;                     ///< capital_first: the day of the last added region
  std::vector<std::int64_t> contingent_killed, contingent_present;  ///< by contingent
  std::vector<std::uint8_t> contingent_gone;                        ///< went home past its casualty tolerance
  std::int64_t force_initial = 0;      ///< units that have arrived (the draw-down's base)
  double drawdown_credit = 0;          ///< units owed by the end-state draw-down (below 1 a day)
  std::int64_t trainers = 0;           ///< today's trainers at an open centre (constabulary.cpp)
  std::vector<std::uint8_t> deployed;  ///< by region: the mission has deployed there
  /// The task needs of the last tasking, by region: actives on the grid, killings in the K-day log.
  std::vector<std::int64_t> region_actives;
  std::vector<double> region_recent_kills;
  // Yesterday's aggregates (ODD 3: the mission acts on what it knows), set at the end of each day.
  std::int64_t yesterday_peacekeepers_killed = 0, yesterday_killings = 0, population = 0,
               domestic_constables = 0;
  double mean_legitimacy = 0;
  std::vector<std::int64_t> killings_by_day;  ///< all killings, day by day (the calm-day rate)

  bool present() const { return phase >= 1 && phase <= 3; }
  std::int64_t peacekeepers_present() const;
  /// A unit of contingent k was killed (model.cpp kill, inside the agents' turns).
  void unit_killed(std::size_t k) {
    ++contingent_killed[k];
    --contingent_present[k];
  }
  /// The end of the day (model.cpp end_day, which counts the census while it updates regional
  /// legitimacy): the aggregates tomorrow's mission layer reads, and the run of calm days.
  void close_day(const PeaceModel& m, std::int64_t people, std::int64_t constables, double legitimacy,
                 std::int64_t peacekeepers_killed, std::int64_t killings);

  void init(PeaceModel& m) override;
  std::vector<Phase> phases() const override { return {Phase::Mission}; }
  void run(Phase p, PeaceModel& m) override;
  void after_burn_in(PeaceModel& m) override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;

 private:
  void arrive(PeaceModel& m, int contingent);
  void withdraw_units(PeaceModel& m, std::int64_t n, int only_contingent);
  void assign_tasks(PeaceModel& m);
  struct TaskSites {
    std::vector<int> deployed;  ///< deployed regions
    std::vector<std::int32_t> border, guard,
        train;  ///< border cells, guarded sites, training centres in them
  };
  TaskSites task_sites(const PeaceModel& m) const;
  std::int32_t task_target(const PeaceModel& m, Task t, const TaskSites& sites, Stream& s) const;
};

}  // namespace keepsim::peace

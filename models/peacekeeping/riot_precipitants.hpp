// Riots that follow precipitating events (ODD 7.19) as a component: the participation.precipitant_days and
// participation.news keys, the days each group last heard of an attack on it in each region, and the test
// rule A asks of them. A citizen may take to open defiance only within that many days after its own group
// was hit within its sight (the last_victim column, kept by the legitimacy pass, legitimacy.cpp) or, with
// participation.news beyond "sight", after it heard of such an attack in its region or in the country. Rule A
// reads it inline in the citizen's turn (act.cpp decide_rule_a), through PeaceModel's pointer to this
// class, so it is declared here rather than in riot_precipitants.cpp. With precipitant_days at 0 (the schema
// default) nothing is read and rule A is Epstein's. With participation.news_quiet_days Q > 0 a killing is
// news only when the group's civilians had not been killed in the same area on any of the Q days before.
#pragma once
#include <cstdint>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class RiotPrecipitants : public MechanismOf<RiotPrecipitants> {
 public:
  /// How far the news of an attack on a group carries (participation.news, ODD 7.19).
  enum class News : std::uint8_t { Sight, Region, Country };

  /// participation.precipitant_days: the days after an attack on its group during which a citizen may riot
  /// (0: always, Epstein's rule A).
  std::int32_t days = 0;
  News news = News::Sight;
  /// participation.news_quiet_days: a killing heard of opens the window only after this many days without
  /// one in the same area (0: every killing is news).
  std::int32_t quiet_days = 0;
  bool on() const { return days > 0; }
  /// Whether a citizen whose group was last hit within its sight on day `last_victim` (kNever: never) may
  /// riot on day `day`: the attack was made on one of the `days` days before.
  static bool provoked(std::int32_t last_victim, std::int64_t day, std::int32_t days) {
    return day - last_victim <= days;  // false for kNever (mechanism.hpp)
  }
  /// Rule A's test (ODD 7.19) for a citizen of group `group` on cell `here` (`region`: the map's region of
  /// every cell): an attack on its group within its sight, or one it heard of, within the window.
  bool may_riot(std::int32_t last_victim, std::uint8_t group, const std::vector<std::uint16_t>& region,
                std::int32_t here, std::int64_t day) const {
    if (provoked(last_victim, day, days)) return true;
    if (news == News::Sight) return false;
    const std::size_t r = news == News::Region ? region[static_cast<std::size_t>(here)] : 0;
    return provoked(heard[r * 2 + group], day, days);
  }

  /// By (region, group), region-major (one region for "country"): the last day a killing of a civilian of
  /// the group there was news (kNever: never). Written in the social phase, so a turn reads the killings up
  /// to yesterday.
  std::vector<std::int32_t> heard;
  /// The same areas: the last day a civilian of the group was killed there, news or not (kNever: never),
  /// which decides whether the next killing is news.
  std::vector<std::int32_t> last_killed;

  void init(PeaceModel& m) override;
  std::vector<Phase> phases() const override { return {Phase::Social}; }
  void run(Phase p, PeaceModel& m) override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;

 private:
  /// The size of `heard` for this model: regions (one for "country") x 2 groups; 0 when nothing is heard.
  std::size_t entries(const PeaceModel& m) const;
};

}  // namespace keepsim::peace

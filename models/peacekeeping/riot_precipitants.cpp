// ODD 7.19, riots that follow precipitating events, as a component (mechanism.hpp): its keys, the days each
// group last heard of an attack on it, and the check that something keeps the days of the attacks seen.
// Riots break out after an event read as an attack on the group, and the news of it, often as rumour,
// carries it well beyond those who saw it (Horowitz 2001); they come as episodes, and between them a country
// is calm, however aggrieved. Rule A (act.cpp decide_rule_a) then lets a citizen riot only within
// participation.precipitant_days of an attack on its own group, seen (the last_victim column that flight
// reads too, 7.6) or, with participation.news, heard of in its region or its country. Where and how often
// riots break out follows from the killings, while the window scales the mean share nearly in proportion
// (ODD 7.19). A killing stands out, and is news, only after a quiet spell: where the group's civilians are
// killed every few days each new killing adds to an issue already covered, and people grow used to it
// (participation.news_quiet_days; the issue-attention cycle of Downs 1972, habituation in Hoffman and Kaire
// 2020). The daily pass makes no random draw and reads only the day's marks, so it is the same on any number
// of threads.
#include "models/peacekeeping/riot_precipitants.hpp"

#include "keepsim/core/errors.hpp"
#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

void declare(Schema& s) {
  s.add(int_param("participation.precipitant_days", 0, "days", 0, 3650,
                  "a citizen may riot only within this many days after its own group was attacked within its "
                  "sight, or in the area participation.news names (ODD 7.19); 0: Epstein's rule A, at any "
                  "time"));
  s.add(choice_param("participation.news", {"sight", "region", "country"},
                     "how far the news of a killing of a group's civilian carries as a precipitant of riots: "
                     "to those who saw it, to the group's people in the region, or in the whole country (ODD "
                     "7.19)"));
  s.add(int_param("participation.news_quiet_days", 0, "days", 0, 3650,
                  "a killing heard of (participation.news region or country) is news, and opens the window, "
                  "only if no civilian of the group was killed in the same area on any of this many days "
                  "before (ODD 7.19); 0: every killing is news"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config& c) {
  auto m = std::make_shared<RiotPrecipitants>();
  m->days = static_cast<std::int32_t>(p.get_int("participation.precipitant_days"));
  const std::string& news = p.get_string("participation.news");
  m->news = news == "region"    ? RiotPrecipitants::News::Region
            : news == "country" ? RiotPrecipitants::News::Country
                                : RiotPrecipitants::News::Sight;
  m->quiet_days = static_cast<std::int32_t>(p.get_int("participation.news_quiet_days"));
  // The day of the last attack is kept by the legitimacy pass only while it runs (legitimacy.cpp: local
  // legitimacy, hardship or displacement); without it no one would ever riot.
  if (m->on() && !(c.legitimacy.local || c.hardship.enabled || c.displacement.enabled))
    throw ConfigError(
        p.origin("participation.precipitant_days"), "participation.precipitant_days",
        "needs legitimacy.local, hardship.enabled or displacement.enabled = true, which keep the "
        "day a citizen's group was last attacked (ODD 7.19); 0 switches it off");
  return m;
}

}  // namespace

extern const MechanismType riot_precipitants_mechanism = {"riot_precipitants", &declare, &read, {}, {}};

std::size_t RiotPrecipitants::entries(const PeaceModel& m) const {
  if (!on() || news == News::Sight) return 0;
  // Map regions number from 0 (world_map.hpp); two groups each.
  return static_cast<std::size_t>(news == News::Region ? m.regions() : 1) * 2;
}

void RiotPrecipitants::init(PeaceModel& m) {
  heard.assign(entries(m), kNever);
  last_killed.assign(entries(m), kNever);
}

void RiotPrecipitants::run(Phase, PeaceModel& m) {
  // After the day's turns: every cell where a civilian of group g was killed today tells g's people of its
  // region (or of the country). The day's marks hold every killing of a civilian (violence_memory.hpp).
  // Today's killings in an area are news only if the area's last killing before today is more than
  // quiet_days old (with 0, any earlier day); several killings on one day are one piece of news.
  if (heard.empty()) return;
  const auto today = static_cast<std::int32_t>(m.day());
  const std::vector<std::uint16_t>& region = m.world().region;
  for (const std::int32_t c : m.marked_today())
    for (int g = 0; g < 2; ++g)
      if (m.victims_today(g).test(c)) {
        const std::size_t r = news == News::Region ? region[static_cast<std::size_t>(c)] : 0;
        const std::size_t k = r * 2 + static_cast<std::size_t>(g);
        if (last_killed[k] == today) continue;  // the day's news is out already
        if (std::int64_t{today} - last_killed[k] > quiet_days) heard[k] = today;  // true for kNever
        last_killed[k] = today;
      }
}

void RiotPrecipitants::save(StateWriter& w) const {
  if (!heard.empty()) w.put("riot_precipitants.heard", heard);
  if (!last_killed.empty()) w.put("riot_precipitants.last_killed", last_killed);
}

void RiotPrecipitants::load(const StateReader& r, PeaceModel& m) {
  if (const std::size_t n = entries(m); n > 0) {
    heard = r.get<std::int32_t>("riot_precipitants.heard", n);
    last_killed = r.get<std::int32_t>("riot_precipitants.last_killed", n);
  }
}

}  // namespace keepsim::peace

// ODD 7.6 the return of the displaced as a component (mechanism.hpp): voluntary return home once no killing
// happened near home for K days (and, under displacement.return_rule = "held" or "own_ground", once the
// other group's fighters, or also its people, no longer hold the home area), and, under
// displacement.forced_return while the mission is present, the displaced sent back every return_interval
// days; refugees abroad (7.16, refugees.hpp) come home either way. It is the only mechanism that hooks the
// Return phase, where the model's return_day ran.
#include "models/peacekeeping/returns.hpp"

#include <string>
#include <vector>

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

// Its other keys are the model's (returns.hpp): the citizens' flight reads them too.
void declare(Schema& s) {
  s.add(choice_param("displacement.return_rule", {"quiet", "held", "own_ground"},
                     "when a displaced citizen may go home: no killing near home for K days; or that and the "
                     "other group's armed fighters not outnumbering protection in sight of home; or both and "
                     "the other group's people not outnumbering its own there (ODD 7.6)"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config&) {
  auto m = std::make_shared<Returns>();
  const std::string& rule = p.get_string("displacement.return_rule");
  m->rule = rule == "held"         ? Returns::Rule::Held
            : rule == "own_ground" ? Returns::Rule::OwnGround
                                   : Returns::Rule::Quiet;
  return m;
}

int region_of(const PeaceModel& m, std::int32_t c) {
  return m.world().region[static_cast<std::size_t>(c)];
}

}  // namespace

extern const MechanismType returns_mechanism = {"returns", &declare, &read, {}, {}, "displacement"};

bool Returns::held_by_other(const PeaceModel& m, std::int32_t home, int g) const {
  // ODD 7.6 return_rule "held": the citizen's exposure (7.17) measured at its home cell is above 0, i.e.
  // the other group's armed fighters in sight of home outnumber the protection there. "own_ground" adds:
  // the other group's citizens in sight of home outnumber its own group's there. Two groups only.
  if (rule == Rule::Quiet || m.config().base.groups != 2) return false;
  if (m.exposure_at(home, g) > 0) return true;
  if (rule != Rule::OwnGround) return false;
  const auto [other, own] =
      m.query().count2(m.group_layer(1 - g), m.group_layer(g), home, m.citizen_vision());
  return other > own;
}

void Returns::run(Phase, PeaceModel& m) {
  // After the day's DDR (ddr.cpp), which reads where the displaced are.
  const Config& cfg = m.config();
  const DisplacementParams& d = cfg.displacement;
  const bool present = m.mission_present();
  if (d.enabled && d.return_probability > 0) {
    // Voluntary return: the displaced go home once no killing happened near home for K days.
    Agents& a = agents(m);
    Refugees* const refugees = m.mechanism<Refugees>();
    const BitLayer& recent = m.recent_killings();
    const Vision& vision = m.citizen_vision();
    // Who may go home today depends only on the citizen's own cell and home, on the killings of the last
    // K days and on where the armed men and security units stand, which no return changes, so they are
    // listed first, in parallel and in id order; then they draw and move in that order, as the move of one
    // changes the empty cells the next one finds.
    std::vector<std::uint32_t> due;
    executor(m).ids_where(
        a.size(),
        [&](std::size_t i) {
          if (a.kind[i] != Kind::Citizen || a.home[i] < 0 || a.status[i] == Status::Dead) return false;
          const bool away = m.abroad(i);
          if (a.cell[i] < 0 && !away) return false;  // jailed, or away on other business
          const std::int32_t home = a.home[i];
          if (!away && !m.displaced_at(a.cell[i], home)) return false;
          if (m.query().count(recent, home, vision) > 0 || recent.test(home)) return false;
          return !held_by_other(m, home, a.group[i]);
        },
        due);
    for (const std::uint32_t id : due) {
      const std::size_t i = id;
      const bool away = m.abroad(i);
      const std::int32_t home = a.home[i];
      Stream s(cfg.base.seed, kReturn, i, static_cast<std::uint64_t>(m.day()));
      if (!s.bernoulli(d.return_probability)) continue;
      const std::int32_t c = empty_cell_near(m, home, kHomeRadius, s);
      if (c < 0 || region_of(m, c) != region_of(m, home)) continue;
      vacate(m, i);
      place(m, i, c);
      if (away) refugees->come_home(i);
    }
  }
  if (d.enabled && d.forced_return && present && m.day() % d.return_interval == 0) forced_return(m);
}

void Returns::forced_return(PeaceModel& m) {
  // ODD 7.6 forced return: the displaced are sent back near their home cells, minorities included.
  Agents& a = agents(m);
  Refugees* const refugees = m.mechanism<Refugees>();
  Stream s(m.config().base.seed, kForcedReturn, 0, static_cast<std::uint64_t>(m.day()));
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a.kind[i] != Kind::Citizen || a.home[i] < 0 || a.status[i] == Status::Dead) continue;
    const bool away = m.abroad(i);
    if (a.cell[i] < 0 && !away) continue;
    if (!away && !m.displaced_at(a.cell[i], a.home[i])) continue;
    const std::int32_t c = empty_cell_near(m, a.home[i], kHomeRadius, s);
    if (c < 0 || region_of(m, c) != region_of(m, a.home[i])) continue;
    vacate(m, i);
    place(m, i, c);
    if (away) refugees->come_home(i);  // refugees are sent back too
  }
}

}  // namespace keepsim::peace

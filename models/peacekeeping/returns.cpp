// ODD 7.6 the return of the displaced as a component (mechanism.hpp): voluntary return home once no killing
// happened near home for K days, and, under displacement.forced_return while the mission is present, the
// displaced sent back every return_interval days; refugees abroad (7.16, refugees.hpp) come home either
// way. It is the only mechanism that hooks the Return phase, where the model's return_day ran.
#include "models/peacekeeping/returns.hpp"

#include <vector>

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

void declare(Schema&) {}  // its keys are the model's (returns.hpp)

std::shared_ptr<const Mechanism> read(const Params&, const Config&) {
  return std::make_shared<Returns>();
}

int region_of(const PeaceModel& m, std::int32_t c) {
  return m.world().region[static_cast<std::size_t>(c)];
}

}  // namespace

extern const MechanismType returns_mechanism = {"returns", &declare, &read, {}, {}};

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
    // Who may go home today depends only on the citizen's own cell and home and on the killings of the last
    // K days, which no return changes, so they are listed first, in parallel and in id order; then they
    // draw and move in that order, as the move of one changes the empty cells the next one finds.
    std::vector<std::uint32_t> due;
    executor(m).ids_where(
        a.size(),
        [&](std::size_t i) {
          if (a.kind[i] != Kind::Citizen || a.home[i] < 0 || a.status[i] == Status::Dead) return false;
          const bool away = m.abroad(i);
          if (a.cell[i] < 0 && !away) return false;  // jailed, or away on other business
          const std::int32_t home = a.home[i];
          if (!away && !m.displaced_at(a.cell[i], home)) return false;
          return !(m.query().count(recent, home, vision) > 0 || recent.test(home));
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

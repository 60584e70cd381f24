// ODD 7.18, the cost of keeping up open defiance, as a component (mechanism.hpp): its keys, the `felt`
// column and the daily pass. A day of open defiance costs the citizen livelihood and time, and the cost is
// felt for a while after it (the opportunity cost of taking part: Collier and Hoeffler 2004; protest that
// ends in exhaustion: Tarrow 1998), so rule A asks a citizen who has been active lately for a larger margin
// of grievance over risk. The pass makes no random draw and changes each citizen's own entry only, so it
// runs in parallel and gives the same column on any number of threads.
#include "models/peacekeeping/participation_cost.hpp"

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

void declare(Schema& s) {
  s.add(real_param("participation.cost", 0, "1/day", 0, 1,
                   "added to the threshold T per day of open defiance still felt (ODD 7.18); 0: Epstein's "
                   "rule A"));
  s.add(real_param("participation.memory_days", 365, "days", 1, 100000,
                   "days over which the cost of a day of defiance fades (ODD 7.18)"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config&) {
  auto m = std::make_shared<ParticipationCost>();
  m->cost = p.get_real("participation.cost");
  m->memory_days = p.get_real("participation.memory_days");
  return m;
}

}  // namespace

extern const MechanismType participation_cost_mechanism = {"participation_cost", &declare, &read, {}, {}};

void ParticipationCost::init(PeaceModel& m) {
  if (on()) attach_column(m, felt);
}

void ParticipationCost::run(Phase, PeaceModel& m) {
  // After the day's turns and arrests: a citizen still active at the end of the day adds a day; every
  // entry fades by the same factor. Fighters, security units and the jailed only fade.
  if (!on()) return;
  const Agents& a = agents(m);
  const auto keep = static_cast<float>(1.0 - 1.0 / memory_days);
  executor(m).for_each(a.size(), [&](std::size_t i) {
    const bool active = a.kind[i] == Kind::Citizen && a.status[i] == Status::Active;
    felt[i] = felt[i] * keep + (active ? 1.0f : 0.0f);
  });
}

void ParticipationCost::save(StateWriter& w) const {
  if (on()) w.put("agents.participation_felt", felt);
}

void ParticipationCost::load(const StateReader& r, PeaceModel& m) {
  if (on()) felt = r.get<float>("agents.participation_felt", m.agents().size());
}

void ParticipationCost::memory(double, double agent_slots, double& state, double&) const {
  if (on()) state += 4 * agent_slots;  // the felt column, grown with the other agent columns
}

}  // namespace keepsim::peace

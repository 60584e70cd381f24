// ODD 7.13 the mission's popular legitimacy as a component (mechanism.hpp): parameters, the column M_i, its
// value on the mission's first arrival, the series of its mean and the checkpoint field.
#include "models/peacekeeping/mission_legitimacy.hpp"

#include <algorithm>
#include <cmath>

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

constexpr SeriesDef kSeries[] = {
    {"mission_legitimacy_mean", "mean popular legitimacy of the mission over citizens on the grid", "1",
     DType::Float64, nullptr},
};

void declare(Schema& s) {
  s.add(bool_param("legitimacy.mission_separate", false,
                   "track the mission's popular legitimacy M_i apart from the government's L_i (7.13)"));
  s.add(real_param("legitimacy.mission_initial", 0.5, "1", 0, 1, "M_i when the mission arrives"));
  s.add(real_param("legitimacy.mission_security_gain", 0, "1/day", 0, 1,
                   "gain of M_i on a secure day with a mission unit in sight"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config&) {
  auto m = std::make_shared<MissionLegitimacy>();
  m->separate = p.get_bool("legitimacy.mission_separate");
  m->initial = p.get_real("legitimacy.mission_initial");
  m->security_gain = p.get_real("legitimacy.mission_security_gain");
  return m;
}

}  // namespace

extern const MechanismType mission_legitimacy_mechanism = {
    "mission_legitimacy", &declare, &read, kSeries, {}};

void MissionLegitimacy::run(Phase, PeaceModel& m) {
  // After the mission layer: on the day of the first arrival the people meet the mission with the same
  // measure of popular legitimacy. Nothing of the mission phase reads M_i before this.
  if (separate && m.first_arrival() >= 0 && m.first_arrival() == m.day())
    std::fill(value.begin(), value.end(), static_cast<float>(initial));
}

void MissionLegitimacy::observe(const PeaceModel& m, Recorder& rec) const {
  // The mean over living citizens on the grid (not jailed, not abroad), as for legitimacy_mean.
  double sum = 0, n = 0;
  const Agents& a = m.agents();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a.kind[i] == Kind::Citizen && a.status[i] != Status::Dead && a.status[i] != Status::Jailed &&
        !m.abroad(i)) {
      sum += value[i];
      n += 1;
    }
  put(rec, 0, separate && m.mission_present() && n > 0 ? sum / n : std::nan(""));
}

void MissionLegitimacy::load(const StateReader& r, PeaceModel& m) {
  value = r.get<float>("agents.mission_legitimacy", m.agents().size());
}

void MissionLegitimacy::memory(double, double agent_slots, double& state, double&) const {
  state += 4 * agent_slots;  // M_i, a float per agent slot
}

}  // namespace keepsim::peace

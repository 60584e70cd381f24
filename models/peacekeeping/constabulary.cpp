// ODD 7.9 the constabulary and the international police as a component (mechanism.hpp): their keys, the
// police's arrival and departure, the day's recruitment, training and defection, and the checkpoint fields
// of the recruitment credit and the police's arrival. It hooks the mission phase after the mission layer
// (mission_layer.cpp), which counts the day's trainers it reads, and before the mission's popular legitimacy
// (mission_legitimacy.cpp), which gives police arriving with the mission its first measure. The constable
// layer, the skill column and the counters new_constables and defections with their series stay the
// model's, as do constabulary.enabled, constabulary.vision and police.count, which the model reads as well.
#include "models/peacekeeping/constabulary.hpp"

#include <algorithm>

#include "keepsim/core/errors.hpp"
#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

void declare(Schema& s) {
  s.add(
      bool_param("constabulary.enabled", false, "domestic constabulary and international police (ODD 7.9)"));
  s.add(int_param("constabulary.start_day", 0, "days", 0, kDays, "first recruitment day"));
  s.add(real_param("constabulary.recruit_legitimacy", 0.6, "1", 0, 1, "least L_i of a recruit"));
  s.add(real_param("constabulary.throughput", 0, "1/day", 0, 1e6, "recruits a day without trainers"));
  s.add(real_param("constabulary.throughput_per_trainer", 0, "1/day", 0, 1e6,
                   "extra recruits a day per trainer"));
  s.add(real_param("constabulary.initial_skill", 0.2, "1", 0, 1, "q0"));
  s.add(real_param("constabulary.max_skill", 0.9, "1", 0, 1, "q_max"));
  s.add(real_param("constabulary.training_rate", 0.01, "1/day", 0, 1,
                   "skill gained per trainer-day, toward q_max"));
  s.add(real_param("constabulary.trainees_per_trainer", 10, "1", 0, 1e6, "trainees one trainer can train"));
  s.add(
      real_param("constabulary.defect_probability", 0, "1/day", 0, 1, "defection chance at zero legitimacy"));
  s.add(
      real_param("constabulary.defect_to_militia", 0.5, "1", 0, 1, "share of defectors who join a militia"));
  s.add(real_param("constabulary.vision", 7, "cells", 0, 1000, "constable vision radius"));
  s.add(int_param("police.count", 0, "1", 0, 1e8, "international civilian police officers"));
  s.add(int_param("police.arrival_day", 0, "days", 0, kDays, "day the police arrive"));
  s.add(real_param("police.skill", 0.5, "1", 0, 1, "their skill q"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config& c) {
  auto m = std::make_shared<Constabulary>();
  m->enabled = c.constabulary.enabled;
  m->mission = c.mission.enabled;
  m->militias = c.spoilers.enabled && c.base.groups == 2;
  m->start_day = p.get_int("constabulary.start_day");
  m->recruit_legitimacy = p.get_real("constabulary.recruit_legitimacy");
  m->throughput = p.get_real("constabulary.throughput");
  m->throughput_per_trainer = p.get_real("constabulary.throughput_per_trainer");
  m->initial_skill = p.get_real("constabulary.initial_skill");
  m->max_skill = p.get_real("constabulary.max_skill");
  m->training_rate = p.get_real("constabulary.training_rate");
  m->trainees_per_trainer = p.get_real("constabulary.trainees_per_trainer");
  m->defect_probability = p.get_real("constabulary.defect_probability");
  m->defect_to_militia = p.get_real("constabulary.defect_to_militia");
  m->police_count = c.constabulary.police_count;
  m->police_arrival_day = p.get_int("police.arrival_day");
  m->police_skill = p.get_real("police.skill");
  if (m->initial_skill > m->max_skill)
    throw ConfigError(p.origin("constabulary.initial_skill"), "constabulary.initial_skill",
                      "must not exceed constabulary.max_skill");
  return m;
}

}  // namespace

// Its keys keep their place in the schema, after the mission's contingent keys (params.cpp).
extern const MechanismType constabulary_mechanism = {"constabulary", &declare, &read, {}, {}, "mission"};

void Constabulary::run(Phase, PeaceModel& m) {
  Agents& a = agents(m);
  Events& e = events(m);
  const std::uint64_t seed = m.config().base.seed;
  const std::int64_t day = m.day();
  // International police leave with the mission, on the day its last unit goes (mission_layer.cpp sets phase
  // 4). Nothing of the mission phase after that reads them: with no mission present there is no tasking.
  if (m.phase() == 4 && m.departure() == day)
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a.foreign[i] && a.status[i] != Status::Dead) leave(m, i);
  if (!enabled) return;
  // International civilian police arrive once, posted round the deployed regions (ODD 7.9).
  if (police_count > 0 && !police_arrived && day >= police_arrival_day && (!mission || m.mission_present())) {
    police_arrived = true;
    Stream s(seed, kArrive, 1000, static_cast<std::uint64_t>(day));
    std::vector<int> deployed;
    for (int r = 0; r < m.regions(); ++r)
      if (m.deployed(r) || !mission) deployed.push_back(r);
    for (std::int64_t u = 0; u < police_count; ++u) {
      const std::int32_t centre = m.region_centre(deployed[static_cast<std::size_t>(u) % deployed.size()]);
      const std::int32_t c = empty_cell_near(m, centre, 3, s);
      if (c < 0) break;
      const std::size_t id = a.add(Kind::Constable, 0);
      a.foreign[id] = 1;
      a.skill[id] = static_cast<float>(police_skill);
      a.target[id] = centre;
      place(m, id, c);
    }
  }
  if (day < start_day) return;
  // Recruitment from quiet citizens who grant legitimacy, bounded by the training throughput of the day's
  // trainers (counted by the mission layer); former fighters are not taken (ddr.cpp).
  const double trainers = static_cast<double>(m.trainers());
  recruit_credit = std::min(recruit_credit + throughput + throughput_per_trainer * trainers,
                            1.0 + throughput + throughput_per_trainer * trainers);
  const std::vector<std::uint8_t>& demobilised = m.mechanism<Ddr>()->demobilised;
  Stream s(seed, kRecruitConstable, 0, static_cast<std::uint64_t>(day));
  const auto n = static_cast<std::uint32_t>(a.size());
  while (recruit_credit >= 1) {
    std::int64_t found = -1;
    for (int tries = 0; tries < 256 && found < 0; ++tries) {
      const std::uint32_t i = s.below(n);
      if (a.kind[i] == Kind::Citizen && a.status[i] == Status::Quiet && a.cell[i] >= 0 && !demobilised[i] &&
          m.legitimacy_of(i) >= recruit_legitimacy)
        found = i;
    }
    if (found < 0) break;
    const auto id = static_cast<std::size_t>(found);
    a.kind[id] = Kind::Constable;
    a.skill[id] = static_cast<float>(initial_skill);
    a.target[id] = m.region_centre(m.world().region[static_cast<std::size_t>(a.cell[id])]);
    refresh(m, id);
    ++e.new_constables;
    recruit_credit -= 1;
  }
  // Training: trainer-days raise trainees' skill toward q_max, shared when trainees exceed capacity.
  std::int64_t trainees = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    trainees += a.kind[i] == Kind::Constable && !a.foreign[i] && a.status[i] != Status::Dead &&
                a.skill[i] < max_skill;
  const double coverage =
      trainees > 0 ? std::min(1.0, trainers * trainees_per_trainer / static_cast<double>(trainees)) : 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a.kind[i] != Kind::Constable || a.foreign[i] || a.status[i] == Status::Dead) continue;
    if (coverage > 0 && a.skill[i] < max_skill)
      a.skill[i] += static_cast<float>(training_rate * coverage * (max_skill - a.skill[i]));
    // Defection rises as the region's legitimacy falls; some defectors take their weapon to their militia.
    if (a.status[i] == Status::Jailed || defect_probability <= 0) continue;
    Stream d(seed, kDefect, i, static_cast<std::uint64_t>(day));
    const int r = a.cell[i] >= 0 ? m.world().region[static_cast<std::size_t>(a.cell[i])] : 0;
    if (!d.bernoulli(defect_probability * (1.0 - m.region_legitimacy(r)))) continue;
    ++e.defections;
    if (militias && d.bernoulli(defect_to_militia)) {
      a.kind[i] = Kind::Spoiler;
      a.faction[i] = a.group[i];
      a.armed[i] = 1;
    } else {
      a.kind[i] = Kind::Citizen;
      a.status[i] = Status::Quiet;
    }
    a.skill[i] = 0;
    refresh(m, i);
  }
}

void Constabulary::save(StateWriter& w) const {
  // The names the model gave these fields when it kept them: the checkpoint layout is unchanged by the move.
  w.put("mission.recruit_credit", recruit_credit);
  w.put("mission.police_arrived", std::int64_t{police_arrived ? 1 : 0});
}

void Constabulary::load(const StateReader& r, PeaceModel&) {
  recruit_credit = r.value<double>("mission.recruit_credit");
  police_arrived = r.value<std::int64_t>("mission.police_arrived") != 0;
}

}  // namespace keepsim::peace

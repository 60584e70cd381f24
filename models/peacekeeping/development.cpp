// ODD 7.3 development as a component (mechanism.hpp): the two development keys, each region's baseline
// multiplier, its daily fall where the region is secure, and its checkpoint field. The hardship rule itself
// (hardship.enabled, violence_gain, relax) stays in the citizens' pass of the model (social.cpp).
#include "models/peacekeeping/development.hpp"

#include <algorithm>

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

void declare(Schema& s) {
  s.add(real_param("hardship.development_rate", 0, "1/day", 0, 1,
                   "daily fall of a secure region's baseline multiplier (livelihood effort)"));
  s.add(real_param("hardship.development_floor", 0.5, "1", 0, 1, "lowest baseline multiplier"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config& c) {
  auto m = std::make_shared<Development>();
  m->hardship = c.hardship.enabled;
  m->rate = p.get_real("hardship.development_rate");
  m->floor = p.get_real("hardship.development_floor");
  m->secure_days = c.legitimacy.secure_days;
  return m;
}

}  // namespace

// Its keys keep their place in the schema, at the end of the model's hardship keys (before justice's).
extern const MechanismType development_mechanism = {"development", &declare, &read, {}, {}, "hardship"};

void Development::init(PeaceModel& m) {
  level.assign(static_cast<std::size_t>(std::max(1, m.world().regions())), 1.0);
}

void Development::run(Phase, PeaceModel& m) {
  // A secure region's baseline hardship falls slowly; under fire it does not (ODD 7.3). After the day's
  // hardship pass, which reads the level, and before DDR, which reads it too (ddr.cpp).
  if (!hardship || rate <= 0) return;
  for (std::size_t r = 0; r < level.size(); ++r)
    if (m.region_last_kill(static_cast<int>(r)) <= m.day() - secure_days)
      level[r] = std::max(floor, level[r] - rate);
}

void Development::save(StateWriter& w) const {
  w.put("region.development", level);
}

void Development::load(const StateReader& r, PeaceModel&) {
  level = r.get<double>("region.development", level.size());
}

}  // namespace keepsim::peace

// ODD 7.4 justice as a component (mechanism.hpp): its parameters and their checks, the per-region jails
// and credibility counts, their daily decay and their checkpoint fields.
#include "models/peacekeeping/justice.hpp"

#include <algorithm>
#include <cmath>

#include "keepsim/core/errors.hpp"
#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

void declare(Schema& s) {
  s.add(bool_param("justice.enabled", false, "regional jail capacity and catch-and-release (ODD 7.4)"));
  s.add(real_param("justice.jail_per_1000", 1, "1/1000 inhabitants", 0, 1000, "jail places per 1000 people"));
  s.add(int_param("justice.release_days", 2, "days", 1, kDays, "days held when the jail is full"));
  s.add(real_param("justice.deterrence_floor", 1, "1", 0, 1,
                   "rho in N = R P (rho + (1 - rho) j): 1 makes justice irrelevant (Epstein)"));
  s.add(real_param("justice.memory", 30, "days", 1, 1e6, "time scale of the credibility average j"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config& c) {
  auto m = std::make_shared<Justice>();
  m->enabled = p.get_bool("justice.enabled");
  m->jail_per_1000 = p.get_real("justice.jail_per_1000");
  m->release_days = p.get_int("justice.release_days");
  m->deterrence_floor = p.get_real("justice.deterrence_floor");
  m->credibility_days = p.get_real("justice.memory");
  // A jail place is freed by a release or a death: it needs jailed agents off the grid and finite terms.
  if (c.base.jailed != epstein::Jailed::OffGrid && m->enabled)
    throw ConfigError(p.origin("rules.jailed"), "rules.jailed", "justice needs jailed = \"off_grid\"");
  if (!std::isfinite(c.base.max_jail_term) && m->enabled)
    throw ConfigError(p.origin("jail.max_term"), "jail.max_term",
                      "justice needs a finite jail.max_term (life terms never free a place)");
  return m;
}

}  // namespace

// Its keys keep their place in the schema, after the model's hardship keys (ODD 7.3, 7.4 order).
extern const MechanismType justice_mechanism = {"justice", &declare, &read, {}, {}, "hardship"};

void Justice::init(PeaceModel& m) {
  const auto regions = static_cast<std::size_t>(std::max(1, m.world().regions()));
  jailed_.assign(regions, 0);
  served_.assign(regions, 0);
  arrests_.assign(regions, 0);
}

void Justice::run(Phase, PeaceModel&) {
  // The credibility counts decay with time scale justice.memory (ODD 7.4). After the day's releases, which
  // read neither count.
  if (!enabled) return;
  const double keep = 1.0 - 1.0 / credibility_days;
  for (std::size_t r = 0; r < served_.size(); ++r) {
    served_[r] *= keep;
    arrests_[r] *= keep;
  }
}

void Justice::save(StateWriter& w) const {
  w.put("region.jailed", jailed_);
  w.put("region.served", served_);
  w.put("region.arrests", arrests_);
}

void Justice::load(const StateReader& r, PeaceModel&) {
  const std::size_t regions = jailed_.size();
  jailed_ = r.get<std::int64_t>("region.jailed", regions);
  served_ = r.get<double>("region.served", regions);
  arrests_ = r.get<double>("region.arrests", regions);
}

}  // namespace keepsim::peace

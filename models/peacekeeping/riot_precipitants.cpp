// ODD 7.19, riots that follow precipitating events, as a component (mechanism.hpp): its key and the check
// that something keeps the days of the attacks it reads. Riots break out after an event read as an attack
// on the group (Horowitz 2001) and come as episodes; between them a country is calm, however aggrieved. Rule
// A (act.cpp decide_rule_a) then lets a citizen riot only within participation.precipitant_days of an attack
// on its own group within its sight; where and how often riots break out follows from the killings, while
// the window scales the mean share nearly in proportion (ODD 7.19). The component keeps no state of its own:
// the day of the last attack is the last_victim column that flight reads too (7.6).
#include "models/peacekeeping/riot_precipitants.hpp"

#include "keepsim/core/errors.hpp"
#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

void declare(Schema& s) {
  s.add(int_param("participation.precipitant_days", 0, "days", 0, 3650,
                  "a citizen may riot only within this many days after its own group was attacked within its "
                  "sight (ODD 7.19); 0: Epstein's rule A, at any time"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config& c) {
  auto m = std::make_shared<RiotPrecipitants>();
  m->days = static_cast<std::int32_t>(p.get_int("participation.precipitant_days"));
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

}  // namespace keepsim::peace

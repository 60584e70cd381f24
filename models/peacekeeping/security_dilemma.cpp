// ODD 7.17 what outlasts a settlement, as a component (mechanism.hpp): arming for protection and the
// excluded group's gap in legitimacy; their parameters, the day's count of citizens who armed, its series and
// its checkpoint field.
#include "models/peacekeeping/security_dilemma.hpp"

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

constexpr SeriesDef kSeries[] = {
    {"protection_recruits",
     "citizens who took up arms in the day because the other group's fighters outnumbered their protection",
     "1", DType::Int64, nullptr},
};

void declare(Schema& s) {
  s.add(real_param("spoilers.protection_probability", 0, "1/day", 0, 1,
                   "chance a citizen who sees the other group's fighters outnumber its protection takes up "
                   "arms with its own group's militia (the security dilemma, 7.17)"));
  s.add(real_param("legitimacy.exclusion_gap", 0, "1", 0, 1,
                   "how much lower group 1, the group out of power, starts and settles in L_i (7.17)"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config&) {
  auto m = std::make_shared<SecurityDilemma>();
  m->protection_probability = p.get_real("spoilers.protection_probability");
  m->exclusion_gap = p.get_real("legitimacy.exclusion_gap");
  return m;
}

}  // namespace

extern const MechanismType security_dilemma_mechanism = {"security_dilemma", &declare, &read, kSeries, {}};

void SecurityDilemma::observe(const PeaceModel&, Recorder& rec) const {
  put(rec, 0, today_);
}

void SecurityDilemma::save(StateWriter& w) const {
  w.put("events.protection_recruits", today_);
}

void SecurityDilemma::load(const StateReader& r, PeaceModel&) {
  today_ = r.value<std::int64_t>("events.protection_recruits");
}

}  // namespace keepsim::peace

// ODD 7.16 refuge abroad as a component (mechanism.hpp): its parameter, its per-agent flag, its daily
// counters, its two series and its checkpoint fields.
#include "models/peacekeeping/refugees.hpp"

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

constexpr SeriesDef kSeries[] = {
    {"refugees", "citizens who fled abroad and have not returned", "1", DType::Int64, nullptr},
    {"refugee_returns", "refugees who came home in the day", "1", DType::Int64, nullptr},
};

void declare(Schema& s) {
  s.add(real_param("displacement.refugee_probability", 0, "1", 0, 1,
                   "chance a flight leaves the country (refugees), on a map with a border"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config&) {
  auto m = std::make_shared<Refugees>();
  m->probability = p.get_real("displacement.refugee_probability");
  return m;
}

}  // namespace

extern const MechanismType refugees_mechanism = {"refugees", &declare, &read, kSeries, {}};

void Refugees::observe(const PeaceModel& m, Recorder& rec) const {
  // Living citizens abroad (a jailed citizen is never abroad: it left no grid to flee from).
  std::int64_t n = 0;
  const Agents& a = m.agents();
  for (std::size_t i = 0; i < a.size(); ++i)
    n += abroad_[i] && a.kind[i] == Kind::Citizen && a.status[i] != Status::Dead &&
         a.status[i] != Status::Jailed;
  put(rec, 0, n);
  put(rec, 1, returns_today_);
}

void Refugees::save(StateWriter& w) const {
  w.put("agents.abroad", abroad_);
  w.put("events.refugees_out", out_today_);
  w.put("events.returns", returns_today_);
}

void Refugees::load(const StateReader& r, PeaceModel& m) {
  abroad_ = r.get<std::uint8_t>("agents.abroad", m.agents().size());
  out_today_ = r.value<std::int64_t>("events.refugees_out");
  returns_today_ = r.value<std::int64_t>("events.returns");
}

void Refugees::memory(double, double agent_slots, double& state, double&) const {
  state += agent_slots;  // the flag, one byte per agent slot
}

}  // namespace keepsim::peace

// ODD 7.5 DDR as a component (mechanism.hpp): the demobilisation and rearming keys, the `demobilised`
// column, the social-phase pass and its checkpoint field. Its counters (Events::demobilised, rearmed) and
// their series stay among the model's own (observe.cpp), as do the keys' places in the schema.
#include "models/peacekeeping/ddr.hpp"

#include <algorithm>

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

constexpr SeriesDef kSeries[] = {
    {"reintegrated", "former fighters who stopped being at risk of rearming in the day (ODD 7.5)", "1/day",
     DType::Int64, nullptr},
    {"former_fighters", "former fighters alive (demobilised or arrested as fighters, jailed or not)", "1",
     DType::Int64, nullptr},
};

void declare(Schema& s) {
  s.add(real_param("spoilers.ddr_probability", 0, "1/day", 0, 1, "demobilisation chance where it is secure"));
  s.add(real_param("spoilers.rearm_probability", 0, "1/day", 0, 1,
                   "rearming chance of a demobilised fighter, times the region's baseline multiplier"));
  s.add(choice_param(
      "spoilers.rearm_motive", {"flat", "refusal_or_fear"},
      "what moves a demobilised fighter to rearm: the rate alone, or the rate times the stronger "
      "of its refusal of the government and its exposure to the other group's fighters (7.5)"));
  s.add(real_param("spoilers.reintegration_probability", 0, "1/day", 0, 1,
                   "chance a day that a former fighter who did not rearm stops being one: it no longer "
                   "rearms and no longer counts as a threat to the other group (ODD 7.5)"));
  s.add(bool_param("spoilers.rearm_recall", false,
                   "a former fighter rearms only when a member of its group's militia, armed or not, is "
                   "within its vision, as a recruit joins: recalled through its wartime ties (ODD 7.5)"));
  s.add(
      bool_param("spoilers.rearm_fear_alone", false,
                 "with rearm_recall, a former fighter who fears the other group's fighters rearms without a "
                 "recall; only refusal waits for one (ODD 7.5)"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config& c) {
  auto m = std::make_shared<Ddr>();
  m->spoilers = c.spoilers.enabled;
  m->political = c.spoilers.political;
  m->two_groups = c.base.groups == 2;
  m->ddr_probability = p.get_real("spoilers.ddr_probability");
  m->rearm_probability = p.get_real("spoilers.rearm_probability");
  m->reintegration_probability = p.get_real("spoilers.reintegration_probability");
  m->rearm_refusal_or_fear = p.get_string("spoilers.rearm_motive") == "refusal_or_fear";
  m->rearm_recall = p.get_bool("spoilers.rearm_recall");
  m->rearm_fear_alone = p.get_bool("spoilers.rearm_fear_alone");
  return m;
}

}  // namespace

// Its keys keep their place in the schema, after the model's recruitment keys (params.cpp).
extern const MechanismType ddr_mechanism = {"ddr", &declare, &read, kSeries, {}, "spoilers.recruitment"};

void Ddr::init(PeaceModel& m) {
  attach_column(m, demobilised);
}

void Ddr::demobilise(PeaceModel& m, std::size_t i) {
  Agents& a = agents(m);
  a.kind[i] = Kind::Citizen;
  a.status[i] = Status::Quiet;
  a.armed[i] = 0;
  demobilised[i] = 1;
  refresh(m, i);
  ++events(m).demobilised;
}

void Ddr::run(Phase, PeaceModel& m) {
  // ODD 7.5 DDR: fighters where it is secure may demobilise; the demobilised may rearm, less where
  // livelihoods have grown (the region's baseline multiplier), and those who did not may leave the pool for
  // good. After the day's legitimacy, hardship and development, before the displaced return (Phase::Return).
  reintegrated_today_ = 0;
  if (!spoilers || (ddr_probability <= 0 && rearm_probability <= 0 && reintegration_probability <= 0)) return;
  Agents& a = agents(m);
  Events& e = events(m);
  const VisionQuery query(m.grid());
  const Vision& spoiler_vision = m.spoiler_vision();
  const Vision& citizen_vision = m.citizen_vision();
  const BitLayer& recent = m.recent_killings();
  const std::vector<std::int32_t>& occupant = m.occupants();
  const std::uint64_t seed = m.config().base.seed;
  const auto day = static_cast<std::uint64_t>(m.day());
  // Only fighters and former fighters have anything to do. They are listed first, in parallel and in id
  // order (no agent's turn here changes whether another is listed), then take their turns in that order,
  // which matters: the layers and the arms stock they change are read by the turns after theirs.
  std::vector<std::uint32_t> due;
  executor(m).ids_where(
      a.size(),
      [&](std::size_t i) {
        if (a.cell[i] < 0 || a.status[i] == Status::Dead) return false;
        if (a.kind[i] == Kind::Spoiler) return a.faction[i] != kBandits;
        return a.kind[i] == Kind::Citizen && demobilised[i] && two_groups && a.status[i] != Status::Jailed;
      },
      due);
  for (const std::uint32_t id : due) {
    const std::size_t i = id;
    const std::int32_t here = a.cell[i];
    Stream s(seed, kSocial, i, day);
    if (a.kind[i] == Kind::Spoiler && a.faction[i] != kBandits) {
      const bool secure = query.count(recent, here, spoiler_vision) == 0 && !recent.test(here) &&
                          m.security_seen(here, spoiler_vision) > 0;
      if (secure && s.bernoulli(ddr_probability)) demobilise(m, i);
    } else if (a.kind[i] == Kind::Citizen && demobilised[i] && two_groups && a.status[i] != Status::Jailed) {
      // With the refusal_or_fear motive a former fighter rearms for one of two reasons, whichever is
      // stronger: it refuses the government (1 - c_i, as a recruit does under 7.14), or it sees the other
      // group's fighters outnumber its protection (as a citizen arming under 7.17). Former fighters know
      // where the weapons are and whom to call, so both act on them at the rearming rate. A mission that
      // guards and a government people accept leave neither; a mission gone before a constabulary can guard
      // leaves the fear (Walter 1997; Humphreys and Weinstein 2007; ODD 7.5).
      // With rearm_recall a former fighter goes back only when it is called back: a member of its group's
      // militia within its vision (ODD 7.5, "Recall"; Daly 2016; Daly, Paler and Samii 2020). The draw is
      // taken either way, so the stream stays where it would be without the rule. With rearm_fear_alone
      // only refusal waits for a recall: a former fighter who fears the other side arms to protect itself,
      // as any citizen may under 7.17 rule 1, without anyone calling it back (Kalyvas and Kocher 2007).
      // Asked first, so that a fighter no one recalls and that fear cannot move skips the motive's walks,
      // which draw nothing.
      const bool recalled =
          !rearm_recall || query.count(m.militia_layer(a.group[i]), here, citizen_vision) > 0;
      double motive = 1.0, fear = 0.0;
      if (rearm_refusal_or_fear && (recalled || rearm_fear_alone)) {
        const int g = a.group[i];
        const double refusal = political ? 1.0 - m.cooperation(i) : 1.0;
        // A former fighter knows the other side's former fighters too: with no one to guard the
        // settlement, their ability to take up arms again is a threat as real as the armed (Posen 1993).
        int threat = query.count(m.armed_layer(1 - g), here, citizen_vision);
        query.for_each(m.group_layer(1 - g), here, citizen_vision, [&](std::int64_t at) {
          threat += demobilised[static_cast<std::size_t>(occupant[static_cast<std::size_t>(at)])];
        });
        if (threat > 0) {
          const double protection =
              m.security_seen(here, citizen_vision) + query.count(m.armed_layer(g), here, citizen_vision);
          if (protection < threat) fear = 1.0 - protection / static_cast<double>(threat);
        }
        motive = std::max(refusal, fear);
      }
      const double livelihood = m.development(m.world().region[static_cast<std::size_t>(here)]);
      const double rearm = recalled           ? rearm_probability * motive * livelihood
                           : rearm_fear_alone ? rearm_probability * fear * livelihood
                                              : 0.0;
      if (s.bernoulli(rearm)) {
        join_militia(m, i, a.group[i]);
        refresh(m, i);
        ++e.rearmed;
      } else if (reintegration_probability > 0 && s.bernoulli(reintegration_probability)) {
        // Most former fighters never go back (ODD 7.5 "Reintegration"): one who has not rearmed may settle
        // for good, after which it is a citizen like any other, recruited only as any other is (7.5, 7.14,
        // 7.17 rule 1). The draw comes after the rearming draw on the same stream and only when the option
        // is on, so a run without it draws exactly as before.
        demobilised[i] = 0;
        ++reintegrated_today_;
      }
    }
  }
}

void Ddr::observe(const PeaceModel& m, Recorder& rec) const {
  const Agents& a = m.agents();
  std::int64_t former = 0;
  for (std::size_t i = 0; i < demobilised.size(); ++i)
    former += demobilised[i] && a.kind[i] == Kind::Citizen && a.status[i] != Status::Dead;
  put(rec, 0, reintegrated_today_);
  put(rec, 1, former);
}

void Ddr::save(StateWriter& w) const {
  w.put("agents.demobilised", demobilised);
}

void Ddr::load(const StateReader& r, PeaceModel& m) {
  demobilised = r.get<std::uint8_t>("agents.demobilised", m.agents().size());
}

void Ddr::memory(double, double agent_slots, double& state, double&) const {
  state += 1 * agent_slots;  // the demobilised column, grown with the other agent columns
}

}  // namespace keepsim::peace

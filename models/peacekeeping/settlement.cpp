// ODD 7.20 a settlement at day 0, as a component (mechanism.hpp): the keys start.settlement_share and
// start.withdrawn_share, the departure of a withdrawing party's fighters and the demobilisation of the
// others' when the burn-in's war ends, and the summaries that count them.
#include "models/peacekeeping/settlement.hpp"

#include "keepsim/core/errors.hpp"
#include "models/peacekeeping/ddr.hpp"
#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

constexpr SummaryDef kSummaries[] = {
    {"summary_settlement_demobilised",
     "militia members who laid down their arms at the settlement on day 0 (ODD 7.20), in agents", "1"},
    {"summary_settlement_withdrawn",
     "militia members who left the country with a withdrawing party on day 0 (ODD 7.20), in agents", "1"},
};

void declare(Schema& s) {
  s.add(
      real_param("start.settlement_share", 0, "1", 0, 1,
                 "chance each member of the two groups' militias lays down arms at the settlement that ends "
                 "the burn-in's war on day 0; bandits are no party to it (ODD 7.20)"));
  s.add(real_param(
      "start.withdrawn_share", 0, "1", 0, 1,
      "chance each member of the two groups' militias leaves the country on day 0 with a party that "
      "withdraws at the end of the burn-in's war, before the settlement's draw; a case input, the "
      "withdrawn forces over the armed strength (ODD 7.20)"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config& c) {
  auto m = std::make_shared<Settlement>();
  m->share = p.get_real("start.settlement_share");
  m->withdrawn_share = p.get_real("start.withdrawn_share");
  if (m->withdrawn_share > 0 && c.burn_in_days == 0)
    throw ConfigError(p.origin("start.withdrawn_share"), "start.withdrawn_share",
                      "a withdrawal (> 0) needs start.burn_in_days > 0: a party leaves at the end of the war "
                      "the burn-in runs (ODD 7.20)");
  // A settlement ends a war; without the burn-in there is none for it to end, and no day on which to hold it
  // that is not already the mission's first.
  if (m->share > 0 && c.burn_in_days == 0)
    throw ConfigError(p.origin("start.settlement_share"), "start.settlement_share",
                      "a settlement (> 0) needs start.burn_in_days > 0: it ends the war the burn-in runs "
                      "(ODD 7.20)");
  return m;
}

}  // namespace

// Its key follows start.burn_in_days (params.cpp).
extern const MechanismType settlement_mechanism = {"settlement", &declare, &read, {}, kSummaries, "start"};

void Settlement::after_burn_in(PeaceModel& m) {
  // ODD 7.20: each member of a party's militia, armed or not, lays down its arms with probability `share`
  // and goes home a former fighter (ODD 7.5), as a fighter demobilised by the DDR rule does: it may rearm,
  // and under 7.17 the other group counts it as a threat. Bandits signed nothing. One draw per agent, from a
  // stream of its own, in id order, so the outcome is the same on any number of threads.
  //
  // Before that draw, with probability `withdrawn_share`, the member leaves the country instead: the forces
  // of a party that withdraws under the agreement (an army and police going home) take their arms and
  // fighters with them, and none of them is left to rearm or to be counted as a threat. The model splits its
  // fighters between the groups by population, not by party, so the share is taken from every militia
  // member alike. Its draw has a stream of its own and is taken only when the share is set, so a run
  // without it draws as before.
  demobilised_ = 0;
  withdrawn_ = 0;
  if (share <= 0 && withdrawn_share <= 0) return;
  Ddr* ddr = m.mechanism<Ddr>();
  Agents& a = agents(m);
  const std::uint64_t seed = m.config().base.seed;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a.kind[i] != Kind::Spoiler || a.faction[i] == kBandits || a.status[i] == Status::Dead ||
        a.cell[i] < 0)
      continue;
    if (withdrawn_share > 0 && Stream(seed, kWithdraw, i, 0).bernoulli(withdrawn_share)) {
      leave(m, i);
      ++withdrawn_;
      continue;
    }
    if (share <= 0) continue;
    Stream s(seed, kSettle, i, 0);
    if (!s.bernoulli(share)) continue;
    ddr->demobilise(m, i);
    ++demobilised_;
  }
}

std::vector<AttrValue> Settlement::summary(const PeaceModel&, const Recorder&) const {
  return {demobilised_, withdrawn_};
}

}  // namespace keepsim::peace

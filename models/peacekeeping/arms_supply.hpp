// Arms supply (ODD 7.5) as a mechanism: each faction's stock of arms, the flow over the porous border less
// what security units on the border interdict, unarmed fighters arming from their faction's stock, and loot
// from raided convoys. Recruitment, rearming and arming for protection draw on the stock inside an agent's
// turn (act.cpp, through PeaceModel's pointer to it) and raids add to it (environment.cpp), so the class is
// declared here rather than inside arms_supply.cpp.
#pragma once
#include <cstdint>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"
#include "models/peacekeeping/params.hpp"

namespace keepsim::peace {

class ArmsSupply : public MechanismOf<ArmsSupply> {
 public:
  bool spoilers = false;              ///< spoilers.enabled: without spoilers there is no stock to supply
  double border_rate = 0;             ///< arms.border_rate (arms/day)
  double interdiction_per_unit = 10;  ///< arms.interdiction_per_unit (border cells closed per unit)
  double initial = 0;                 ///< arms.initial: each faction's stock at day 0
  double convoy_loot = 0;             ///< arms.convoy_loot: arms gained by raiding one convoy (7.7)

  /// Each faction's stock (militia of group 0, of group 1, bandits).
  double stock[kFactions] = {0, 0, 0};

  /// A fighter of faction f raided a convoy (ODD 7.7).
  void loot(int f) { stock[f] += convoy_loot; }

  void init(PeaceModel& m) override;
  std::vector<Phase> phases() const override { return {Phase::Environment}; }
  void run(Phase p, PeaceModel& m) override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;

 private:
  std::vector<std::uint32_t> fighters_, units_;  ///< the day's lists (run), kept for their capacity
};

}  // namespace keepsim::peace

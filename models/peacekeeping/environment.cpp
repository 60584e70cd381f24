// A bandit's raid on an aid convoy (ODD 7.7), a rule of the agents' turns (act.cpp act_spoiler). The
// convoys themselves, their routes, advance and delivery are the aid convoys component's (aid_convoys.cpp),
// and the loot goes to the arms supply component's stocks (arms_supply.cpp).
#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {

bool PeaceModel::raid_convoy_near(std::size_t raider, Stream& s) {
  // Bandits raid a convoy within vision; escorts divide the chance of success (ODD 7.7).
  const std::int32_t here = agents_.cell[raider];
  const BitLayer& convoys = aid_->layer();
  if (!convoys.any() || query_.count(convoys, here, spoiler_vision_) + convoys.test(here) == 0) return false;
  const int outcome = aid_->raid(*this, here, spoiler_vision_, s);
  if (outcome > 0) {
    ++events_.convoys_raided;
    arms_supply_->loot(agents_.faction[raider]);
  }
  return outcome >= 0;
}

}  // namespace keepsim::peace

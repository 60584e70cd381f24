// Riots that follow precipitating events (ODD 7.19) as a component: the participation.precipitant_days key,
// and the test rule A asks of it. A citizen may take to open defiance only within that many days after its
// own group was hit within its sight (the last_victim column, kept by the legitimacy pass, legitimacy.cpp).
// Rule A reads it inline in the citizen's turn (act.cpp decide_rule_a), through a copy of the key that
// PeaceModel keeps, so it is declared here rather than in riot_precipitants.cpp. With the key at 0 (the
// schema default) nothing is read and rule A is Epstein's.
#pragma once
#include <cstdint>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class RiotPrecipitants : public MechanismOf<RiotPrecipitants> {
 public:
  /// participation.precipitant_days: the days after an attack on its group within sight during which a
  /// citizen may riot (0: always, Epstein's rule A).
  std::int32_t days = 0;
  bool on() const { return days > 0; }
  /// Whether a citizen whose group was last hit within its sight on day `last_victim` (-1: never) may riot
  /// on day `day`: the attack was made on one of the `days` days before.
  static bool provoked(std::int32_t last_victim, std::int64_t day, std::int32_t days) {
    return last_victim >= 0 && day - last_victim <= days;
  }
};

}  // namespace keepsim::peace

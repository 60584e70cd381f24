// Rule A of Epstein (2002) as pure functions (MODEL.md section 3), so they can be read and tested on their
// own.
#pragma once
#include <cmath>

#include "models/epstein/params.hpp"

namespace keepsim::epstein {

/// ratio(C, A) under the chosen reading: C/A (paper), floor (NetLogo), round half to even (Mesa).
inline double vision_ratio(Ratio rule, int cops, int actives) {
  const double q = static_cast<double>(cops) / static_cast<double>(actives);
  switch (rule) {
    case Ratio::Floor:
      return std::floor(q);
    case Ratio::Round:
      return std::nearbyint(q);  // default rounding mode: half to even, like Python's round
    case Ratio::Literal:
      break;
  }
  return q;
}

/// P = 1 - exp(-k ratio(C, A)): the estimated arrest probability, A counting the citizen itself.
inline double arrest_probability(Ratio rule, double k, int cops, int actives) {
  return 1.0 - std::exp(-k * vision_ratio(rule, cops, actives));
}

/// Rule A: G = H (1 - L), N = R P; active when G - N > T.
inline bool goes_active(double hardship, double legitimacy, double risk, double p_arrest, double threshold) {
  return hardship * (1.0 - legitimacy) - risk * p_arrest > threshold;
}

}  // namespace keepsim::epstein

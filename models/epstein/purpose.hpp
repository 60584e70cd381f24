// The purposes of the random streams of Epstein's model (core rng.hpp: each kind of draw has a stream of its
// own). One enumeration for the engine (model.hpp), its plain reference (reference.hpp) and the peacekeeping
// model, which makes these draws from these streams wherever it repeats Epstein's rules, so that with every
// extension off the two models make the same draws (tests/models/test_peace_equivalence.cpp).
#pragma once
#include <cstdint>

namespace keepsim::epstein {

enum Purpose : std::uint32_t {
  kPlace = 1,
  kInit,
  kShuffle,
  kDecide,
  kArrest,
  kMove,
  kJail,
  kRelease,
  kCopSchedule,
  kClone,
  kPriority,
  kKill,
  kLastPurpose = kKill  ///< models built on this one number their own purposes above it
};

}  // namespace keepsim::epstein

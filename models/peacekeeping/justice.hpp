// Justice (ODD 7.4) as a mechanism: each region's jail capacity, catch-and-release when it is full, and the
// credibility of justice (the decaying share of a region's arrests that led to a term served) that scales
// deterrence. An arrest (model.cpp jail), a release or death in jail (social.cpp justice_day) and the
// deterrence in a citizen's turn (act.cpp) go through this class inline, so it is declared here rather than
// inside justice.cpp.
#pragma once
#include <cstdint>
#include <vector>

#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

class Justice : public MechanismOf<Justice> {
 public:
  bool enabled = false;           ///< justice.enabled
  double jail_per_1000 = 1;       ///< justice.jail_per_1000: jail places per 1000 people of the region
  std::int64_t release_days = 2;  ///< justice.release_days: days held when the jail is full
  double deterrence_floor = 1;    ///< justice.deterrence_floor: rho
  double credibility_days = 30;   ///< justice.memory: time scale of the credibility average j

  /// rho + (1 - rho) j, the factor on a citizen's estimated arrest probability in region r (ODD 7.4).
  double deterrence(std::size_t r) const {
    const double j = arrests_[r] > 0 ? served_[r] / arrests_[r] : 1.0;
    return deterrence_floor + (1 - deterrence_floor) * j;
  }
  /// The places free in region r's jail, in agents (negative when it holds more than its capacity).
  double places_free(std::size_t r, std::int64_t pop0) const {
    return jail_per_1000 * static_cast<double>(pop0) / 1000.0 - static_cast<double>(jailed_[r]);
  }
  /// An arrest in region r, whose people numbered `pop0` agents at the start: it takes a jail place, and
  /// returns true when the jail was full (the arrested is held release_days and let go, which does not count
  /// as served). One agent stands for many people, so the places left may hold only part of them: with
  /// fewer than one agent's worth of places free (a fraction f), the agent is held with probability f, by
  /// `u`, a uniform draw of its own (ODD 7.4). Without that, a region with less than one agent's worth of
  /// places in all would never hold anyone.
  bool arrest(std::size_t r, std::int64_t pop0, double u) {
    const double room = places_free(r, pop0);
    arrests_[r] += 1;
    const bool full = room < 1 && !(room > 0 && u < room);
    if (!full) served_[r] += 1;
    ++jailed_[r];
    return full;
  }
  /// A prisoner of region r's jail was released or died: its place is free.
  void release(std::size_t r) { --jailed_[r]; }

  void init(PeaceModel& m) override;
  std::vector<Phase> phases() const override { return {Phase::Justice}; }
  void run(Phase p, PeaceModel& m) override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;

 private:
  std::vector<std::int64_t> jailed_;      ///< per region: jail places taken
  std::vector<double> served_, arrests_;  ///< per region: decaying counts behind j = served / arrests
};

}  // namespace keepsim::peace

// A plain reference implementation of Epstein's Models I and II (docs/epstein.md): the oracle every fast path
// of the engine is checked against, bit for bit (tests/models/test_reference.cpp), and the yardstick the
// benchmark divides by (bench/bench_epstein.cpp). It is the rules of docs/epstein.md in the most direct code:
// a vector of agents, a grid of occupant ids, and for every decision a full scan of the cells within vision,
// in the order docs/epstein.md fixes for "a random cell within vision" (rows top to bottom, each left to
// right). It
// makes the same draws from the same counter-based streams (core rng.hpp, the Purpose numbers of purpose.hpp)
// in the same order as EpsteinModel, so the two must agree exactly; it shares none of the engine's machinery
// (no bit layers, sliding windows, cached counts, claims arrays or threads). It lives in the models library
// rather than under tests/ so that the benchmark times the same optimised build of it as the engine.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "keepsim/core/rng.hpp"
#include "models/epstein/model.hpp"
#include "models/epstein/params.hpp"

namespace keepsim::epstein {

class ReferenceModel {
 public:
  struct Agent {
    Kind kind = Kind::Citizen;
    Status status = Status::Quiet;
    int group = 0;
    std::int32_t cell = -1;  ///< -1: off the grid (in jail under rules.jailed = off_grid, or dead)
    float hardship = 0, risk = 0;
    std::int32_t jail_left = 0;  ///< periods of jail left, counting the period of the arrest; kLife
    std::int32_t age = 0, death_age = 0;
  };
  /// What a period records (docs/epstein.md, Outputs): the state at its end and its events.
  struct Tally {
    std::int64_t quiet = 0, active = 0, jailed = 0, cops = 0, alive[2] = {0, 0}, killed[2] = {0, 0};
    std::int64_t arrests = 0, releases = 0, births = 0, deaths_of_age = 0, near_cops = 0,
                 active_near_cops = 0;
    double legitimacy = 0;
  };

  explicit ReferenceModel(const Config& config);
  void step();
  std::int64_t period() const { return t_; }
  const std::vector<Agent>& agents() const { return agents_; }
  Tally tally() const;

 private:
  using Sight = std::vector<std::pair<int, int>>;  ///< (dy, dx) offsets within a vision, in scan order
  enum class Seen { Empty, Cop, Active, Group0, Group1 };  ///< what a scan looks for
  static Sight sight(Metric metric, double radius);
  bool holds(int cell, Seen what) const;
  const std::vector<int>& cells_within(int centre, const Sight& sight, Seen what) const;
  int count(int centre, const Sight& sight, Seen what) const;
  int random_cell(int centre, const Sight& sight, Seen what, Stream& s) const;
  int random_empty_cell(Stream& s) const;
  std::size_t at(int cell) const {
    return static_cast<std::size_t>(occupant_[static_cast<std::size_t>(cell)]);
  }

  void add(const Agent& a, int cell);
  void place(std::size_t id, int cell);
  void vacate(std::size_t id);
  bool on_grid(std::size_t id) const { return agents_[id].cell >= 0 && agents_[id].status != Status::Jailed; }
  bool rule_a(std::size_t id) const;
  int victim_cell(std::size_t id, Stream& s) const;
  void arrest(std::size_t id);
  void kill(std::size_t id);
  void spawn(std::size_t parent, int cell);
  void move(std::size_t id, Stream& s);
  void apply_cop_schedule();
  void step_async();
  void activate(std::size_t id);
  void step_sync();
  void age_and_release();

  Config cfg_;
  std::int64_t cells_;
  std::vector<Agent> agents_;
  std::vector<int> occupant_;  ///< per cell: the agent there, or -1
  Sight citizen_sight_, cop_sight_, neighbours_;
  std::int64_t t_ = 0, cops_ = 0, initial_cops_ = 0;
  double legitimacy_ = 0;
  Tally events_;                      ///< this period's events (arrests, releases, births, deaths, killed)
  mutable std::vector<int> scratch_;  ///< the cells of the last scan (cells_within)
};

}  // namespace keepsim::epstein

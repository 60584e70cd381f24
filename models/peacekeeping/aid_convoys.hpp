// Aid convoys (ODD 7.7) as a mechanism: the road routes from the depots, the convoys under way with their
// escorts, the cell layer bandits see them on, their daily advance and delivery and the sending of new ones.
// A bandit's raid happens in its turn (environment.cpp raid_convoy_near) and an escort follows its convoy in
// its own (act.cpp act_security); both read the convoys inline through this class, and the aid a citizen
// received is read by the legitimacy and hardship rules (social.cpp), so the class is declared here rather
// than inside aid_convoys.cpp.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "keepsim/core/bit_layer.hpp"
#include "keepsim/core/rng.hpp"
#include "models/peacekeeping/mechanism.hpp"

namespace keepsim::peace {

/// How near, in cells (Euclidean), an escort keeps to its convoy (act.cpp task_move), and so how near it must
/// be to count under aid.escorts_counted = "present" (ODD 7.7).
inline constexpr int kEscortReach = 2;

/// A convoy: not an agent but a count on the cell it is at (ODD 7.7).
struct Convoy {
  std::vector<std::int32_t> path;  ///< road cells from depot to town
  std::size_t at = 0;              ///< index into path
  /// Index into path where the convoy began today: it advances in the environment phase and its escorts
  /// catch up on their turns (ODD 7.7). Set by every day's advance, so no checkpoint field.
  std::size_t from = 0;
  int escorts = 0;
  bool alive = true;
};

class AidConvoys : public MechanismOf<AidConvoys> {
 public:
  bool enabled = false;         ///< aid.enabled
  double convoys_per_day = 0;   ///< aid.convoys_per_day: sent by each open depot
  std::int64_t speed = 5;       ///< aid.speed (road cells a day)
  double radius = 5;            ///< aid.radius around the town that receives aid
  double hardship_relief = 0;   ///< aid.hardship_relief: hardship removed by one delivery (social.cpp)
  double raid_probability = 0;  ///< aid.raid_probability of a raid on an unescorted convoy
  double escort_strength = 1;   ///< aid.escort_strength
  int escorts_per_convoy = 2;   ///< aid.escorts_per_convoy
  bool count_present = true;    ///< aid.escorts_counted = "present" (else "assigned")

  /// Every convoy sent, live or not, by index (an escort's target).
  const std::vector<Convoy>& convoys() const { return convoys_; }
  /// Cells with a live convoy on them.
  const BitLayer& layer() const { return layer_; }
  /// A bandit at `here` raids the first live convoy within `vision`:
  /// -1 when none is in reach, 0 when the raid failed, 1 when it took the convoy.
  int raid(const PeaceModel& m, std::int32_t here, const Vision& vision, Stream& s);
  /// Escorts of convoy k that protect it now: alive, on duty, on its task and within 2 cells (ODD 7.7).
  int escorts_present(const PeaceModel& m, std::size_t k) const;

  void init(PeaceModel& m) override;
  std::vector<Phase> phases() const override { return {Phase::Environment}; }
  void run(Phase p, PeaceModel& m) override;
  void save(StateWriter& w) const override;
  void load(const StateReader& r, PeaceModel& m) override;
  void memory(double cells, double agent_slots, double& state, double& transient) const override;

  /// For the memory estimate, set by read(): depots, convoys sent over the run, bytes of a route, cells a
  /// road search reaches.
  double depots_estimate = 1, convoys_estimate = 0, route_estimate = 0, reach_estimate = 0;

 private:
  void build_roads(const PeaceModel& m);
  void move(PeaceModel& m);
  void mark(std::int32_t c, int delta);

  std::int64_t cells_ = 0;
  Vision escort_reach_{Metric::Euclidean, kEscortReach};
  BitLayer layer_;
  std::vector<Convoy> convoys_;
  /// Convoys on each cell that has one: a few road cells, where a count per cell of the grid held mostly
  /// zeros. The checkpoint keeps its count per cell (cells.convoy_count).
  std::unordered_map<std::int32_t, std::int16_t> count_;
  double credit_ = 0;  ///< convoys owed, fractions carried over
  std::vector<std::int32_t> depot_cells_;
  /// A depot's road search tree, kept for the cells it reached only (a few roads among millions of cells):
  /// those cells in ascending order and the parent of each, found by binary search.
  struct RoadTree {
    std::vector<std::int32_t> cell, parent;
    /// The parent of cell c in the tree, or -1 when the search never reached c.
    std::int32_t parent_of(std::int32_t c) const;
  };
  std::vector<RoadTree> trees_;  ///< per depot
};

}  // namespace keepsim::peace

// Epstein's (2002) rules as functions that both engines call (docs/epstein.md): rule A, the arrest
// probability, the schedules over time, the placement of the first population, the async order of turns,
// Model II's births, the jail term, the release and the search for an empty cell. The peacekeeping model
// draws through the same functions wherever it repeats a rule, so that no rule is written twice and the two
// models agree draw for draw with every extension off (tests/models/test_peace_equivalence.cpp).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "keepsim/core/rng.hpp"

#include "models/epstein/params.hpp"
#include "models/epstein/purpose.hpp"

namespace keepsim::epstein {

/// An agent's status, one enumeration for both engines.
enum class Status : std::uint8_t { Quiet, Active, Jailed, Dead };

/// jail_left of a life term (rule C with an infinite J_max).
inline constexpr std::int32_t kLifeTerm = INT32_MAX;

/// The columns every agent has in both engines, by Epstein's rules, as a structure of arrays: an agent's id
/// is its index, and the dead keep their slot. Each engine's `Agents` adds its own columns (the Epstein model
/// none but a flag; the peacekeeping model those of its extensions) and says how an agent is added.
template <class Kind>
struct AgentColumns {
  std::vector<Kind> kind;
  std::vector<Status> status;
  std::vector<std::uint8_t> group;
  std::vector<std::int32_t> cell;       ///< -1 when off the grid
  std::vector<float> hardship, risk;    ///< H, R
  std::vector<std::int32_t> jail_left;  ///< periods of jail left (start_term); kLifeTerm for a life term
  std::vector<std::int32_t> age;
  std::vector<std::int32_t> death_age;  ///< 0: never dies of age
  std::size_t size() const { return kind.size(); }
  static constexpr std::int32_t kLife = kLifeTerm;
};

/// ratio(C, A) under the chosen reading: C/A (paper), floor (NetLogo), round half to even (Mesa). C is a real
/// number so that the peacekeeping model's constables can count by their skill (ODD 7.9); a whole C converts
/// exactly.
inline double vision_ratio(Ratio rule, double cops, int actives) {
  const double q = cops / static_cast<double>(actives);
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

/// The integer value of ratio(C, A) under the floor and round readings, by integer arithmetic: exactly what
/// vision_ratio() returns for them (C/A is never within an ulp of a half or a whole it is not equal to).
inline int integer_ratio(Ratio rule, int cops, int actives) {
  const int q = cops / actives;
  if (rule != Ratio::Round) return q;
  const int twice_rest = 2 * (cops % actives);
  return q + (twice_rest > actives || (twice_rest == actives && (q & 1) != 0) ? 1 : 0);
}

/// P for every (C, A) a vision can see, computed once: under the floor and round readings P depends only on
/// the integer ratio, so it is a table of max_cops + 1 values holding exactly arrest_probability()'s bits;
/// the literal reading computes it each time.
class ArrestTable {
 public:
  ArrestTable() = default;
  ArrestTable(Ratio rule, double k, int max_cops) : rule_(rule), k_(k) {
    if (rule == Ratio::Literal) return;
    p_.resize(static_cast<std::size_t>(max_cops) + 1);
    for (int q = 0; q <= max_cops; ++q) p_[static_cast<std::size_t>(q)] = arrest_probability(rule, k, q, 1);
  }
  double operator()(int cops, int actives) const {
    if (rule_ == Ratio::Literal) return arrest_probability(rule_, k_, cops, actives);
    return p_[static_cast<std::size_t>(integer_ratio(rule_, cops, actives))];
  }

 private:
  Ratio rule_ = Ratio::Literal;
  double k_ = 0;
  std::vector<double> p_;
};

/// Rule A: G = H (1 - L), N = R P; active when G - N > T.
inline bool goes_active(double hardship, double legitimacy, double risk, double p_arrest, double threshold) {
  return hardship * (1.0 - legitimacy) - risk * p_arrest > threshold;
}

/// The shared legitimacy L at period t under the legitimacy schedule (runs 3 and 4: salami tactics).
inline double scheduled_legitimacy(const Config& c, std::int64_t t) {
  const double l0 = c.legitimacy;
  if (c.legitimacy_schedule == LegitimacySchedule::Constant || t < c.legitimacy_change_start) return l0;
  if (c.legitimacy_schedule == LegitimacySchedule::Jump) return c.legitimacy_target;
  const double moved = c.legitimacy_change_rate * static_cast<double>(t - c.legitimacy_change_start + 1);
  return c.legitimacy_target < l0 ? std::max(c.legitimacy_target, l0 - moved)
                                  : std::min(c.legitimacy_target, l0 + moved);
}

/// How many cops the cop schedule wants on a grid of `cells` at period t, `initial` being the count at 0.
inline std::int64_t scheduled_cops(const Config& c, double cells, std::int64_t initial, std::int64_t t) {
  if (c.cop_schedule == CopSchedule::Constant || t < c.cop_change_start) return initial;
  if (c.cop_schedule == CopSchedule::Step) {
    if (c.cop_change_end != 0 && t >= c.cop_change_end) return initial;
    return std::llround(c.cop_target_density * cells);
  }
  const double d0 = c.cop_density;
  const double moved = c.cop_change_rate * static_cast<double>(t - c.cop_change_start + 1);
  const double d = c.cop_target_density < d0 ? std::max(c.cop_target_density, d0 - moved)
                                             : std::min(c.cop_target_density, d0 + moved);
  return std::llround(d * cells);
}

/// The search of random_empty_cell() as an object that can go on: next() returns the next cell of the search
/// that is empty now. When cells only fill up between two calls, every cell the search passed is still full,
/// so going on gives exactly what one search run at the later time would: the cell found early can be checked
/// and, if it was taken meanwhile, the search resumed.
struct EmptyCellSearch {
  explicit EmptyCellSearch(const Stream& stream) : s(stream) {}
  std::int32_t next(const std::vector<std::uint8_t>& code) {
    const auto cells = static_cast<std::uint32_t>(code.size());
    while (tries < 64) {
      ++tries;
      const std::uint32_t c = s.below(cells);
      if (code[c] == 0) return static_cast<std::int32_t>(c);
    }
    if (!scanning) {
      start = s.below(cells);
      scanning = true;
    }
    while (k < cells) {
      const std::uint32_t c = (start + k++) % cells;
      if (code[c] == 0) return static_cast<std::int32_t>(c);
    }
    return -1;
  }
  Stream s;
  int tries = 0;
  bool scanning = false;
  std::uint32_t start = 0, k = 0;
};

/// A uniformly random cell whose code is 0 (empty): up to 64 random tries, then the first empty cell from a
/// random start (a crowded grid); -1 when none is empty. Both engines draw through here, so they agree.
inline std::int32_t random_empty_cell(const std::vector<std::uint8_t>& code, Stream& s) {
  EmptyCellSearch search(s);
  const std::int32_t c = search.next(code);
  s = search.s;
  return c;
}

/// The async schedule's order of one period: the ids below n for which takes_turn(id) holds (on the grid and
/// free), in id order, then shuffled from the top down by the period's kShuffle stream. Both engines draw
/// their order here; a turn is skipped if its agent was arrested or killed earlier in the period.
template <class TakesTurn>
void activation_order(std::size_t n, std::uint64_t seed, std::int64_t period, TakesTurn&& takes_turn,
                      std::vector<std::uint32_t>& order) {
  order.clear();
  order.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    if (takes_turn(i)) order.push_back(static_cast<std::uint32_t>(i));
  Stream shuffle(seed, kShuffle, 0, static_cast<std::uint64_t>(period));
  for (std::size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[shuffle.below(static_cast<std::uint32_t>(i))]);
}

/// Asks the caches for agent `id`'s entries of the given columns (take_turns' first step; forced inline for
/// the reason VisionQuery::prefetch gives).
template <class... Columns>
__attribute__((always_inline)) inline void prefetch_columns(std::size_t id, const Columns&... columns) {
  (__builtin_prefetch(&columns[id]), ...);
}

/// The async schedule's period, for both engines: the turns of activation_order(), each taken by
/// turn(id) if its agent is still on the grid and free when it comes (it may have been arrested or killed
/// earlier in the period). Turns come in a random order, so on a large world every turn would wait on memory
/// (docs/performance.md): since the order is known for the whole period, the caches are asked ahead, in two
/// steps. prefetch_agent(id) runs 2 x kAhead turns before id's turn (its columns); prefetch_around(id)
/// runs kAhead turns before it, once the agent's cell has arrived (what its turn reads there: the cell's
/// code and occupant and, in the peacekeeping day, the layer rows of its vision; the cell may still change
/// before the turn, and a stale hint costs only the fetch). Prefetches change no value. Both hooks must be
/// forced inline (VisionQuery::prefetch says why).
template <class Agents, class PrefetchAgent, class PrefetchAround, class Turn>
void take_turns(const Agents& a, std::uint64_t seed, std::int64_t period, std::vector<std::uint32_t>& order,
                PrefetchAgent&& prefetch_agent, PrefetchAround&& prefetch_around, Turn&& turn) {
  const auto free = [&a](std::size_t i) { return a.cell[i] >= 0 && a.status[i] != Status::Jailed; };
  activation_order(a.size(), seed, period, free, order);
  constexpr std::size_t kAhead = 4;
  const std::size_t turns = order.size();
  for (std::size_t t = 0; t < turns; ++t) {
    if (t + 2 * kAhead < turns) prefetch_agent(order[t + 2 * kAhead]);
    if (t + kAhead < turns) prefetch_around(order[t + kAhead]);
    const std::uint32_t id = order[t];
    if (free(id)) turn(id);
  }
}

/// A citizen's traits on day 0, from the kInit stream of its id: hardship H, risk aversion R, group (the
/// second of two groups with probability 1 - group_share) and a death age uniform on 1..max_age (0: never).
struct Founder {
  float hardship, risk;
  std::uint8_t group;
  std::int32_t death_age;
};
inline Founder founder(const Config& c, std::uint64_t id) {
  Stream a(c.seed, kInit, id, 0);
  Founder f{};
  f.hardship = static_cast<float>(a.uniform());
  f.risk = static_cast<float>(a.uniform());
  f.group = c.groups == 2 && a.uniform() >= c.group_share ? 1 : 0;
  f.death_age =
      c.max_age > 0 ? 1 + static_cast<std::int32_t>(a.below(static_cast<std::uint32_t>(c.max_age))) : 0;
  return f;
}

/// The population of a featureless world: exactly round(citizen_density x cells) citizens and
/// round(cop_density x cells) cops, fewer cops if the cells run out.
struct Population {
  std::int64_t citizens, cops;
};
inline Population population_of(const Config& c, std::int64_t cells) {
  const auto n_cit = static_cast<std::int64_t>(std::llround(c.citizen_density * static_cast<double>(cells)));
  return {n_cit, std::min(cells - n_cit, static_cast<std::int64_t>(
                                             std::llround(c.cop_density * static_cast<double>(cells))))};
}

/// Places population_of() on distinct random cells, chosen by selection sampling (Knuth's algorithm S) in one
/// pass over the cells with one kPlace stream per cell, so no list of cells is kept: add_cop(cell) or
/// add_citizen(cell), in cell order.
template <class AddCop, class AddCitizen>
void place_population(const Config& c, std::int64_t cells, AddCop&& add_cop, AddCitizen&& add_citizen) {
  const Population n = population_of(c, cells);
  std::int64_t need = n.citizens + n.cops, cops_left = n.cops;
  for (std::int64_t cl = 0; cl < cells && need > 0; ++cl) {
    Stream s(c.seed, kPlace, static_cast<std::uint64_t>(cl), 0);
    if (s.uniform() * static_cast<double>(cells - cl) >= static_cast<double>(need)) continue;
    const bool cop = s.uniform() * static_cast<double>(need) < static_cast<double>(cops_left);
    --need;
    if (cop) {
      --cops_left;
      add_cop(static_cast<std::int32_t>(cl));
    } else {
      add_citizen(static_cast<std::int32_t>(cl));
    }
  }
}

/// Rule M: a uniformly chosen empty cell within `vision` of `at` (query.choose over the empties layer, one
/// draw from `s` when there is one), or -1. Every engine and schedule moves its agents by it: the async
/// turn's stream, or in the sync schedule the kMove stream of the agent and period.
template <class Query, class Layer, class Vision>
std::int64_t move_target(Stream& s, const Query& query, const Layer& empties, std::int64_t at,
                         const Vision& vision) {
  return query.choose(empties, at, vision, [&s](std::uint32_t m) { return s.below(m); });
}

/// Model II's cloning: with probability clone_probability, a uniformly chosen empty cell among the neighbours
/// of `at` (query.choose over the empties layer), else -1. `s` is the async turn's stream, or in the sync
/// schedule the kClone stream of the agent and period; every engine and schedule draws it here.
template <class Query, class Layer, class Neighbours>
std::int64_t clone_target(const Config& c, Stream& s, const Query& query, const Layer& empties,
                          std::int32_t at, const Neighbours& neighbours) {
  if (!s.bernoulli(c.clone_probability)) return -1;
  return query.choose(empties, at, neighbours, [&s](std::uint32_t m) { return s.below(m); });
}

/// What a Model II child draws for itself, from the kInit stream of its own id (the slot it takes) in the
/// period of its birth: risk aversion, then a death age uniform on 1..max_age (0: never dies of age). Group
/// and hardship, hence grievance, are its parent's.
struct Newborn {
  float risk;
  std::int32_t death_age;
};
inline Newborn newborn(const Config& c, std::uint64_t id, std::int64_t period) {
  Stream a(c.seed, kInit, id, static_cast<std::uint64_t>(period));
  const auto r = static_cast<float>(a.uniform());
  const std::int32_t death =
      c.max_age > 0 ? 1 + static_cast<std::int32_t>(a.below(static_cast<std::uint32_t>(c.max_age))) : 0;
  return {r, death};
}

/// The sync schedule's priority of agent `id` in a conflict of one period (two movers wanting one cell, two
/// killers one victim): a hash of (seed, id, period) above the id, which breaks ties; the smallest wins, so
/// the winner does not depend on the order in which threads claim (claim_min in parallel.hpp).
inline std::uint64_t sync_priority(std::uint64_t seed, std::uint64_t id, std::uint64_t period) {
  return (std::uint64_t{hash32(seed, kPriority, id, period)} << 32) | id;
}

/// Rule C's jail term: uniform on 1..J_max periods, from agent `id`'s jail stream of the period of the
/// arrest; kLifeTerm when J_max is infinite.
inline std::int32_t jail_term(const Config& c, std::uint64_t id, std::int64_t period) {
  if (std::isinf(c.max_jail_term)) return kLifeTerm;
  Stream s(c.seed, kJail, id, static_cast<std::uint64_t>(period));
  const double term = std::max(1.0, std::ceil(s.uniform() * c.max_jail_term));
  return static_cast<std::int32_t>(std::min(term, 1e9));
}

/// Rule C's sentence: agent `id` is jailed for `term` periods (jail_term(), or what a model makes of it).
/// The term counts down at the end of every period including this one (period_ends), so a term of j keeps
/// the agent out of the next j periods: j + 1 is kept; a life term stays as it is.
template <class Agents>
void start_term(Agents& a, std::size_t id, std::int32_t term) {
  a.status[id] = Status::Jailed;
  a.jail_left[id] = term == kLifeTerm ? term : term + 1;
}

/// Agent i has reached its death age (Model II; a death age of 0 means never).
template <class Agents>
bool reached_death_age(const Agents& a, std::size_t i) {
  return a.death_age[i] > 0 && a.age[i] >= a.death_age[i];
}

/// The end of one period for a living agent that can be jailed, in an engine that keeps ages: one period
/// older (only if it has a death age); then, unless that age is its death age, its jail term, if any, one
/// period shorter. True when its life or its term ends now; release_due() then says which.
template <class Agents>
bool period_ends(Agents& a, std::size_t i) {
  if (a.death_age[i] > 0 && ++a.age[i] >= a.death_age[i]) return true;
  if (a.status[i] != Status::Jailed || a.jail_left[i] == kLifeTerm) return false;
  return --a.jail_left[i] == 0;
}

/// The end of lives and jail terms of one period, for the agents in `due` (in id order: those for which
/// period_ends() held this period), one after another as rule C and Model II say: a released agent is as
/// aggrieved as before (quiet, counted in `releases`); with rules.jailed = keep_cell it is free where it
/// sat; otherwise it needs an empty cell, and when none is left it stays in jail one period more (the
/// release taken back). Both engines call it; the hooks are what differs between them:
///   dies(i): agent i dies of age now;  die(i): its death (status, counts, leaving its cell);
///   keep(i): with keep_cell, its cell shows it free again;
///   cell_for(k, i): the empty cell where the k-th of `due` goes, or -1 when none is left;
///   land(i, c): it takes that cell.
template <class Agents, class Hooks>
void release_due(const Config& c, Agents& a, std::int64_t& releases, const std::vector<std::uint32_t>& due,
                 Hooks&& h) {
  for (std::size_t k = 0; k < due.size(); ++k) {
    const std::size_t i = due[k];
    if (h.dies(i)) {
      h.die(i);
      continue;
    }
    a.status[i] = Status::Quiet;
    ++releases;
    if (c.jailed == Jailed::KeepCell) {
      h.keep(i);
      continue;
    }
    const std::int32_t cell = h.cell_for(k, i);
    if (cell < 0) {
      a.status[i] = Status::Jailed;
      a.jail_left[i] = 1;
      --releases;
      continue;
    }
    h.land(i, cell);
  }
}

/// The invariants of the cells that both engines keep between periods, whatever their cell codes: the dead,
/// and with rules.jailed = off_grid the jailed, are off the grid; an agent on the grid is its cell's occupant
/// and the cell's code is code_of(agent); a cell's code is 0 (empty) exactly when no one occupies it, and
/// the empties layer says so (empty(cell)); no two agents share a cell. fail(text) reports a breach (and
/// throws). Each model adds its own checks after.
template <class Agents, class CodeOf, class Empty, class Fail>
void check_cells(const Config& c, const Agents& a, const std::vector<std::int32_t>& occupant,
                 const std::vector<std::uint8_t>& code, CodeOf&& code_of, Empty&& empty, Fail&& fail) {
  std::int64_t on_grid = 0, occupied = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::int32_t cell = a.cell[i];
    const bool dead = a.status[i] == Status::Dead, jailed = a.status[i] == Status::Jailed;
    if (dead && cell >= 0) fail("dead agent " + std::to_string(i) + " on the grid");
    if (jailed && c.jailed == Jailed::OffGrid && cell >= 0)
      fail("jailed agent " + std::to_string(i) + " on the grid");
    if (cell < 0) continue;
    ++on_grid;
    const auto at = static_cast<std::size_t>(cell);
    if (occupant[at] != static_cast<std::int32_t>(i) || code[at] != code_of(i))
      fail("cell " + std::to_string(cell) + " disagrees with agent " + std::to_string(i));
  }
  for (std::size_t at = 0; at < code.size(); ++at) {
    if ((occupant[at] < 0) != (code[at] == 0)) fail("cell " + std::to_string(at) + " code");
    if (empty(at) != (code[at] == 0)) fail("empty layer at cell " + std::to_string(at));
    occupied += occupant[at] >= 0;
  }
  if (on_grid != occupied) fail("two agents share a cell");
}

/// The cop schedule of one period (the safe-haven runs): cops are added at random empty cells, add(cell),
/// until as many as scheduled_cops() are on the grid, or randomly chosen ones among on_grid_ids() (the cops
/// on the grid, in id order) are withdrawn, withdraw(id). `on_grid` counts them; `initial` is the count at 0.
template <class Add, class OnGridIds, class Withdraw>
void follow_cop_schedule(const Config& c, std::int64_t period, std::int64_t initial, std::int64_t& on_grid,
                         const std::vector<std::uint8_t>& code, Add&& add, OnGridIds&& on_grid_ids,
                         Withdraw&& withdraw) {
  if (c.cop_schedule == CopSchedule::Constant) return;
  const std::int64_t want = scheduled_cops(c, static_cast<double>(code.size()), initial, period);
  Stream s(c.seed, kCopSchedule, 0, static_cast<std::uint64_t>(period));
  while (on_grid < want) {
    const std::int32_t cell = random_empty_cell(code, s);
    if (cell < 0) break;
    add(cell);
    ++on_grid;
  }
  if (on_grid <= want) return;
  std::vector<std::size_t> on = on_grid_ids();
  const auto remove = static_cast<std::size_t>(on_grid - want);
  for (std::size_t k = 0; k < remove; ++k) {
    const std::size_t j = k + s.below(static_cast<std::uint32_t>(on.size() - k));
    std::swap(on[k], on[j]);
    withdraw(on[k]);
    --on_grid;
  }
}

}  // namespace keepsim::epstein

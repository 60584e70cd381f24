// The reference implementation of Epstein's models (reference.hpp says why it exists). Each function is one
// rule of docs/epstein.md; comments name the rule. Only the two schedules over time (legitimacy and cop
// numbers) come from rules.hpp: they define parameters rather than mechanics.
#include "models/epstein/reference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/epstein/rules.hpp"

namespace keepsim::epstein {

ReferenceModel::ReferenceModel(const Config& c)
    : cfg_(c),
      cells_(static_cast<std::int64_t>(c.width) * c.height),
      occupant_(static_cast<std::size_t>(cells_), -1),
      citizen_sight_(sight(c.metric, c.citizen_vision)),
      cop_sight_(sight(c.metric, c.cop_vision)),
      neighbours_(sight(Metric::Moore, 1.0)) {
  // Placement: exactly round(density x cells) citizens and cops on distinct random cells, chosen cell by
  // cell (selection sampling): a cell is taken with probability (agents still to place) / (cells left).
  const auto cells = static_cast<double>(cells_);
  const std::int64_t citizens = std::llround(c.citizen_density * cells);
  const std::int64_t cops = std::min<std::int64_t>(cells_ - citizens, std::llround(c.cop_density * cells));
  std::int64_t need = citizens + cops, cops_left = cops;
  for (std::int64_t k = 0; k < cells_ && need > 0; ++k) {
    Stream s(c.seed, kPlace, static_cast<std::uint64_t>(k), 0);
    if (s.uniform() * static_cast<double>(cells_ - k) >= static_cast<double>(need)) continue;
    const bool cop = s.uniform() * static_cast<double>(need) < static_cast<double>(cops_left);
    --need;
    Agent a;
    if (cop) {
      a.kind = Kind::Cop;
      --cops_left;
      ++cops_;
    } else {  // H and R uniform on [0, 1); the group; a death age uniform on 1..max_age (Model II)
      Stream d(c.seed, kInit, agents_.size(), 0);
      a.hardship = static_cast<float>(d.uniform());
      a.risk = static_cast<float>(d.uniform());
      a.group = c.groups == 2 && d.uniform() >= c.group_share ? 1 : 0;
      if (c.max_age > 0) a.death_age = 1 + static_cast<int>(d.below(static_cast<std::uint32_t>(c.max_age)));
    }
    add(a, static_cast<int>(k));
  }
  initial_cops_ = cops;
  legitimacy_ = scheduled_legitimacy(cfg_, 0);
}

// ---- the grid and vision ----

ReferenceModel::Sight ReferenceModel::sight(Metric metric, double radius) {
  // Euclidean: dx^2 + dy^2 <= r^2; Moore: the (2r+1)-square; von Neumann: |dx| + |dy| <= r.
  const int r = static_cast<int>(std::floor(radius + 1e-9));
  Sight out;
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx) {
      if (dx == 0 && dy == 0) continue;
      if (metric == Metric::Moore || (metric == Metric::VonNeumann && std::abs(dx) + std::abs(dy) <= r) ||
          (metric == Metric::Euclidean && dx * dx + dy * dy <= radius * radius + 1e-9))
        out.emplace_back(dy, dx);
    }
  return out;
}

bool ReferenceModel::holds(int c, Seen what) const {
  if (occupant_[static_cast<std::size_t>(c)] < 0) return what == Seen::Empty;
  const Agent& a = agents_[at(c)];
  switch (what) {
    case Seen::Empty:
      return false;
    case Seen::Cop:
      return a.kind == Kind::Cop;
    case Seen::Active:
      return a.kind == Kind::Citizen && a.status == Status::Active;
    case Seen::Group0:  // a citizen of the group free on the grid (not a jailed one keeping its cell)
    case Seen::Group1:
      return a.kind == Kind::Citizen && a.status != Status::Jailed &&
             a.group == (what == Seen::Group1 ? 1 : 0);
  }
  return false;
}

const std::vector<int>& ReferenceModel::cells_within(int centre, const Sight& sight, Seen what) const {
  // Every cell within vision (wrapped on a torus, clipped on a bounded grid), in scan order, holding `what`.
  const int w = cfg_.width, h = cfg_.height, x = centre % w, y = centre / w;
  scratch_.clear();
  for (const auto& [dy, dx] : sight) {
    int nx = x + dx, ny = y + dy;
    if (cfg_.topology == Topology::Torus) {
      nx = (nx + w) % w;
      ny = (ny + h) % h;
    } else if (nx < 0 || nx >= w || ny < 0 || ny >= h) {
      continue;
    }
    if (holds(ny * w + nx, what)) scratch_.push_back(ny * w + nx);
  }
  return scratch_;
}

int ReferenceModel::count(int centre, const Sight& sight, Seen what) const {
  return static_cast<int>(cells_within(centre, sight, what).size());
}

int ReferenceModel::random_cell(int centre, const Sight& sight, Seen what, Stream& s) const {
  const auto& found = cells_within(centre, sight, what);
  if (found.empty()) return -1;  // no draw when there is nothing to choose
  return found[s.below(static_cast<std::uint32_t>(found.size()))];
}

int ReferenceModel::random_empty_cell(Stream& s) const {
  // Up to 64 uniformly random cells; on a crowded grid, then the first empty cell from a random start.
  const auto n = static_cast<std::uint32_t>(cells_);
  for (int i = 0; i < 64; ++i)
    if (const auto c = static_cast<int>(s.below(n)); holds(c, Seen::Empty)) return c;
  const std::uint32_t start = s.below(n);
  for (std::uint32_t k = 0; k < n; ++k)
    if (const auto c = static_cast<int>((start + k) % n); holds(c, Seen::Empty)) return c;
  return -1;
}

// ---- the agents' state changes ----

void ReferenceModel::add(const Agent& a, int c) {
  agents_.push_back(a);
  place(agents_.size() - 1, c);
}
void ReferenceModel::place(std::size_t id, int c) {
  agents_[id].cell = c;
  occupant_[static_cast<std::size_t>(c)] = static_cast<int>(id);
}
void ReferenceModel::vacate(std::size_t id) {
  if (agents_[id].cell >= 0) occupant_[static_cast<std::size_t>(agents_[id].cell)] = -1;
  agents_[id].cell = -1;
}

bool ReferenceModel::rule_a(std::size_t id) const {
  // Rule A: G = H (1 - L); C cops and A = 1 + actives within vision; P = 1 - exp(-k ratio(C, A));
  // active when G - R P > T.
  const Agent& a = agents_[id];
  const int cops = count(a.cell, citizen_sight_, Seen::Cop);
  const int actives = 1 + count(a.cell, citizen_sight_, Seen::Active);
  double ratio = static_cast<double>(cops) / static_cast<double>(actives);
  if (cfg_.ratio == Ratio::Floor) ratio = std::floor(ratio);
  if (cfg_.ratio == Ratio::Round) ratio = std::nearbyint(ratio);  // half to even
  const double p = 1.0 - std::exp(-cfg_.arrest_constant * ratio);
  return a.hardship * (1.0 - legitimacy_) - a.risk * p > cfg_.threshold;
}

int ReferenceModel::victim_cell(std::size_t id, Stream& s) const {
  // Model II: a random member of the other group within vision.
  const Seen other = agents_[id].group == 0 ? Seen::Group1 : Seen::Group0;
  return random_cell(agents_[id].cell, citizen_sight_, other, s);
}

void ReferenceModel::arrest(std::size_t id) {
  // Rule C: a term drawn once from 1..J_max; it counts down at the end of every period, this one included.
  Agent& a = agents_[id];
  a.status = Status::Jailed;
  a.jail_left = Agents::kLife;
  if (!std::isinf(cfg_.max_jail_term)) {
    Stream s(cfg_.seed, kJail, id, static_cast<std::uint64_t>(t_));
    const double term = std::max(1.0, std::ceil(s.uniform() * cfg_.max_jail_term));
    a.jail_left = 1 + static_cast<std::int32_t>(std::min(term, 1e9));
  }
  ++events_.arrests;
  if (cfg_.jailed == Jailed::OffGrid) vacate(id);  // keep_cell: it stays, invisible to others
}

void ReferenceModel::kill(std::size_t id) {
  ++events_.killed[agents_[id].group];
  agents_[id].status = Status::Dead;
  vacate(id);
}

void ReferenceModel::spawn(std::size_t parent, int c) {
  // Cloning: the parent's group and hardship; its own risk aversion and death age; age 0.
  Stream d(cfg_.seed, kInit, agents_.size(), static_cast<std::uint64_t>(t_));
  Agent child;
  child.group = agents_[parent].group;
  child.hardship = agents_[parent].hardship;
  child.risk = static_cast<float>(d.uniform());
  if (cfg_.max_age > 0)
    child.death_age = 1 + static_cast<int>(d.below(static_cast<std::uint32_t>(cfg_.max_age)));
  add(child, c);
  ++events_.births;
}

void ReferenceModel::move(std::size_t id, Stream& s) {
  // Rule M: a random empty cell within vision.
  const Sight& v = agents_[id].kind == Kind::Cop ? cop_sight_ : citizen_sight_;
  const int to = random_cell(agents_[id].cell, v, Seen::Empty, s);
  if (to < 0) return;
  vacate(id);
  place(id, to);
}

// ---- one period ----

void ReferenceModel::step() {
  ++t_;
  events_ = Tally{};
  legitimacy_ = scheduled_legitimacy(cfg_, t_);
  apply_cop_schedule();
  if (cfg_.schedule == Schedule::Async)
    step_async();
  else
    step_sync();
  age_and_release();
}

void ReferenceModel::apply_cop_schedule() {
  // Added cops go to random empty cells; withdrawn cops are chosen at random (a partial shuffle).
  if (cfg_.cop_schedule == CopSchedule::Constant) return;
  const std::int64_t want = scheduled_cops(cfg_, static_cast<double>(cells_), initial_cops_, t_);
  Stream s(cfg_.seed, kCopSchedule, 0, static_cast<std::uint64_t>(t_));
  for (int c; cops_ < want && (c = random_empty_cell(s)) >= 0; ++cops_) add(Agent{Kind::Cop}, c);
  std::vector<std::size_t> on;
  for (std::size_t i = 0; i < agents_.size(); ++i)
    if (agents_[i].kind == Kind::Cop && agents_[i].status != Status::Dead) on.push_back(i);
  for (std::size_t k = 0; cops_ > want; ++k, --cops_) {
    std::swap(on[k], on[k + s.below(static_cast<std::uint32_t>(on.size() - k))]);
    agents_[on[k]].status = Status::Dead;
    vacate(on[k]);
  }
}

void ReferenceModel::step_async() {
  // Random sequential activation: the agents on the grid in a fresh random order (Fisher-Yates).
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < agents_.size(); ++i)
    if (on_grid(i)) order.push_back(i);
  Stream s(cfg_.seed, kShuffle, 0, static_cast<std::uint64_t>(t_));
  for (std::size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[s.below(static_cast<std::uint32_t>(i))]);
  for (const std::size_t id : order)
    if (on_grid(id)) activate(id);  // not arrested or killed earlier in the period
}

void ReferenceModel::activate(std::size_t id) {
  Stream s(cfg_.seed, kDecide, id, static_cast<std::uint64_t>(t_));
  const bool cop = agents_[id].kind == Kind::Cop;
  const bool moves = cop ? cfg_.cops_move : cfg_.citizens_move;
  if (moves && cfg_.order == Order::MoveFirst) move(id, s);
  if (cop) {  // Rule C: arrest a random active citizen within vision
    const int c = random_cell(agents_[id].cell, cop_sight_, Seen::Active, s);
    if (c >= 0) arrest(at(c));
  } else {  // Rule A; in Model II going active means killing, and without a victim in sight it stays quiet
    bool active = rule_a(id);
    if (active && cfg_.violence == Violence::InterGroup) {
      const int c = victim_cell(id, s);
      active = c >= 0;
      if (active) kill(at(c));
    }
    agents_[id].status = active ? Status::Active : Status::Quiet;
  }
  if (moves && cfg_.order == Order::ActFirst) move(id, s);
  if (!cop && cfg_.clone_probability > 0 && s.bernoulli(cfg_.clone_probability)) {  // cloning (Model II)
    const int c = random_cell(agents_[id].cell, neighbours_, Seen::Empty, s);
    if (c >= 0) spawn(id, c);
  }
}

void ReferenceModel::step_sync() {
  // Everyone decides from the start state, then the consequences are resolved in phases; conflicts go to
  // the smallest priority, a hash of (seed, agent, period) with the id as tie-break.
  const std::size_t n = agents_.size();
  const auto t = static_cast<std::uint64_t>(t_);
  const auto priority = [&](std::size_t i) {
    return (std::uint64_t{hash32(cfg_.seed, kPriority, i, t)} << 32) | i;
  };
  const auto citizen = [&](std::size_t i) { return agents_[i].kind == Kind::Citizen && on_grid(i); };
  // 1. Every citizen applies rule A to the start state; in Model II an active one picks a victim.
  std::vector<Status> next(n);
  std::vector<std::size_t> victims;
  for (std::size_t i = 0; i < n; ++i) {
    if (!citizen(i)) continue;
    bool active = rule_a(i);
    if (active && cfg_.violence == Violence::InterGroup) {
      Stream s(cfg_.seed, kKill, i, t);
      const int c = victim_cell(i, s);
      active = c >= 0;
      if (active) victims.push_back(at(c));
    }
    next[i] = active ? Status::Active : Status::Quiet;
  }
  // 2. Statuses change together; then the victims die, each once (a killer may be killed too).
  for (std::size_t i = 0; i < n; ++i)
    if (citizen(i)) agents_[i].status = next[i];
  for (const std::size_t v : victims)
    if (agents_[v].status != Status::Dead) kill(v);
  // 3. Every cop picks a random active citizen within vision; each one picked is arrested once.
  std::vector<std::size_t> suspects;
  for (std::size_t i = 0; i < n; ++i) {
    if (agents_[i].kind != Kind::Cop || agents_[i].cell < 0) continue;
    Stream s(cfg_.seed, kArrest, i, t);
    if (const int c = random_cell(agents_[i].cell, cop_sight_, Seen::Active, s); c >= 0)
      suspects.push_back(at(c));
  }
  for (const std::size_t j : suspects)
    if (agents_[j].status != Status::Jailed) arrest(j);
  // 4. Every mover picks a random cell empty after the arrests; of those picking the same cell, the one of
  // smallest priority moves there and the others stay. 5. Births onto empty neighbouring cells, likewise.
  std::vector<int> target(n);
  std::vector<std::uint64_t> best(static_cast<std::size_t>(cells_));
  const auto resolve = [&](auto&& choose, auto&& act) {
    std::fill(best.begin(), best.end(), std::numeric_limits<std::uint64_t>::max());
    for (std::size_t i = 0; i < n; ++i)
      if ((target[i] = choose(i)) >= 0)
        best[static_cast<std::size_t>(target[i])] =
            std::min(best[static_cast<std::size_t>(target[i])], priority(i));
    for (std::size_t i = 0; i < n; ++i)
      if (target[i] >= 0 && best[static_cast<std::size_t>(target[i])] == priority(i)) act(i, target[i]);
  };
  resolve(
      [&](std::size_t i) {
        const bool cop = agents_[i].kind == Kind::Cop;
        if (!on_grid(i) || !(cop ? cfg_.cops_move : cfg_.citizens_move)) return -1;
        Stream s(cfg_.seed, kMove, i, t);
        return random_cell(agents_[i].cell, cop ? cop_sight_ : citizen_sight_, Seen::Empty, s);
      },
      [&](std::size_t i, int c) {
        vacate(i);
        place(i, c);
      });
  if (cfg_.clone_probability <= 0) return;
  resolve(
      [&](std::size_t i) {
        Stream s(cfg_.seed, kClone, i, t);
        if (!citizen(i) || !s.bernoulli(cfg_.clone_probability)) return -1;
        return random_cell(agents_[i].cell, neighbours_, Seen::Empty, s);
      },
      [&](std::size_t i, int c) { spawn(i, c); });
}

void ReferenceModel::age_and_release() {
  // In id order: citizens age and die on reaching their death age (Model II); jail terms count down, and a
  // citizen whose term ends is released, exactly as aggrieved as before, to a random empty cell (off_grid)
  // or in its own cell (keep_cell). With no empty cell anywhere it stays in jail one more period.
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    Agent& a = agents_[i];
    if (a.kind != Kind::Citizen || a.status == Status::Dead) continue;
    if (a.death_age > 0 && ++a.age >= a.death_age) {
      a.status = Status::Dead;
      ++events_.deaths_of_age;
      vacate(i);
      continue;
    }
    if (a.status != Status::Jailed || a.jail_left == Agents::kLife || --a.jail_left > 0) continue;
    a.status = Status::Quiet;
    ++events_.releases;
    if (cfg_.jailed == Jailed::KeepCell) continue;
    Stream s(cfg_.seed, kRelease, i, static_cast<std::uint64_t>(t_));
    if (const int c = random_empty_cell(s); c >= 0) {
      place(i, c);
    } else {
      a.status = Status::Jailed;
      a.jail_left = 1;
      --events_.releases;
    }
  }
}

ReferenceModel::Tally ReferenceModel::tally() const {
  Tally r = events_;
  r.cops = cops_;
  r.legitimacy = legitimacy_;
  for (const Agent& a : agents_) {
    if (a.kind != Kind::Citizen || a.status == Status::Dead) continue;
    ++r.alive[a.group];
    r.quiet += a.status == Status::Quiet;
    r.active += a.status == Status::Active;
    r.jailed += a.status == Status::Jailed;
    if (a.cell < 0 || a.status == Status::Jailed) continue;
    // output.cop_proximity: citizens on the grid with a cop within vision, and the active among them.
    const bool near = count(a.cell, citizen_sight_, Seen::Cop) > 0;
    r.near_cops += near;
    r.active_near_cops += near && a.status == Status::Active;
  }
  return r;
}

}  // namespace keepsim::epstein

// Set-up, schedules over time, jail and release, observation and summary: everything both activation
// schedules share (docs/epstein.md).
#include "models/epstein/model.hpp"
#include "models/epstein/rules.hpp"
#include "models/epstein/window.hpp"

#include <algorithm>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>

namespace keepsim::epstein {

std::size_t Agents::add(Kind k, std::uint8_t g, float h, float r, std::int32_t death) {
  kind.push_back(k);
  status.push_back(Status::Quiet);
  group.push_back(g);
  cell.push_back(-1);
  hardship.push_back(h);
  risk.push_back(r);
  jail_left.push_back(0);
  if (ages) {
    age.push_back(0);
    death_age.push_back(death);
  }
  return kind.size() - 1;
}

void Agents::reserve(std::size_t n) {
  kind.reserve(n);
  status.reserve(n);
  group.reserve(n);
  cell.reserve(n);
  hardship.reserve(n);
  risk.reserve(n);
  jail_left.reserve(n);
  if (ages) {
    age.reserve(n);
    death_age.reserve(n);
  }
}

EpsteinModel::EpsteinModel(const Config& c, int threads)
    : cfg_(c),
      grid_(c.width, c.height, c.topology),
      citizen_vision_(c.metric, c.citizen_vision),
      cop_vision_(c.metric, c.cop_vision),
      neighbours_(Metric::Moore, 1.0),
      // On small grids a phase lasts microseconds and handing it to a second thread costs more than it
      // saves (40x40: two threads ran at 0.7x the speed of one), so they run on one thread.
      exec_(std::make_unique<Executor>(static_cast<std::int64_t>(c.width) * c.height < kFewCells ? 1
                                                                                                 : threads)),
      arrest_table_(c.ratio, c.arrest_constant, citizen_vision_.size()) {
  const std::int64_t cells = grid_.cells();
  code_.assign(static_cast<std::size_t>(cells), cell::kEmpty);
  occupant_.assign(static_cast<std::size_t>(cells), -1);
  for (BitLayer* layer : {&cops_, &actives_, &empties_, &members_[0], &members_[1]}) layer->reset(grid_);
  empties_.fill();

  // Exactly round(density * cells) agents of each kind on distinct random cells (rules.hpp).
  agents_.ages = cfg_.max_age > 0;
  const Population n = population_of(cfg_, cells);
  agents_.reserve(static_cast<std::size_t>(n.citizens + n.cops));
  place_population(
      cfg_, cells,
      [this](std::int32_t at) {
        place(agents_.add(Kind::Cop, 0, 0.f, 0.f, 0), at);
        ++cops_on_grid_;
      },
      [this](std::int32_t at) {
        const Founder f = founder(cfg_, agents_.size());
        place(agents_.add(Kind::Citizen, f.group, f.hardship, f.risk, f.death_age), at);
      });
  initial_cops_ = n.cops;
  window_ = MooreWindow<1>::usable(citizen_vision_);
  // The sync schedule's per-cell scratch is allocated once, here; the async schedule needs none.
  if (cfg_.schedule == Schedule::Sync) {
    const auto ucells = static_cast<std::size_t>(cells);
    cell_claim_.assign(ucells, ~std::uint64_t{0});
    if (window_ && citizen_vision_.reach() <= kSeenReach) {
      seen_.assign(ucells, 0);
    }
  }
  legitimacy_ = legitimacy_at(0);
}

std::vector<Coordinate> EpsteinModel::coordinates() const {
  std::vector<std::int64_t> groups(static_cast<std::size_t>(cfg_.groups));
  for (int g = 0; g < cfg_.groups; ++g) groups[static_cast<std::size_t>(g)] = g;
  return {{"group", groups, "citizen group"}};
}

void EpsteinModel::declare(Recorder& rec) {
  auto count = [&](const char* name, const char* long_name) {
    return rec.add({name, long_name, "1", DType::Int64, {"step"}, {}});
  };
  const auto groups = static_cast<std::size_t>(cfg_.groups);
  h_quiet_ = count("quiet", "citizens on the grid and quiet");
  h_active_ = count("active", "citizens on the grid and active");
  h_jailed_ = count("jailed", "citizens in jail");
  h_cops_ = count("cops", "cops (security units) on the grid");
  h_alive_ = rec.add({"alive",
                      "living citizens (on the grid or in jail), by group",
                      "1",
                      DType::Int64,
                      {"step", "group"},
                      {}},
                     groups);
  h_killed_ = rec.add({"killed",
                       "citizens killed in the period, by the victim's group",
                       "1",
                       DType::Int64,
                       {"step", "group"},
                       {}},
                      groups);
  h_arrests_ = count("arrests", "arrests in the period");
  h_releases_ = count("releases", "releases from jail in the period");
  h_births_ = count("births", "citizens born (cloned) in the period");
  h_deaths_ = count("deaths_of_age", "citizens who died of age in the period");
  h_legitimacy_ =
      rec.add({"legitimacy", "perceived legitimacy of the authority", "1", DType::Float64, {"step"}, {}});
  if (cfg_.cop_proximity) {
    h_near_ = count("near_cops", "citizens on the grid with a cop within their vision");
    h_near_active_ = count("active_near_cops", "active citizens with a cop within their vision");
  }
}

void EpsteinModel::observe(Recorder& rec) {
  std::int64_t quiet = 0, active = 0, jailed = 0;
  std::int64_t alive[2] = {0, 0};
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    if (agents_.kind[i] != Kind::Citizen) continue;
    switch (agents_.status[i]) {
      case Status::Quiet:
        ++quiet;
        break;
      case Status::Active:
        ++active;
        break;
      case Status::Jailed:
        ++jailed;
        break;
      case Status::Dead:
        continue;
    }
    ++alive[agents_.group[i]];
  }
  const auto groups = static_cast<std::size_t>(cfg_.groups);
  rec.put(h_quiet_, quiet);
  rec.put(h_active_, active);
  rec.put(h_jailed_, jailed);
  rec.put(h_cops_, cops_on_grid_);
  rec.put(h_alive_, std::span<const std::int64_t>(alive, groups));
  rec.put(h_killed_, std::span<const std::int64_t>(events_.killed, groups));
  rec.put(h_arrests_, events_.arrests);
  rec.put(h_releases_, events_.releases);
  rec.put(h_births_, events_.births);
  rec.put(h_deaths_, events_.deaths_of_age);
  rec.put(h_legitimacy_, legitimacy_);
  if (cfg_.cop_proximity) {
    // Deception (Epstein run 1) shows as a lower active share among citizens who see a cop than among the
    // rest.
    std::int64_t near = 0, near_active = 0;
    for (std::size_t i = 0; i < agents_.size(); ++i) {
      if (agents_.kind[i] != Kind::Citizen || agents_.cell[i] < 0 || agents_.status[i] == Status::Jailed)
        continue;
      const bool sees_cop = query_.count(cops_, agents_.cell[i], citizen_vision_) > 0;
      near += sees_cop;
      near_active += sees_cop && agents_.status[i] == Status::Active;
    }
    rec.put(h_near_, near);
    rec.put(h_near_active_, near_active);
  }
}

void EpsteinModel::step() {
  ++period_;
  events_ = Events{};
  legitimacy_ = legitimacy_at(period_);
  apply_cop_schedule();
  if (cfg_.schedule == Schedule::Async)
    step_async();
  else
    step_sync();
  age_and_release();
}

double EpsteinModel::legitimacy_at(std::int64_t t) const {
  return scheduled_legitimacy(cfg_, t);
}

void EpsteinModel::apply_cop_schedule() {
  // Added cops go to random empty cells (the paper's safe-haven experiment); withdrawn cops are chosen at
  // random (rules.hpp).
  follow_cop_schedule(
      cfg_, period_, initial_cops_, cops_on_grid_, code_,
      [&](std::int32_t c) { place(agents_.add(Kind::Cop, 0, 0.f, 0.f, 0), c); },
      [&] {
        std::vector<std::size_t> on;
        for (std::size_t i = 0; i < agents_.size(); ++i)
          if (agents_.kind[i] == Kind::Cop && agents_.status[i] != Status::Dead) on.push_back(i);
        return on;
      },
      [&](std::size_t id) {
        agents_.status[id] = Status::Dead;
        vacate(id);
      });
}

std::uint8_t EpsteinModel::code_of(std::size_t id) const {
  if (agents_.kind[id] == Kind::Cop) return cell::kCop;
  if (agents_.status[id] == Status::Jailed) return cell::kJailed;
  return cell::citizen(agents_.group[id], agents_.status[id] == Status::Active);
}

void EpsteinModel::set_code(std::size_t c, std::uint8_t code, bool concurrent) {
  const std::uint8_t old = code_[c];
  if (old == code) return;
  code_[c] = code;
  const BitLayer::Spot spot = cops_.spot(static_cast<std::int64_t>(c));  // the same in every layer
  // Atomic bit updates only where other threads change neighbouring cells at the same time.
  const auto assign = [spot, concurrent](BitLayer& layer, bool on) {
    if (concurrent)
      layer.assign(spot, on);
    else
      layer.assign_plain(spot, on);
  };
  if ((old == cell::kCop) != (code == cell::kCop)) assign(cops_, code == cell::kCop);
  if (cell::is_active(old) != cell::is_active(code)) assign(actives_, cell::is_active(code));
  if ((old == cell::kEmpty) != (code == cell::kEmpty)) assign(empties_, code == cell::kEmpty);
  for (int g = 0; g < 2; ++g) {
    const bool was = cell::is_citizen(old) && cell::group(old) == g;
    const bool is = cell::is_citizen(code) && cell::group(code) == g;
    if (was != is) assign(members_[g], is);
  }
}

namespace {

/// Bits of the five layers for up to 64 cells of one row: cops, actives, empties, group 0, group 1.
struct LayerBits {
  std::uint64_t cop = 0, active = 0, empty = 0, member[2] = {0, 0};
};

LayerBits layer_bits(const std::uint8_t* c, int n) {
  LayerBits b;
  int x = 0;
#if defined(__SSE2__)
  const __m128i k_cop = _mm_set1_epi8(static_cast<char>(cell::kCop));
  const __m128i k_act = _mm_set1_epi8(static_cast<char>(cell::kCitizen | cell::kActiveBit));
  const __m128i k_cit = _mm_set1_epi8(static_cast<char>(cell::kCitizen | 1));
  const __m128i k_g0 = _mm_set1_epi8(static_cast<char>(cell::kCitizen));
  const __m128i zero = _mm_setzero_si128();
  for (; x + 16 <= n; x += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c + x));
    const auto bits = [x](__m128i m) {
      return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(m))) << x;
    };
    b.cop |= bits(_mm_cmpeq_epi8(v, k_cop));
    b.active |= bits(_mm_cmpeq_epi8(_mm_and_si128(v, k_act), k_act));
    b.empty |= bits(_mm_cmpeq_epi8(v, zero));
    const __m128i g = _mm_and_si128(v, k_cit);
    b.member[0] |= bits(_mm_cmpeq_epi8(g, k_g0));
    b.member[1] |= bits(_mm_cmpeq_epi8(g, k_cit));
  }
#endif
  for (; x < n; ++x) {
    const std::uint8_t v = c[x];
    const std::uint64_t bit = std::uint64_t{1} << x;
    if (v == cell::kCop) b.cop |= bit;
    if (cell::is_active(v)) b.active |= bit;
    if (v == cell::kEmpty) b.empty |= bit;
    if (cell::is_citizen(v)) b.member[cell::group(v)] |= bit;
  }
  return b;
}

}  // namespace

void EpsteinModel::rebuild_layers() {
  // Row by row, each row's words written by one thread: no atomics, one read of each code byte.
  const int w = grid_.width();
  const int words = cops_.words_per_row();
  exec_->for_ranges(static_cast<std::size_t>(grid_.height()), 16, [&](std::size_t y0, std::size_t y1) {
    for (auto y = static_cast<int>(y0); y < static_cast<int>(y1); ++y) {
      const std::uint8_t* row = &code_[static_cast<std::size_t>(y) * static_cast<std::size_t>(w)];
      std::uint64_t* out[5] = {cops_.row_words(y), actives_.row_words(y), empties_.row_words(y),
                               members_[0].row_words(y), members_[1].row_words(y)};
      for (int i = 0; i < words; ++i) {
        const LayerBits b = layer_bits(row + i * 64, std::min(64, w - i * 64));
        out[0][i] = b.cop;
        out[1][i] = b.active;
        out[2][i] = b.empty;
        out[3][i] = b.member[0];
        out[4][i] = b.member[1];
      }
    }
  });
}

void EpsteinModel::place(std::size_t id, std::int32_t c) {
  agents_.cell[id] = c;
  occupant_[static_cast<std::size_t>(c)] = static_cast<std::int32_t>(id);
  set_code(static_cast<std::size_t>(c), code_of(id));
}

void EpsteinModel::vacate(std::size_t id, bool concurrent) {
  const std::int32_t c = agents_.cell[id];
  if (c < 0) return;
  occupant_[static_cast<std::size_t>(c)] = -1;
  set_code(static_cast<std::size_t>(c), cell::kEmpty, concurrent);
  agents_.cell[id] = -1;
}

void EpsteinModel::jail(std::size_t id, bool concurrent) {
  // Rule C: the arrested citizen serves a term drawn once (start_term says how it counts down).
  start_term(agents_, id, jail_term(cfg_, id, period_));
  if (!concurrent) ++events_.arrests;
  if (cfg_.jailed == Jailed::OffGrid)
    vacate(id, concurrent);
  else
    set_code(static_cast<std::size_t>(agents_.cell[id]), cell::kJailed, concurrent);
}

void EpsteinModel::kill(std::size_t id, bool concurrent) {
  if (!concurrent) ++events_.killed[agents_.group[id]];
  agents_.status[id] = Status::Dead;
  vacate(id, concurrent);
}

void EpsteinModel::spawn(std::size_t parent, std::int32_t c) {
  // Model II reproduction: the child has its parent's group and hardship (hence the same grievance); its risk
  // aversion and death age are its own.
  const Newborn b = newborn(cfg_, agents_.size(), period_);
  place(agents_.add(Kind::Citizen, agents_.group[parent], agents_.hardship[parent], b.risk, b.death_age), c);
  ++events_.births;
}

std::int32_t EpsteinModel::random_empty_cell(Stream& s) const {
  return epstein::random_empty_cell(code_, s);
}

void EpsteinModel::age_and_release() {
  // Counting down ages and jail terms is per agent and runs in parallel; the few agents who die or leave jail
  // this period are then handled in id order, as one loop over every agent would, so that where released
  // agents land does not depend on threads.
  std::vector<std::uint32_t> due;
  std::mutex due_mutex;
  exec_->for_ranges(agents_.size(), 4096, [&](std::size_t b, std::size_t e) {
    std::vector<std::uint32_t> mine;
    if (!agents_.ages) {
      // Without ages only jail terms count down: one pass with no branch (vectorised), then a pass for the
      // few whose term ended. Only citizens are ever jailed.
      const Status* status = agents_.status.data();
      std::int32_t* left = agents_.jail_left.data();
      for (std::size_t i = b; i < e; ++i)
        left[i] -= static_cast<std::int32_t>((status[i] == Status::Jailed) & (left[i] != Agents::kLife));
      for (std::size_t i = b; i < e; ++i)
        if (left[i] == 0 && status[i] == Status::Jailed) mine.push_back(static_cast<std::uint32_t>(i));
    }
    for (std::size_t i = agents_.ages ? b : e; i < e; ++i) {
      if (agents_.kind[i] != Kind::Citizen || agents_.status[i] == Status::Dead) continue;
      if (period_ends(agents_, i)) mine.push_back(static_cast<std::uint32_t>(i));
    }
    if (mine.empty()) return;
    const std::lock_guard<std::mutex> lock(due_mutex);
    due.insert(due.end(), mine.begin(), mine.end());
  });
  std::sort(due.begin(), due.end());
  // Released citizens land on random empty cells, each seeing the cells taken by those before it. Without
  // deaths, cells only fill up in this loop, so every search can be run first against the grid as it is, in
  // parallel, and then only checked in id order: resumed where its cell was taken meanwhile
  // (EmptyCellSearch).
  std::vector<EmptyCellSearch> search;
  std::vector<std::int32_t> found;
  if (!agents_.ages && cfg_.jailed == Jailed::OffGrid && due.size() >= 64) {
    search.reserve(due.size());
    for (const std::uint32_t id : due)
      search.emplace_back(Stream(cfg_.seed, kRelease, id, static_cast<std::uint64_t>(period_)));
    found.resize(due.size());
    exec_->for_each(
        due.size(), [&](std::size_t k) { found[k] = search[k].next(code_); }, 64);
  }
  struct Hooks {
    EpsteinModel& m;
    std::vector<EmptyCellSearch>& search;
    const std::vector<std::int32_t>& found;
    Agents& a = m.agents_;
    bool dies(std::size_t i) const { return a.ages && reached_death_age(a, i); }
    void die(std::size_t i) {
      a.status[i] = Status::Dead;
      ++m.events_.deaths_of_age;
      m.vacate(i);
    }
    void keep(std::size_t i) { m.set_code(static_cast<std::size_t>(a.cell[i]), m.code_of(i)); }
    std::int32_t cell_for(std::size_t k, std::size_t i) {
      if (search.empty()) {
        Stream s(m.cfg_.seed, kRelease, i, static_cast<std::uint64_t>(m.period_));
        return m.random_empty_cell(s);
      }
      // The search made in parallel above, resumed where its cell was taken meanwhile.
      std::int32_t c = found[k];
      while (c >= 0 && m.code_[static_cast<std::size_t>(c)] != cell::kEmpty) c = search[k].next(m.code_);
      return c;
    }
    void land(std::size_t i, std::int32_t c) { m.place(i, c); }
  };
  release_due(cfg_, agents_, events_.releases, due, Hooks{*this, search, found});
}

void EpsteinModel::check_invariants() const {
  auto fail = [](const std::string& what) { throw std::logic_error("invariant violated: " + what); };
  check_cells(
      cfg_, agents_, occupant_, code_, [this](std::size_t i) { return code_of(i); },
      [this](std::size_t at) { return empties_.test(static_cast<std::int64_t>(at)); }, fail);
  std::int64_t cops = 0;
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    const bool dead = agents_.status[i] == Status::Dead;
    const bool jailed = agents_.status[i] == Status::Jailed;
    if (agents_.kind[i] == Kind::Cop && !dead) ++cops;
    // Epstein's agents leave the grid only for death or an off-grid jail.
    if (!dead && !(jailed && cfg_.jailed == Jailed::OffGrid) && agents_.cell[i] < 0)
      fail("agent " + std::to_string(i) + " lost its cell");
  }
  if (cops != cops_on_grid_) fail("cop count");
  // Claims are cleared by the phase that reads them (kills, arrests, moves, births), never by a pass of its
  // own: one left over would decide a conflict of the next period.
  for (std::size_t c = 0; c < cell_claim_.size(); ++c)
    if (cell_claim_[c] != ~std::uint64_t{0}) fail("claim left on cell " + std::to_string(c));
}

}  // namespace keepsim::epstein

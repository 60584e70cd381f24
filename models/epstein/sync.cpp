// The parallel schedule (docs/epstein.md, `sync`): all citizens decide from the state at the start of the
// period; then killings, arrests, moves and births are resolved in phases. Where several agents want the same
// victim or cell, the one with the smallest priority wins; priorities are hashes of (seed, agent, period)
// with the agent id as tie-break, and "smallest" does not depend on which thread looks first. So the outcome
// is the same for any thread count.
#include <atomic>
#include <bit>
#include <limits>
#include <tuple>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "models/epstein/model.hpp"
#include "models/epstein/window.hpp"

namespace keepsim::epstein {
namespace {

constexpr std::uint64_t kNoClaim = std::numeric_limits<std::uint64_t>::max();

/// Calls visit(y, window) for every row y, in bands of rows run in parallel; `window` counts the cells that
/// `member` selects within a square vision of `reach` around the cells of row y (when `windowed`).
/// With `waves` (from wave_bands()) the bands run in two waves, even bands and then odd ones.
template <class Member, class Visit>
void scan_rows(Executor& exec, const Grid& grid, const std::vector<std::uint8_t>& code, int reach,
               bool windowed, Member member, Visit visit, std::size_t waves = 0) {
  const auto h = static_cast<std::size_t>(grid.height());
  const auto band = [&](std::size_t y0, std::size_t y1) {
    thread_local MooreWindow<1> win;
    if (windowed) {
      win.reset(grid, reach);
      win.start(static_cast<int>(y0), code.data(), member);
    }
    for (auto y = static_cast<int>(y0); y < static_cast<int>(y1); ++y) {
      if (windowed && y > static_cast<int>(y0)) win.advance(code.data(), member);
      visit(y, win);
    }
  };
  if (waves >= 4) {
    for (std::size_t wave = 0; wave < 2; ++wave)
      exec.for_ranges(waves / 2, 1, [&](std::size_t j0, std::size_t j1) {
        for (std::size_t j = j0; j < j1; ++j) {
          const std::size_t b = 2 * j + wave;
          band(b * h / waves, (b + 1) * h / waves);
        }
      });
    return;
  }
  exec.for_ranges(h, std::max<std::size_t>(64, h / (4 * static_cast<std::size_t>(exec.threads())) + 1), band);
}

/// How many bands scan_rows() should run in two waves so that bands running at the same time are at least
/// `apart` rows apart (an even number, each band at least max(apart, 64) rows, two or more per wave); 0 when
/// the grid is too short for that. What a band then writes within apart / 2 rows of its own rows is written
/// by no other band at the same time.
std::size_t wave_bands(int threads, int height, int apart) {
  const auto h = static_cast<std::size_t>(height);
  std::size_t bands = 4 * static_cast<std::size_t>(threads);
  const auto tall = static_cast<std::size_t>(std::max(apart, 64));
  while (bands >= 4 && h / bands < tall) bands -= 2;
  return bands >= 4 ? bands : 0;
}

/// Bit x set: cell x of the (at most 64) codes holds a citizen on the grid (not jailed) when `citizens`, a
/// cop when `cops`. Sixteen cells per compare, so that finding the movers of a row costs
/// no branch per cell.
std::uint64_t mover_bits(const std::uint8_t* c, int n, bool citizens, bool cops) {
  std::uint64_t bits = 0;
  int x = 0;
#if defined(__SSE2__)
  const __m128i k_cit = _mm_set1_epi8(static_cast<char>(cell::kCitizen));
  const __m128i k_cop = _mm_set1_epi8(static_cast<char>(cell::kCop));
  const __m128i want_cit = citizens ? _mm_set1_epi8(-1) : _mm_setzero_si128();
  const __m128i want_cop = cops ? _mm_set1_epi8(-1) : _mm_setzero_si128();
  for (; x + 16 <= n; x += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c + x));
    const __m128i is_cit = _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(v, k_cit), k_cit), want_cit);
    const __m128i is_cop = _mm_and_si128(_mm_cmpeq_epi8(v, k_cop), want_cop);
    bits |= static_cast<std::uint64_t>(
                static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_or_si128(is_cit, is_cop))))
            << x;
  }
#endif
  for (; x < n; ++x)
    if ((citizens && cell::is_citizen(c[x])) || (cops && c[x] == cell::kCop)) bits |= std::uint64_t{1} << x;
  return bits;
}

}  // namespace

template <class Settle>
std::int64_t EpsteinModel::settle_claims(const BitLayer& a, const BitLayer& b, Settle&& settle) {
  // Only cells in the layers can hold a claim of this phase, so only their bits are visited. A row's words
  // are read before its cells change, and only this row's task changes them.
  const int w = grid_.width(), words = a.words_per_row();
  const std::uint64_t last = w % 64 == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << (w % 64)) - 1;
  std::atomic<std::int64_t> settled{0};
  exec_->for_ranges(static_cast<std::size_t>(grid_.height()), 16, [&](std::size_t y0, std::size_t y1) {
    std::int64_t mine = 0;
    for (auto y = static_cast<int>(y0); y < static_cast<int>(y1); ++y) {
      const std::size_t row = static_cast<std::size_t>(y) * static_cast<std::size_t>(w);
      const std::uint64_t* wa = a.row_words(y);
      const std::uint64_t* wb = b.row_words(y);
      for (int k = 0; k < words; ++k) {
        std::uint64_t bits = (wa[k] | wb[k]) & (k == words - 1 ? last : ~std::uint64_t{0});
        for (; bits != 0; bits &= bits - 1) {
          const std::size_t c =
              row + static_cast<std::size_t>(k) * 64 + static_cast<std::size_t>(std::countr_zero(bits));
          if (cell_claim_[c] == kNoClaim) continue;
          cell_claim_[c] = kNoClaim;
          settle(static_cast<std::size_t>(occupant_[c]));
          ++mine;
        }
      }
    }
    settled.fetch_add(mine, std::memory_order_relaxed);
  });
  return settled.load();
}

void EpsteinModel::step_sync() {
  const std::size_t n = agents_.size();
  const auto t = static_cast<std::uint64_t>(period_);
  const std::uint64_t seed = cfg_.seed;
  if (cell_claim_.size() != code_.size()) cell_claim_.assign(code_.size(), kNoClaim);
  auto priority = [&](std::size_t i) { return sync_priority(seed, i, t); };
  auto on_grid = [&](std::size_t i) { return agents_.cell[i] >= 0 && agents_.status[i] != Status::Jailed; };
  const bool killing = cfg_.violence == Violence::InterGroup;

  // 1. Every citizen on the grid decides from the start state (Rule A); in Model II an active one picks a
  // victim. Every citizen sees the same snapshot: when the counts were taken beforehand (count_seen) and
  // nobody kills, a citizen's decision reads nothing another citizen writes, so statuses change at once;
  // otherwise they are kept aside and change together in phase 2.
  const bool counted = window_ && citizen_vision_.reach() <= kSeenReach;
  if (counted) count_seen();
  const bool at_once = counted && !killing;
  if (!at_once) next_status_.resize(n);
  const auto decide = [&](std::size_t i) {
    if (!at_once) next_status_[i] = agents_.status[i];
    if (agents_.kind[i] != Kind::Citizen || !on_grid(i)) return;
    const std::int64_t here = agents_.cell[i];
    int cops = 0, actives = 1;
    if (counted) {
      const std::uint16_t seen = seen_[static_cast<std::size_t>(here)];
      cops = seen & 0xff;
      actives += (seen >> 8) - (agents_.status[i] == Status::Active ? 1 : 0);
    } else {
      const auto [c, a] = query_.count2(cops_, actives_, here, citizen_vision_);
      cops = c;
      actives += a;
    }
    bool active = decides_active(i, cops, actives);
    if (killing && active) {
      const BitLayer& others = members_[1 - agents_.group[i]];
      Stream s(seed, kKill, i, t);
      const std::int64_t c =
          query_.choose(others, here, citizen_vision_, [&s](std::uint32_t m) { return s.below(m); });
      active = c >= 0;
      if (active) claim_min(cell_claim_[static_cast<std::size_t>(c)], priority(i));
    }
    const Status next = active ? Status::Active : Status::Quiet;
    if (!at_once) {
      next_status_[i] = next;
    } else if (next != agents_.status[i]) {
      agents_.status[i] = next;
      set_code(static_cast<std::size_t>(here), code_of(i), true);
    }
  };
  exec_->for_each(n, decide);

  // 2. Statuses change together; then the victims die (a killer can be killed in the same period).
  if (!at_once)
    exec_->for_each(n, [&](std::size_t i) {
      if (agents_.kind[i] != Kind::Citizen || !on_grid(i) || agents_.status[i] == next_status_[i]) return;
      agents_.status[i] = next_status_[i];
      set_code(static_cast<std::size_t>(agents_.cell[i]), code_of(i), true);
    });
  // Claims on agents are made on their cells (victims and suspects are on distinct cells), so one per-cell
  // array serves every phase; the order of kills and arrests does not change their outcome.
  if (killing) {
    std::atomic<std::int64_t> killed[2] = {0, 0};
    settle_claims(members_[0], members_[1], [&](std::size_t victim) {
      killed[agents_.group[victim]].fetch_add(1, std::memory_order_relaxed);
      kill(victim, true);
    });
    for (int g = 0; g < 2; ++g) events_.killed[g] += killed[g].load();
  }

  // 3. Each cop picks a random active citizen within vision (Rule C); one arrest per citizen. Cops are found
  // in cell order, with the actives around them counted by sliding sums when the vision is a square.
  const bool cop_window = MooreWindow<1>::usable(cop_vision_);
  const int w = grid_.width();
  scan_rows(
      *exec_, grid_, code_, cop_vision_.reach(), cop_window,
      [](std::uint8_t c) { return cell::is_active(c) ? 1u : 0u; },
      [&](int y, const MooreWindow<1>& win) {
        const std::size_t row = static_cast<std::size_t>(y) * static_cast<std::size_t>(w);
        for (int x0 = 0; x0 < w; x0 += 64)
          for (std::uint64_t cops =
                   mover_bits(&code_[row + static_cast<std::size_t>(x0)], std::min(64, w - x0), false, true);
               cops != 0; cops &= cops - 1) {
            const int x = x0 + std::countr_zero(cops);
            const std::size_t c = row + static_cast<std::size_t>(x);
            const auto i = static_cast<std::size_t>(occupant_[c]);
            Stream s(seed, kArrest, i, t);
            std::int64_t to = -1;
            if (cop_window) {
              const int total = win.count(0, x);
              if (total > 0)
                to = win.kth(0, actives_, x, static_cast<int>(s.below(static_cast<std::uint32_t>(total))));
            } else {
              to = query_.choose(actives_, static_cast<std::int64_t>(c), cop_vision_,
                                 [&s](std::uint32_t m) { return s.below(m); });
            }
            if (to >= 0) claim_min(cell_claim_[static_cast<std::size_t>(to)], priority(i));
          }
      });
  events_.arrests += settle_claims(actives_, actives_, [&](std::size_t suspect) { jail(suspect, true); });

  // 4. Moves (Rule M) to cells empty after the arrests; one mover per cell, the others stay.
  choose_moves(t);
  apply_moves();

  // 5. Model II births onto empty neighbouring cells, one per cell; children get ids in their parents' order.
  if (cfg_.clone_probability <= 0) return;
  target_.resize(n);
  exec_->for_each(n, [&](std::size_t i) {
    target_[i] = -1;
    if (agents_.kind[i] != Kind::Citizen || !on_grid(i)) return;
    Stream s(seed, kClone, i, t);
    const std::int64_t c = clone_target(cfg_, s, query_, empties_, agents_.cell[i], neighbours_);
    if (c < 0) return;
    target_[i] = static_cast<std::int32_t>(c);
    claim_min(cell_claim_[static_cast<std::size_t>(target_[i])], priority(i));
  });
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t c = target_[i];
    if (c < 0) continue;
    // Only the claimant with the smallest priority is born here, whatever its id; it also clears the claim
    // (every claimed cell has exactly one such winner), so a loser with a lower id must not clear it first.
    if (cell_claim_[static_cast<std::size_t>(c)] != priority(i)) continue;
    cell_claim_[static_cast<std::size_t>(c)] = kNoClaim;
    spawn(i, c);
  }
}

}  // namespace keepsim::epstein

namespace keepsim::epstein {

void EpsteinModel::count_seen() {
  // Cops and actives within every cell's vision, centre included, from the codes at the start of the period.
  const int w = grid_.width();
  const std::size_t rows_per_part =
      std::max<std::size_t>(64, static_cast<std::size_t>(grid_.height()) / (4 * exec_->threads()) + 1);
  exec_->for_ranges(
      static_cast<std::size_t>(grid_.height()), rows_per_part, [&](std::size_t y0, std::size_t y1) {
        thread_local MooreWindow<2> win;
        win.reset(grid_, citizen_vision_.reach());
        const auto member = [](std::uint8_t c) {
          return (c == cell::kCop ? 1u : 0u) | (cell::is_active(c) ? 2u : 0u);
        };
        win.start(static_cast<int>(y0), code_.data(), member);
        for (auto y = static_cast<int>(y0); y < static_cast<int>(y1); ++y) {
          if (y > static_cast<int>(y0)) win.advance(code_.data(), member);
          std::uint16_t* out = &seen_[static_cast<std::size_t>(y) * static_cast<std::size_t>(w)];
          for (int x = 0; x < w; ++x)
            out[x] = static_cast<std::uint16_t>(win.count(0, x) | (win.count(1, x) << 8));
        }
      });
}

void EpsteinModel::choose_moves(std::uint64_t t) {
  // In cell order, a band of rows per task: a mover's target lies within its vision, so the claims of a band
  // stay in cache. With a square vision the empties are counted by sliding sums; otherwise by span walks.
  const int w = grid_.width();
  const std::uint64_t seed = cfg_.seed;
  const int h = grid_.height();
  const int reach = std::max(citizen_vision_.reach(), cop_vision_.reach());
  const bool citizen_window = window_;
  const bool cop_window =
      window_ && cop_vision_.reach() == citizen_vision_.reach() && MooreWindow<1>::usable(cop_vision_);
  const bool all_window = (citizen_window || !cfg_.citizens_move) && (cop_window || !cfg_.cops_move);
  // A target lies within `reach` rows of its mover: with bands 2 * reach apart, claims need no atomics.
  const std::size_t waves = exec_->threads() > 1 ? wave_bands(exec_->threads(), h, 2 * reach) : 0;
  const bool plain = exec_->threads() == 1 || waves > 0;
  scan_rows(
      *exec_, grid_, code_, citizen_vision_.reach(), citizen_window,
      [](std::uint8_t c) { return c == cell::kEmpty ? 1u : 0u; },
      [&](int y, const MooreWindow<1>& win) {
        const std::size_t row = static_cast<std::size_t>(y) * static_cast<std::size_t>(w);
        {  // the claims of the row that enters the reach of the next row's movers
          int ahead = y + reach + 1;
          ahead -= ahead >= h ? h : 0;
          const std::uint64_t* claims =
              &cell_claim_[static_cast<std::size_t>(ahead) * static_cast<std::size_t>(w)];
          for (int x = 0; x < w; x += 8) __builtin_prefetch(claims + x, 1);
        }
        // Movers whose empties are counted by the window are gathered first; their two random words (the
        // move draw and the priority) are then computed for the whole row at once, which overlaps the
        // Philox blocks of different movers; the others choose at once by span walks.
        thread_local std::vector<std::uint32_t> xs, ids, totals, draws, priorities;
        xs.clear();
        ids.clear();
        totals.clear();
        const auto claim = [&](std::int64_t to, std::size_t i, std::uint32_t prio) {
          std::uint64_t& slot = cell_claim_[static_cast<std::size_t>(to)];
          const std::uint64_t mine = (std::uint64_t{prio} << 32) | i;
          if (plain)  // no other band writes this claim now (scan_rows' waves)
            slot = std::min(slot, mine);
          else
            claim_min(slot, mine);
        };
        if (all_window) {  // every mover counts its empties by the window
          for (int x0 = 0; x0 < w; x0 += 64) {
            std::uint64_t m = mover_bits(&code_[row + static_cast<std::size_t>(x0)], std::min(64, w - x0),
                                         cfg_.citizens_move, cfg_.cops_move);
            for (; m != 0; m &= m - 1) {
              const int x = x0 + std::countr_zero(m);
              const int total = win.count(0, x);
              if (total == 0) continue;
              xs.push_back(static_cast<std::uint32_t>(x));
              ids.push_back(static_cast<std::uint32_t>(occupant_[row + static_cast<std::size_t>(x)]));
              totals.push_back(static_cast<std::uint32_t>(total));
            }
          }
        }
        for (int x = 0; x < (all_window ? 0 : w); ++x) {
          const std::size_t c = row + static_cast<std::size_t>(x);
          const std::uint8_t code = code_[c];
          if (code == cell::kEmpty || code == cell::kJailed) continue;
          const bool cop = code == cell::kCop;
          if (!(cop ? cfg_.cops_move : cfg_.citizens_move)) continue;
          const auto i = static_cast<std::size_t>(occupant_[c]);
          if (cop ? cop_window : citizen_window) {
            const int total = win.count(0, x);
            if (total == 0) continue;
            xs.push_back(static_cast<std::uint32_t>(x));
            ids.push_back(static_cast<std::uint32_t>(i));
            totals.push_back(static_cast<std::uint32_t>(total));
            continue;
          }
          Stream s(seed, kMove, i, t);
          const std::int64_t to = move_target(s, query_, empties_, static_cast<std::int64_t>(c),
                                              cop ? cop_vision_ : citizen_vision_);
          if (to < 0) continue;
          claim(to, i, hash32(seed, kPriority, i, t));
        }
        const std::size_t movers = ids.size();
        draws.resize(movers);
        priorities.resize(movers);
        first_words(seed, kMove, t, ids.data(), movers, draws.data());
        first_words(seed, kPriority, t, ids.data(), movers, priorities.data());
        for (std::size_t k = 0; k < movers; ++k) {
          const int x = static_cast<int>(xs[k]);
          std::int64_t draw = below_from_first(draws[k], totals[k]);
          if (draw < 0) draw = Stream(seed, kMove, ids[k], t).below(totals[k]);  // rare: the stream goes on
          const auto [dy, dx] = win.kth_offset(0, empties_, x, static_cast<int>(draw));
          int ty = y + dy, tx = x + dx;
          ty += ty < 0 ? h : (ty >= h ? -h : 0);
          tx += tx < 0 ? w : (tx >= w ? -w : 0);
          claim(static_cast<std::int64_t>(ty) * w + tx, ids[k], priorities[k]);
        }
      },
      waves);
}

void EpsteinModel::apply_moves() {
  // Moves claim only cells empty at the start of the phase, and a claim's low 32 bits are the winner's id:
  // so the moves are read from the claims, row by row over the empty cells, and the claims cleared on the
  // way. Winners' old cells are distinct and occupied, their new cells distinct and empty: no two writes
  // meet. The layers are rebuilt from the codes afterwards rather than updated bit by bit with atomics.
  const int w = grid_.width(), h = grid_.height();
  const int words = empties_.words_per_row();
  const std::uint64_t last = w % 64 == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << (w % 64)) - 1;
  exec_->for_ranges(static_cast<std::size_t>(h), 16, [&](std::size_t y0, std::size_t y1) {
    for (auto y = static_cast<int>(y0); y < static_cast<int>(y1); ++y) {
      const std::size_t row = static_cast<std::size_t>(y) * static_cast<std::size_t>(w);
      const std::uint64_t* empty = empties_.row_words(y);
      for (int k = 0; k < words; ++k) {
        std::uint64_t bits = empty[k] & (k == words - 1 ? last : ~std::uint64_t{0});  // not the padding
        for (; bits != 0; bits &= bits - 1) {
          const std::size_t to =
              row + static_cast<std::size_t>(k) * 64 + static_cast<std::size_t>(std::countr_zero(bits));
          const std::uint64_t claim = cell_claim_[to];
          if (claim == kNoClaim) continue;
          cell_claim_[to] = kNoClaim;
          const auto i = static_cast<std::uint32_t>(claim);
          const auto from = static_cast<std::size_t>(agents_.cell[i]);
          agents_.cell[i] = static_cast<std::int32_t>(to);
          occupant_[to] = static_cast<std::int32_t>(i);
          occupant_[from] = -1;
          code_[to] = code_[from];
          code_[from] = cell::kEmpty;
        }
      }
    }
  });
  rebuild_layers();
}

}  // namespace keepsim::epstein

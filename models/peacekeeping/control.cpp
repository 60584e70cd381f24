// ODD 7.15 territorial control as a component (mechanism.hpp): its parameters, its per-cell share, its
// daily computation before the agents' turns, its two series and its checkpoint field.
#include "models/peacekeeping/control.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "keepsim/core/parallel.hpp"
#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

constexpr SeriesDef kSeries[] = {
    {"killings_by_zone", "civilians killed by militias in the day, by the control zone of the victim's cell",
     "1", DType::Int64, "zone"},
    {"citizens_by_zone", "citizens on the grid by the control zone of their cell", "1", DType::Int64, "zone"},
};

void declare(Schema& s) {
  s.add(bool_param("control.enabled", false,
                   "territorial control from the armed actors nearby, and violence by control zone (7.15)"));
  s.add(real_param("control.radius", 5, "cells", 0, 1000, "radius over which armed presence counts"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config& c) {
  auto m = std::make_shared<Control>();
  m->on = p.get_bool("control.enabled") || c.spoilers.political;
  m->radius = p.get_real("control.radius");
  return m;
}

}  // namespace

extern const MechanismType control_mechanism = {"control", &declare, &read, kSeries, {}};

void Control::run(Phase p, PeaceModel& m) {
  if (p == Phase::DayStart) std::fill(std::begin(zone_killings_), std::end(zone_killings_), 0);
  if (p == Phase::BeforeAgents && on) compute(m);
}

void Control::after_burn_in(PeaceModel&) {
  std::fill(std::begin(zone_killings_), std::end(zone_killings_), 0);
}

void Control::compute(PeaceModel& m) {
  // ODD 7.15: the incumbent's share of armed presence within control.radius (a square window), from
  // yesterday's end positions: security units count 1 (constables and police their skill q), every armed
  // spoiler 1, and the state's ordinary presence 1 everywhere, so that a place no one contests is the
  // government's. Summed-area tables make it linear in the number of cells. Each entry of the tables is
  // the same floating-point sum of the same neighbours however the tables are filled, so the shares are the
  // same to the bit on any number of threads; the shares, each read from the finished tables alone, are
  // then computed in parallel by rows. The tables are kept between days: allocating them afresh cost more
  // than filling them.
  const Grid& grid = m.grid();
  const auto& code = m.codes();
  const auto& occupant = m.occupants();
  const auto& skill = m.agents().skill;
  const int w = grid.width(), h = grid.height();
  const int r = static_cast<int>(std::floor(radius + 1e-9));
  const auto W = static_cast<std::size_t>(w + 1);
  std::vector<double>& sec = sec_;
  // The armed spoilers' table counts agents, so it is integer: exact, as the doubles it replaced were, while
  // the whole grid holds fewer than 2^31 armed fighters (an entry sums a rectangle from the corner), and half
  // the bytes.
  std::vector<std::int32_t>& arm = arm_;
  if (sec.size() != W * static_cast<std::size_t>(h + 1)) {  // the first row and column stay 0
    sec.assign(W * static_cast<std::size_t>(h + 1), 0);
    arm.assign(sec.size(), 0);
  }
  // Each entry needs its left, upper and upper-left neighbours, so square tiles are filled in waves along
  // the anti-diagonals: the tiles of one wave depend only on earlier waves and are filled in parallel, each
  // entry by the same expression from the same neighbours as a pass in cell order.
  constexpr int kTile = 128;
  const int tiles_x = (w + kTile - 1) / kTile, tiles_y = (h + kTile - 1) / kTile;
  const auto fill = [&](int y, int x) {
    const auto c = static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x);
    const std::uint8_t k = cell::kind(code[c]);
    double s = 0;
    if (k == cell::kPeacekeeper) s = 1;
    if (k == cell::kConstable) s = skill[static_cast<std::size_t>(occupant[c])];
    const std::int32_t a = k == cell::kSpoiler && (code[c] & 4) ? 1 : 0;
    const std::size_t i = static_cast<std::size_t>(y + 1) * W + static_cast<std::size_t>(x + 1);
    sec[i] = s + sec[i - 1] + sec[i - W] - sec[i - W - 1];
    arm[i] = a + arm[i - 1] + arm[i - W] - arm[i - W - 1];
  };
  // Within a tile, kRows rows at a time on a skewed front: row y0 + j fills column t - j at step t, after
  // the entries it reads (its left neighbour at step t - 1, the row above at step t - 1). A row alone is one
  // chain of dependent additions, three latencies an entry; kRows chains overlap.
  constexpr int kRows = 4;
  const auto fill_tile = [&](int ty, int tx) {
    const int xa = tx * kTile, xb = std::min(w, (tx + 1) * kTile);
    for (int y0 = ty * kTile; y0 < std::min(h, (ty + 1) * kTile); y0 += kRows) {
      const int rows = std::min({kRows, h - y0, (ty + 1) * kTile - y0});
      if (rows < kRows || xb - xa < kRows) {  // the last rows, or a tile too narrow for the front
        for (int y = y0; y < y0 + rows; ++y)
          for (int x = xa; x < xb; ++x) fill(y, x);
        continue;
      }
      for (int t = xa; t < xa + kRows - 1; ++t)  // the front enters the tile
        for (int j = 0; j <= t - xa; ++j) fill(y0 + j, t - j);
      for (int t = xa + kRows - 1; t < xb; ++t)  // every row on it
        for (int j = 0; j < kRows; ++j) fill(y0 + j, t - j);
      for (int t = xb; t < xb + kRows - 1; ++t)  // and leaves it
        for (int j = t - xb + 1; j < kRows; ++j) fill(y0 + j, t - j);
    }
  };
  for (int wave = 0; wave < tiles_x + tiles_y - 1; ++wave) {
    const int ty0 = std::max(0, wave - tiles_x + 1), ty1 = std::min(tiles_y - 1, wave);
    executor(m).for_ranges(static_cast<std::size_t>(ty1 - ty0 + 1), 1, [&](std::size_t k0, std::size_t k1) {
      for (std::size_t k = k0; k < k1; ++k) {
        const int ty = ty0 + static_cast<int>(k);
        fill_tile(ty, wave - ty);
      }
    });
  }
  share_.resize(static_cast<std::size_t>(grid.cells()));
  auto box = [&](const auto& t, int y0, int y1, int x0, int x1) {
    return t[static_cast<std::size_t>(y1) * W + static_cast<std::size_t>(x1)] -
           t[static_cast<std::size_t>(y0) * W + static_cast<std::size_t>(x1)] -
           t[static_cast<std::size_t>(y1) * W + static_cast<std::size_t>(x0)] +
           t[static_cast<std::size_t>(y0) * W + static_cast<std::size_t>(x0)];
  };
  executor(m).for_ranges(static_cast<std::size_t>(h), 16, [&](std::size_t ya, std::size_t yb) {
    for (auto y = static_cast<int>(ya); y < static_cast<int>(yb); ++y)
      for (int x = 0; x < w; ++x) {
        const int y0 = std::max(0, y - r), y1 = std::min(h, y + r + 1), x0 = std::max(0, x - r),
                  x1 = std::min(w, x + r + 1);
        // Where no armed spoiler is within reach the share is s / s = 1 exactly (s >= 1), so the security
        // table is read only where one is.
        const std::int32_t armed = box(arm, y0, y1, x0, x1);
        float share = 1.0f;
        if (armed != 0) {
          const double s = 1.0 + box(sec, y0, y1, x0, x1), a = armed;
          share = static_cast<float>(s / (s + a));
        }
        share_[static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x)] =
            share;
      }
  });
}

void Control::observe(const PeaceModel& m, Recorder& rec) const {
  // Citizens on the grid (not jailed, not abroad) by the zone of their cell: exactly the cells whose code is
  // a citizen's (a jailed citizen keeping its cell has the jailed code; the dead and those abroad have no
  // cell; check_invariants holds the codes to the agents). The cells are read in order, share and code side
  // by side, instead of each agent's cell at random.
  // Integer counts by fixed blocks of cells, added up in any order: the same on any number of threads.
  const std::vector<std::uint8_t>& code = m.codes();
  constexpr std::size_t kBlock = 65536;
  const std::size_t n = code.size(), blocks = (n + kBlock - 1) / kBlock;
  std::vector<std::array<std::int64_t, 5>> part(blocks, std::array<std::int64_t, 5>{});
  // Without branches: whether a cell holds a citizen is as good as random from one cell to the next.
  const float* const share = share_.empty() ? nullptr : share_.data();
  m.executor().for_ranges(blocks, 1, [&](std::size_t b0, std::size_t b1) {
    for (std::size_t b = b0; b < b1; ++b) {
      std::array<std::int64_t, 5> count{};
      const std::size_t first = b * kBlock, last = std::min(n, first + kBlock);
      for (std::size_t c = first; c < last; ++c) {
        const double s = share ? static_cast<double>(share[c]) : 1.0;  // incumbent_share(c)
        count[static_cast<std::size_t>(control_zone(s))] += cell::kind(code[c]) == cell::kCitizen;
      }
      part[b] = count;
    }
  });
  std::int64_t by_zone[5] = {0, 0, 0, 0, 0};
  for (const auto& p : part)
    for (std::size_t z = 0; z < 5; ++z) by_zone[z] += p[z];
  put(rec, 0, std::span<const std::int64_t>(zone_killings_, 5));
  put(rec, 1, std::span<const std::int64_t>(by_zone, 5));
}

void Control::save(StateWriter& w) const {
  // The share is recomputed before it is next read (Phase::BeforeAgents); the day's counts are saved so
  // that a loaded model is the saved one.
  w.put("events.zone_killings", std::span<const std::int64_t>(zone_killings_, 5));
}

void Control::load(const StateReader& r, PeaceModel&) {
  r.get_into("events.zone_killings", std::span<std::int64_t>(zone_killings_, 5));
}

void Control::memory(double cells, double, double& state, double& transient) const {
  if (!on) return;
  state += (4 + 8 + 4) * cells;  // the share per cell, the security (double) and armed (int32) tables
  (void)transient;
}

}  // namespace keepsim::peace

// The grid and the vision neighbourhood (ODD 2; docs/epstein.md). Cells are numbered row-major,
// cell = y * width + x. Every vision metric used here is symmetric in x for each row offset, so a vision is
// stored as one half-width per row offset: a cell's vision is a set of contiguous row spans. Scans walk those
// spans through byte-sized cell layers, which keeps them in cache; counting over spans can also use row
// prefix sums, which costs one subtraction per row instead of one read per cell.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace keepsim {

enum class Topology { Torus, Bounded };
enum class Metric { Euclidean, Moore, VonNeumann };

Topology parse_topology(const std::string& name);
Metric parse_metric(const std::string& name);

/// The cells within a vision radius, excluding the centre, as half-widths per row offset.
class Vision {
 public:
  Vision() = default;
  Vision(Metric metric, double radius);
  int reach() const { return reach_; }  ///< largest |dy| (and |dx|)
  /// Half-width of row offset dy, for |dy| <= reach: cells dx in [-w, w] are inside.
  int half_width(int dy) const { return half_[static_cast<std::size_t>(dy + reach_)]; }
  /// Whether the offset (dx, dy) lies within the vision, the centre (0, 0) included.
  bool covers(int dx, int dy) const { return std::abs(dy) <= reach_ && std::abs(dx) <= half_width(dy); }
  /// Number of cells in the vision (excluding the centre) on an unbounded grid.
  int size() const { return size_; }
  /// Visions at most kWindowBits cells wide (reach <= 28) also keep each row as a bit mask over the 2 reach +
  /// 1 columns from cx - reach (bit 0) to cx + reach: a query away from the grid's edges reads those columns
  /// as one word per row (BitLayer::window) and masks them, instead of cutting the row into spans.
  static constexpr int kWindowBits = 57;
  bool windowed() const { return !window_.empty(); }
  std::uint64_t window(int dy) const { return window_[static_cast<std::size_t>(dy + reach_)]; }

 private:
  int reach_ = 0;
  int size_ = 0;
  std::vector<int> half_;
  std::vector<std::uint64_t> window_;
};

class Grid {
 public:
  Grid() = default;
  Grid(int width, int height, Topology topology) : w_(width), h_(height), topo_(topology) {}
  int width() const { return w_; }
  int height() const { return h_; }
  std::int64_t cells() const { return static_cast<std::int64_t>(w_) * h_; }
  Topology topology() const { return topo_; }
  // Cell numbers fit 32 bits (sides of at most 65535): a 32-bit division is several times cheaper.
  int x(std::int64_t cell) const {
    return static_cast<int>(static_cast<std::uint32_t>(cell) % static_cast<std::uint32_t>(w_));
  }
  int y(std::int64_t cell) const {
    return static_cast<int>(static_cast<std::uint32_t>(cell) / static_cast<std::uint32_t>(w_));
  }
  /// How far apart cells a and b are along x and along y (both >= 0), the short way round on a torus.
  std::pair<int, int> offset(std::int64_t a, std::int64_t b) const {
    int dx = std::abs(x(a) - x(b)), dy = std::abs(y(a) - y(b));
    if (topo_ == Topology::Torus) dx = std::min(dx, w_ - dx), dy = std::min(dy, h_ - dy);
    return {dx, dy};
  }
  /// The squared Euclidean distance between cells a and b (offset), for "nearest"; "within sight" is sees().
  std::int64_t distance2(std::int64_t a, std::int64_t b) const {
    const auto [dx, dy] = offset(a, b);
    return static_cast<std::int64_t>(dx) * dx + static_cast<std::int64_t>(dy) * dy;
  }
  /// Whether cell c is within `vision` of cell `from` (or is `from`), by the vision's own metric.
  bool sees(std::int64_t from, std::int64_t c, const Vision& vision) const {
    const auto [dx, dy] = offset(from, c);
    return vision.covers(dx, dy);
  }

  /// Calls f(y, x0, x1, skip) for each contiguous row span of the cells within `vision` of `centre`: the
  /// cells of row y with x in [x0, x1], except x == skip (the centre, or -1). Spans come row by row (dy
  /// ascending), and within a row in ascending x of the unwrapped neighbourhood, so "the k-th cell in vision"
  /// is well defined and the same for every way of walking it.
  template <class F>
  void for_each_span(std::int64_t centre, const Vision& vision, F&& f) const {
    const int cx = x(centre);
    const int cy = y(centre);
    const int r = vision.reach();
    for (int dy = -r; dy <= r; ++dy) {
      int ny = cy + dy;
      if (ny < 0 || ny >= h_) {
        if (topo_ == Topology::Bounded) continue;
        ny = (ny + h_) % h_;
      }
      const int hw = vision.half_width(dy);
      const int skip = dy == 0 ? cx : -1;
      int x0 = cx - hw;
      int x1 = cx + hw;
      if (topo_ == Topology::Bounded) {
        f(ny, std::max(x0, 0), std::min(x1, w_ - 1), skip);
      } else if (x0 < 0) {  // wraps on the left: [x0+w, w-1] then [0, x1]
        f(ny, x0 + w_, w_ - 1, -1);
        f(ny, 0, x1, skip);
      } else if (x1 >= w_) {  // wraps on the right: [x0, w-1] then [0, x1-w]
        f(ny, x0, w_ - 1, skip);
        f(ny, 0, x1 - w_, -1);
      } else {
        f(ny, x0, x1, skip);
      }
    }
  }

  /// One row of a vision: row y, columns [a0, b0] then [a1, b1] (the second empty, b1 < a1, unless the row
  /// wraps around a torus); the same cells in the same order as for_each_span's spans of that row. `y` is -1
  /// for a row off a bounded grid.
  struct RowPart {
    int y, a0, b0, a1, b1;
  };
  RowPart row_part(int cx, int cy, const Vision& vision, int dy) const {
    int ny = cy + dy;
    if (ny < 0 || ny >= h_) {
      if (topo_ == Topology::Bounded) return {-1, 0, -1, 0, -1};
      ny = ny < 0 ? ny + h_ : ny - h_;
    }
    const int hw = vision.half_width(dy);
    const int x0 = cx - hw, x1 = cx + hw;
    if (topo_ == Topology::Bounded) return {ny, std::max(x0, 0), std::min(x1, w_ - 1), 0, -1};
    if (x0 < 0) return {ny, x0 + w_, w_ - 1, 0, x1};
    if (x1 >= w_) return {ny, x0, w_ - 1, 0, x1 - w_};
    return {ny, x0, x1, 0, -1};
  }

  /// Calls f(cell) for every cell within `vision` of `centre`, excluding the centre, in span order.
  template <class F>
  void for_each_in(std::int64_t centre, const Vision& vision, F&& f) const {
    for_each_span(centre, vision, [&](int y, int x0, int x1, int skip) {
      const std::int64_t row = static_cast<std::int64_t>(y) * w_;
      for (int xx = x0; xx <= x1; ++xx)
        if (xx != skip) f(row + xx);
    });
  }

 private:
  int w_ = 0;
  int h_ = 0;
  Topology topo_ = Topology::Torus;
};

}  // namespace keepsim

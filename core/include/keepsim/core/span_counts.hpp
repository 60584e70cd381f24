// Counting over a vision without reading every cell in it (DESIGN.md "Data-oriented agents"). Each row keeps
// prefix sums of up to four 16-bit counters packed in one 64-bit word; a vision is a set of row spans
// (grid.hpp), so a count costs one subtraction per span instead of one read per cell. The fields of a prefix
// only grow along a row, so subtracting packed words never borrows across fields. Grids up to 65535 cells
// wide.
//
// The prefix sums describe one snapshot of a cell layer: they suit schedules where everyone decides from the
// same state (the `sync` schedule), not ones where each activation changes what the next one sees.
#pragma once
#include <cstdint>
#include <vector>

#include "keepsim/core/grid.hpp"
#include "keepsim/core/parallel.hpp"

namespace keepsim {

class SpanCounts {
 public:
  static constexpr int kFields = 4;
  static std::uint64_t field(std::uint64_t packed, int f) { return (packed >> (16 * f)) & 0xFFFF; }
  static std::uint64_t one(int f) { return std::uint64_t{1} << (16 * f); }

  /// Rebuilds the prefix sums from a per-cell layer; classify(value) returns the packed counters of one cell.
  template <class Layer, class Classify>
  void build(const Grid& grid, const Layer& layer, Classify&& classify, Executor& exec) {
    grid_ = &grid;
    const auto w = static_cast<std::size_t>(grid.width());
    const auto h = static_cast<std::size_t>(grid.height());
    prefix_.resize(h * (w + 1));
    exec.for_each(
        h,
        [&](std::size_t y) {
          std::uint64_t* p = &prefix_[y * (w + 1)];
          const std::size_t row = y * w;
          p[0] = 0;
          for (std::size_t x = 0; x < w; ++x) p[x + 1] = p[x] + classify(layer[row + x]);
        },
        16);
  }

  /// The packed counters of the cells within `vision` of `centre`, the centre included.
  std::uint64_t around(std::int64_t centre, const Vision& vision) const {
    std::uint64_t sum = 0;
    grid_->for_each_span(centre, vision,
                         [&](std::int64_t row, int x0, int x1, int) { sum += span(row, x0, x1); });
    return sum;
  }

  /// The cell holding the k-th (from 0) counted item of field `f` within `vision` of `centre`, in the order
  /// of Grid::for_each_in, excluding the centre; `is_item(cell)` says whether a cell counts. -1 if there are
  /// not k+1 such cells.
  template <class IsItem>
  std::int64_t kth(std::int64_t centre, const Vision& vision, int f, std::uint64_t k,
                   IsItem&& is_item) const {
    std::int64_t found = -1;
    grid_->for_each_span(centre, vision, [&](std::int64_t row, int x0, int x1, int skip) {
      if (found >= 0) return;
      std::uint64_t n = field(span(row, x0, x1), f);
      if (skip >= x0 && skip <= x1 && is_item(row + skip)) --n;
      if (k >= n) {
        k -= n;
        return;
      }
      for (int xx = x0; xx <= x1; ++xx)
        if (xx != skip && is_item(row + xx) && k-- == 0) {
          found = row + xx;
          return;
        }
    });
    return found;
  }

  std::size_t bytes() const { return prefix_.capacity() * sizeof(std::uint64_t); }

 private:
  std::uint64_t span(std::int64_t row, int x0, int x1) const {
    const auto w = static_cast<std::int64_t>(grid_->width());
    const std::int64_t base = row / w * (w + 1);
    return prefix_[static_cast<std::size_t>(base + x1 + 1)] - prefix_[static_cast<std::size_t>(base + x0)];
  }
  const Grid* grid_ = nullptr;
  std::vector<std::uint64_t> prefix_;
};

}  // namespace keepsim

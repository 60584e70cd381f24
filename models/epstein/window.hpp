// Counting over a square (Moore) vision by separable sliding sums (docs/performance.md). For a band of rows,
// each layer's horizontal window counts of the 2r+1 rows around the current row are kept in a ring, and their
// column sums give, for every cell of the row, the number of cells of that layer within its vision, centre
// included. Advancing a row costs one new horizontal row and one add and one subtract per column, so a count
// costs a few operations per cell instead of 2r+1 span reads per agent. The k-th cell of a layer within a
// vision is found by walking the ring's counts row by row (dy ascending, the order of Grid::for_each_span)
// and then selecting the bit within that row's span, so it picks exactly the cell VisionQuery::choose would.
#pragma once
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "keepsim/core/bit_layer.hpp"
#include "keepsim/core/grid.hpp"

namespace keepsim::epstein {

template <int Layers>
class MooreWindow {
 public:
  /// Usable when the vision is a full square of reach r <= 127 (counts of a row fit a byte).
  static bool usable(const Vision& v) {
    const int side = 2 * v.reach() + 1;
    return v.reach() >= 1 && v.reach() <= 127 && v.size() == side * side - 1;
  }

  /// `member(code)` returns a bitmask saying which of the layers the cell code belongs to.
  void reset(const Grid& grid, int reach) {
    grid_ = &grid;
    r_ = reach;
    w_ = grid.width();
    side_ = 2 * r_ + 1;
    const auto w = static_cast<std::size_t>(w_);
    for (int l = 0; l < Layers; ++l) {
      ring_[l].assign(static_cast<std::size_t>(side_) * w, 0);
      sum_[l].assign(w, 0);
    }
    prefix_.assign(static_cast<std::size_t>(Layers) * (w + 1), 0);
#if defined(__SSE2__)
    columns_ = Layers == 1 && side_ <= kColumnRows;
    row_mask_ = columns_ ? (1u << side_) - 1 : 0;
    if (columns_) columns_ring_.assign(w * kColumnStride, 0);
#endif
  }

  /// Fills the ring for the rows around y0 (unwrapped rows y0-r..y0+r) and their column sums.
  template <class Member>
  void start(int y0, const std::uint8_t* code, Member&& member) {
    for (int l = 0; l < Layers; ++l) std::fill(sum_[l].begin(), sum_[l].end(), std::uint16_t{0});
    for (int yy = y0 - r_; yy <= y0 + r_; ++yy) {
      horizontal(yy, code, member);
      for (int l = 0; l < Layers; ++l) add_row(l, yy, +1);
    }
    y_ = y0;
    top_slot_ = slot_of(y_ - r_);
  }

  /// Moves the window from row y to y + 1.
  template <class Member>
  void advance(const std::uint8_t* code, Member&& member) {
    for (int l = 0; l < Layers; ++l) add_row(l, y_ - r_, -1);
    horizontal(y_ + r_ + 1, code, member);
    for (int l = 0; l < Layers; ++l) add_row(l, y_ + r_ + 1, +1);
    ++y_;
    top_slot_ = slot_of(y_ - r_);
  }

  /// Cells of layer l within the vision of (current row, x), centre included.
  int count(int l, int x) const {
    return sum_[l][static_cast<std::size_t>(x)];
  }

  /// The k-th (from 0) set cell of `layer` (whose bits are layer l of this window) within the vision of
  /// (current row, x), in Grid::for_each_span order; the centre must not be set. Requires k < count(l, x).
  /// The offset (dy, dx) from (current row, x) of the k-th (from 0) set cell of `layer` (whose bits are layer
  /// l of this window) within the vision, in Grid::for_each_span order; the centre must not be set. Requires
  /// k < count(l, x).
  [[gnu::always_inline]] std::pair<int, int> kth_offset(int l, const BitLayer& layer, int x, int k) const {
#if defined(__SSE2__)
    if (columns_ && x >= r_ && x + r_ < w_) return kth_offset_columns(layer, x, k);
#endif
    // Down the ring's column x from row y-r, without a division per row.
    const std::uint8_t* const begin = ring_[l].data() + x;
    const std::uint8_t* const end = begin + static_cast<std::size_t>(side_) * static_cast<std::size_t>(w_);
    const std::uint8_t* p = begin + static_cast<std::size_t>(slot_of(y_ - r_)) * static_cast<std::size_t>(w_);
    int dy = -r_;
    for (;; ++dy) {
      if (k < *p) break;
      k -= *p;
      p += w_;
      if (p == end) p = begin;
    }
    const int h = grid_->height();
    int ny = y_ + dy;
    ny += ny < 0 ? h : (ny >= h ? -h : 0);
    const int x0 = x - r_, x1 = x + r_;
    if (grid_->topology() == Topology::Bounded)
      return {dy, layer.kth(ny, std::max(x0, 0), std::min(x1, w_ - 1), k) - x};
    if (x0 < 0) {  // wraps on the left: [x0 + w, w - 1], then [0, x1]
      const int first = layer.count(ny, x0 + w_, w_ - 1);
      if (k < first) return {dy, layer.kth(ny, x0 + w_, w_ - 1, k) - w_ - x};
      return {dy, layer.kth(ny, 0, x1, k - first) - x};
    }
    if (x1 >= w_) {  // wraps on the right: [x0, w - 1], then [0, x1 - w]
      const int first = layer.count(ny, x0, w_ - 1);
      if (k < first) return {dy, layer.kth(ny, x0, w_ - 1, k) - x};
      return {dy, layer.kth(ny, 0, x1 - w_, k - first) + w_ - x};
    }
    return {dy, layer.kth(ny, x0, x1, k) - x};
  }

  /// The cell of kth_offset().
  std::int64_t kth(int l, const BitLayer& layer, int x, int k) const {
    const auto [dy, dx] = kth_offset(l, layer, x, k);
    const int h = grid_->height();
    int ny = y_ + dy, nx = x + dx;
    ny += ny < 0 ? h : (ny >= h ? -h : 0);
    nx += nx < 0 ? w_ : (nx >= w_ ? -w_ : 0);
    return static_cast<std::int64_t>(ny) * w_ + nx;
  }

 private:
#if defined(__SSE2__)
  /// kth_offset() for layer 0 away from the left and right edges, when the ring has at most 15 rows: the
  /// column's counts, in row order, are one 16-byte load; their running sums (at most 15 x 15, a byte each)
  /// are compared with k all at once, and the row's span is one word of bits. No branch depends on the data,
  /// and the cell chosen is the one the row-by-row walk below would choose.
  [[gnu::always_inline]] std::pair<int, int> kth_offset_columns(const BitLayer& layer, int x, int k) const {
    const std::uint8_t* col = columns_ring_.data() + static_cast<std::size_t>(x) * kColumnStride + top_slot_;
    const __m128i counts = _mm_loadu_si128(reinterpret_cast<const __m128i*>(col));
    __m128i sums = _mm_add_epi8(counts, _mm_slli_si128(counts, 1));
    sums = _mm_add_epi8(sums, _mm_slli_si128(sums, 2));
    sums = _mm_add_epi8(sums, _mm_slli_si128(sums, 4));
    sums = _mm_add_epi8(sums, _mm_slli_si128(sums, 8));
    const __m128i kv = _mm_set1_epi8(static_cast<char>(k));
    // Rows whose running sum is at most k come before the chosen row (sums <= k: max(sums, k) == k).
    const auto before =
        static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(sums, kv), kv))) & row_mask_;
    const int i = std::popcount(before);
    alignas(16) std::uint8_t earlier[16];  // running sums of the rows before each row
    _mm_store_si128(reinterpret_cast<__m128i*>(earlier), _mm_sub_epi8(sums, counts));
    k -= earlier[i];
    const int dy = i - r_;
    const int h = grid_->height();
    int ny = y_ + dy;
    ny += ny < 0 ? h : (ny >= h ? -h : 0);
    const auto span = static_cast<std::uint32_t>(layer.bits(ny, x - r_, side_));
    return {dy, select16(span, k) - r_};
  }
#endif

  int slot_of(int yy) const {
    return (yy + r_ + side_ * 4) % side_;
  }
  std::uint8_t* row(int l, int yy) {
    return &ring_[l][static_cast<std::size_t>(slot_of(yy)) * static_cast<std::size_t>(w_)];
  }

  void add_row(int l, int yy, int sign) {
    const std::uint8_t* __restrict hr = row(l, yy);
    std::uint16_t* __restrict s = sum_[l].data();
    if (sign > 0)
      for (int x = 0; x < w_; ++x) s[x] = static_cast<std::uint16_t>(s[x] + hr[x]);
    else
      for (int x = 0; x < w_; ++x) s[x] = static_cast<std::uint16_t>(s[x] - hr[x]);
  }

  /// Horizontal window counts of unwrapped row yy into its ring slot (zeros for a row off a bounded grid).
  template <class Member>
  void horizontal(int yy, const std::uint8_t* code, Member&& member) {
    const int h = grid_->height();
    const bool bounded = grid_->topology() == Topology::Bounded;
    if (bounded && (yy < 0 || yy >= h)) {
      for (int l = 0; l < Layers; ++l) std::fill_n(row(l, yy), w_, std::uint8_t{0});
      to_columns(yy);
      return;
    }
    const int ny = (yy % h + h) % h;
    const std::uint8_t* c = code + static_cast<std::size_t>(ny) * static_cast<std::size_t>(w_);
    const auto stride = static_cast<std::size_t>(w_) + 1;
    std::array<std::uint16_t*, Layers> pre;
    for (int l = 0; l < Layers; ++l) pre[l] = &prefix_[static_cast<std::size_t>(l) * stride];
    std::array<std::uint16_t, Layers> acc{};
    for (int x = 0; x < w_; ++x) {
      const unsigned m = member(c[x]);
      for (int l = 0; l < Layers; ++l) {
        pre[l][x] = acc[l];
        acc[l] = static_cast<std::uint16_t>(acc[l] + ((m >> l) & 1u));
      }
    }
    for (int l = 0; l < Layers; ++l) {
      std::uint16_t* p = pre[l];
      p[w_] = acc[l];
      std::uint8_t* out = row(l, yy);
      const int total = p[w_];
      // Left edge (wraps or clips), middle, right edge.
      const int left_end = std::min(r_, w_), right_start = std::max(left_end, w_ - r_);
      for (int x = 0; x < left_end; ++x) {
        const int hi = std::min(x + r_, w_ - 1) + 1;
        int n = p[hi];
        if (!bounded) n += total - p[x - r_ + w_];
        if (!bounded && x + r_ >= w_) n += p[x + r_ - w_ + 1];
        out[x] = static_cast<std::uint8_t>(n);
      }
      {  // the bulk of the row: one subtraction per cell, vectorised (the pointers do not alias)
        const std::uint16_t* __restrict lo = p + (left_end - r_);
        const std::uint16_t* __restrict hi = p + (left_end + r_ + 1);
        std::uint8_t* __restrict o = out + left_end;
        const int n = right_start - left_end;
        for (int i = 0; i < n; ++i) o[i] = static_cast<std::uint8_t>(hi[i] - lo[i]);
      }
      for (int x = right_start; x < w_; ++x) {
        int n = total - p[std::max(x - r_, 0)];
        if (!bounded && x - r_ < 0) n += total - p[x - r_ + w_];
        if (!bounded) n += p[x + r_ - w_ + 1];
        out[x] = static_cast<std::uint8_t>(n);
      }
    }
    to_columns(yy);
  }

  /// Copies layer 0's counts of unwrapped row yy into the column-major ring, twice (at its slot and at its
  /// slot + side), so that the 16 bytes from any top slot hold the ring's rows in order.
  void to_columns(int yy) {
    if (!columns_) return;
    const std::uint8_t* in = row(0, yy);
    const auto s = static_cast<std::size_t>(slot_of(yy));
    std::uint8_t* out = columns_ring_.data();
    for (int x = 0; x < w_; ++x, out += kColumnStride) {
      out[s] = in[x];
      out[s + static_cast<std::size_t>(side_)] = in[x];
    }
  }

  static constexpr int kColumnRows = 15;            ///< the column ring holds rings of at most 15 rows
  static constexpr std::size_t kColumnStride = 32;  ///< bytes per column: the ring twice, padded
  const Grid* grid_ = nullptr;
  int r_ = 0, w_ = 0, side_ = 1, y_ = 0, top_slot_ = 0;
  bool columns_ = false;        ///< the column-major ring of layer 0 is kept (kth_offset_columns)
  std::uint32_t row_mask_ = 0;  ///< the low side_ bits: the ring's rows within a 16-byte load
  std::vector<std::uint8_t> columns_ring_;
  std::array<std::vector<std::uint8_t>, Layers> ring_;
  std::array<std::vector<std::uint16_t>, Layers> sum_;
  std::vector<std::uint16_t> prefix_;
};

}  // namespace keepsim::epstein

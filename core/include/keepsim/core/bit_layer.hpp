// One bit per cell, rows padded to whole 64-bit words (docs/design.md). A vision is a set
// of row spans (grid.hpp), so counting the cells of a kind within it is one or two popcounts per span, and
// finding the k-th such cell is a bit-select in one word, instead of one read per cell. Layers are kept
// current on every change, so they serve the sequential schedule (where each activation sees the last) as
// well as the parallel one. Bits are set and cleared atomically, because neighbouring cells share a word and
// the parallel schedule changes distinct cells from several threads at once.
#pragma once
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "keepsim/core/grid.hpp"

namespace keepsim {

/// kSelect.pos[b][k]: the position of the k-th (from 0) set bit of byte b (0 where b has fewer bits).
struct SelectTable {
  std::uint8_t pos[256][8];
  constexpr SelectTable() : pos{} {
    for (int b = 0; b < 256; ++b)
      for (int i = 0, k = 0; i < 8; ++i)
        if ((b >> i) & 1) pos[b][k++] = static_cast<std::uint8_t>(i);
  }
};
inline constexpr SelectTable kSelect{};

/// Position of the k-th (from 0) set bit of a 16-bit value; requires k < popcount(v). One table read, no
/// branch on the data (the byte is chosen by conditional moves).
inline int select16(std::uint32_t v, int k) {
  const int in_lo = std::popcount(v & 0xffu);
  const auto high = static_cast<std::uint32_t>(k >= in_lo);  // 0 or 1, used as a number, not a branch
  const std::uint32_t byte = (v >> (8 * high)) & 0xffu;
  return kSelect.pos[byte][k - (in_lo & -static_cast<int>(high))] + 8 * static_cast<int>(high);
}

/// Position of the k-th (from 0) set bit of v; requires k < popcount(v). Broadword: the bytes' running
/// popcounts are compared with k all at once to find the byte, then a table gives the bit; no branch.
inline int select64(std::uint64_t v, int k) {
  constexpr std::uint64_t kOnes = 0x0101010101010101, kHigh = 0x8080808080808080;
  std::uint64_t s = v - ((v >> 1) & 0x5555555555555555);
  s = (s & 0x3333333333333333) + ((s >> 2) & 0x3333333333333333);
  s = (s + (s >> 4)) & 0x0f0f0f0f0f0f0f0f;
  const std::uint64_t running = s * kOnes;  // byte i: set bits in bytes 0..i (at most 64)
  // High bit of byte i set when running_i > k (no borrow between bytes: 128 + running_i > k + 1).
  const std::uint64_t above = ((running | kHigh) - static_cast<std::uint64_t>(k + 1) * kOnes) & kHigh;
  const int byte = std::countr_zero(above) >> 3;
  const auto before = static_cast<int>(((running << 8) >> (8 * byte)) & 0xff);  // running of byte - 1
  return 8 * byte + kSelect.pos[(v >> (8 * byte)) & 0xff][k - before];
}

class BitLayer {
 public:
  void reset(const Grid& grid) {
    w_ = grid.width();
    words_ = (w_ + 63) / 64;
    // One word more than the rows need, so that bits() may read the word after a row's last.
    const std::size_t n = static_cast<std::size_t>(words_) * static_cast<std::size_t>(grid.height()) + 1;
    bits_.assign(n, 0);
  }

  /// Sets every bit (padding bits too: queries never look past a row's last column).
  void fill() { std::fill(bits_.begin(), bits_.end(), ~std::uint64_t{0}); }

  bool test(std::int64_t cell) const {
    const Spot s = spot(cell);
    return (bits_[s.word] & s.mask) != 0;
  }
  bool test(int y, int x) const {
    return (bits_[static_cast<std::size_t>(y) * static_cast<std::size_t>(words_) +
                  static_cast<std::size_t>(x >> 6)] >>
            (x & 63)) &
           1u;
  }
  void set(std::int64_t cell) { assign(spot(cell), true); }
  void clear(std::int64_t cell) { assign(spot(cell), false); }
  /// Where a cell's bit is: its word and mask, the same in every layer of one grid, so a cell that changes in
  /// several layers costs one division.
  struct Spot {
    std::size_t word;
    std::uint64_t mask;
  };
  Spot spot(std::int64_t cell) const {
    const auto c = static_cast<std::uint32_t>(cell);  // a grid has fewer than 2^32 cells (sides <= 65535)
    const auto w = static_cast<std::uint32_t>(w_);
    const std::uint32_t y = c / w, x = c - y * w;
    return {static_cast<std::size_t>(y) * static_cast<std::size_t>(words_) + (x >> 6),
            std::uint64_t{1} << (x & 63)};
  }
  void assign_plain(Spot s, bool on) {
    std::uint64_t& w = bits_[s.word];
    w = on ? (w | s.mask) : (w & ~s.mask);
  }
  void assign(Spot s, bool on) {
    std::atomic_ref<std::uint64_t> w(bits_[s.word]);
    if (on)
      w.fetch_or(s.mask, std::memory_order_relaxed);
    else
      w.fetch_and(~s.mask, std::memory_order_relaxed);
  }

  /// Sets or clears one bit with a plain read-modify-write, for phases where no other thread touches the
  /// layer.
  void assign_plain(std::int64_t cell, bool on) { assign_plain(spot(cell), on); }
  /// Sets or clears one bit with one atomic operation and no plain read: other threads may be changing other
  /// bits of the same word in the same phase (ThreadSanitizer caught a read-then-write version of this).
  void assign(std::int64_t cell, bool on) { assign(spot(cell), on); }

  /// Set bits of row y in columns [x0, x1].
  int count(int y, int x0, int x1) const {
    const std::uint64_t* row = &bits_[static_cast<std::size_t>(y) * static_cast<std::size_t>(words_)];
    const int a = x0 >> 6, b = x1 >> 6;
    const std::uint64_t lo = ~std::uint64_t{0} << (x0 & 63);
    const std::uint64_t hi = ~std::uint64_t{0} >> (63 - (x1 & 63));
    if (a == b) return std::popcount(row[a] & lo & hi);
    int n = std::popcount(row[a] & lo) + std::popcount(row[b] & hi);
    for (int i = a + 1; i < b; ++i) n += std::popcount(row[i]);
    return n;
  }

  /// Set bits of row y in [x0, x1] in this layer and in `other` (same grid), sharing the masks.
  std::pair<int, int> count_pair(const BitLayer& other, int y, int x0, int x1) const {
    const std::size_t base = static_cast<std::size_t>(y) * static_cast<std::size_t>(words_);
    const std::uint64_t* r = &bits_[base];
    const std::uint64_t* o = &other.bits_[base];
    const int a = x0 >> 6, b = x1 >> 6;
    const std::uint64_t lo = ~std::uint64_t{0} << (x0 & 63);
    const std::uint64_t hi = ~std::uint64_t{0} >> (63 - (x1 & 63));
    if (a == b) return {std::popcount(r[a] & lo & hi), std::popcount(o[a] & lo & hi)};
    int n = std::popcount(r[a] & lo) + std::popcount(r[b] & hi);
    int m = std::popcount(o[a] & lo) + std::popcount(o[b] & hi);
    for (int i = a + 1; i < b; ++i) {
      n += std::popcount(r[i]);
      m += std::popcount(o[i]);
    }
    return {n, m};
  }

  /// Column of the k-th (from 0) set bit of row y in [x0, x1]; requires k < count(y, x0, x1).
  int kth(int y, int x0, int x1, int k) const {
    const std::uint64_t* row = &bits_[static_cast<std::size_t>(y) * static_cast<std::size_t>(words_)];
    for (int i = x0 >> 6; i <= (x1 >> 6); ++i) {
      std::uint64_t v = row[i];
      if (i == (x0 >> 6)) v &= ~std::uint64_t{0} << (x0 & 63);
      if (i == (x1 >> 6)) v &= ~std::uint64_t{0} >> (63 - (x1 & 63));
      const int n = std::popcount(v);
      if (k >= n) {
        k -= n;
        continue;
      }
      return i * 64 + select64(v, k);
    }
    return -1;
  }

  /// Bits x0 .. x0 + n - 1 of row y as the low n bits of a word (bit 0: column x0); requires 0 <= x0,
  /// x0 + n <= width and n <= 57. Two word reads and shifts, no branch.
  std::uint64_t bits(int y, int x0, int n) const { return window(y, x0) & ((std::uint64_t{1} << n) - 1); }

  /// Bits of row y from column x0 on as a word (bit 0: column x0), of which the low 57 are columns x0 ..
  /// x0 + 56 and the rest whatever follows: the caller masks them (a vision's Vision::window rows). Requires
  /// 0 <= x0 < width.
  std::uint64_t window(int y, int x0) const {
    const std::uint64_t* p = &bits_[static_cast<std::size_t>(y) * static_cast<std::size_t>(words_) +
                                    static_cast<std::size_t>(x0 >> 6)];
    const unsigned sh = static_cast<unsigned>(x0) & 63u;
    return (p[0] >> sh) | ((p[1] << 1) << (63u - sh));  // no shift by 64 when sh = 0
  }

  /// Calls f(x) for each set bit of row y in [x0, x1], in ascending x.
  template <class F>
  void for_each_set(int y, int x0, int x1, F&& f) const {
    const std::uint64_t* row = &bits_[static_cast<std::size_t>(y) * static_cast<std::size_t>(words_)];
    for (int i = x0 >> 6; i <= (x1 >> 6); ++i) {
      std::uint64_t v = row[i];
      if (i == (x0 >> 6)) v &= ~std::uint64_t{0} << (x0 & 63);
      if (i == (x1 >> 6)) v &= ~std::uint64_t{0} >> (63 - (x1 & 63));
      for (; v != 0; v &= v - 1) f(i * 64 + std::countr_zero(v));
    }
  }

  /// The words of row y (words_per_row() of them), for rebuilding a layer a row at a time without atomics
  /// when each row belongs to one thread.
  std::uint64_t* row_words(int y) {
    return &bits_[static_cast<std::size_t>(y) * static_cast<std::size_t>(words_)];
  }
  const std::uint64_t* row_words(int y) const {
    return &bits_[static_cast<std::size_t>(y) * static_cast<std::size_t>(words_)];
  }
  int words_per_row() const { return words_; }

  bool any() const {
    return std::any_of(bits_.begin(), bits_.end(), [](std::uint64_t w) { return w != 0; });
  }

  std::size_t bytes() const { return bits_.capacity() * sizeof(std::uint64_t); }

 private:
  int w_ = 1, words_ = 1;
  std::vector<std::uint64_t> bits_;
};

/// Counting and choosing within a vision over one bit layer, in Grid::for_each_in order, excluding the
/// centre.
class VisionQuery {
 public:
  explicit VisionQuery(const Grid& grid) : grid_(&grid) {}

  int count(const BitLayer& layer, std::int64_t centre, const Vision& vision) const {
    const int cx = grid_->x(centre), cy = grid_->y(centre), r = vision.reach();
    if (interior(cx, cy, vision)) {
      int n = -static_cast<int>(layer.test(cy, cx));
      for (int dy = -r; dy <= r; ++dy) n += std::popcount(layer.window(cy + dy, cx - r) & vision.window(dy));
      return n;
    }
    if (narrow(vision)) {
      int n = -static_cast<int>(layer.test(cy, cx));
      for (int dy = -r; dy <= r; ++dy) {
        const Masks m = masks(cx, cy, vision, dy);
        if (m.y >= 0) n += std::popcount(*layer.row_words(m.y) & (m.first | m.second));
      }
      return n;
    }
    int n = -static_cast<int>(layer.test(cy, cx));
    for (int dy = -r; dy <= r; ++dy) {
      const Grid::RowPart p = grid_->row_part(cx, cy, vision, dy);
      if (p.y < 0) continue;
      n += layer.count(p.y, p.a0, p.b0);
      if (p.b1 >= p.a1) n += layer.count(p.y, p.a1, p.b1);
    }
    return n;
  }

  /// Counts of two layers in one walk over the vision (a decision needs both cops and actives).
  std::pair<int, int> count2(const BitLayer& a, const BitLayer& b, std::int64_t centre,
                             const Vision& vision) const {
    const int cx = grid_->x(centre), cy = grid_->y(centre), r = vision.reach();
    int na = -static_cast<int>(a.test(cy, cx)), nb = -static_cast<int>(b.test(cy, cx));
    if (interior(cx, cy, vision)) {
      for (int dy = -r; dy <= r; ++dy) {
        const std::uint64_t m = vision.window(dy);
        na += std::popcount(a.window(cy + dy, cx - r) & m);
        nb += std::popcount(b.window(cy + dy, cx - r) & m);
      }
      return {na, nb};
    }
    if (narrow(vision)) {
      for (int dy = -r; dy <= r; ++dy) {
        const Masks m = masks(cx, cy, vision, dy);
        if (m.y < 0) continue;
        const std::uint64_t both = m.first | m.second;
        na += std::popcount(*a.row_words(m.y) & both);
        nb += std::popcount(*b.row_words(m.y) & both);
      }
      return {na, nb};
    }
    for (int dy = -r; dy <= r; ++dy) {
      const Grid::RowPart p = grid_->row_part(cx, cy, vision, dy);
      if (p.y < 0) continue;
      auto [ca, cb] = a.count_pair(b, p.y, p.a0, p.b0);
      if (p.b1 >= p.a1) {
        const auto [da, db] = a.count_pair(b, p.y, p.a1, p.b1);
        ca += da;
        cb += db;
      }
      na += ca;
      nb += cb;
    }
    return {na, nb};
  }

  /// Asks the caches for the words of `layers` that a query over `vision` around `centre` will read (rows
  /// clamped to the grid: on a torus the wrapped rows are not asked for). A hint only, changing no value;
  /// forced inline because a prefetch has no effect a compiler tracks, and GCC 12 drops the calls of an
  /// out-of-line helper that does nothing else.
  __attribute__((always_inline)) void prefetch(std::span<const BitLayer* const> layers, std::int64_t centre,
                                               const Vision& vision) const {
    const int cx = grid_->x(centre), cy = grid_->y(centre), r = vision.reach();
    const int x0 = std::max(0, cx - r) >> 6, x1 = std::min(grid_->width() - 1, cx + r) >> 6;
    for (int y = std::max(0, cy - r); y <= std::min(grid_->height() - 1, cy + r); ++y)
      for (const BitLayer* layer : layers) {
        const std::uint64_t* row = layer->row_words(y);
        __builtin_prefetch(row + x0);
        if (x1 != x0) __builtin_prefetch(row + x1);
      }
  }

  /// Calls f(cell) for every set cell within vision (excluding the centre), in Grid::for_each_in order. Cheap
  /// for sparse layers: it visits set bits only.
  template <class F>
  void for_each(const BitLayer& layer, std::int64_t centre, const Vision& vision, F&& f) const {
    const std::int64_t w = grid_->width();
    if (const int cx = grid_->x(centre), cy = grid_->y(centre); interior(cx, cy, vision)) {
      const int r = vision.reach();
      for (int dy = -r; dy <= r; ++dy) {
        std::uint64_t v = layer.window(cy + dy, cx - r) & vision.window(dy);
        if (dy == 0) v &= ~(std::uint64_t{1} << r);
        const std::int64_t base = static_cast<std::int64_t>(cy + dy) * w + (cx - r);
        for (; v != 0; v &= v - 1) f(base + std::countr_zero(v));
      }
      return;
    }
    grid_->for_each_span(centre, vision, [&](int y, int x0, int x1, int skip) {
      layer.for_each_set(y, x0, x1, [&](int x) {
        if (x != skip) f(static_cast<std::int64_t>(y) * w + x);
      });
    });
  }

  /// A uniformly random set cell within vision, or -1 when there is none. `draw(n)` is called only when there
  /// are n > 0 candidates and returns an index in [0, n): the same draw and the same cell as picking from a
  /// list of the candidates in Grid::for_each_in order. One walk over the vision: the span counts are kept
  /// and the chosen span is then searched.
  template <class Draw>
  std::int64_t choose(const BitLayer& layer, std::int64_t centre, const Vision& vision, Draw&& draw) const {
    const int cx = grid_->x(centre), cy = grid_->y(centre), r = vision.reach();
    if (interior(cx, cy, vision)) return choose_interior(layer, cx, cy, vision, draw);
    if (narrow(vision)) return choose_narrow(layer, cx, cy, vision, draw);
    const bool centre_set = layer.test(cy, cx);
    // Candidates per row (rows of a vision of reach <= 127 on the stack, wider ones on the heap).
    constexpr int kStackRows = 255;
    int stack_rows[kStackRows];
    std::vector<int> heap_rows;
    int* per_row = stack_rows;
    if (2 * r + 1 > kStackRows) {
      heap_rows.resize(static_cast<std::size_t>(2 * r + 1));
      per_row = heap_rows.data();
    }
    int total = 0;
    for (int dy = -r; dy <= r; ++dy) {
      const Grid::RowPart p = grid_->row_part(cx, cy, vision, dy);
      int n = 0;
      if (p.y >= 0) {
        n = layer.count(p.y, p.a0, p.b0);
        if (p.b1 >= p.a1) n += layer.count(p.y, p.a1, p.b1);
        if (dy == 0 && centre_set) --n;
      }
      per_row[dy + r] = n;
      total += n;
    }
    if (total == 0) return -1;
    int k = static_cast<int>(draw(static_cast<std::uint32_t>(total)));
    int dy = -r;
    for (; k >= per_row[dy + r]; ++dy) k -= per_row[dy + r];
    const Grid::RowPart p = grid_->row_part(cx, cy, vision, dy);
    const int skip = dy == 0 && centre_set ? cx : -1;
    const std::int64_t base = static_cast<std::int64_t>(p.y) * grid_->width();
    for (int part = 0; part < 2; ++part) {
      const int x0 = part == 0 ? p.a0 : p.a1, x1 = part == 0 ? p.b0 : p.b1;
      if (x1 < x0) continue;
      const bool skips = skip >= x0 && skip <= x1;
      const int n = layer.count(p.y, x0, x1) - (skips ? 1 : 0);
      if (k >= n) {
        k -= n;
        continue;
      }
      // A set centre is not a candidate: if it lies at or before the k-th set bit, take the next one.
      int x = layer.kth(p.y, x0, x1, k);
      if (skips && x >= skip) x = layer.kth(p.y, x0, x1, k + 1);
      return base + x;
    }
    return -1;
  }

 private:
  /// Grids whose rows are one word (width <= 64) and visions no wider than the grid: a row's cells within
  /// vision are two masks of that word, the span walked first and the one walked second (Grid::row_part), so
  /// a row costs a popcount or two instead of a walk over words.
  bool narrow(const Vision& vision) const {
    return grid_->width() <= 64 && 2 * vision.reach() + 1 <= grid_->width();
  }
  struct Masks {
    int y;
    std::uint64_t first, second;
  };
  static std::uint64_t span(int a, int b) { return b < a ? 0 : (~std::uint64_t{0} >> (63 - (b - a))) << a; }
  Masks masks(int cx, int cy, const Vision& vision, int dy) const {
    const Grid::RowPart p = grid_->row_part(cx, cy, vision, dy);
    if (p.y < 0) return {-1, 0, 0};
    return {p.y, span(p.a0, p.b0), span(p.a1, p.b1)};
  }
  static int kth_bit(std::uint64_t v, int k) { return select64(v, k); }

  /// Whether the vision around (cx, cy) lies wholly inside the grid and is narrow enough for one word a row
  /// (Vision::window): then its rows are neither cut by an edge nor wrapped, and each is one masked word
  /// whose bits run in ascending x, the order of Grid::for_each_in.
  bool interior(int cx, int cy, const Vision& vision) const {
    const int r = vision.reach();
    return vision.windowed() && cx >= r && cy >= r && cx + r < grid_->width() && cy + r < grid_->height();
  }

  /// choose() away from the edges: the masked words of the rows, the centre taken out, then the same walk.
  template <class Draw>
  std::int64_t choose_interior(const BitLayer& layer, int cx, int cy, const Vision& vision,
                               Draw&& draw) const {
    const int r = vision.reach();
    constexpr int kRows = Vision::kWindowBits;  // 2 * reach + 1 <= kWindowBits
    std::uint64_t row[kRows];
    int total = 0;
    for (int dy = -r; dy <= r; ++dy) {
      std::uint64_t v = layer.window(cy + dy, cx - r) & vision.window(dy);
      if (dy == 0) v &= ~(std::uint64_t{1} << r);
      row[dy + r] = v;
      total += std::popcount(v);
    }
    if (total == 0) return -1;
    int k = static_cast<int>(draw(static_cast<std::uint32_t>(total)));
    for (int i = 0;; ++i) {
      const int n = std::popcount(row[i]);
      if (k < n)
        return static_cast<std::int64_t>(cy - r + i) * grid_->width() + (cx - r) + kth_bit(row[i], k);
      k -= n;
    }
  }

  /// choose() on a narrow grid: the centre is taken out of its row's masks, then the same walk.
  template <class Draw>
  std::int64_t choose_narrow(const BitLayer& layer, int cx, int cy, const Vision& vision, Draw&& draw) const {
    const int r = vision.reach();
    constexpr int kRows = 65;  // 2 * reach + 1 <= width <= 64
    std::uint64_t first[kRows], second[kRows];
    int rows[kRows];
    int total = 0;
    for (int dy = -r; dy <= r; ++dy) {
      Masks m = masks(cx, cy, vision, dy);
      const auto i = static_cast<std::size_t>(dy + r);
      rows[i] = m.y;
      if (m.y < 0) {
        first[i] = second[i] = 0;
        continue;
      }
      const std::uint64_t word = *layer.row_words(m.y);
      if (dy == 0) {
        m.first &= ~(std::uint64_t{1} << cx);
        m.second &= ~(std::uint64_t{1} << cx);
      }
      first[i] = word & m.first;
      second[i] = word & m.second;
      total += std::popcount(first[i]) + std::popcount(second[i]);
    }
    if (total == 0) return -1;
    int k = static_cast<int>(draw(static_cast<std::uint32_t>(total)));
    for (std::size_t i = 0;; ++i) {
      for (const std::uint64_t part : {first[i], second[i]}) {
        const int n = std::popcount(part);
        if (k < n) return static_cast<std::int64_t>(rows[i]) * grid_->width() + kth_bit(part, k);
        k -= n;
      }
    }
  }

  const Grid* grid_;
};

}  // namespace keepsim

// The one place keepsim runs loops in parallel. Results never depend on it: every parallel loop writes only
// what its index owns, or combines claims with an order-free minimum, so any split of the range gives the
// same state.
//
// The normal build uses a oneTBB task arena. The ThreadSanitizer build (KEEPSIM_STD_THREADS) uses plain
// std::thread fork-join instead: Debian's libtbb is not instrumented, so TSan cannot see its synchronisation
// and reports races inside TBB's scheduler; with std::thread every report is about keepsim's own code.
#pragma once
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#ifndef KEEPSIM_STD_THREADS
#include <tbb/blocked_range.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#endif

namespace keepsim {

/// Lowers `slot` to `priority` when that is smaller, atomically, so that of several threads claiming one slot
/// the smallest priority is left whichever comes first (the sync schedules' cell and victim claims).
inline void claim_min(std::uint64_t& slot, std::uint64_t priority) {
  std::atomic_ref<std::uint64_t> ref(slot);
  std::uint64_t seen = ref.load(std::memory_order_relaxed);
  while (priority < seen && !ref.compare_exchange_weak(seen, priority, std::memory_order_relaxed)) {
  }
}

class Executor {
 public:
  /// `threads` <= 0: every core.
  explicit Executor(int threads) {
#ifdef KEEPSIM_STD_THREADS
    threads_ = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
#else
    arena_ = std::make_unique<tbb::task_arena>(threads > 0 ? threads : tbb::info::default_concurrency());
    threads_ = arena_->max_concurrency();
#endif
  }
  int threads() const {
    return threads_;
  }

  /// Calls body(begin, end) over disjoint sub-ranges covering [0, n), at least `grain` long where possible.
  template <class Body>
  void for_ranges(std::size_t n, std::size_t grain, Body&& body) {
    if (n == 0) return;
#ifdef KEEPSIM_STD_THREADS
    const std::size_t parts =
        std::min<std::size_t>(static_cast<std::size_t>(threads_), (n + grain - 1) / grain);
    std::vector<std::thread> workers;
    for (std::size_t p = 1; p < parts; ++p)
      workers.emplace_back([&, p] { body(n * p / parts, n * (p + 1) / parts); });
    body(0, n / parts);
    for (auto& w : workers) w.join();
#else
    arena_->execute([&] {
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, grain),
                        [&](const tbb::blocked_range<std::size_t>& r) { body(r.begin(), r.end()); });
    });
#endif
  }

  /// Calls f(i) for every i in [0, n).
  template <class F>
  void for_each(std::size_t n, F&& f, std::size_t grain = 1024) {
    for_ranges(n, grain, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) f(i);
    });
  }

  /// The ids in [0, n) for which keep(i) holds, in ascending order, into `out`: each fixed block of ids is
  /// tested in parallel into its own words of a bit mask and counted, then each block writes its ids at its
  /// place in `out`, so the list is the same on any number of threads. keep(i) is called exactly once for
  /// each i (it may change agent i's own state). A pass that must run in id order then visits only the few
  /// ids with something to do. The mask costs a bit an id; `out` is sized once to what was found (lists per
  /// block joined by appending held the ids two or three times over at the peak: docs/performance.md).
  template <class Keep>
  void ids_where(std::size_t n, Keep&& keep, std::vector<std::uint32_t>& out) {
    constexpr std::size_t kBlock = 16384;  // a multiple of 64: no two blocks write one word of the mask
    const std::size_t blocks = (n + kBlock - 1) / kBlock;
    std::vector<std::uint64_t> mask((n + 63) / 64);
    std::vector<std::size_t> first(blocks + 1, 0);
    for_ranges(blocks, 1, [&](std::size_t b0, std::size_t b1) {
      for (std::size_t b = b0; b < b1; ++b) {
        const std::size_t lo = b * kBlock, hi = std::min(n, lo + kBlock);
        std::size_t found = 0;
        for (std::size_t w = lo; w < hi; w += 64) {
          const std::size_t end = std::min(hi, w + 64);
          std::uint64_t bits = 0;
          for (std::size_t i = w; i < end; ++i)
            bits |= static_cast<std::uint64_t>(keep(i) ? 1 : 0) << (i - w);
          mask[w / 64] = bits;
          found += static_cast<std::size_t>(std::popcount(bits));
        }
        first[b + 1] = found;
      }
    });
    for (std::size_t b = 0; b < blocks; ++b) first[b + 1] += first[b];
    out.clear();
    out.resize(first[blocks]);
    for_ranges(blocks, 1, [&](std::size_t b0, std::size_t b1) {
      for (std::size_t b = b0; b < b1; ++b) {
        std::uint32_t* to = out.data() + first[b];
        const std::size_t w1 = (std::min(n, (b + 1) * kBlock) + 63) / 64;
        for (std::size_t w = b * kBlock / 64; w < w1; ++w)
          for (std::uint64_t bits = mask[w]; bits != 0; bits &= bits - 1)
            *to++ = static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
      }
    });
  }

 private:
  int threads_ = 1;
#ifndef KEEPSIM_STD_THREADS
  std::unique_ptr<tbb::task_arena> arena_;
#endif
};

}  // namespace keepsim

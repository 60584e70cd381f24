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
  /// scanned in parallel into a list of its own and the lists are joined in block order, so the list is the
  /// same on any number of threads. keep(i) is called exactly once for each i (it may change agent i's own
  /// state). A pass that must run in id order then visits only the few ids with something to do.
  template <class Keep>
  void ids_where(std::size_t n, Keep&& keep, std::vector<std::uint32_t>& out) {
    constexpr std::size_t kBlock = 16384;
    const std::size_t blocks = (n + kBlock - 1) / kBlock;
    std::vector<std::vector<std::uint32_t>> part(blocks);
    for_ranges(blocks, 1, [&](std::size_t b0, std::size_t b1) {
      // A block's ids go to a buffer on the stack (64 KiB) and then to its list in one allocation: growing
      // the list id by id, and the loop's bound read back through the closure each time, cost about as
      // much as the tests themselves (callgrind).
      std::uint32_t found[kBlock];
      for (std::size_t b = b0; b < b1; ++b) {
        const std::size_t first = b * kBlock, last = std::min(n, first + kBlock);
        std::size_t k = 0;
        for (std::size_t i = first; i < last; ++i) {
          found[k] = static_cast<std::uint32_t>(i);
          k += keep(i) ? 1 : 0;
        }
        part[b].assign(found, found + k);
      }
    });
    out.clear();
    for (const auto& p : part) out.insert(out.end(), p.begin(), p.end());
  }

 private:
  int threads_ = 1;
#ifndef KEEPSIM_STD_THREADS
  std::unique_ptr<tbb::task_arena> arena_;
#endif
};

}  // namespace keepsim

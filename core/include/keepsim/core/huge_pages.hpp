// Large per-agent and per-cell arrays on transparent huge pages where the kernel offers them (Linux with
// transparent_hugepage = madvise or always). Agents are visited in random order by the exact schedule and a
// large grid spans far more 4 KiB pages than the TLB holds, so without huge pages most random reads also wait
// on a page-table walk. Only where the pages live changes, never the values.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace keepsim {

/// Reserves room for n elements in v and, for a large array (4 MiB or more), advises the kernel to back it
/// with huge pages; call it before filling v, so that the pages are huge from their first touch.
template <class T>
void reserve_huge(std::vector<T>& v, std::size_t n) {
  v.reserve(n);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  if (n * sizeof(T) < 2 * kHuge) return;
  const auto begin = reinterpret_cast<std::uintptr_t>(v.data());
  const std::uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t last = (begin + v.capacity() * sizeof(T)) & ~(kHuge - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#endif
}

}  // namespace keepsim

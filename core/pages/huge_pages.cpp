// Large arrays on 2 MiB pages (docs/performance.md, "Huge pages"). The global operator new is replaced so
// that every allocation of 4 MiB or more (the agents' columns, the cell layers, the sync day's plans and
// claims, the control field's tables) starts on a 2 MiB boundary and is marked MADV_HUGEPAGE before it is
// first touched. Why: Debian's kernels back memory with transparent huge pages only where a program asks (the
// "madvise" setting), and with 4 KiB pages a 3000x3000 peacekeeping day spent about 40% of its time on TLB
// misses: the agents' turns read dozens of columns of 5 million agents each. Smaller allocations go to malloc
// unchanged. This file is linked into the executables only (core/CMakeLists.txt), never into sanitizer
// builds, whose allocators replace operator new themselves.
#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kLarge = 2 * kHugePage;  // smaller blocks would waste up to half their size in rounding

void* try_allocate(std::size_t n) {
  if (n < kLarge) return std::malloc(n == 0 ? 1 : n);
  const std::size_t rounded = (n + kHugePage - 1) & ~(kHugePage - 1);
  void* p = std::aligned_alloc(kHugePage, rounded);
  // Advice only: where the kernel has no huge pages (or THP is "never") the memory stays on small pages.
  if (p != nullptr) madvise(p, rounded, MADV_HUGEPAGE);
  return p;
}

void* allocate(std::size_t n) {
  for (;;) {
    if (void* p = try_allocate(n)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

}  // namespace

// Both come from malloc or aligned_alloc, so the standard library's operator delete (free) releases them; the
// nothrow and aligned forms of the library call these or allocate by themselves.
void* operator new(std::size_t n) {
  return allocate(n);
}
void* operator new[](std::size_t n) {
  return allocate(n);
}

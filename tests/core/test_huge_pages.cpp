// Large arrays on huge pages (core/pages/huge_pages.cpp): the replaced operator new is linked into this
// executable, puts blocks of 4 MiB or more on a 2 MiB boundary and leaves smaller ones to malloc.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#ifdef KEEPSIM_HUGE_PAGES
TEST_CASE("large arrays start on a huge page, small ones are left to malloc", "[core][pages]") {
  constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;
  for (std::size_t mib : {4, 5, 37}) {
    std::vector<std::uint8_t> big(mib << 20, 1);
    CHECK(reinterpret_cast<std::uintptr_t>(big.data()) % kHugePage == 0);
    CHECK(big.back() == 1);  // the whole block is usable
  }
  // A block just under the threshold comes from malloc, which aligns it to 16 bytes only; several such
  // blocks cannot all fall on a 2 MiB boundary unless every block was rounded up.
  std::vector<std::vector<std::uint8_t>> small;
  int aligned = 0;
  for (int i = 0; i < 8; ++i) {
    small.emplace_back((std::size_t{4} << 20) - 4096);
    aligned += reinterpret_cast<std::uintptr_t>(small.back().data()) % kHugePage == 0;
  }
  CHECK(aligned < 8);
}
#endif

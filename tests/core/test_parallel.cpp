// Executor::ids_where (core/parallel.hpp) against a plain filter: the sync day's passes rely on its list
// being every id that passes, in ascending order, the same on any number of threads, with the test asked once
// per id.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "keepsim/core/parallel.hpp"
#include "keepsim/core/rng.hpp"

using namespace keepsim;

TEST_CASE("ids_where lists the ids that pass, in order, once each, on any number of threads", "[parallel]") {
  // Sizes around the 64-id words and the 16384-id blocks, and densities from none to all.
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{63}, std::size_t{64},
                              std::size_t{16383}, std::size_t{16385}, std::size_t{100003}}) {
    for (const double density : {0.0, 0.001, 0.5, 1.0}) {
      std::vector<std::uint8_t> pass(n);
      Stream s(7, 1, n, static_cast<std::uint64_t>(density * 1000));
      for (auto& p : pass) p = s.uniform() < density ? 1 : 0;
      std::vector<std::uint32_t> expected;
      for (std::size_t i = 0; i < n; ++i)
        if (pass[i]) expected.push_back(static_cast<std::uint32_t>(i));
      for (const int threads : {1, 2, 4}) {
        Executor exec(threads);
        std::vector<int> asked(n, 0);
        std::vector<std::uint32_t> out = {99, 98};  // a list left from an earlier call is replaced
        exec.ids_where(
            n,
            [&](std::size_t i) {
              ++asked[i];  // each index is its own: no two calls share an entry
              return pass[i] != 0;
            },
            out);
        INFO("n " << n << " density " << density << " threads " << threads);
        CHECK(out == expected);
        for (std::size_t i = 0; i < n; ++i)
          if (asked[i] != 1) FAIL("id " << i << " was tested " << asked[i] << " times");
      }
    }
  }
}

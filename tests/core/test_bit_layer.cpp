// Bit layers and vision queries against a plain scan of every cell (core/bit_layer.hpp): the model's results
// depend on count2/choose giving exactly the scan's counts and the scan's k-th cell.
#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <vector>

#include "keepsim/core/bit_layer.hpp"
#include "keepsim/core/rng.hpp"

using namespace keepsim;

TEST_CASE("select16 and select64 find the k-th set bit", "[bits]") {
  // Every 16-bit value with every k; for 64 bits, words of every density (seeded) and edge cases, every k.
  for (std::uint32_t v = 0; v < (1u << 16); ++v) {
    std::uint32_t rest = v;
    for (int k = 0; rest != 0; ++k, rest &= rest - 1)
      if (select16(v, k) != std::countr_zero(rest)) FAIL("select16 v " << v << " k " << k);
  }
  std::vector<std::uint64_t> words = {~std::uint64_t{0}, std::uint64_t{1} << 63, 1, 0x8000000000000001,
                                      0x00ff00000000ff00};
  Stream s(5, 3, 0, 0);
  for (int i = 0; i < 4000; ++i) {
    std::uint64_t v = 0;
    const double density = (i % 10 + 0.5) / 10;
    for (int b = 0; b < 64; ++b)
      if (s.bernoulli(density)) v |= std::uint64_t{1} << b;
    words.push_back(v);
  }
  for (const std::uint64_t v : words) {
    std::uint64_t rest = v;
    for (int k = 0; rest != 0; ++k, rest &= rest - 1)
      if (select64(v, k) != std::countr_zero(rest)) FAIL("select64 v " << v << " k " << k);
  }
}

TEST_CASE("vision queries over bit layers agree with a scan of every cell", "[grid][bits]") {
  const auto topology = GENERATE(Topology::Torus, Topology::Bounded);
  const auto metric = GENERATE(Metric::Euclidean, Metric::Moore, Metric::VonNeumann);
  // Reach 28 is the widest vision kept as one word a row (Vision::window), 29 the narrowest that is not.
  const double radius = GENERATE(1.0, 1.7, 3.0, 7.0, 28.0, 29.0);
  // Rows of two words, one of them partial; rows of one word (the masks of narrow grids), full or not, down
  // to a vision as wide as the grid; a narrow height; a grid with room for the widest visions away from its
  // edges (the one-word-a-row path) as well as near them.
  const int width = GENERATE(70, 64, 40, 15, 130);
  const int height = width == 130 ? 70 : 23;
  const Vision vision(metric, radius);
  if (2 * vision.reach() + 1 > std::min(width, height))
    return;  // the models refuse a vision wider than the grid
  const Grid grid(width, height, topology);
  BitLayer a, b;
  a.reset(grid);
  b.reset(grid);
  std::vector<char> in_a(static_cast<std::size_t>(grid.cells())), in_b(in_a.size());
  Stream s(7, 1, 0, 0);
  for (std::int64_t c = 0; c < grid.cells(); ++c) {
    in_a[static_cast<std::size_t>(c)] = s.bernoulli(0.3);
    in_b[static_cast<std::size_t>(c)] = s.bernoulli(0.6);
    a.assign(c, in_a[static_cast<std::size_t>(c)]);
    b.assign(c, in_b[static_cast<std::size_t>(c)]);
  }
  const VisionQuery query(grid);
  for (std::int64_t centre = 0; centre < grid.cells(); centre += 7) {
    std::vector<std::int64_t> scan_a;
    int scan_b = 0;
    grid.for_each_in(centre, vision, [&](std::int64_t c) {
      if (in_a[static_cast<std::size_t>(c)]) scan_a.push_back(c);
      scan_b += in_b[static_cast<std::size_t>(c)];
    });
    REQUIRE(query.count(a, centre, vision) == static_cast<int>(scan_a.size()));
    const auto [na, nb] = query.count2(a, b, centre, vision);
    REQUIRE(na == static_cast<int>(scan_a.size()));
    REQUIRE(nb == scan_b);
    for (std::uint32_t k = 0; k < scan_a.size(); ++k) {
      std::uint32_t asked = 0;
      const std::int64_t got = query.choose(a, centre, vision, [&](std::uint32_t n) {
        asked = n;
        return k;
      });
      REQUIRE(asked == scan_a.size());
      REQUIRE(got == scan_a[k]);
    }
    if (scan_a.empty()) REQUIRE(query.choose(a, centre, vision, [](std::uint32_t) { return 0u; }) == -1);
    std::vector<std::int64_t> visited;
    query.for_each(a, centre, vision, [&](std::int64_t c) { visited.push_back(c); });
    REQUIRE(visited == scan_a);
  }
}

TEST_CASE("Grid::sees holds for exactly the cells a vision walks", "[grid]") {
  // The one "within sight" test for single cells (a patrol's site, an installation, a convoy) must name the
  // same cells as the walks the vision queries make, for every metric, on either topology.
  const auto topology = GENERATE(Topology::Torus, Topology::Bounded);
  const auto metric = GENERATE(Metric::Euclidean, Metric::Moore, Metric::VonNeumann);
  const double radius = GENERATE(1.0, 1.7, 5.0, 7.0);
  const int width = GENERATE(70, 40);
  const Grid grid(width, 23, topology);
  const Vision vision(metric, radius);
  std::vector<char> walked(static_cast<std::size_t>(grid.cells()));
  for (std::int64_t centre = 0; centre < grid.cells(); centre += 5) {
    std::fill(walked.begin(), walked.end(), 0);
    walked[static_cast<std::size_t>(centre)] = 1;  // sees() counts the centre itself
    grid.for_each_in(centre, vision, [&](std::int64_t c) { walked[static_cast<std::size_t>(c)] = 1; });
    for (std::int64_t c = 0; c < grid.cells(); ++c)
      REQUIRE(grid.sees(centre, c, vision) == (walked[static_cast<std::size_t>(c)] != 0));
  }
}

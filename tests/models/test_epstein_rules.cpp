// Rule A and the vision shapes, against hand-computed values (docs/epstein.md).
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "keepsim/core/grid.hpp"
#include "models/epstein/rules.hpp"

using namespace keepsim;
using namespace keepsim::epstein;

TEST_CASE("ratio readings differ as the published implementations do", "[epstein][rules]") {
  CHECK(vision_ratio(Ratio::Literal, 3, 2) == 1.5);
  CHECK(vision_ratio(Ratio::Floor, 3, 2) == 1.0);
  CHECK(vision_ratio(Ratio::Round, 3, 2) == 2.0);  // 1.5 -> 2 (half to even)
  CHECK(vision_ratio(Ratio::Round, 5, 2) == 2.0);  // 2.5 -> 2 (half to even)
  CHECK(vision_ratio(Ratio::Floor, 1, 2) == 0.0);
  CHECK(vision_ratio(Ratio::Round, 1, 2) == 0.0);  // 0.5 -> 0
  CHECK(vision_ratio(Ratio::Literal, 1, 2) == 0.5);
}

TEST_CASE("arrest probability: k = 2.3 makes one cop against one active about 0.9", "[epstein][rules]") {
  CHECK(arrest_probability(Ratio::Literal, 2.3, 1, 1) == Approx(1 - std::exp(-2.3)));
  CHECK(arrest_probability(Ratio::Literal, 2.3, 1, 1) == Approx(0.8997).epsilon(1e-3));
  CHECK(arrest_probability(Ratio::Floor, 2.3, 0, 1) == 0.0);
  CHECK(arrest_probability(Ratio::Floor, 2.3, 3, 4) ==
        0.0);  // floor(0.75) = 0: outnumbered cops deter no one
}

TEST_CASE("goes_active compares grievance minus net risk with the threshold", "[epstein][rules]") {
  // G = 0.9 * (1 - 0.5) = 0.45; N = 0.5 * 0.6 = 0.3; G - N = 0.15 > 0.1
  CHECK(goes_active(0.9, 0.5, 0.5, 0.6, 0.1));
  // N = 0.5 * 0.8 = 0.4; G - N = 0.05 < 0.1
  CHECK_FALSE(goes_active(0.9, 0.5, 0.5, 0.8, 0.1));
  // Full legitimacy: no grievance, never active.
  CHECK_FALSE(goes_active(1.0, 1.0, 0.0, 0.0, 0.1));
}

TEST_CASE("vision shapes have the textbook cell counts", "[epstein][grid]") {
  CHECK(Vision(Metric::Euclidean, 1.7).size() == 8);  // the 8 Moore neighbours, as NetLogo's in-radius 1.7
  CHECK(Vision(Metric::Euclidean, 1.0).size() == 4);
  CHECK(Vision(Metric::Moore, 1.0).size() == 8);
  CHECK(Vision(Metric::VonNeumann, 1.0).size() == 4);
  CHECK(Vision(Metric::Moore, 7).size() == 15 * 15 - 1);
  CHECK(Vision(Metric::VonNeumann, 7).size() == 2 * 7 * 8);  // diamond: 2r(r+1)
  CHECK(Vision(Metric::Euclidean, 7).size() == 148);  // lattice points with x^2+y^2 <= 49, minus centre
}

TEST_CASE("grid scans wrap on a torus and clip when bounded", "[epstein][grid]") {
  const Vision v(Metric::Moore, 1.0);
  int seen = 0;
  Grid torus(5, 5, Topology::Torus);
  std::vector<std::int64_t> cells;
  torus.for_each_in(0, v, [&](std::int64_t c) { cells.push_back(c); });
  CHECK(cells == std::vector<std::int64_t>{24, 20, 21, 4, 1, 9, 5, 6});
  Grid bounded(5, 5, Topology::Bounded);
  bounded.for_each_in(0, v, [&](std::int64_t) { ++seen; });
  CHECK(seen == 3);
}

TEST_CASE("the arrest table holds arrest_probability's exact bits for every count a vision can see") {
  // Exhaustive over C in [0, 300], A in [1, 301]: the integer ratio equals vision_ratio, and the table equals
  // the direct formula bit for bit, so the tabled engine's results are unchanged.
  for (const Ratio rule : {Ratio::Floor, Ratio::Round, Ratio::Literal}) {
    const ArrestTable table(rule, 2.3, 300);
    for (int c = 0; c <= 300; ++c)
      for (int a = 1; a <= 301; ++a) {
        if (rule != Ratio::Literal)
          REQUIRE(static_cast<double>(integer_ratio(rule, c, a)) == vision_ratio(rule, c, a));
        REQUIRE(table(c, a) == arrest_probability(rule, 2.3, c, a));
      }
  }
}

TEST_CASE("empty-cell searches run early and resumed land where searches run one after another do",
          "[epstein][rules]") {
  // The sync schedule places released citizens by running every search against the grid as it is, then, in
  // id order, resuming a search whose cell an earlier one took. That must give exactly the cells of running
  // random_empty_cell() one release after another. Grids from roomy to crowded (the 64 random tries fail
  // and the scan from a random start takes over) to full (-1).
  const int empties = GENERATE(400, 40, 6, 0);
  constexpr std::uint32_t kCells = 2000;
  constexpr int kReleases = 120;
  std::vector<std::uint8_t> start(kCells, 4);
  Stream pick(3, 9, static_cast<std::uint64_t>(empties), 0);
  for (int e = 0; e < empties; ++e) start[pick.below(kCells)] = 0;
  std::vector<std::uint8_t> one_by_one = start, early = start;
  std::vector<EmptyCellSearch> search;
  std::vector<std::int32_t> found;
  for (int r = 0; r < kReleases; ++r) {
    search.emplace_back(Stream(11, 8, static_cast<std::uint64_t>(r), 5));
    found.push_back(search.back().next(early));  // the grid before any release
  }
  // The rule as documented: up to 64 uniform tries, then the first empty cell from a uniform start.
  const auto defined = [](const std::vector<std::uint8_t>& code, Stream& s) -> std::int32_t {
    const auto cells = static_cast<std::uint32_t>(code.size());
    for (int tries = 0; tries < 64; ++tries)
      if (const std::uint32_t c = s.below(cells); code[c] == 0) return static_cast<std::int32_t>(c);
    const std::uint32_t from = s.below(cells);
    for (std::uint32_t k = 0; k < cells; ++k)
      if (code[(from + k) % cells] == 0) return static_cast<std::int32_t>((from + k) % cells);
    return -1;
  };
  int resumed = 0;
  for (int r = 0; r < kReleases; ++r) {
    Stream s(11, 8, static_cast<std::uint64_t>(r), 5), d = s;
    const std::int32_t want = random_empty_cell(one_by_one, s);
    REQUIRE(want == defined(one_by_one, d));
    std::int32_t got = found[static_cast<std::size_t>(r)];
    while (got >= 0 && early[static_cast<std::size_t>(got)] != 0) {
      got = search[static_cast<std::size_t>(r)].next(early);
      ++resumed;
    }
    REQUIRE(got == want);
    if (want >= 0) one_by_one[static_cast<std::size_t>(want)] = early[static_cast<std::size_t>(got)] = 4;
  }
  if (empties == 6 || empties == 40) CHECK(resumed > 0);  // the resuming path was taken
}

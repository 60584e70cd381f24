// Rule A and the vision shapes, against hand-computed values (MODEL.md section 3).
#include <catch2/catch.hpp>
#include <cmath>

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

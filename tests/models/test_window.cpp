// The sliding-sum window of the sync schedule (models/epstein/window.hpp) against a scan of every cell in
// vision: its counts must be the scan's, and its k-th cell the scan's k-th cell in Grid::for_each_in order,
// which is what makes the sync schedule's moves and arrests the same as with the general vision query. Both
// ways of finding the k-th cell are covered: the column ring (reach <= 7, columns away from the left and
// right edges) and the row-by-row walk (edges, reach 8 and 10).
#include <bit>
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "keepsim/core/bit_layer.hpp"
#include "keepsim/core/rng.hpp"
#include "models/epstein/window.hpp"

using namespace keepsim;
using keepsim::epstein::MooreWindow;

TEST_CASE("the sliding-sum window counts and chooses as a scan of the vision does", "[window]") {
  const auto topology = GENERATE(Topology::Torus, Topology::Bounded);
  const int reach = GENERATE(1, 3, 7, 8, 10);
  // Rows of several words (the column ring's interior), one full word, and narrower than some visions.
  const int width = GENERATE(150, 64, 23);
  const double density = GENERATE(0.1, 0.7);
  if (2 * reach + 1 > width) return;  // the window needs the vision no wider than the grid
  const Grid grid(width, 37, topology);
  const Vision vision(Metric::Moore, reach);
  REQUIRE(MooreWindow<1>::usable(vision));
  std::vector<std::uint8_t> code(static_cast<std::size_t>(grid.cells()));
  BitLayer layer;
  layer.reset(grid);
  Stream s(11, 2, static_cast<std::uint64_t>(reach), static_cast<std::uint64_t>(width));
  for (std::int64_t c = 0; c < grid.cells(); ++c) {
    const bool set = s.bernoulli(density);
    code[static_cast<std::size_t>(c)] = set ? 1 : 0;
    layer.assign(c, set);
  }
  const auto member = [](std::uint8_t c) { return c == 1 ? 1u : 0u; };
  const VisionQuery query(grid);
  // A band that starts inside the grid and ends at its last row, as the schedule's bands do.
  const int y0 = 5;
  MooreWindow<1> win;
  win.reset(grid, reach);
  win.start(y0, code.data(), member);
  std::int64_t checked = 0;
  for (int y = y0; y < grid.height(); ++y) {
    if (y > y0) win.advance(code.data(), member);
    for (int x = 0; x < width; ++x) {
      const std::int64_t centre = static_cast<std::int64_t>(y) * width + x;
      std::vector<std::int64_t> scan;
      grid.for_each_in(centre, vision, [&](std::int64_t c) {
        if (code[static_cast<std::size_t>(c)] == 1) scan.push_back(c);
      });
      const int centre_set = code[static_cast<std::size_t>(centre)];
      REQUIRE(win.count(0, x) == static_cast<int>(scan.size()) + centre_set);
      if (centre_set) continue;  // the k-th cell is asked only of cells whose centre is not in the layer
      for (int k = 0; k < static_cast<int>(scan.size()); ++k) {
        const std::int64_t got = win.kth(0, layer, x, k);
        if (got != scan[static_cast<std::size_t>(k)])
          FAIL("y " << y << " x " << x << " k " << k << ": " << got
                    << " != " << scan[static_cast<std::size_t>(k)]);
        REQUIRE(query.choose(layer, centre, vision,
                             [k](std::uint32_t) { return static_cast<std::uint32_t>(k); }) == got);
        ++checked;
      }
    }
  }
  REQUIRE(checked > 0);
}

// The peacekeeping map layer (ODD 2 and 5): the generator's guarantees, and the HDF5 map file written,
// read back, and rejected with a message that names the layer when a user's file is wrong.
#include <hdf5.h>
#include <stdlib.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "keepsim/core/errors.hpp"
#include "models/peacekeeping/world_map.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using keepsim::ConfigError;
using namespace keepsim::peace;

namespace {

struct TempDir : keepsim::test::TempDir {
  TempDir() : keepsim::test::TempDir("map") {}
};

/// An HDF5 id closed at scope exit.
struct H5Id {
  hid_t id;
  herr_t (*closer)(hid_t);
  H5Id(hid_t i, herr_t (*c)(hid_t)) : id(i), closer(c) { REQUIRE(id >= 0); }
  ~H5Id() { closer(id); }
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
};

/// Replaces (or adds) dataset `name` of `path` with a (rows, cols) array of `ftype` holding `values`.
void put_layer(const std::string& path, const char* name, hsize_t rows, hsize_t cols, hid_t ftype,
               const std::vector<double>& values) {
  const H5Id file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
  if (H5Lexists(file.id, name, H5P_DEFAULT) > 0) REQUIRE(H5Ldelete(file.id, name, H5P_DEFAULT) >= 0);
  const hsize_t dims[2] = {rows, cols};
  const H5Id space(H5Screate_simple(2, dims, nullptr), H5Sclose);
  const H5Id ds(H5Dcreate2(file.id, name, ftype, space.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  REQUIRE(H5Dwrite(ds.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
}

template <class T>
std::vector<double> as_doubles(const std::vector<T>& v) {
  return std::vector<double>(v.begin(), v.end());
}

std::optional<ConfigError> load_error(const std::string& path, int width, int height) {
  try {
    load_map(path, width, height);
  } catch (const ConfigError& e) {
    return e;
  }
  return std::nullopt;
}

std::optional<ConfigError> generate_error(const MapParams& p, int width = 30, int height = 20) {
  try {
    generate_map(p, width, height);
  } catch (const ConfigError& e) {
    return e;
  }
  return std::nullopt;
}

bool same(const WorldMap& a, const WorldMap& b) {
  return a.width == b.width && a.height == b.height && a.region == b.region && a.homeland == b.homeland &&
         a.urban == b.urban && a.road == b.road && a.border == b.border && a.installation == b.installation;
}

/// Town centres: the only cells of full urban density (elsewhere density falls below 1 with distance).
std::vector<std::size_t> town_centres(const WorldMap& m) {
  std::vector<std::size_t> out;
  for (std::size_t c = 0; c < m.urban.size(); ++c)
    if (m.urban[c] == 1.0f) out.push_back(c);
  return out;
}

}  // namespace

TEST_CASE("map generator is a pure function of its parameters and the size", "[map]") {
  MapParams p;
  p.seed = 7;
  const WorldMap a = generate_map(p, 60, 40);
  CHECK(same(a, generate_map(p, 60, 40)));
  p.seed = 8;
  const WorldMap b = generate_map(p, 60, 40);
  CHECK(a.region != b.region);
  CHECK(a.homeland != b.homeland);
  CHECK(a.urban != b.urban);
}

TEST_CASE("map generator makes every region non-empty", "[map]") {
  const std::tuple<int, int, int> cases[] = {{6, 60, 40}, {50, 30, 20}, {9, 3, 3}, {1, 5, 4}};
  for (const auto& [regions, width, height] : cases) {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      MapParams p;
      p.seed = seed;
      p.regions = regions;
      p.towns = 2;
      const WorldMap m = generate_map(p, width, height);
      std::vector<int> count(static_cast<std::size_t>(regions), 0);
      for (const std::uint16_t r : m.region) {
        REQUIRE(r < regions);
        ++count[r];
      }
      CHECK(m.regions() == regions);
      CHECK(std::count(count.begin(), count.end(), 0) == 0);
    }
  }
}

TEST_CASE("map mixing 0 gives group 0 the whole west half and group 1 the whole east half", "[map]") {
  MapParams p;
  p.mixing = 0;
  for (const int width : {60, 61}) {
    const WorldMap m = generate_map(p, width, 40);
    for (int y = 0; y < m.height; ++y)
      for (int x = 0; x < m.width; ++x)
        REQUIRE(m.homeland[static_cast<std::size_t>(y * m.width + x)] == (2 * x < width ? 0 : 1));
  }
}

TEST_CASE("map mixing 1 gives each half about as many cells of each group", "[map]") {
  // 120x120 cells flip in 3x3 blocks: 800 blocks per half, so the share of a group in a half has a standard
  // deviation near 0.018; the tolerance 0.1 is over five of them.
  MapParams p;
  p.mixing = 1;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    p.seed = seed;
    const WorldMap m = generate_map(p, 120, 120);
    double west0 = 0, east0 = 0;
    for (int y = 0; y < 120; ++y)
      for (int x = 0; x < 120; ++x)
        (x < 60 ? west0 : east0) += m.homeland[static_cast<std::size_t>(y * 120 + x)] == 0;
    CHECK(west0 / (60 * 120) == Approx(0.5).margin(0.1));
    CHECK(east0 / (60 * 120) == Approx(0.5).margin(0.1));
  }
}

TEST_CASE("map border cells lie exactly on the named edges", "[map]") {
  const int w = 30, h = 20;
  for (const std::string border : {"west", "east", "north,east", " south , west", "none"}) {
    MapParams p;
    p.border = border;
    const WorldMap m = generate_map(p, w, h);
    const bool west = border.find("west") != std::string::npos,
               east = border.find("east") != std::string::npos;
    const bool north = border.find("north") != std::string::npos;
    const bool south = border.find("south") != std::string::npos;
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const bool expected =
            (west && x == 0) || (east && x == w - 1) || (north && y == 0) || (south && y == h - 1);
        INFO("border '" << border << "' cell (" << y << ", " << x << ")");
        REQUIRE(m.border[static_cast<std::size_t>(y * w + x)] == expected);
      }
    }
  }
}

TEST_CASE("map roads connect every town to the capital", "[map]") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    MapParams p;
    p.seed = seed;
    p.towns = 10;
    p.town_radius = 3;
    const WorldMap m = generate_map(p, 80, 50);
    const std::vector<std::size_t> towns = town_centres(m);
    REQUIRE(towns.size() == 10);
    const auto capital = static_cast<std::size_t>(
        std::find(m.installation.begin(), m.installation.end(), kCapital) - m.installation.begin());
    REQUIRE(capital < m.installation.size());
    // Breadth-first search over road cells, four neighbours: roads are 4-connected paths.
    std::vector<bool> seen(m.road.size(), false);
    std::deque<std::size_t> queue{capital};
    REQUIRE(m.road[capital] == 1);
    seen[capital] = true;
    while (!queue.empty()) {
      const std::size_t c = queue.front();
      queue.pop_front();
      const int x = static_cast<int>(c) % m.width, y = static_cast<int>(c) / m.width;
      for (const auto& [dx, dy] : {std::pair{1, 0}, std::pair{-1, 0}, std::pair{0, 1}, std::pair{0, -1}}) {
        if (x + dx < 0 || x + dx >= m.width || y + dy < 0 || y + dy >= m.height) continue;
        const auto n = static_cast<std::size_t>((y + dy) * m.width + x + dx);
        if (m.road[n] == 1 && !seen[n]) seen[n] = true, queue.push_back(n);
      }
    }
    for (const std::size_t t : towns) CHECK(seen[t]);
  }
}

TEST_CASE("map installations: a capital in a town, depots and training centres on town or road cells",
          "[map]") {
  MapParams p;
  p.towns = 3;
  p.depots = 2;
  p.training_centres = 3;  // more installations than towns: later ones move to nearby free cells
  const WorldMap m = generate_map(p, 40, 30);
  CHECK(std::count(m.installation.begin(), m.installation.end(), kCapital) == 1);
  CHECK(std::count(m.installation.begin(), m.installation.end(), kDepot) == 2);
  CHECK(std::count(m.installation.begin(), m.installation.end(), kTrainingCentre) == 3);
  for (std::size_t c = 0; c < m.installation.size(); ++c) {
    if (m.installation[c] == kNoInstallation) continue;
    CHECK((m.urban[c] > 0 || m.road[c] == 1));
    if (m.installation[c] == kCapital) CHECK(m.urban[c] == 1.0f);
  }
  p.towns = 0;
  p.depots = 0;
  p.training_centres = 0;
  const WorldMap empty = generate_map(p, 40, 30);
  CHECK(std::count(empty.installation.begin(), empty.installation.end(), kNoInstallation) == 40 * 30);
}

TEST_CASE("map generator rejects bad parameters naming the key", "[map]") {
  const auto key_of = [](MapParams p, int w = 30, int h = 20) {
    const auto e = generate_error(p, w, h);
    return e ? e->key() : std::string("(no error)");
  };
  MapParams p;
  p.regions = 0;
  CHECK(key_of(p) == "map.regions");
  p.regions = 601;
  CHECK(key_of(p) == "map.regions");
  p = {};
  p.towns = 0;
  CHECK(key_of(p) == "map.towns");  // the default depot and training centre need a town
  p.depots = p.training_centres = 0;
  CHECK(key_of(p) == "(no error)");
  p = {};
  p.border = "west,up";
  CHECK(key_of(p) == "map.border");
  CHECK_THAT(generate_error(p)->what(),
             Catch::Contains("'up'") && Catch::Contains("west, east, north, south"));
  p = {};
  p.town_radius = 0;
  CHECK(key_of(p) == "map.town_radius");
  p = {};
  p.mixing = 1.5;
  CHECK(key_of(p) == "map.mixing");
  CHECK(generate_error(p)->where() == "map generator");
}

TEST_CASE("map plain is one region with nothing on it, and check_map rejects inconsistent layers", "[map]") {
  WorldMap m = WorldMap::plain(5, 4);
  CHECK(m.regions() == 1);
  CHECK(m.cells() == 20);
  CHECK_NOTHROW(check_map(m, "test"));
  m.urban[7] = 1.5f;
  CHECK_THROWS_WITH(check_map(m, "test"), Catch::Contains("urban") && Catch::Contains("(1, 2)"));
  m = WorldMap::plain(5, 4);
  m.road.pop_back();
  CHECK_THROWS_AS(check_map(m, "test"), ConfigError);
}

TEST_CASE("map file round-trips exactly through save_map and load_map", "[map][h5]") {
  TempDir tmp;
  const std::string path = tmp.file("map.h5");
  MapParams p;
  p.border = "west,south";
  p.depots = 2;
  const WorldMap m = generate_map(p, 37, 23);
  save_map(m, path);
  CHECK(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".part"));
  CHECK(same(load_map(path, 37, 23), m));
}

TEST_CASE("map file written by another tool as int64 and float64 loads", "[map][h5]") {
  TempDir tmp;
  const std::string path = tmp.file("map.h5");
  const WorldMap m = generate_map(MapParams{}, 20, 10);
  save_map(m, path);
  put_layer(path, "region", 10, 20, H5T_STD_I64LE, as_doubles(m.region));
  put_layer(path, "urban", 10, 20, H5T_IEEE_F64LE, as_doubles(m.urban));
  put_layer(path, "road", 10, 20, H5T_IEEE_F64LE, as_doubles(m.road));
  CHECK(same(load_map(path, 20, 10), m));
}

TEST_CASE("map file errors name the file, the layer and what is allowed", "[map][h5]") {
  TempDir tmp;
  const std::string path = tmp.file("map.h5");
  const WorldMap m = generate_map(MapParams{}, 20, 10);
  save_map(m, path);

  SECTION("missing file") {
    const auto e = load_error(tmp.file("nowhere.h5"), 20, 10);
    REQUIRE(e);
    CHECK(e->key() == "map.file");
    CHECK(e->where() == tmp.file("nowhere.h5"));
  }
  SECTION("not an HDF5 file") {
    std::ofstream(tmp.file("text.h5")) << "region,homeland\n";
    const auto e = load_error(tmp.file("text.h5"), 20, 10);
    REQUIRE(e);
    CHECK(e->key() == "map.file");
    CHECK_THAT(e->what(), Catch::Contains("not an HDF5 file"));
  }
  SECTION("truncated file") {
    fs::copy_file(path, tmp.file("cut.h5"));
    fs::resize_file(tmp.file("cut.h5"), fs::file_size(path) / 2);
    const auto e = load_error(tmp.file("cut.h5"), 20, 10);
    REQUIRE(e);
    CHECK(e->key() == "map.file");
  }
  SECTION("missing layer") {
    {
      const H5Id file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
      REQUIRE(H5Ldelete(file.id, "road", H5P_DEFAULT) >= 0);
    }
    const auto e = load_error(path, 20, 10);
    REQUIRE(e);
    CHECK(e->key() == "road");
    CHECK_THAT(e->what(), Catch::Contains("missing layer") && Catch::Contains(path));
  }
  SECTION("wrong shape") {
    put_layer(path, "urban", 9, 20, H5T_IEEE_F64LE, std::vector<double>(9 * 20, 0.5));
    const auto e = load_error(path, 20, 10);
    REQUIRE(e);
    CHECK(e->key() == "urban");
    CHECK_THAT(e->what(), Catch::Contains("(9, 20)") && Catch::Contains("(10, 20)"));
    const auto transposed = load_error(path, 10, 20);  // the other layers are (10, 20) now
    REQUIRE(transposed);
    CHECK(transposed->key() == "region");
  }
  SECTION("out-of-range value") {
    std::vector<double> homeland = as_doubles(m.homeland);
    homeland[3 * 20 + 4] = 2;
    put_layer(path, "homeland", 10, 20, H5T_STD_I64LE, homeland);
    const auto e = load_error(path, 20, 10);
    REQUIRE(e);
    CHECK(e->key() == "homeland");
    CHECK_THAT(e->what(),
               Catch::Contains("(3, 4)") && Catch::Contains("value 2") && Catch::Contains("0 or 1"));
  }
  SECTION("NaN urban density and fractional installation code") {
    std::vector<double> urban = as_doubles(m.urban);
    urban[5] = std::nan("");
    put_layer(path, "urban", 10, 20, H5T_IEEE_F32LE, urban);
    auto e = load_error(path, 20, 10);
    REQUIRE(e);
    CHECK(e->key() == "urban");
    put_layer(path, "urban", 10, 20, H5T_IEEE_F32LE, as_doubles(m.urban));
    std::vector<double> installation = as_doubles(m.installation);
    installation[0] = 1.5;
    put_layer(path, "installation", 10, 20, H5T_IEEE_F64LE, installation);
    e = load_error(path, 20, 10);
    REQUIRE(e);
    CHECK(e->key() == "installation");
    CHECK_THAT(e->what(), Catch::Contains("(0, 0)"));
  }
}

TEST_CASE("map homeland follows the groups' shares at any mixing", "[map]") {
  // ODD 5: group 0's homeland is the west s0 of the width and group 1's the rest; blocks redrawn from the
  // shares keep each group's expected share of the area. 120x120 cells are 1,600 blocks of 3x3, so with s0 =
  // 0.9 the area share of group 1 has a standard deviation of at most 0.008 over the blocks; the tolerance
  // 0.04 is five of them. Mixing 0 is exact.
  MapParams p;
  p.group0_share = 0.9;
  p.mixing = 0;
  const WorldMap exact = generate_map(p, 120, 120);
  for (int y = 0; y < 120; ++y)
    for (int x = 0; x < 120; ++x)
      REQUIRE(exact.homeland[static_cast<std::size_t>(y * 120 + x)] == (x < 108 ? 0 : 1));
  for (const double mixing : {0.3, 1.0})
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      p.mixing = mixing;
      p.seed = seed;
      const WorldMap m = generate_map(p, 120, 120);
      double ones = 0;
      for (const std::uint8_t h : m.homeland) ones += h;
      CAPTURE(mixing, seed);
      CHECK(ones / (120 * 120) == Approx(0.1).margin(0.04));
    }
}

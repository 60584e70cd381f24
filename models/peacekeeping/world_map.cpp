// The map layer of the peacekeeping scenario (ODD 2 and 5): the procedural generator, the checks, and
// the HDF5 raster format (netCDF-4 compatible, so xarray and GIS tools read and write it).
#include "models/peacekeeping/world_map.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/h5util.hpp"
#include "keepsim/core/rng.hpp"
#include "keepsim/core/safe_files.hpp"

namespace keepsim::peace {
namespace {

// Stream purposes of the generator: fixed numbers, so a map depends on (params, width, height) only and not
// on the run seed (ODD 4, randomness and reproducibility).
constexpr std::uint32_t kRegionCentres = 101, kTownCentres = 102, kTownSizes = 103, kHomelandFlips = 104;
// Homeland flips act on blocks of 3x3 cells: mixed areas are villages of the other group, not salt and
// pepper.
constexpr int kMixBlock = 3;
// 65535 is netCDF's default fill value for uint16: readers would show such a region id as missing.
constexpr int kMaxRegionId = 65534;
constexpr const char* kLayerList = "region, homeland, urban, road, border, installation";

struct Cell {
  int x = 0, y = 0;
};

std::string num(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string cell_text(std::int64_t cell, int width) {
  return "(y, x) = (" + std::to_string(cell / width) + ", " + std::to_string(cell % width) + ")";
}

[[noreturn]] void bad_param(const std::string& key, const std::string& message) {
  throw ConfigError("map generator", key, message);
}

struct Edges {
  bool west = false, east = false, north = false, south = false;
};

/// "west,north" -> edges; "none" -> no edge. Spaces around names are allowed.
Edges parse_border(const std::string& text) {
  auto trim = [](const std::string& s) {
    const auto from = s.find_first_not_of(" \t");
    return from == std::string::npos ? std::string() : s.substr(from, s.find_last_not_of(" \t") - from + 1);
  };
  Edges e;
  if (trim(text) == "none") return e;
  std::stringstream list(text);
  std::string item;
  while (std::getline(list, item, ',')) {
    const std::string name = trim(item);
    bool* edge = name == "west"    ? &e.west
                 : name == "east"  ? &e.east
                 : name == "north" ? &e.north
                 : name == "south" ? &e.south
                                   : nullptr;
    if (edge == nullptr)
      bad_param("map.border",
                "unknown edge '" + name + "'; allowed: west, east, north, south (comma-separated), or none");
    *edge = true;
  }
  if (!text.empty() && text.back() == ',') bad_param("map.border", "empty edge name after the last ','");
  return e;
}

}  // namespace

void check_map_params(const MapParams& p, int width, int height) {
  if (width < 1 || height < 1)
    throw ConfigError("map generator", "world",
                      "the map needs width and height of at least 1, got " + std::to_string(width) + "x" +
                          std::to_string(height));
  const std::int64_t cells = static_cast<std::int64_t>(width) * height;
  const std::int64_t max_regions = std::min<std::int64_t>(cells, kMaxRegionId + 1);
  if (p.regions < 1 || p.regions > max_regions)
    bad_param("map.regions", "must be between 1 and " + std::to_string(max_regions) +
                                 " (each region holds at least one cell), got " + std::to_string(p.regions));
  if (p.towns < 0 || p.towns > cells)
    bad_param("map.towns", "must be between 0 and the number of cells, got " + std::to_string(p.towns));
  if (p.depots < 0) bad_param("map.depots", "must be 0 or more, got " + std::to_string(p.depots));
  if (p.training_centres < 0)
    bad_param("map.training_centres", "must be 0 or more, got " + std::to_string(p.training_centres));
  if (p.towns < 1 && (p.depots > 0 || p.training_centres > 0))
    bad_param("map.towns",
              "must be at least 1 when map.depots or map.training_centres is above 0 "
              "(installations are placed in towns)");
  if (p.towns > 0 && 1 + static_cast<std::int64_t>(p.depots) + p.training_centres > cells)
    bad_param("map.depots",
              "the capital, map.depots and map.training_centres need more cells than the map has");
  if (!(p.town_radius > 0) || !std::isfinite(p.town_radius))
    bad_param("map.town_radius", "must be a positive number of cells, got " + num(p.town_radius));
  if (!(p.mixing >= 0 && p.mixing <= 1))
    bad_param("map.mixing", "must be between 0 (separated) and 1 (fully mixed), got " + num(p.mixing));
  parse_border(p.border);
}

namespace {

std::int64_t below(Stream& s, std::int64_t n) {
  if (n <= std::numeric_limits<std::uint32_t>::max()) return s.below(static_cast<std::uint32_t>(n));
  return std::min(n - 1, static_cast<std::int64_t>(s.uniform() * static_cast<double>(n)));
}

/// `k` distinct cells of a width x height grid: a partial Fisher-Yates shuffle of the virtual array 0..n-1
/// that stores only the entries it moved, so the cost is O(k) however large the map.
std::vector<Cell> distinct_cells(std::uint64_t seed, std::uint32_t purpose, int width, int height, int k) {
  const std::int64_t n = static_cast<std::int64_t>(width) * height;
  Stream s(seed, purpose, 0, 0);
  std::unordered_map<std::int64_t, std::int64_t> moved;
  auto at = [&](std::int64_t i) {
    const auto it = moved.find(i);
    return it == moved.end() ? i : it->second;
  };
  std::vector<Cell> out;
  for (std::int64_t i = 0; i < k; ++i) {
    const std::int64_t j = i + below(s, n - i);
    const std::int64_t cell = at(j);
    moved[j] = at(i);
    out.push_back({static_cast<int>(cell % width), static_cast<int>(cell / width)});
  }
  return out;
}

std::int64_t dist2(Cell a, Cell b) {
  const std::int64_t dx = a.x - b.x, dy = a.y - b.y;
  return dx * dx + dy * dy;
}

/// Voronoi cells: each cell takes the id of its nearest centre (Euclidean, ties to the lower id). Centres are
/// bucketed on a coarse grid searched ring by ring, so many regions on a large map stay cheap.
std::vector<std::uint16_t> voronoi(const std::vector<Cell>& centres, int width, int height) {
  const double per_centre = static_cast<double>(width) * height / static_cast<double>(centres.size());
  const int side = std::max(1, static_cast<int>(std::ceil(std::sqrt(per_centre))));
  const int bw = (width + side - 1) / side, bh = (height + side - 1) / side;
  std::vector<std::vector<int>> buckets(static_cast<std::size_t>(bw) * bh);
  for (std::size_t i = 0; i < centres.size(); ++i)
    buckets[static_cast<std::size_t>(centres[i].y / side * bw + centres[i].x / side)].push_back(
        static_cast<int>(i));
  std::vector<std::uint16_t> region(static_cast<std::size_t>(width) * height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int bx = x / side, by = y / side;
      std::int64_t best = std::numeric_limits<std::int64_t>::max();
      int best_id = -1;
      for (int r = 0; r <= std::max(bw, bh); ++r) {
        // Every cell of ring r is at least (r-1)*side+1 away along x or y; equal distance may still tie.
        const std::int64_t gap = static_cast<std::int64_t>(r - 1) * side + 1;
        if (r > 0 && best_id >= 0 && gap * gap > best) break;
        for (int j = std::max(0, by - r); j <= std::min(bh - 1, by + r); ++j) {
          for (int i = std::max(0, bx - r); i <= std::min(bw - 1, bx + r); ++i) {
            if (std::max(std::abs(i - bx), std::abs(j - by)) != r) continue;
            for (const int id : buckets[static_cast<std::size_t>(j) * bw + i]) {
              const std::int64_t d = dist2({x, y}, centres[static_cast<std::size_t>(id)]);
              if (d < best || (d == best && id < best_id)) best = d, best_id = id;
            }
          }
        }
      }
      region[static_cast<std::size_t>(y) * width + x] = static_cast<std::uint16_t>(best_id);
    }
  }
  return region;
}

/// A 4-connected straight path from a to b: it steps along the axis whose next crossing of the ideal line
/// comes first, so a unit moving one cell at a time along a road never has to cut a corner.
void draw_road(WorldMap& m, Cell a, Cell b) {
  const std::int64_t dx = std::abs(b.x - a.x), dy = std::abs(b.y - a.y);
  const int sx = b.x > a.x ? 1 : -1, sy = b.y > a.y ? 1 : -1;
  Cell c = a;
  m.road[static_cast<std::size_t>(c.y) * m.width + c.x] = 1;
  for (std::int64_t ix = 0, iy = 0; ix < dx || iy < dy;) {
    if ((1 + 2 * ix) * dy < (1 + 2 * iy) * dx) {
      c.x += sx, ++ix;
    } else {
      c.y += sy, ++iy;
    }
    m.road[static_cast<std::size_t>(c.y) * m.width + c.x] = 1;
  }
}

/// Roads: a minimum spanning tree of the town centres (Prim, squared Euclidean lengths, ties to the lower
/// index), so every town is reachable from the capital by the shortest total road length.
void build_roads(WorldMap& m, const std::vector<Cell>& towns) {
  const std::size_t n = towns.size();
  std::vector<bool> joined(n, false);
  std::vector<std::int64_t> best(n, std::numeric_limits<std::int64_t>::max());
  std::vector<std::size_t> parent(n, n);
  if (n > 0) best[0] = 0;
  for (std::size_t step = 0; step < n; ++step) {
    std::size_t u = n;
    for (std::size_t v = 0; v < n; ++v)
      if (!joined[v] && (u == n || best[v] < best[u])) u = v;
    joined[u] = true;
    if (parent[u] < n) draw_road(m, towns[parent[u]], towns[u]);
    m.road[static_cast<std::size_t>(towns[u].y) * m.width + towns[u].x] =
        1;  // a lone town still has a road cell
    for (std::size_t v = 0; v < n; ++v) {
      const std::int64_t d = dist2(towns[u], towns[v]);
      if (!joined[v] && d < best[v]) best[v] = d, parent[v] = u;
    }
  }
}

/// Puts `kind` at `want`; when an installation is already there (more installations than towns), at the
/// nearest free town or road cell, or failing that the nearest free cell (ties to the lower cell number).
void place(WorldMap& m, Cell want, Installation kind) {
  const auto at = static_cast<std::size_t>(want.y) * m.width + want.x;
  if (m.installation[at] == kNoInstallation) {
    m.installation[at] = kind;
    return;
  }
  std::size_t best = m.installation.size();
  std::pair<int, std::int64_t> best_key{2, 0};
  for (std::size_t c = 0; c < m.installation.size(); ++c) {
    if (m.installation[c] != kNoInstallation) continue;
    const int tier = m.road[c] != 0 || m.urban[c] > 0 ? 0 : 1;
    const Cell here{static_cast<int>(c % m.width), static_cast<int>(c / m.width)};
    const std::pair<int, std::int64_t> key{tier, dist2(here, want)};
    if (key < best_key) best_key = key, best = c;
  }
  m.installation[best] = kind;  // check_map_params() made sure there are enough cells
}

}  // namespace

int WorldMap::regions() const {
  return region.empty() ? 0 : 1 + *std::max_element(region.begin(), region.end());
}

WorldMap WorldMap::plain(int width, int height) {
  WorldMap m;
  m.width = width;
  m.height = height;
  const auto n = static_cast<std::size_t>(std::max<std::int64_t>(m.cells(), 0));
  m.region.assign(n, 0);
  m.homeland.assign(n, 0);
  m.urban.assign(n, 0.0f);
  m.road.assign(n, 0);
  m.border.assign(n, 0);
  m.installation.assign(n, kNoInstallation);
  return m;
}

WorldMap generate_map(const MapParams& params, int width, int height) {
  check_map_params(params, width, height);
  WorldMap m = WorldMap::plain(width, height);
  const auto at = [&](int x, int y) { return static_cast<std::size_t>(y) * width + x; };

  const std::vector<Cell> centres =
      distinct_cells(params.seed, kRegionCentres, width, height, params.regions);
  m.region = voronoi(centres, width, height);

  // Towns: urban density falls linearly from 1 at the centre to 0 at the town's radius; the first town is the
  // largest, so the capital sits in the biggest settlement.
  const std::vector<Cell> towns = distinct_cells(params.seed, kTownCentres, width, height, params.towns);
  Stream sizes(params.seed, kTownSizes, 0, 0);
  for (std::size_t t = 0; t < towns.size(); ++t) {
    const double radius = params.town_radius * (t == 0 ? 1.5 : 0.5 + 0.5 * sizes.uniform());
    const int reach = static_cast<int>(std::min<double>(radius, std::max(width, height)));
    for (int y = std::max(0, towns[t].y - reach); y <= std::min(height - 1, towns[t].y + reach); ++y) {
      for (int x = std::max(0, towns[t].x - reach); x <= std::min(width - 1, towns[t].x + reach); ++x) {
        const double density = 1.0 - std::sqrt(static_cast<double>(dist2({x, y}, towns[t]))) / radius;
        const float v = static_cast<float>(std::clamp(density, 0.0, 1.0));
        m.urban[at(x, y)] = std::max(m.urban[at(x, y)], v);
      }
    }
  }
  build_roads(m, towns);

  // Homeland: group 0 west of x = s0 x width, group 1 east of it (s0 = citizens.group_share, ODD 5); each 3x3
  // block is redrawn with probability `mixing` from the groups' shares, so that it changes side with
  // probability mixing x (the other group's share). The area shares stay s0 and 1 - s0 at any mixing, and at
  // mixing 1 a cell's group is drawn from the shares alone. With s0 = 1/2 this is the two halves with each
  // block swapped with probability mixing/2, draw for draw.
  const int blocks_x = (width + kMixBlock - 1) / kMixBlock;
  const double s0 = params.group0_share;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const auto block = static_cast<std::uint64_t>(y / kMixBlock) * blocks_x + x / kMixBlock;
      const bool east = x >= s0 * width;
      const double swap = params.mixing * (east ? s0 : 1 - s0);
      const bool flip = Stream(params.seed, kHomelandFlips, block, 0).uniform() < swap;
      m.homeland[at(x, y)] = static_cast<std::uint8_t>(east != flip);
    }
  }

  // Border: the outer ring of the named edges; north is row y = 0 (the top row of the raster).
  const Edges edges = parse_border(params.border);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      if ((edges.west && x == 0) || (edges.east && x == width - 1) || (edges.north && y == 0) ||
          (edges.south && y == height - 1))
        m.border[at(x, y)] = 1;

  if (!towns.empty()) {
    place(m, towns[0], kCapital);
    std::size_t next = 1;
    for (int i = 0; i < params.depots; ++i) place(m, towns[next++ % towns.size()], kDepot);
    for (int i = 0; i < params.training_centres; ++i) place(m, towns[next++ % towns.size()], kTrainingCentre);
  }
  return m;
}

void check_map(const WorldMap& m, const std::string& where) {
  if (m.width < 0 || m.height < 0)
    throw ConfigError(where, "map",
                      "negative size " + std::to_string(m.width) + "x" + std::to_string(m.height));
  const auto n = static_cast<std::size_t>(m.cells());
  auto size = [&](std::size_t got, const char* layer) {
    if (got != n)
      throw ConfigError(where, "map",
                        std::string("layer '") + layer + "' has " + std::to_string(got) +
                            " values; expected width * height = " + std::to_string(n));
  };
  size(m.region.size(), "region");
  size(m.homeland.size(), "homeland");
  size(m.urban.size(), "urban");
  size(m.road.size(), "road");
  size(m.border.size(), "border");
  size(m.installation.size(), "installation");
  auto bad = [&](const char* layer, std::size_t c, double value, const char* allowed) {
    throw ConfigError(where, "map",
                      std::string("layer '") + layer + "' has value " + num(value) + " at cell " +
                          cell_text(static_cast<std::int64_t>(c), m.width) + "; allowed: " + allowed);
  };
  for (std::size_t c = 0; c < n; ++c) {
    if (m.region[c] > kMaxRegionId) bad("region", c, m.region[c], "0 to 65534");
    if (m.homeland[c] > 1) bad("homeland", c, m.homeland[c], "0 or 1");
    if (!(m.urban[c] >= 0.0f && m.urban[c] <= 1.0f))
      bad("urban", c, static_cast<double>(m.urban[c]), "0 to 1");
    if (m.road[c] > 1) bad("road", c, m.road[c], "0 or 1");
    if (m.border[c] > 1) bad("border", c, m.border[c], "0 or 1");
    if (m.installation[c] > kTrainingCentre) bad("installation", c, m.installation[c], "0 to 3");
  }
}

// ---- HDF5 -------------------------------------------------------------------------------------------------

namespace {

using h5util::Id;
using h5util::QuietErrors;

/// The most specific message on HDF5's error stack, then cleared ("" when empty).
std::string hdf5_detail() {
  return h5util::detail();
}

/// Writes one map file; every failure throws OutputError naming `path` and the step.
struct Writer {
  std::string path;
  void check(herr_t status, const std::string& what) const {
    if (status >= 0) return;
    const std::string detail = hdf5_detail();
    throw OutputError("cannot write map file '" + path + "': " + what +
                      (detail.empty() ? "" : ": " + detail));
  }
  Id hold(hid_t id, Id::Closer closer, const std::string& what) const {
    check(id < 0 ? -1 : 0, what);
    return Id(id, closer);
  }
  void attr(hid_t obj, const char* name, hid_t ftype, hid_t mtype, hsize_t n, const void* buf) const {
    const std::string what = std::string("cannot write attribute '") + name + "'";
    const Id space = hold(n == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), H5Sclose, what);
    const Id a = hold(H5Acreate2(obj, name, ftype, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose, what);
    check(H5Awrite(a.get(), mtype, buf), what);
  }
  /// A scalar variable-length UTF-8 string, as netCDF-4 stores string attributes.
  void text(hid_t obj, const char* name, const std::string& value) const {
    const Id utf8 = hold(H5Tcopy(H5T_C_S1), H5Tclose, "cannot create a string type");
    check(H5Tset_size(utf8.get(), H5T_VARIABLE), "cannot create a string type");
    check(H5Tset_cset(utf8.get(), H5T_CSET_UTF8), "cannot create a string type");
    const char* s = value.c_str();
    attr(obj, name, utf8.get(), utf8.get(), 0, &s);
  }
  /// Dataset creation: attribute creation order tracked and indexed; with `chunk`, shuffle + deflate.
  Id dcpl(int rank, const hsize_t* chunk, const std::string& what) const {
    Id plist = hold(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
    check(H5Pset_attr_creation_order(plist.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), what);
    if (chunk != nullptr) {
      check(H5Pset_chunk(plist.get(), rank, chunk), what);
      check(H5Pset_shuffle(plist.get()), what);
      check(H5Pset_deflate(plist.get(), 4), what);
    }
    return plist;
  }
  /// A coordinate variable 0..n-1 that is its own dimension scale, numbered as netCDF-C numbers dimensions.
  Id axis(hid_t file, const char* name, hsize_t n, int dimid, const char* long_name) const {
    const std::string what = std::string("cannot write coordinate '") + name + "'";
    std::vector<std::int64_t> values(n);
    for (hsize_t i = 0; i < n; ++i) values[i] = static_cast<std::int64_t>(i);
    const Id space = hold(H5Screate_simple(1, &n, nullptr), H5Sclose, what);
    const Id plist = dcpl(1, nullptr, what);
    Id ds = hold(H5Dcreate2(file, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT),
                 H5Dclose, what);
    check(H5Dwrite(ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), what);
    check(H5DSset_scale(ds.get(), name), what);
    attr(ds.get(), "_Netcdf4Dimid", H5T_STD_I32LE, H5T_NATIVE_INT, 0, &dimid);
    text(ds.get(), "long_name", long_name);
    text(ds.get(), "units", "1");
    return ds;
  }
};

void write_file(const WorldMap& m, const std::string& part, const std::string& path) {
  const Writer w{path};
  const std::string create = "cannot create '" + part + "'";
  const Id fcpl = w.hold(H5Pcreate(H5P_FILE_CREATE), H5Pclose, create);
  w.check(H5Pset_link_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), create);
  w.check(H5Pset_attr_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), create);
  // Exclusively (save_map removed a stale .part of ours): never through a link planted at the name.
  const Id file = w.hold(H5Fcreate(part.c_str(), H5F_ACC_EXCL, fcpl.get(), H5P_DEFAULT), H5Fclose, create);
  w.text(file.get(), "Conventions", "CF-1.8");
  w.text(file.get(), "title", "keepsim map");
  const hsize_t shape[2] = {static_cast<hsize_t>(m.height), static_cast<hsize_t>(m.width)};
  const Id y = w.axis(file.get(), "y", shape[0], 0, "row (north to south)");
  const Id x = w.axis(file.get(), "x", shape[1], 1, "column (west to east)");

  struct Layer {
    const char* name;
    const char* long_name;
    hid_t ftype, mtype;
    const void* data;
  };
  const Layer layers[] = {
      {"region", "province id", H5T_STD_U16LE, H5T_NATIVE_UINT16, m.region.data()},
      {"homeland", "majority group of the area", H5T_STD_U8LE, H5T_NATIVE_UINT8, m.homeland.data()},
      {"urban", "settlement density", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, m.urban.data()},
      {"road", "road cell (1) or not (0)", H5T_STD_U8LE, H5T_NATIVE_UINT8, m.road.data()},
      {"border", "porous border cell (1) or not (0)", H5T_STD_U8LE, H5T_NATIVE_UINT8, m.border.data()},
      {"installation", "installation", H5T_STD_U8LE, H5T_NATIVE_UINT8, m.installation.data()},
  };
  const hsize_t chunk[2] = {std::min<hsize_t>(shape[0], 256), std::min<hsize_t>(shape[1], 256)};
  for (const Layer& l : layers) {
    const std::string what = std::string("cannot write layer '") + l.name + "'";
    const Id space = w.hold(H5Screate_simple(2, shape, nullptr), H5Sclose, what);
    const Id plist = w.dcpl(2, chunk, what);
    const Id ds =
        w.hold(H5Dcreate2(file.get(), l.name, l.ftype, space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT),
               H5Dclose, what);
    w.check(H5Dwrite(ds.get(), l.mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, l.data), what);
    w.check(H5DSattach_scale(ds.get(), y.get(), 0), what);
    w.check(H5DSattach_scale(ds.get(), x.get(), 1), what);
    w.text(ds.get(), "long_name", l.long_name);
    w.text(ds.get(), "units", "1");
    if (std::string(l.name) == "installation") {
      const std::uint8_t flags[] = {kNoInstallation, kCapital, kDepot, kTrainingCentre};
      w.attr(ds.get(), "flag_values", H5T_STD_U8LE, H5T_NATIVE_UINT8, 4, flags);
      w.text(ds.get(), "flag_meanings", "none capital aid_depot training_centre");
    }
  }
  w.check(H5Fflush(file.get(), H5F_SCOPE_LOCAL), "cannot flush");
}

/// One layer as doubles (HDF5 converts any integer or float type), after checking it exists and its shape.
std::vector<double> read_layer(hid_t file, const std::string& path, const char* name, int width, int height) {
  const htri_t exists = H5Lexists(file, name, H5P_DEFAULT);
  if (exists < 0)
    throw ConfigError(path, "map.file", "cannot read the file (truncated or corrupt?): " + hdf5_detail());
  if (exists == 0)
    throw ConfigError(path, name, std::string("missing layer; a map file needs ") + kLayerList);
  const Id ds(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) throw ConfigError(path, name, "is not a dataset (a layer is a 2-D array)");
  const Id space(H5Dget_space(ds.get()), H5Sclose);
  const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0) throw ConfigError(path, "map.file", std::string("cannot read layer '") + name + "'");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  if (rank != 2 || dims[0] != static_cast<hsize_t>(height) || dims[1] != static_cast<hsize_t>(width)) {
    std::string found;
    for (const hsize_t d : dims) found += (found.empty() ? "" : ", ") + std::to_string(d);
    throw ConfigError(path, name,
                      "layer has shape (" + found +
                          "); expected (height, width) = (world.height, world.width) = (" +
                          std::to_string(height) + ", " + std::to_string(width) + ")");
  }
  const Id type(H5Dget_type(ds.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  // HDF5 allocates what the file says a value and the stored chunks take before it can check them; a corrupt
  // size would have it ask for gigabytes. Numbers take at most 16 bytes, and stored data is not much larger
  // than the values themselves (compressed, or in chunks reaching past the layer's edges: the 256 MiB).
  const std::size_t value_size = type.valid() ? H5Tget_size(type.get()) : 0;
  const auto cells = static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height);
  if (value_size == 0 || value_size > 16)
    throw ConfigError(path, name,
                      "layer values of " + std::to_string(value_size) +
                          " bytes each; layers are integer or floating-point arrays (corrupt file?)");
  if (const hsize_t stored = H5Dget_storage_size(ds.get());
      stored > 2 * cells * value_size + (hsize_t{256} << 20))
    throw ConfigError(path, name,
                      "layer claims " + std::to_string(stored) + " bytes of storage for " +
                          std::to_string(cells) + " values of " + std::to_string(value_size) +
                          " bytes (truncated or corrupt file?)");
  std::vector<double> values(static_cast<std::size_t>(width) * height);
  herr_t status = -1;
  if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
    status = H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  } else if (cls == H5T_ENUM) {
    // h5py stores numpy bools as an enum over int8; HDF5 converts enums to nothing else, so read the raw
    // integers (the enum's native form has the size and byte order of its base) and convert those.
    const Id native(H5Tget_native_type(type.get(), H5T_DIR_ASCEND), H5Tclose);
    const Id base(H5Tget_super(native.get()), H5Tclose);
    status = H5Dread(ds.get(), native.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    if (status >= 0)
      status = H5Tconvert(base.get(), H5T_NATIVE_DOUBLE, values.size(), values.data(), nullptr, H5P_DEFAULT);
  } else {
    throw ConfigError(path, name,
                      "layer holds non-numeric data; layers are integer or floating-point arrays");
  }
  if (status < 0)
    throw ConfigError(
        path, "map.file",
        std::string("cannot read layer '") + name + "' (truncated or corrupt file?): " + hdf5_detail());
  return values;
}

/// Range-checks `values` (integers only when `integral`) and converts them to the layer's type.
template <class T>
std::vector<T> convert(const std::vector<double>& values, const std::string& path, const char* name,
                       int width, double hi, bool integral, const char* allowed) {
  std::vector<T> out(values.size());
  for (std::size_t c = 0; c < values.size(); ++c) {
    const double v = values[c];
    if (!(v >= 0 && v <= hi) || (integral && v != std::floor(v)))
      throw ConfigError(path, name,
                        "value " + num(v) + " at cell " + cell_text(static_cast<std::int64_t>(c), width) +
                            " is out of range; allowed: " + allowed);
    out[c] = static_cast<T>(v);
  }
  return out;
}

}  // namespace

void save_map(const WorldMap& map, const std::string& path) {
  check_map(map, path);
  const QuietErrors quiet;
  const std::string part = path + ".part";
  remove_stale(part, "temporary map");
  try {
    write_file(map, part, path);  // every id is closed when it returns or throws
  } catch (const OutputError& e) {
    // Ours only when it was created: a name taken in between (EEXIST) is left alone.
    if (std::string(e.what()).find("cannot create '") == std::string::npos) {
      std::error_code ec;
      std::filesystem::remove(part, ec);
    }
    throw;
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(part, ec);
    throw;
  }
  std::error_code ec;
  refuse_non_regular(path, "output");
  std::filesystem::rename(part, path, ec);
  if (ec) {
    std::filesystem::remove(part, ec);
    throw OutputError("cannot rename '" + part + "' to '" + path + "': " + ec.message());
  }
}

WorldMap load_map(const std::string& path, int width, int height) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw ConfigError(path, "map.file", "no such file");
  if (!std::filesystem::is_regular_file(path, ec)) throw ConfigError(path, "map.file", "not a regular file");
  const QuietErrors quiet;
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw ConfigError(
        path, "map.file",
        std::string("not an HDF5 file; a map file is HDF5 (netCDF-4) with layers ") + kLayerList);
  const Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid())
    throw ConfigError(path, "map.file", "cannot open the file (truncated or corrupt?): " + hdf5_detail());
  const hid_t f = file.get();
  WorldMap m;
  m.width = width;
  m.height = height;
  m.region = convert<std::uint16_t>(read_layer(f, path, "region", width, height), path, "region", width,
                                    kMaxRegionId, true, "integers 0 to 65534");
  m.homeland = convert<std::uint8_t>(read_layer(f, path, "homeland", width, height), path, "homeland", width,
                                     1, true, "0 or 1");
  m.urban = convert<float>(read_layer(f, path, "urban", width, height), path, "urban", width, 1, false,
                           "0 to 1 (not NaN)");
  m.road = convert<std::uint8_t>(read_layer(f, path, "road", width, height), path, "road", width, 1, true,
                                 "0 or 1");
  m.border = convert<std::uint8_t>(read_layer(f, path, "border", width, height), path, "border", width, 1,
                                   true, "0 or 1");
  m.installation = convert<std::uint8_t>(read_layer(f, path, "installation", width, height), path,
                                         "installation", width, kTrainingCentre, true,
                                         "0 (none), 1 (capital), 2 (aid depot), 3 (training centre)");
  check_map(m, path);
  return m;
}

}  // namespace keepsim::peace

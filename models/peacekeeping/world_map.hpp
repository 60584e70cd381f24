// The static world of a peacekeeping scenario (ODD 2 and 5): per-cell layers of regions, ethnic
// geography, towns, roads, the porous border and installations. A map is generated from a seed and a few
// parameters, or loaded from an HDF5 raster file holding the same layers, so users can bring real geography.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "keepsim/core/grid.hpp"

namespace keepsim::peace {

enum Installation : std::uint8_t { kNoInstallation = 0, kCapital = 1, kDepot = 2, kTrainingCentre = 3 };

/// Parameters of the procedural generator (config keys map.*).
struct MapParams {
  std::uint64_t seed = 1;       ///< map.seed: the map's own seed, so one map can be crossed with run seeds
  int regions = 6;              ///< map.regions: Voronoi provinces
  int towns = 8;                ///< map.towns: settlement clusters
  double town_radius = 4;       ///< map.town_radius: cells; urban density falls off over this radius
  double mixing = 0.3;          ///< map.mixing: 0 groups fully separated (two halves), 1 fully mixed
  double group0_share = 0.5;    ///< citizens.group_share: group 0's share of the homeland's area (west)
  std::string border = "west";  ///< map.border: comma-separated edges among west,east,north,south, or "none"
                                ///< (west is column x = 0, north is row y = 0)
  int depots = 1;               ///< map.depots: aid depots (placed in towns)
  int training_centres = 1;     ///< map.training_centres (placed in towns)
};

/// The layers, each width*height values in row-major order (cell = y * width + x).
struct WorldMap {
  int width = 0, height = 0;
  std::vector<std::uint16_t> region;       ///< province id, 0..regions-1
  std::vector<std::uint8_t> homeland;      ///< majority group of the area, 0 or 1
  std::vector<float> urban;                ///< settlement density 0..1
  std::vector<std::uint8_t> road;          ///< 0/1
  std::vector<std::uint8_t> border;        ///< 0/1: arms and fighters come in here
  std::vector<std::uint8_t> installation;  ///< Installation codes

  int regions() const;  ///< 1 + the largest region id
  std::int64_t cells() const { return static_cast<std::int64_t>(width) * height; }
  /// One region, homeland 0 everywhere, no towns, roads, border or installations: the Epstein world.
  static WorldMap plain(int width, int height);
};

/// A generated map, a pure function of (params, width, height): regions are Voronoi cells around seeded
/// centres, towns are clusters with urban density decaying from their centres, roads join the towns (a
/// spanning tree along straight grid paths), the homeland splits the map west to east in the groups' shares,
/// blurred by `mixing`,
/// the capital sits in the largest town, depots and training centres in other towns.
WorldMap generate_map(const MapParams& params, int width, int height);

/// The checks generate_map makes first: throws ConfigError("map generator", KEY, ...) when the parameters
/// cannot make a width x height map (more regions than cells, an unknown border edge, ...).
void check_map_params(const MapParams& params, int width, int height);

/// Reads a raster file written by save_map (or by a user with h5py): datasets region, homeland, urban, road,
/// border, installation, each of shape (height, width). Throws ConfigError naming the file and the layer when
/// the file cannot be read, a layer is missing, has the wrong shape or holds values out of range.
/// `width`/`height`: the expected shape (world.width, world.height).
WorldMap load_map(const std::string& path, int width, int height);

/// Writes the layers as a netCDF-compatible HDF5 file (dimensions y, x with coordinates), atomically
/// (`<path>.part` renamed). Throws OutputError on failure.
void save_map(const WorldMap& map, const std::string& path);

/// Throws ConfigError(where, "map", ...) when layers are inconsistent: sizes differ from width*height,
/// homeland not 0/1, urban outside [0,1], road/border not 0/1, installation > 3, region id 65535 (netCDF's
/// uint16 fill value, which readers would show as missing). A map without a capital is allowed.
void check_map(const WorldMap& map, const std::string& where);

}  // namespace keepsim::peace

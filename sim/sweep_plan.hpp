// A parameter sweep (docs/sweeps.md): the sweep TOML turned into a plan of runs, every run's parameters
// checked against the schema before any run starts, and the manifest that --resume and --collect read back.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "keepsim/core/h5file.hpp"
#include "keepsim/core/params.hpp"

namespace keepsim::sweep {

/// One swept factor as a column of the sweep table, one value per run.
struct Column {
  std::string name;  ///< the dotted parameter key, or "configs" for the config-file factor
  std::string long_name;
  std::string units;
  DType dtype = DType::Float64;     ///< Float64 for real parameters, Int64 otherwise
  std::vector<std::string> levels;  ///< non-empty: the values are indices into these (choices, files)
  std::vector<double> reals;        ///< per run, when dtype is Float64
  std::vector<std::int64_t> ints;   ///< per run otherwise
};

/// What the table needs to know about a sweep, independent of the sweep file once written
/// (DIR/manifest.toml).
struct Manifest {
  std::string source;  ///< the sweep file as given
  std::string design;
  std::int64_t samples = 0;
  std::int64_t replicates = 1;
  std::int64_t base_seed = 0;
  std::vector<std::int64_t> sample, replicate, seed;  ///< per run; run = sample * replicates + replicate
  std::vector<Column> columns;

  std::size_t runs() const { return sample.size(); }
  std::string to_toml() const;
  /// Reads what to_toml wrote; throws ConfigError naming `origin` when it cannot.
  static Manifest parse(const std::string& text, const std::string& origin);
};

struct Plan {
  Manifest manifest;
  std::vector<Params> samples;  ///< each sample's parameters, without its runs' seeds
  /// The parameters of run `run`: its sample's, with run.seed set to the run's derived seed.
  Params run_params(std::size_t run) const;
};

/// Reads and checks a sweep file: every key, every factor level and every sample's parameters (types, ranges
/// and cross-parameter rules). Throws ConfigError naming the file, line and column and the allowed values.
Plan load_plan(const std::string& path);

}  // namespace keepsim::sweep

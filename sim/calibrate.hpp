// `keepsim calibrate` (docs/calibration.md): approximate Bayesian computation over the sweep machinery. Each
// round's parameter sets are written as a CSV design and run as one sweep per case, so a round runs with
// --jobs, under MPI or resumes exactly as a sweep does.
#pragma once
#include <atomic>
#include <string>

#include "sim/resources_cli.hpp"

namespace CLI {
class App;
}

namespace keepsim::calibrate {

struct Options {
  std::string file;  ///< the calibration TOML
  std::string dir;   ///< output directory
  int threads = 0;   ///< per run, as keepsim sweep --threads
  int jobs = 0;      ///< runs at once, as keepsim sweep --jobs
  bool resume = false, quiet = false;
  /// Stop at the first round whose runs are not all complete, once its files are written: its sweeps are
  /// then run elsewhere (a Slurm job array, docs/calibration.md) and the next call goes on from there.
  bool prepare = false;
  cli::MemoryOptions memory;
};

/// Declares `keepsim calibrate` and its options on `app`.
CLI::App* add_command(CLI::App& app, Options& o);

/// Runs the subcommand; returns the exit code (0; 1 if runs failed; 130 if interrupted; 74 if a file could
/// not be written). User errors throw ConfigError or OutputError.
int main(const Options& o, const std::atomic<bool>* stop);

}  // namespace keepsim::calibrate

// The sweep's files: DIR/runs/run_NNNNNN.h5 (one run file each, docs/output.md), a .error text file
// beside a run that failed, and DIR/sweep.h5, the table with dimension `run` (docs/sweeps.md).
#pragma once
#include <cstddef>
#include <string>

#include "sim/sweep_plan.hpp"

namespace keepsim::sweep {

std::string run_path(const std::string& dir, std::size_t run);
std::string error_path(const std::string& dir, std::size_t run);

/// True when `path` is a run file whose `complete` attribute is 1 (what --resume skips).
bool run_complete(const std::string& path);

struct TableCounts {
  std::size_t ok = 0, failed = 0, missing = 0;
};

/// Builds DIR/sweep.h5 from the manifest and whatever run files are there. Everything in it is a function
/// of the run files' datasets and the manifest, so a serial, parallel, MPI, resumed or collected sweep gives
/// the same bytes in every dataset.
TableCounts write_table(const std::string& dir, const Manifest& m);

}  // namespace keepsim::sweep

// The command line's side of point 6 of the robustness issue (resources): --memory-limit and
// --no-memory-check, refusing a run or a sweep that will not fit in memory before anything big is allocated,
// refusing to start a run whose file has no room to begin with, and the estimate `keepsim validate` prints.
#pragma once
#include <string>
#include <vector>

#include "keepsim/core/params.hpp"
#include "keepsim/core/resources.hpp"

namespace CLI {
class App;
}

namespace keepsim::cli {

/// Exit code of a run whose output could not be written to the end (a full disk, a file size limit, an I/O
/// error): sysexits.h's EX_IOERR.
inline constexpr int kExitWriteError = 74;

/// The most --threads and --jobs accept: far above any machine's cores, low enough that a typo (or a
/// negative number read as unsigned somewhere) is refused instead of starting a million threads.
inline constexpr int kMaxThreads = 1024;

/// The range --memory-limit accepts: below 1 MiB no run fits; above 1 EiB the number is a typo.
inline constexpr double kMinMemoryLimit = 1024.0 * 1024.0;
inline constexpr double kMaxMemoryLimit = 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0;

struct MemoryOptions {
  std::string limit;      ///< --memory-limit BYTES ("" : what the machine says)
  bool no_check = false;  ///< --no-memory-check
};

/// Adds --memory-limit and --no-memory-check to `cmd`.
void add_memory_options(CLI::App* cmd, MemoryOptions& o);

/// --memory-limit when given (ConfigError when it is not a byte count), else available_memory().
MemoryAvailable memory_available(const MemoryOptions& o);

/// Refuses (ConfigError naming the file that set the world size, exit code 2) a run whose estimated memory
/// does not fit; nothing is allocated before. Does nothing with --no-memory-check.
void check_run_memory(const Params& params, int threads, const MemoryOptions& o);

/// Refuses (OutputError, exit code 2) to create `out` when its file system or RLIMIT_FSIZE leaves no room for
/// even the start of the file; when the run's output may outgrow the room (uncompressed), warns on standard
/// error unless `quiet`.
void check_run_disk(const Params& params, int threads, const std::string& out, bool quiet);

/// Sweeps: `jobs` runs at once, each with `threads` threads, over the runs whose parameters are `runs`.
/// Refuses (ConfigError naming `where`) when the `jobs` largest do not fit together.
void check_sweep_memory(const std::vector<Params>& runs, int jobs, int threads, const MemoryOptions& o,
                        const std::string& where);

/// "memory: about 12.3 MiB (world 40x40, 1120 agents, 1000 periods; 21.4 GiB available, MemAvailable);
/// output: up to 152 KiB uncompressed"
std::string describe_needs(const Params& params, int threads);

}  // namespace keepsim::cli

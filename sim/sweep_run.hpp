// `keepsim sweep`: the subcommand's options, and running a plan's runs on this machine (oneTBB), across MPI
// ranks, or as one task of a Slurm job array.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/resources_cli.hpp"

namespace CLI {
class App;
}

namespace keepsim::sweep {

struct Plan;

struct Options {
  std::string file;     ///< the sweep TOML
  std::string dir;      ///< output directory
  std::string collect;  ///< --collect DIR: only build DIR/sweep.h5
  int threads = 0;      ///< per run; 0: 1 when runs outnumber cores, else an even share of the cores
  int jobs = 0;         ///< runs at once; 0: min(runs, cores)
  bool resume = false, force = false, quiet = false;
  std::optional<std::int64_t> task_index, task_count;
  cli::MemoryOptions memory;  ///< --memory-limit, --no-memory-check: for the runs at once together
};

/// Declares `keepsim sweep` and its options on `app`.
CLI::App* add_command(CLI::App& app, Options& o);

/// Runs the subcommand; `stop` is set by SIGINT/SIGTERM. Returns the exit code (0, 1 if any run failed,
/// 130 if interrupted, 74 if a run file or the table could not be written: a full disk); user errors throw
/// ConfigError or OutputError.
int main(const Options& o, const std::atomic<bool>* stop);

/// Runs one run of the plan into DIR/runs; 0 complete, 1 failed (text in the .error file), 2 interrupted, 3
/// its file could not be written (a full disk: no .error file, --resume runs it again).
int execute_run(const Plan& plan, const std::string& dir, std::size_t run, int threads,
                const std::atomic<bool>* stop);

/// MPI (sweep_mpi.cpp). `launched()` is true under mpirun in a build with KEEPSIM_MPI; then the session
/// initialises MPI for its lifetime.
class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  /// Rank 0's `value` on every rank.
  int broadcast(int value) const;
  /// Rank 0 hands `pending` runs out one at a time to ranks 1..size-1 as they ask, calling `done(run,
  /// status)` as results come back; the other ranks run what they are handed with `run(index)`.
  void distribute(const std::vector<std::size_t>& pending, const std::function<int(std::size_t)>& run,
                  const std::function<void(std::size_t, int)>& done, const std::atomic<bool>* stop) const;

 private:
  int rank_ = 0;
  int size_ = 1;
  bool initialised_ = false;
  bool owner_ = false;  ///< this session initialised MPI and finalises it
};

}  // namespace keepsim::sweep

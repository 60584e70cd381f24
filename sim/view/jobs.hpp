// Runs started from the page of `keepsim view` (docs/explorer.md, "Runs from the page"). Each is a child
// process running this same executable as `keepsim run CONFIG -o OUT --checkpoint-every K`, so it is exactly
// the run the command line would make, and the server stays responsive while it computes. Its progress and
// its latest maps are read from its checkpoint, which keepsim replaces atomically. Stopping it sends SIGTERM:
// the run then stops at the end of its period, leaves a valid file marked complete = 0 and a checkpoint, as
// Ctrl-C does (README, "Checkpoints and restart"), and `resume` continues it.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace keepsim::view {

struct Job {
  int id = 0;
  std::string config;      ///< the config file written for it (the full effective config as TOML)
  std::string output;      ///< the run file
  std::string checkpoint;  ///< OUTPUT.ckpt
  std::string log;         ///< standard output and error of the child
  std::int64_t steps = 0;
  std::int64_t checkpoint_every = 0;
  int height = 0, width = 0;  ///< the map's size (0 when the run writes no maps)
  pid_t pid = -1;
  std::string state = "running";  ///< running, finished, stopped, failed
  int exit_code = -1;
  bool stop_requested = false;
};

class Jobs {
 public:
  /// `program` is this executable; runs go to `dir` (made when the first run starts).
  Jobs(std::string program, std::string dir);
  ~Jobs();  ///< waits for nothing: running children go on (Ctrl-C reaches them as it reaches the server)
  Jobs(const Jobs&) = delete;
  Jobs& operator=(const Jobs&) = delete;

  /// Checks `sets` ("key=value", as --set takes them) against the schema, writes the config and starts the
  /// run. Throws std::runtime_error (ConfigError's message) when the parameters are refused.
  int start(const std::vector<std::string>& sets);
  /// SIGTERM to a running job; false when it is not running.
  bool stop(int id);
  /// Starts `keepsim resume` on a stopped job's checkpoint; false when it is not stopped.
  bool resume(int id);
  std::vector<Job> all() const;
  bool get(int id, Job& out) const;
  const std::string& dir() const { return dir_; }

 private:
  void spawn(Job& job, const std::vector<std::string>& args);
  void reap();

  std::string program_;
  std::string dir_;
  mutable std::mutex mutex_;
  std::map<int, Job> jobs_;
  int next_ = 1;
  struct Reaper;
  std::unique_ptr<Reaper> reaper_;
};

}  // namespace keepsim::view

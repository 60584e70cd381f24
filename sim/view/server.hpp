// The HTTP server of `keepsim view` (docs/explorer.md): binds (127.0.0.1 unless told otherwise), refuses
// requests that do not come from its own page's address, answers on a pool of threads so a slow request never
// blocks the others, and ends when `stop` becomes true.
#pragma once
#include <atomic>
#include <string>
#include <vector>

namespace keepsim::view {

struct ServerOptions {
  std::vector<std::string> paths;  ///< run files, folders, sweep folders
  std::string host = "127.0.0.1";
  int port = 8765;       ///< 0: any free port
  std::string runs_dir;  ///< where runs started from the page go ("" : the first folder's page_runs)
  bool no_runs = false;  ///< no starting runs from the page
  int threads = 16;      ///< request threads
};

/// Runs the server until `stop` is set; returns the process exit code (2 when it cannot start).
int serve(const ServerOptions& options, const std::atomic<bool>* stop);

}  // namespace keepsim::view

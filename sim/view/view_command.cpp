// `keepsim view` options (view_command.hpp). The server itself is in server.cpp.
#include "sim/view/view_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <stdexcept>

#include "keepsim/core/errors.hpp"

namespace keepsim::view {

CLI::App* add_command(CLI::App& app, ServerOptions& options) {
  CLI::App* view = app.add_subcommand(
      "view",
      "explore run files, folders of runs and sweeps in a web browser (a local server; docs/explorer.md)");
  view->add_option("paths", options.paths,
                   "run files, folders or sweep folders to serve; nothing else is served")
      ->required();
  view->add_option("--host", options.host, "address to listen on (default 127.0.0.1: this machine only)");
  view->add_option("--port", options.port, "port to listen on, 0 for any free one (default 8765)")
      ->check(CLI::Range(0, 65535));
  view->add_option("--runs-dir", options.runs_dir,
                   "where runs started from the page go (default: page_runs in the first folder given)");
  view->add_flag("--no-runs", options.no_runs, "do not let the page start runs");
  view->add_option("--threads", options.threads, "threads answering requests, 1 to 64 (default 16)")
      ->check(CLI::Range(1, 64));
  return view;
}

int main(const ServerOptions& options, const std::atomic<bool>* stop) {
  try {
    return serve(options, stop);
  } catch (const std::runtime_error& e) {  // a path that is not there, or neither a file nor a folder
    std::fprintf(stderr, "keepsim: error: %s\n", excerpt(e.what(), 2000).c_str());
    return 2;
  }
}

}  // namespace keepsim::view

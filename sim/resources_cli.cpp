#include "sim/resources_cli.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <functional>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/safe_files.hpp"
#include "models/memory.hpp"

namespace keepsim::cli {

void add_memory_options(CLI::App* cmd, MemoryOptions& o) {
  cmd->add_option("--memory-limit", o.limit,
                  "memory the run may use, 1M to 1024P, e.g. 8G (default: the smallest of MemAvailable, the "
                  "cgroup limit, "
                  "RLIMIT_AS and RLIMIT_DATA); a run estimated to need more is refused");
  cmd->add_flag("--no-memory-check", o.no_check,
                "start even when the memory estimate exceeds what is available");
}

MemoryAvailable memory_available(const MemoryOptions& o) {
  if (o.limit.empty()) return available_memory();
  const auto bytes = parse_bytes(o.limit);
  if (!bytes)
    throw ConfigError(
        "command line", "--memory-limit",
        "expected a byte count such as 8G, 512M or 1073741824, got '" + excerpt(o.limit, 40) + "'");
  if (*bytes < kMinMemoryLimit || *bytes > kMaxMemoryLimit)
    throw ConfigError("command line", "--memory-limit",
                      "'" + excerpt(o.limit, 40) + "' is out of range; allowed [1M, 1024P] (1 MiB to 1 EiB)");
  return {*bytes, "--memory-limit", false};
}

void check_run_memory(const Params& params, int threads, const MemoryOptions& o) {
  if (o.no_check) {  // a --memory-limit given with it is still checked: a typo should not pass silently
    if (!o.limit.empty()) (void)memory_available(o);
    return;
  }
  const MemoryAvailable available = memory_available(o);
  // Named after where the size of the world was set (a config file, or --set).
  std::string where = "config";
  for (const char* key : {"world.width", "world.height", "citizens.density"})
    if (params.origin(key) != "default") {
      where = params.origin(key);
      break;
    }
  check_memory(estimate_run(params, threads).memory, available, where);
}

void check_run_disk(const Params& params, int threads, const std::string& out, bool quiet) {
  if (!room_checks_enabled()) return;
  const OutputEstimate e = estimate_run(params, threads).output;
  const DiskRoom room = disk_room(out + ".part");
  // Creating the file and closing it again (with period 0 and the summaries) must fit; the rest is watched
  // as the run goes (output_guard.hpp).
  const double start = e.fixed + e.row + e.snapshot + 160.0 * 1024;
  if (room.bytes < start)
    throw OutputError(out + ": " + room.reason() + ": " + format_bytes(room.bytes) +
                      " left, and the run file needs about " + format_bytes(start) + " to start");
  if (!quiet && room.bytes < e.upper())
    std::fprintf(stderr,
                 "keepsim: warning: %s may grow to %s (uncompressed; compressed it is usually several times "
                 "smaller) and %s is left (%s); if it fills, the run stops with a valid file marked "
                 "complete = 0\n",
                 out.c_str(), format_bytes(e.upper()).c_str(), format_bytes(room.bytes).c_str(),
                 room.error == EFBIG ? "RLIMIT_FSIZE" : "free space");
}

void check_sweep_memory(const std::vector<Params>& runs, int jobs, int threads, const MemoryOptions& o,
                        const std::string& where) {
  if (!o.limit.empty()) (void)memory_available(o);  // checked even with --no-memory-check
  if (o.no_check || runs.empty()) return;
  std::vector<MemoryEstimate> each;
  each.reserve(runs.size());
  for (const Params& p : runs) each.push_back(estimate_run(p, threads).memory);
  std::sort(each.begin(), each.end(),
            [](const MemoryEstimate& a, const MemoryEstimate& b) { return a.total() > b.total(); });
  const std::size_t at_once = std::min(each.size(), static_cast<std::size_t>(std::max(jobs, 1)));
  MemoryEstimate sum;
  for (std::size_t i = 0; i < at_once; ++i) {
    // The program itself is there once, however many runs share it.
    sum.state += each[i].state;
    sum.recorder += each[i].recorder;
    sum.transient += each[i].transient;
    sum.address_space += each[i].address_space;
  }
  sum.overhead = each.front().overhead;
  sum.what = std::to_string(at_once) + " runs at once, the largest: " + each.front().what;
  sum.advice = "pass a smaller --jobs, or " + each.front().advice;
  check_memory(sum, memory_available(o), where, "this sweep");
}

std::string describe_needs(const Params& params, int threads) {
  const RunEstimate e = estimate_run(params, threads);
  const MemoryAvailable available = available_memory();
  std::string text = "memory: about " + format_bytes(e.memory.total()) + " (" + e.memory.what + "; " +
                     format_bytes(available.bytes) + " available, " + available.source + ")";
  text += "; output: up to " + format_bytes(e.output.upper()) + " uncompressed";
  return text;
}

}  // namespace keepsim::cli

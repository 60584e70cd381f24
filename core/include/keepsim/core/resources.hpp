// What a run needs and what the machine has (robustness issue, point 6). Before anything big is allocated, a
// run's memory need, estimated from its config (models/memory.hpp), is compared with what this process may
// still use: the smallest of MemAvailable, the cgroup limit, RLIMIT_AS and RLIMIT_DATA. While a run writes,
// the room left for its file (free space on the file system, RLIMIT_FSIZE) is compared with what the next
// write may add, so that a full disk stops the run with a valid file instead of a broken one.
#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace keepsim {

/// Bytes for people: "31.2 GiB", "512 KiB", "100 B".
std::string format_bytes(double bytes);

/// Parses "4096", "512K", "2.5G", "1GiB", "3 GB" (binary multiples either way). Nullopt when it is not one.
std::optional<double> parse_bytes(const std::string& text);

/// A run's peak memory, estimated from its resolved parameters before the model is built. Every term is in
/// bytes; the parts are listed so that `keepsim validate` can show where the memory goes.
struct MemoryEstimate {
  double state = 0;      ///< the model's arrays at their largest: agents, cell layers, the map, scratch space
  double recorder = 0;   ///< the per-period rows, all of them kept in memory for the whole run
  double transient = 0;  ///< buffers that live for part of a period (activation order, map snapshot, HDF5)
  double overhead = 0;   ///< the program itself: code, libraries, HDF5 caches, thread stacks in use
  /// Address space reserved but not used (thread stacks, malloc arenas of worker threads). Only RLIMIT_AS
  /// counts it.
  double address_space = 0;
  std::string what;    ///< what drives it: "world 10000x10000, 7.4e7 agents, 1000 periods"
  std::string advice;  ///< the keys to change: "reduce world.width/height, citizens.density or run.steps"
  double total() const { return state + recorder + transient + overhead; }
  /// state + recorder: what the model and the recorder hold between periods (what the unit test measures).
  double resident() const { return state + recorder; }
};

/// What this process may still allocate, and which limit says so.
struct MemoryAvailable {
  double bytes = std::numeric_limits<double>::infinity();
  std::string source;          ///< "MemAvailable", "cgroup memory.max", "RLIMIT_AS", "RLIMIT_DATA", ...
  bool address_space = false;  ///< the limit counts address space (RLIMIT_AS), not resident memory
};

/// The smallest of: MemAvailable (/proc/meminfo); the cgroup's limit less its usage (v2 memory.max and
/// memory.current, v1 memory.limit_in_bytes and memory.usage_in_bytes, this cgroup and its ancestors);
/// RLIMIT_AS less this process's address space (VmSize); RLIMIT_DATA less its data segment (VmData).
/// Infinite when none of them is known.
MemoryAvailable available_memory();

/// Throws ConfigError(where, "", "<subject> needs about X (what) but Y is available (source); advice") when
/// `need` does not fit in `available` (with the address space term added for RLIMIT_AS).
void check_memory(const MemoryEstimate& need, const MemoryAvailable& available, const std::string& where,
                  const std::string& subject = "this run");

/// The room left to write to `file` (which need not exist yet): the smaller of the space its file system
/// gives unprivileged users (statvfs f_bavail) and RLIMIT_FSIZE less the file's current size. `error` is what
/// writing past it fails with: ENOSPC or EFBIG (0 when unlimited).
struct DiskRoom {
  double bytes = std::numeric_limits<double>::infinity();
  int error = 0;
  std::string reason() const;  ///< strerror(error): "No space left on device", "File too large"
};
DiskRoom disk_room(const std::string& file);

/// True unless KEEPSIM_NO_ROOM_CHECK=1 is set in the environment. The tests set it to reach the code that
/// handles a write failing for real (the checks otherwise stop a run before the disk is full).
bool room_checks_enabled();

}  // namespace keepsim

// Resources (resources.hpp): byte counts read and printed, what the process may still allocate, the room left
// for a file.
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <string>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/resources.hpp"

using namespace keepsim;

TEST_CASE("resources: byte counts are parsed with binary suffixes and printed short") {
  CHECK(parse_bytes("4096") == 4096.0);
  CHECK(parse_bytes("512K") == 512.0 * 1024);
  CHECK(parse_bytes("2.5G") == 2.5 * 1024 * 1024 * 1024);
  CHECK(parse_bytes("1GiB") == 1024.0 * 1024 * 1024);
  CHECK(parse_bytes("3 mb") == 3.0 * 1024 * 1024);
  CHECK_FALSE(parse_bytes("lots"));
  CHECK_FALSE(parse_bytes("12 parsecs"));
  CHECK_FALSE(parse_bytes("-1G"));
  CHECK(format_bytes(100) == "100 B");
  CHECK(format_bytes(512 * 1024.0) == "512 KiB");
  CHECK(format_bytes(31.2 * 1024 * 1024 * 1024) == "31.2 GiB");
  CHECK(format_bytes(INFINITY) == "unlimited");
}

TEST_CASE("resources: available memory is finite here and below RLIMIT_AS when one is set") {
  const MemoryAvailable now = available_memory();
  CHECK(now.bytes > 0);
  CHECK_FALSE(now.source.empty());
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return;  // a sanitizer's shadow memory takes more address space than the limit below
#endif
  rlimit old{};
  REQUIRE(getrlimit(RLIMIT_AS, &old) == 0);
  if (old.rlim_cur != RLIM_INFINITY) return;  // someone already limits this process: leave it alone
  constexpr double kMiB = 1024.0 * 1024.0, kRoom = 256 * kMiB;
  if (now.bytes < 4 * kRoom) {
    WARN("less than 1 GiB available here: RLIMIT_AS cannot be made the tightest bound");
    return;
  }
  // A limit 256 MiB above what the process has mapped now: below the memory available on any machine that
  // runs the suite, so it must be the bound available_memory() reports, as what is left of the address space.
  // (A limit far above, as in an earlier version, was never the tightest bound, and left this unchecked.)
  double mapped = 0;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmSize:", 0) == 0) mapped = std::stod(line.substr(7)) * 1024.0;
  REQUIRE(mapped > 0);
  rlimit tight = old;
  tight.rlim_cur = static_cast<rlim_t>(mapped + kRoom);
  REQUIRE(setrlimit(RLIMIT_AS, &tight) == 0);
  const MemoryAvailable limited = available_memory();
  REQUIRE(setrlimit(RLIMIT_AS, &old) == 0);
  CHECK(limited.source == "RLIMIT_AS");
  CHECK(limited.address_space);
  // What is left of the limit: 256 MiB, give or take what was mapped or unmapped between the two reads of
  // VmSize.
  CHECK(std::abs(limited.bytes - kRoom) < 16 * kMiB);
}

TEST_CASE("resources: the room for a file is the free space, or RLIMIT_FSIZE less its size") {
  const DiskRoom room = disk_room("/tmp/keepsim-no-such-file.h5");
  CHECK(room.bytes > 0);
  CHECK(room.error == ENOSPC);
  CHECK(room.reason() == "No space left on device");
  rlimit old{};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
  rlimit tight = old;
  tight.rlim_cur = 1000;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &tight) == 0);
  const DiskRoom limited = disk_room("/tmp/keepsim-no-such-file.h5");
  REQUIRE(setrlimit(RLIMIT_FSIZE, &old) == 0);
  CHECK(limited.bytes == 1000);
  CHECK(limited.reason() == "File too large");
}

TEST_CASE("resources: check_memory names both numbers, the source and the escape hatches") {
  MemoryEstimate need;
  need.state = 3.0 * 1024 * 1024 * 1024;
  need.address_space = 1024.0 * 1024 * 1024;
  need.what = "world 10000x10000, 7.4e7 agents";
  need.advice = "reduce world.width/height";
  try {
    check_memory(need, {2.0 * 1024 * 1024 * 1024, "MemAvailable", false}, "big.toml");
    FAIL("3 GiB fitted in 2 GiB");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "big.toml: this run needs about 3.0 GiB (world 10000x10000, 7.4e7 agents) but 2.0 GiB is available "
          "(MemAvailable); reduce world.width/height (--memory-limit BYTES sets the limit by hand, "
          "--no-memory-check skips this check)");
  }
  CHECK_NOTHROW(check_memory(need, {3.5 * 1024 * 1024 * 1024, "MemAvailable", false}, "big.toml"));
  // Under RLIMIT_AS the address space reserved by threads counts too.
  CHECK_THROWS_AS(check_memory(need, {3.5 * 1024 * 1024 * 1024, "RLIMIT_AS", true}, "big.toml"), ConfigError);
}

#include "keepsim/core/resources.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "keepsim/core/errors.hpp"

namespace keepsim {
namespace {

namespace fs = std::filesystem;

/// The first whitespace-separated token of a small file, or "" when it cannot be read.
std::string read_token(const fs::path& p) {
  std::ifstream in(p);
  std::string token;
  in >> token;
  return token;
}

std::optional<double> read_number(const fs::path& p) {
  const std::string t = read_token(p);
  if (t.empty() || !std::isdigit(static_cast<unsigned char>(t[0]))) return std::nullopt;  // also "max"
  return std::strtod(t.c_str(), nullptr);
}

/// The value of `key` (e.g. "MemAvailable:") in a "key value [kB]" file such as /proc/meminfo, in bytes.
std::optional<double> read_field(const fs::path& p, const std::string& key, double unit) {
  std::ifstream in(p);
  std::string name;
  double value = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    if (ls >> name >> value && name == key) return value * unit;
  }
  return std::nullopt;
}

void take(MemoryAvailable& best, double bytes, const std::string& source, bool address_space = false) {
  bytes = std::max(0.0, bytes);
  if (bytes < best.bytes) best = {bytes, source, address_space};
}

/// The cgroup's memory left, for the cgroup of this process and each ancestor up to the hierarchy's root.
/// Usage counts the page cache, of which the inactive part is reclaimable: it is not counted as used.
void take_cgroup(MemoryAvailable& best) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    // "0::/path" (v2) or "4:memory:/path" / "5:cpuacct,memory:/path" (v1).
    const auto a = line.find(':');
    const auto b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    const bool v2 = controllers.empty();
    bool memory = false;
    std::istringstream cs(controllers);
    for (std::string c; std::getline(cs, c, ',');) memory = memory || c == "memory";
    if (!v2 && !memory) continue;
    const fs::path root = v2 ? fs::path("/sys/fs/cgroup") : fs::path("/sys/fs/cgroup/memory");
    const char* limit_name = v2 ? "memory.max" : "memory.limit_in_bytes";
    const char* usage_name = v2 ? "memory.current" : "memory.usage_in_bytes";
    const char* inactive_name = v2 ? "inactive_file" : "total_inactive_file";
    // In a cgroup namespace the hierarchy's root is this cgroup, and `path` may not exist under it.
    fs::path dir = root / fs::path(path).relative_path();
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) dir = root;
    for (;;) {
      const auto limit = read_number(dir / limit_name);
      if (limit && *limit < 1e18) {  // v1 says "no limit" with a huge number
        const double usage = read_number(dir / usage_name).value_or(0);
        const double inactive = read_field(dir / "memory.stat", inactive_name, 1).value_or(0);
        take(best, *limit - std::max(0.0, usage - inactive),
             v2 ? "cgroup memory.max" : "cgroup memory.limit_in_bytes");
      }
      if (dir == root || !dir.has_parent_path() || dir.parent_path() == dir) break;
      dir = dir.parent_path();
      if (dir.string().size() < root.string().size()) break;
    }
  }
}

void take_rlimit(MemoryAvailable& best, int resource, const char* name, const char* status_field) {
  rlimit rl{};
  if (getrlimit(resource, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return;
  const double used = read_field("/proc/self/status", status_field, 1024.0).value_or(0);
  take(best, static_cast<double>(rl.rlim_cur) - used, name, resource == RLIMIT_AS);
}

}  // namespace

std::string format_bytes(double bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (!std::isfinite(bytes)) return "unlimited";
  int u = 0;
  double v = std::max(0.0, bytes);
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%.0f B", v);
  else
    std::snprintf(buf, sizeof buf, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::optional<double> parse_bytes(const std::string& text) {
  const char* s = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s, &end);
  if (end == s || errno != 0 || !(v >= 0) || !std::isfinite(v)) return std::nullopt;
  std::string suffix(end);
  suffix.erase(std::remove_if(suffix.begin(), suffix.end(), [](unsigned char c) { return std::isspace(c); }),
               suffix.end());
  for (char& c : suffix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (suffix.empty() || suffix == "B") return v;
  static const char prefixes[] = "KMGTP";
  for (int i = 0; prefixes[i] != '\0'; ++i) {
    const std::string p(1, prefixes[i]);
    if (suffix == p || suffix == p + "B" || suffix == p + "IB") return v * std::pow(1024.0, i + 1);
  }
  return std::nullopt;
}

MemoryAvailable available_memory() {
  MemoryAvailable best;
  if (const auto avail = read_field("/proc/meminfo", "MemAvailable:", 1024.0))
    take(best, *avail, "MemAvailable");
  take_cgroup(best);
  take_rlimit(best, RLIMIT_AS, "RLIMIT_AS", "VmSize:");
  take_rlimit(best, RLIMIT_DATA, "RLIMIT_DATA", "VmData:");
  return best;
}

void check_memory(const MemoryEstimate& need, const MemoryAvailable& available, const std::string& where,
                  const std::string& subject) {
  const double total = need.total() + (available.address_space ? need.address_space : 0.0);
  if (total <= available.bytes) return;
  std::string what = need.what;
  if (available.address_space && need.address_space > 0)
    what += (what.empty() ? "" : "; ") + format_bytes(total) + " of address space with its threads";
  throw ConfigError(where, "",
                    subject + " needs about " + format_bytes(need.total()) +
                        (what.empty() ? std::string() : " (" + what + ")") + " but " +
                        format_bytes(available.bytes) + " is available (" + available.source + "); " +
                        need.advice +
                        " (--memory-limit BYTES sets the limit by hand, --no-memory-check skips this check)");
}

std::string DiskRoom::reason() const {
  return error == 0 ? std::string("no limit") : std::string(std::strerror(error));
}

DiskRoom disk_room(const std::string& file) {
  DiskRoom room;
  const fs::path p(file);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  struct statvfs vfs {};
  if (statvfs(dir.c_str(), &vfs) == 0) {
    room.bytes = static_cast<double>(vfs.f_bavail) * static_cast<double>(vfs.f_frsize);
    room.error = ENOSPC;
  }
  rlimit rl{};
  if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    struct stat st {};
    const double size = ::stat(file.c_str(), &st) == 0 ? static_cast<double>(st.st_size) : 0.0;
    const double left = std::max(0.0, static_cast<double>(rl.rlim_cur) - size);
    if (left < room.bytes) room = {left, EFBIG};
  }
  return room;
}

bool room_checks_enabled() {
  const char* v = std::getenv("KEEPSIM_NO_ROOM_CHECK");
  return v == nullptr || std::strcmp(v, "1") != 0;
}

}  // namespace keepsim

// The path rules of `keepsim view` (path_policy.hpp, docs/explorer.md "Security"). Two checks, both needed:
// the id must be plain text (so nothing is even looked up outside a root), and the file it names, once its
// links are resolved, must still be under the root's real path (so a link planted in a folder cannot lead
// out).
#include "sim/view/path_policy.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <stdexcept>

namespace keepsim::view {
namespace fs = std::filesystem;
namespace {

std::optional<std::string> real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) == nullptr) return std::nullopt;
  return std::string(buf);
}

bool inside(const std::string& real, const Root& root) {
  if (!root.is_dir) return real == root.canonical;
  const std::string prefix = root.canonical == "/" ? "/" : root.canonical + "/";
  return real.size() > prefix.size() && real.compare(0, prefix.size(), prefix) == 0;
}

bool regular(const std::string& real) {
  struct stat st {};
  return stat(real.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// Files keepsim is still writing or keeps for itself are not shown (docs/output.md, README "Checkpoints").
bool listed_name(const std::string& name) {
  return name.size() > 3 && name.compare(name.size() - 3, 3, ".h5") == 0;
}

}  // namespace

bool plain_relative(const std::string& rel) {
  if (rel.empty() || rel.front() == '/' || rel.find('\0') != std::string::npos) return false;
  std::size_t start = 0;
  while (start <= rel.size()) {
    const std::size_t end = rel.find('/', start);
    const std::string part = rel.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return true;
}

PathPolicy::PathPolicy(const std::vector<std::string>& paths) {
  for (const auto& p : paths) add_root(p);
}

std::size_t PathPolicy::add_root(const std::string& path) {
  const auto real = real_path(path);
  if (!real) throw std::runtime_error(path + ": " + std::string(std::strerror(errno)));
  struct stat st {};
  if (stat(real->c_str(), &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
    throw std::runtime_error(path + ": neither a regular file nor a folder");
  for (std::size_t i = 0; i < roots_.size(); ++i)
    if (roots_[i].canonical == *real) return i;
  roots_.push_back({path, *real, S_ISDIR(st.st_mode)});
  return roots_.size() - 1;
}

std::size_t PathPolicy::add_future_root(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw std::runtime_error(path + ": not a folder");
    return add_root(path);
  }
  const fs::path p = fs::path(path).lexically_normal();
  const std::string parent = p.has_parent_path() ? p.parent_path().string() : ".";
  const auto real = real_path(parent);
  if (!real || stat(real->c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw std::runtime_error(path + ": its folder " + parent + " does not exist");
  const std::string name = p.filename().string();
  if (name.empty() || name == "." || name == "..") throw std::runtime_error(path + ": not a folder name");
  roots_.push_back({path, (*real == "/" ? "" : *real) + "/" + name, true});
  return roots_.size() - 1;
}

std::optional<std::string> PathPolicy::resolve(const std::string& id) const {
  if (id.empty() || id.size() > 4096) return std::nullopt;
  const std::size_t slash = id.find('/');
  const std::string head = id.substr(0, slash);
  if (head.empty() || head.size() > 6 || head.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const std::size_t index = std::stoul(head);
  if (index >= roots_.size()) return std::nullopt;
  const Root& root = roots_[index];
  std::string candidate;
  if (slash == std::string::npos) {
    if (root.is_dir) return std::nullopt;
    candidate = root.canonical;
  } else {
    const std::string rel = id.substr(slash + 1);
    if (!root.is_dir || !plain_relative(rel)) return std::nullopt;
    candidate = (root.canonical == "/" ? "" : root.canonical) + "/" + rel;
  }
  const auto real = real_path(candidate);
  if (!real || !inside(*real, root) || !regular(*real)) return std::nullopt;
  return real;
}

std::string PathPolicy::id_of(const std::string& real) const {
  for (std::size_t i = 0; i < roots_.size(); ++i) {
    const Root& root = roots_[i];
    if (!inside(real, root)) continue;
    if (!root.is_dir) return std::to_string(i);
    const std::size_t skip = root.canonical == "/" ? 1 : root.canonical.size() + 1;
    return std::to_string(i) + "/" + real.substr(skip);
  }
  return {};
}

std::vector<Listed> PathPolicy::list(int max_depth, std::size_t max_files) const {
  std::vector<Listed> out;
  std::set<std::string> seen;  // real paths already listed
  for (std::size_t i = 0; i < roots_.size() && out.size() < max_files; ++i) {
    const Root& root = roots_[i];
    if (!root.is_dir) {
      if (seen.insert(root.canonical).second) out.push_back({std::to_string(i), root.canonical});
      continue;
    }
    const std::size_t first = out.size();
    std::error_code ec;
    fs::recursive_directory_iterator it(root.canonical, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it.depth() >= max_depth) it.disable_recursion_pending();
      const fs::path& p = it->path();
      if (!listed_name(p.filename().string())) continue;
      const std::string rel = p.lexically_relative(root.canonical).generic_string();
      const std::string id = std::to_string(i) + "/" + rel;
      if (const auto real = resolve(id); real && seen.insert(*real).second) out.push_back({id, *real});
      if (out.size() >= max_files) break;
    }
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
              [](const Listed& a, const Listed& b) { return a.id < b.id; });
  }
  return out;
}

}  // namespace keepsim::view

// Which files `keepsim view` may read (docs/explorer.md, "Security"): only the run files, folders and sweep
// folders named on its command line. A file is named to the browser by an id, "ROOT/REL": the index of the
// path given and a relative path under it. An id with "..", ".", an empty part, a NUL byte, a leading "/",
// or one whose real path (after symbolic links) leaves its root, or that is not a regular file, is refused.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace keepsim::view {

struct Root {
  std::string given;      ///< as on the command line
  std::string canonical;  ///< its real path
  bool is_dir = false;
};

struct Listed {
  std::string id;    ///< "ROOT/REL" for a file in a folder, "ROOT" for a file given by itself
  std::string path;  ///< the real path
};

class PathPolicy {
 public:
  /// Throws std::runtime_error naming a path that does not exist or is neither a regular file nor a folder.
  explicit PathPolicy(const std::vector<std::string>& paths);
  /// Adds a file or folder; returns its root index.
  std::size_t add_root(const std::string& path);
  /// Adds a folder that may not exist yet (where runs started from the page go, made when the first one
  /// starts): its parent must exist; its real path is the parent's real path and its name. Throws
  /// std::runtime_error when the parent is missing or the name holds something other than a folder.
  std::size_t add_future_root(const std::string& path);

  /// The real path of the regular file `id` names, or nothing when the id is refused.
  std::optional<std::string> resolve(const std::string& id) const;
  /// Every `*.h5` regular file under the roots (folders searched `max_depth` levels deep, without following
  /// links to folders; a file link counts only when it stays inside its root), at most `max_files`; a file
  /// reached from two roots is listed once, under the first.
  std::vector<Listed> list(int max_depth = 4, std::size_t max_files = 20000) const;
  /// The id of a real path inside a root, or "" when it is in none.
  std::string id_of(const std::string& real_path) const;

  const std::vector<Root>& roots() const { return roots_; }

 private:
  std::vector<Root> roots_;
};

/// True when `id`'s relative part is made only of ordinary names (no "..", ".", empty part, NUL, leading
/// "/").
bool plain_relative(const std::string& rel);

}  // namespace keepsim::view

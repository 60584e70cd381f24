// Files on shared folders (issue 15): outputs that cannot be hijacked, one writer per output, inputs read
// with a cap. On a group-writable scratch file system another user may plant a symbolic link at the name of a
// file keepsim is about to write, or start a second run on the same output; these helpers make every file
// keepsim creates its own (exclusive creation, no links followed), refuse outputs that are not regular files
// or that are one of the run's inputs, and hold an advisory lock (flock, released by the kernel when the
// process dies) for as long as a process writes an output or a sweep folder.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keepsim/core/errors.hpp"

namespace keepsim {

/// The most bytes a config, sweep or design file may have: far above any real one, low enough that a
/// special file or a mistaken multi-gigabyte file ends with a message instead of filling memory.
inline constexpr std::size_t kMaxConfigBytes = 16u << 20;
inline constexpr std::size_t kMaxDesignBytes = 256u << 20;

/// Reads the input file `path` (a `what` such as "config file") whole: only a regular file or a named pipe
/// (given on purpose: `<(...)` in a shell), at most `cap` bytes. Throws ConfigError naming the file, its
/// kind or its size and the cap.
std::string read_input_file(const std::string& path, const std::string& what, std::size_t cap);

/// Refuses (OutputError) an existing `path` that is not a regular file: a symbolic link, a directory, a
/// device, a named pipe or a socket. `role` says what the path is for ("output", "checkpoint"). A path that
/// does not exist passes.
void refuse_non_regular(const std::string& path, const std::string& role);

/// Refuses (OutputError) an output that is the same file (device and inode, so hard links and other
/// spellings count) as one of `inputs`: pairs of (path, role such as "config file"). Paths that do not exist
/// are skipped.
void refuse_input_as_output(const std::string& output, const std::string& role,
                            const std::vector<std::pair<std::string, std::string>>& inputs);

/// Before creating `path` exclusively: removes a stale file of that name left by an earlier keepsim process
/// (a kill -9), but only a regular file that belongs to this user; anything else there (a symbolic link,
/// another user's file, a directory) is refused with OutputError. Call only while holding the output's lock.
void remove_stale(const std::string& path, const std::string& role);

/// Removes `path` only when it is a regular file of this user (what keepsim itself may have written there);
/// a link, a folder, a device or another user's file is left alone. True when it was removed.
bool remove_own_file(const std::string& path);

/// Creates `path` for writing with O_CREAT | O_EXCL | O_NOFOLLOW (never through a link, never over an
/// existing file): the open descriptor, or -1 with errno set.
int create_exclusive(const std::string& path, mode_t mode = 0644);

/// Writes `text` to `path` through a new file of a unique name in the same folder, renamed over `path` when
/// whole: nothing is written through a link planted at `path` or at a temporary name. Throws OutputError.
void write_file_replacing(const std::string& path, const std::string& text);

/// An advisory lock (flock) on the file `path` ("OUT.lock", "DIR/sweep.lock"): created if needed (never
/// through a link), with the holder's pid and command written into it while held exclusively. The kernel
/// releases it when the process dies, so a lock left by a killed run never blocks the next one.
class FileLock {
 public:
  FileLock() = default;
  /// Takes the lock or throws OutputError (exit code 2) naming `what` is locked and who holds it (the pid
  /// and command written in the lock file). `shared` locks (Slurm array tasks sharing a sweep folder) may be
  /// held by many processes together but not with an exclusive one. `remove_on_release`: the lock file is
  /// removed when released (only files of a single exclusive holder).
  FileLock(std::string path, const std::string& what, const std::string& command, bool shared = false,
           bool remove_on_release = true);
  ~FileLock();
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return fd_ >= 0; }
  void release();

  /// The holder written in the lock file `path` ("pid 1234 (keepsim run)"), or "" when nobody holds it.
  static std::string holder(const std::string& path);

 private:
  std::string path_;
  int fd_ = -1;
  bool remove_ = true;
};

/// The lock file of an output file or checkpoint: "<path>.lock".
std::string lock_path(const std::string& output);

}  // namespace keepsim

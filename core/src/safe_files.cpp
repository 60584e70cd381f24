// Files on shared folders (safe_files.hpp): exclusive creation, refusing outputs that are not regular files
// or that are inputs, advisory locks naming their holder, and inputs read with a cap.
#include "keepsim/core/safe_files.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/params.hpp"

namespace keepsim {
namespace {

std::string kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a named pipe";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string errno_message(int err) {
  return std::generic_category().message(err);
}

std::string format_size(std::size_t bytes) {
  return bytes >= (1u << 20) ? std::to_string(bytes >> 20) + " MiB" : std::to_string(bytes) + " bytes";
}

}  // namespace

std::string read_input_file(const std::string& path, const std::string& what, std::size_t cap) {
  // O_NONBLOCK: a named pipe without a writer yet must not hang in open() before its type is
  // known; a pipe is then read with poll(), which waits for its writer as a shell's <(...) expects.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    throw ConfigError(path, "", "cannot read " + what + ": " + errno_message(err));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } const closer{fd};
  struct stat st {};
  if (fstat(fd, &st) != 0) throw ConfigError(path, "", "cannot read " + what + ": " + errno_message(errno));
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
    throw ConfigError(path, "",
                      "cannot read " + what + ": it is " + kind_of(st.st_mode) +
                          "; only a regular file or a named pipe is read");
  if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > cap)
    throw ConfigError(path, "",
                      what + " too large: " + std::to_string(st.st_size) + " bytes, at most " +
                          format_size(cap) + " are read");
  const bool pipe = S_ISFIFO(st.st_mode);
  std::string text;
  char buf[1 << 16];
  for (;;) {
    if (pipe) {
      // The descriptor stays non-blocking; poll() waits for data, or for the end once a writer has come and
      // gone. A pipe whose writer has not come yet must wait for it, not read as an empty config.
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, -1) < 0) {
        if (errno == EINTR) continue;
        throw ConfigError(path, "", "cannot read " + what + ": " + errno_message(errno));
      }
    }
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) throw ConfigError(path, "", "cannot read " + what + ": " + errno_message(errno));
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > cap)
      throw ConfigError(path, "",
                        what + " too large: more than " + format_size(cap) + ", the most that is read");
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

void refuse_non_regular(const std::string& path, const std::string& role) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return;
    if (err == ENAMETOOLONG || err == ENOTDIR || err == ELOOP || err == EACCES)
      throw OutputError(path + ": cannot use as " + role + ": " + errno_message(err));
    return;  // other errors show up, with their reason, when the file is created
  }
  if (!S_ISREG(st.st_mode))
    throw OutputError(path + ": the " + role + " path is " + kind_of(st.st_mode) +
                      "; keepsim writes only regular files and replaces nothing else, even with --force");
}

void refuse_input_as_output(const std::string& output, const std::string& role,
                            const std::vector<std::pair<std::string, std::string>>& inputs) {
  struct stat out {};
  if (stat(output.c_str(), &out) != 0) return;
  for (const auto& [path, what] : inputs) {
    struct stat in {};
    if (path.empty() || stat(path.c_str(), &in) != 0) continue;
    if (in.st_dev == out.st_dev && in.st_ino == out.st_ino)
      throw OutputError(output + ": the " + role + " is the " + what + " '" + path +
                        "' the run reads; it would be destroyed: choose another " + role);
  }
}

void remove_stale(const std::string& path, const std::string& role) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw OutputError(path + ": cannot use as " + role + ": " + errno_message(errno));
  }
  if (!S_ISREG(st.st_mode))
    throw OutputError(path + ": the " + role + " path is " + kind_of(st.st_mode) +
                      " that keepsim did not create; remove it, then run again");
  if (st.st_uid != geteuid())
    throw OutputError(path + ": a " + role + " of that name belongs to another user (uid " +
                      std::to_string(st.st_uid) + "); keepsim removes only its own files");
  // unlink() never follows a link: if the name was swapped for one since lstat, only that link goes, and
  // the exclusive creation that follows fails rather than write through anything.
  if (unlink(path.c_str()) != 0 && errno != ENOENT)
    throw OutputError(path + ": cannot replace the stale " + role + ": " + errno_message(errno));
}

bool remove_own_file(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) return false;
  return unlink(path.c_str()) == 0;
}

int create_exclusive(const std::string& path, mode_t mode) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
}

void write_file_replacing(const std::string& path, const std::string& text) {
  std::string tmp = path + ".XXXXXX";
  // mkstemp creates with O_CREAT | O_EXCL under a name nobody could have guessed to plant a link at.
  const int fd = mkstemp(tmp.data());
  if (fd < 0) throw OutputError(path + ": cannot write: " + errno_message(errno));
  (void)fchmod(fd, 0644);
  std::size_t done = 0;
  bool ok = true;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  const int err = ok ? 0 : errno;
  if (::close(fd) != 0 && ok) ok = false;
  if (ok && std::rename(tmp.c_str(), path.c_str()) == 0) return;
  const int why = err != 0 ? err : errno;
  unlink(tmp.c_str());  // ours: created just now
  throw OutputError(path + ": cannot write: " + errno_message(why));
}

std::string excerpt(std::string_view text, std::size_t max) {
  const std::size_t total = text.size();
  const bool cut = total > max;
  if (cut) {
    text = text.substr(0, max);
    // Not in the middle of a UTF-8 sequence: back up over continuation bytes.
    std::size_t end = text.size();
    while (end > 0 && (static_cast<unsigned char>(text[end - 1]) & 0xc0) == 0x80) --end;
    if (end > 0 && static_cast<unsigned char>(text[end - 1]) >= 0xc0) --end;
    text = text.substr(0, end);
  }
  std::string out;
  constexpr char hex[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      // C1 control characters (U+0080 to U+009F): some terminals act on them too.
      const auto d = static_cast<unsigned char>(text[++i]);
      out += "\\u00";
      out += hex[d >> 4];
      out += hex[d & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  out = escape_invalid_utf8(out);
  if (cut) out += "... (" + std::to_string(total) + " bytes in all)";
  return out;
}

std::string lock_path(const std::string& output) {
  return output + ".lock";
}

FileLock::FileLock(std::string path, const std::string& what, const std::string& command, bool shared,
                   bool remove_on_release)
    : path_(std::move(path)), remove_(remove_on_release && !shared) {
  // The lock file may be removed by its last holder between our open and our flock (see release()): then
  // the lock we got is on a file nobody else will find, so open again until the file we hold is the one at
  // the path.
  for (int attempt = 0; attempt < 100; ++attempt) {
    // O_NONBLOCK | O_NOCTTY: a device or pipe planted at the name is opened without waiting or side effects,
    // then refused by the check below.
    const int fd =
        ::open(path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0644);
    if (fd < 0) {
      const int err = errno;
      throw OutputError(path_ + ": cannot create the lock file for " + what + ": " +
                        (err == ELOOP ? std::string("it is a symbolic link") : errno_message(err)));
    }
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw OutputError(path_ + ": the lock file for " + what + " is " + kind_of(st.st_mode));
    }
    if (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err != EWOULDBLOCK) throw OutputError(path_ + ": cannot lock " + what + ": " + errno_message(err));
      std::string who = holder(path_);
      if (who.empty()) {  // the holder may not have written its name yet
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        who = holder(path_);
      }
      throw OutputError(what + " is in use by another keepsim process (" +
                        (who.empty() ? std::string("its pid is not known") : who) + ", lock " + path_ +
                        "); wait for it to end, or choose another output");
    }
    struct stat now {};
    if (lstat(path_.c_str(), &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
      ::close(fd);
      continue;
    }
    fd_ = fd;
    if (!shared) {
      const std::string line = "pid " + std::to_string(getpid()) + " (" + excerpt(command, 60) + ")\n";
      if (ftruncate(fd_, 0) == 0) (void)pwrite(fd_, line.data(), line.size(), 0);
    }
    return;
  }
  throw OutputError(path_ + ": cannot lock " + what + ": its lock file keeps being replaced");
}

FileLock::~FileLock() {
  release();
}

FileLock::FileLock(FileLock&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), remove_(other.remove_) {
  other.fd_ = -1;
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    remove_ = other.remove_;
    other.fd_ = -1;
  }
  return *this;
}

void FileLock::release() {
  if (fd_ < 0) return;
  // Removed while still held, so that nobody takes the lock on a file about to disappear; a process that
  // opened it just before finds, once it holds it, that the path no longer names it, and starts again.
  if (remove_) {
    struct stat st {
    }, now{};
    if (fstat(fd_, &st) == 0 && lstat(path_.c_str(), &now) == 0 && st.st_dev == now.st_dev &&
        st.st_ino == now.st_ino)
      unlink(path_.c_str());
  } else {
    (void)ftruncate(fd_, 0);
  }
  ::close(fd_);
  fd_ = -1;
}

std::string FileLock::holder(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return "";
  char buf[256];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return "";
  std::string text(buf, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return excerpt(text, 100);
}

}  // namespace keepsim

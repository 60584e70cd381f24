// Errors a user can cause (bad config, bad paths). The command line turns them into one message and exit
// code 2.
#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace keepsim {

/// At most `max` bytes of `text` for a message: control characters and invalid UTF-8 escaped (\n, \x1B),
/// with "... (N bytes in all)" when cut (safe_files.cpp). Messages quote user input only through it.
std::string excerpt(std::string_view text, std::size_t max = 80);

/// A problem with user input. `where` names the place (a file, "--set", "command line"), `key` the dotted
/// config key (may be empty), and the message says what is allowed.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string where, std::string key, const std::string& message)
      : std::runtime_error(format(where, key, message)),
        where_(std::move(where)),
        key_(std::move(key)),
        message_(message) {}
  const std::string& where() const { return where_; }
  const std::string& key() const { return key_; }
  /// The message without the place (to report it again at a better place).
  const std::string& message() const { return message_; }

 private:
  static std::string format(const std::string& where, const std::string& key, const std::string& message) {
    std::string out = where.empty() ? std::string() : where + ": ";
    if (!key.empty()) out += "key '" + excerpt(key, 80) + "': ";
    return out + message;
  }
  std::string where_;
  std::string key_;
  std::string message_;
};

/// A problem writing output (unwritable path, full disk). Also exit code 2 at the command line.
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace keepsim

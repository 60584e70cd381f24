// Small helpers over the HDF5 C API for the run file, the checkpoints and the map rasters: ids closed on
// scope exit, HDF5's error printing turned off, and the most useful line of its error stack.
#pragma once
#include <hdf5.h>

#include <string>
#include <utility>

namespace keepsim::h5util {

/// An HDF5 id closed by its close function when it goes out of scope.
class Id {
 public:
  using Closer = herr_t (*)(hid_t);
  Id() = default;
  Id(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Id(Id&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  Id& operator=(Id&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      closer_ = other.closer_;
    }
    return *this;
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Closes the id; returns the close function's status (0 when there was nothing to close).
  herr_t reset() {
    herr_t status = 0;
    if (id_ >= 0 && closer_ != nullptr) status = closer_(id_);
    id_ = H5I_INVALID_HID;
    return status;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

/// Turns off HDF5's automatic error-stack printing for its lifetime.
class QuietErrors {
 public:
  QuietErrors() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// The most specific message on HDF5's current error stack ("" when empty); clears the stack.
inline std::string detail() {
  std::string text;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
        if (n == 0 && err != nullptr && err->desc != nullptr) *static_cast<std::string*>(data) = err->desc;
        return 0;
      },
      &text);
  H5Eclear2(H5E_DEFAULT);
  // File-driver errors carry the system's message: "unable to open file: name = ..., errno = 2, error message
  // = 'No such file or directory', flags = ..."; that message is what a user needs.
  const std::string key = "error message = '";
  if (const auto from = text.find(key); from != std::string::npos) {
    const auto to = text.find('\'', from + key.size());
    if (to != std::string::npos) return text.substr(from + key.size(), to - from - key.size());
  }
  return text;
}

}  // namespace keepsim::h5util

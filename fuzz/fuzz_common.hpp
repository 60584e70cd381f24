// Shared by the libFuzzer targets (README.md, "Fuzzing"): a scratch directory per process for the parsers
// that read files. What counts as a finding: a target catches the error keepsim documents for bad input
// (ConfigError) and returns; any other exception escapes to libFuzzer, which reports it as a crash, as it
// does sanitizer reports, leaks, timeouts and running out of memory.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace keepsim::fuzz {

/// The shape fuzz_raster asks load_map for, and the shape of the seed rasters fuzz_prepare writes.
constexpr int kRasterWidth = 12, kRasterHeight = 10;

/// A scratch directory of this process under $TMPDIR, made empty for one input and removed with everything in
/// it when the object goes (libFuzzer ends with _Exit, so cleaning up at exit would never run).
class Scratch {
 public:
  Scratch() : dir_(std::filesystem::temp_directory_path() / ("keepsim-fuzz-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

/// Writes the input to `path` (replacing it) and returns the path as a string.
inline std::string write_input(const std::filesystem::path& path, const std::uint8_t* data,
                               std::size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path.string();
}

}  // namespace keepsim::fuzz

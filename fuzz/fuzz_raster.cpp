// libFuzzer target: a map raster (peace::load_map), written to a file first because keepsim reads rasters
// from a path. The expected shape is fixed (fuzz_common.hpp); fuzz_prepare writes valid seeds of it.
#include <hdf5.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz/fuzz_common.hpp"
#include "keepsim/core/errors.hpp"
#include "models/peacekeeping/world_map.hpp"

// Debian's libhdf5 leaks on some corrupt files (memory lost inside the library while decoding object headers,
// on its own error paths), which keepsim cannot fix. Those leaks are suppressed; that keepsim closes every
// HDF5 id it opens is checked below instead.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libhdf5_serial.so\n";
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // HDF5's C++ library (linked into keepsim) holds ids of its predefined types from the start.
  static const ssize_t open_before = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  const keepsim::fuzz::Scratch scratch;
  const std::string path = keepsim::fuzz::write_input(scratch.dir() / "map.h5", data, size);
  try {
    (void)keepsim::peace::load_map(path, keepsim::fuzz::kRasterWidth, keepsim::fuzz::kRasterHeight);
  } catch (const keepsim::ConfigError&) {
  }
  if (const ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL); open != open_before) {
    std::fprintf(stderr, "load_map left %zd HDF5 object(s) open\n", open - open_before);
    std::abort();
  }
  return 0;
}

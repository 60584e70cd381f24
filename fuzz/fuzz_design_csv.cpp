// libFuzzer target: a design matrix for `design = "csv"` sweeps (sweep::read_design_csv over the full
// schema), read from a file as keepsim reads it.
#include <cstdint>

#include "fuzz/fuzz_common.hpp"
#include "keepsim/core/errors.hpp"
#include "models/registry.hpp"
#include "sim/sweep_csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const keepsim::fuzz::Scratch scratch;
  const std::string path = keepsim::fuzz::write_input(scratch.dir() / "design.csv", data, size);
  try {
    (void)keepsim::sweep::read_design_csv(path, keepsim::full_schema());
  } catch (const keepsim::ConfigError&) {
  }
  return 0;
}

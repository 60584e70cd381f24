// libFuzzer target: a sweep file (sweep::load_plan), checked and expanded into its samples as `keepsim sweep`
// does before any run starts. The input is written to <scratch>/configs/sweeps/fuzz.toml next to links to
// the repository's configs/epstein, configs/scenarios and configs/doctrines, so the bundled sweeps' relative
// paths ("../epstein/run7.toml") resolve, and next to a small valid design.csv for `design = "csv"`.
#include <cstdint>
#include <filesystem>
#include <fstream>

#include "fuzz/fuzz_common.hpp"
#include "keepsim/core/errors.hpp"
#include "sim/sweep_plan.hpp"

namespace {

/// Lays out `dir` as described above; returns the path the input goes to.
std::filesystem::path prepare(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  const fs::path configs = dir / "configs";
  fs::create_directories(configs / "sweeps");
  for (const char* sub : {"epstein", "scenarios", "doctrines"})
    fs::create_directory_symlink(fs::path(KEEPSIM_SOURCE_DIR) / "configs" / sub, configs / sub);
  std::ofstream(configs / "sweeps" / "design.csv") << "cops.density,citizens.legitimacy,rules.schedule\n"
                                                      "0.01,0.8,async\n0.02,0.7,sync\n";
  return configs / "sweeps" / "fuzz.toml";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const keepsim::fuzz::Scratch scratch;  // afresh for every input: an input cannot leave files for the next
  const std::string path = keepsim::fuzz::write_input(prepare(scratch.dir()), data, size);
  try {
    (void)keepsim::sweep::load_plan(path);
  } catch (const keepsim::ConfigError&) {
  }
  return 0;
}

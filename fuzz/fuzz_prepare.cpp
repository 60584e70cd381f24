// Writes what the fuzz runs need besides the repository's files (tools/fuzz.sh runs it):
//   DIR/raster/*.h5  valid rasters of the shape fuzz_raster expects, as `keepsim map` writes them;
//   DIR/keepsim.dict a libFuzzer dictionary: TOML and CSV tokens, sweep-file words, and every parameter key
//                    and choice of the schema, so it cannot fall behind the schema.
// Usage: fuzz_prepare DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "fuzz/fuzz_common.hpp"
#include "models/peacekeeping/world_map.hpp"
#include "models/registry.hpp"

namespace {

std::string quoted(const std::string& token) {
  std::string out = "\"";
  for (const char c : token) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_prepare DIR\n");
    return 2;
  }
  namespace fs = std::filesystem;
  namespace peace = keepsim::peace;
  const fs::path dir = argv[1];
  fs::create_directories(dir / "raster");
  peace::MapParams generated;
  generated.regions = 3;
  generated.towns = 3;
  generated.town_radius = 2;
  const auto w = keepsim::fuzz::kRasterWidth, h = keepsim::fuzz::kRasterHeight;
  for (const char* name : {"generated.h5", "plain.h5"}) fs::remove(dir / "raster" / name);
  peace::save_map(peace::generate_map(generated, w, h), (dir / "raster" / "generated.h5").string());
  peace::save_map(peace::WorldMap::plain(w, h), (dir / "raster" / "plain.h5").string());

  std::set<std::string> tokens{
      // TOML
      "[", "]", "[[", "]]", "{", "}", "=", ",", ".", "\"", "'", "\"\"\"", "'''", "#", "\n", "\\u", "\\U",
      "\\n", "\\\"", "true", "false", "inf", "-inf", "+inf", "nan", "0x", "0o", "0b", "1e308", "-0.0",
      "1_000", "9223372036854775807", "-9223372036854775808", "1979-05-27T07:32:00Z", "07:32:00",
      "1979-05-27",
      // sweep files and CSV designs
      "base", "sweep", "factors", "design", "replicates", "seed", "samples", "csv", "set", "values", "first",
      "step", "last", "distribution", "low", "high", "uniform", "factorial", "lhs", "saltelli", "configs",
      "configs.", "../epstein/run7.toml", "../scenarios/default.toml", "../doctrines/security_keeping.toml",
      "design.csv", "True", "False"};
  for (const auto& spec : keepsim::full_schema().all()) {
    tokens.insert(spec.key);
    const auto dot = spec.key.rfind('.');
    if (dot != std::string::npos) {
      tokens.insert(spec.key.substr(dot + 1));
      tokens.insert("[" + spec.key.substr(0, dot) + "]");
    }
    for (const auto& choice : spec.choices) tokens.insert(choice);
  }
  std::ofstream dict(dir / "keepsim.dict");
  for (const auto& t : tokens) dict << quoted(t) << "\n";
  if (!dict) {
    std::fprintf(stderr, "fuzz_prepare: cannot write %s\n", (dir / "keepsim.dict").c_str());
    return 1;
  }
  return 0;
}

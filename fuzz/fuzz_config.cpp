// libFuzzer target: a config file (Params::load_string over the full schema), then what the command line
// does with one: the model's cross-parameter rules (validate), and the effective config written back as
// TOML, which must read back to the same values. Lines "--set key=value" exercise Params::apply_override.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/params.hpp"
#include "models/registry.hpp"

namespace {

void check_round_trip(const keepsim::Params& p) {
  const std::string text = p.to_toml();
  keepsim::Params again(keepsim::full_schema());
  try {
    again.load_string(text, "to_toml()");
  } catch (const keepsim::ConfigError& e) {
    std::fprintf(stderr, "to_toml() wrote a config that does not read back: %s\n%s", e.what(), text.c_str());
    std::abort();
  }
  for (const auto& spec : keepsim::full_schema().all())
    if (!(again.get(spec.key) == p.get(spec.key))) {
      std::fprintf(stderr, "key '%s' reads back as %s, was %s\n", spec.key.c_str(),
                   keepsim::to_toml_text(again.get(spec.key)).c_str(),
                   keepsim::to_toml_text(p.get(spec.key)).c_str());
      std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const keepsim::Schema& schema = keepsim::full_schema();

  // Lines "--set key=value" are command-line overrides, applied to parameters of their own (such an input is
  // not TOML). Only those lines, and the first 8: an unknown key costs a "did you mean" search over the whole
  // schema.
  constexpr std::string_view kSet = "--set ";
  keepsim::Params overrides(schema);
  int sets = 0;
  for (std::size_t from = 0; from < text.size() && sets < 8;) {
    const std::size_t to = std::min(text.find('\n', from), text.size());
    if (const auto line = text.substr(from, to - from); line.starts_with(kSet)) {
      ++sets;
      try {
        overrides.apply_override(line.substr(kSet.size()));
      } catch (const keepsim::ConfigError&) {
      }
    }
    from = to + 1;
  }
  if (sets > 0) check_round_trip(overrides);

  keepsim::Params p(schema);
  try {
    p.load_string(text, "fuzz.toml");
  } catch (const keepsim::ConfigError&) {
    return 0;
  }
  check_round_trip(p);
  try {
    keepsim::validate(p);
  } catch (const keepsim::ConfigError&) {
  }
  return 0;
}

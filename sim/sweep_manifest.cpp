// DIR/manifest.toml: what the sweep table needs, written before the first run. --resume compares it with the
// plan (a directory is only resumed by the sweep that started it) and --collect builds the table from it.
#include <toml++/toml.h>

#include "keepsim/core/errors.hpp"
#include "sim/sweep_plan.hpp"

namespace keepsim::sweep {
namespace {

template <class T>
std::string array(const std::vector<T>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += to_toml_text(Value(values[i]));
  }
  return out + "]";
}

template <class T>
std::vector<T> read_array(const toml::table& t, const char* key, const std::string& origin) {
  const auto* a = t.get_as<toml::array>(key);
  if (a == nullptr) throw ConfigError(origin, key, "not a keepsim sweep manifest: missing array");
  std::vector<T> out;
  for (const auto& item : *a) {
    const auto v = item.value<T>();
    if (!v) throw ConfigError(origin, key, "not a keepsim sweep manifest: bad array element");
    out.push_back(*v);
  }
  return out;
}

template <class T>
T read(const toml::table& t, const char* key, const std::string& origin) {
  const auto v = t[key].value<T>();
  if (!v) throw ConfigError(origin, key, "not a keepsim sweep manifest: missing value");
  return *v;
}

}  // namespace

std::string Manifest::to_toml() const {
  std::string out =
      "# keepsim sweep manifest: written before the first run; read by --resume and --collect.\n";
  out += "source = " + to_toml_text(Value(source)) + "\n";
  out += "design = " + to_toml_text(Value(design)) + "\n";
  out += "samples = " + std::to_string(samples) + "\n";
  out += "replicates = " + std::to_string(replicates) + "\n";
  out += "base_seed = " + std::to_string(base_seed) + "\n";
  out += "sample = " + array(sample) + "\n";
  out += "replicate = " + array(replicate) + "\n";
  out += "seed = " + array(seed) + "\n";
  for (const Column& c : columns) {
    out += "\n[[column]]\nname = " + to_toml_text(Value(c.name)) + "\n";
    out += "long_name = " + to_toml_text(Value(c.long_name)) + "\n";
    out += "units = " + to_toml_text(Value(c.units)) + "\n";
    out += "levels = " + array(c.levels) + "\n";
    out += c.dtype == DType::Float64 ? "reals = " + array(c.reals) + "\n" : "ints = " + array(c.ints) + "\n";
  }
  return out;
}

Manifest Manifest::parse(const std::string& text, const std::string& origin) {
  if (const std::size_t line = toml_key_too_deep(text))
    throw ConfigError(origin + ":" + std::to_string(line), "",
                      "not a keepsim sweep manifest: keys nested too deep");
  toml::table t;
  try {
    t = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& pos = e.source().begin;
    throw ConfigError(origin + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column), "",
                      "not a keepsim sweep manifest: " + std::string(e.description()));
  }
  Manifest m;
  m.source = read<std::string>(t, "source", origin);
  m.design = read<std::string>(t, "design", origin);
  m.samples = read<std::int64_t>(t, "samples", origin);
  m.replicates = read<std::int64_t>(t, "replicates", origin);
  m.base_seed = read<std::int64_t>(t, "base_seed", origin);
  m.sample = read_array<std::int64_t>(t, "sample", origin);
  m.replicate = read_array<std::int64_t>(t, "replicate", origin);
  m.seed = read_array<std::int64_t>(t, "seed", origin);
  if (m.replicate.size() != m.sample.size() || m.seed.size() != m.sample.size())
    throw ConfigError(origin, "", "not a keepsim sweep manifest: per-run arrays differ in length");
  if (const auto* cols = t.get_as<toml::array>("column"))
    for (const auto& node : *cols) {
      const auto* ct = node.as_table();
      if (ct == nullptr) throw ConfigError(origin, "column", "not a keepsim sweep manifest");
      Column c;
      c.name = read<std::string>(*ct, "name", origin);
      c.long_name = read<std::string>(*ct, "long_name", origin);
      c.units = read<std::string>(*ct, "units", origin);
      c.levels = read_array<std::string>(*ct, "levels", origin);
      if (ct->contains("reals")) {
        c.dtype = DType::Float64;
        c.reals = read_array<double>(*ct, "reals", origin);
      } else {
        c.dtype = DType::Int64;
        c.ints = read_array<std::int64_t>(*ct, "ints", origin);
      }
      if (std::max(c.reals.size(), c.ints.size()) != m.sample.size())
        throw ConfigError(origin, c.name, "not a keepsim sweep manifest: column length differs");
      m.columns.push_back(std::move(c));
    }
  return m;
}

}  // namespace keepsim::sweep

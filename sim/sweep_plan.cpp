// Reading a sweep file into a plan. Every problem is found here, before any run starts, and reported with the
// file, line and column and what is allowed, because a sweep that dies an hour in wastes a cluster
// allocation.
#include "sim/sweep_plan.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <system_error>

#include <toml++/toml.h>

#include "keepsim/core/design.hpp"
#include "keepsim/core/errors.hpp"
#include "keepsim/core/safe_files.hpp"
#include "models/registry.hpp"
#include "sim/sweep_csv.hpp"

namespace keepsim::sweep {
namespace {

namespace fs = std::filesystem;

/// The most samples and runs (samples x replicates) a sweep may plan: the plan holds every sample's
/// parameters in memory (some 30 kB each), and a typo ("step = 1e-9") should be an error, not hours of
/// planning.
constexpr std::int64_t kMaxSamples = 100000;
constexpr std::int64_t kMaxRuns = 1000000;

std::string at(const std::string& path, const toml::source_region& src) {
  return path + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

/// A factor as declared: a list of levels (values, a range, config files) or a distribution.
struct Factor {
  std::string key;                  ///< parameter key, or "configs"
  const ParamSpec* spec = nullptr;  ///< null for configs
  std::string where;
  std::vector<Value> levels;        ///< parameter values, or config file paths (resolved)
  std::vector<std::string> labels;  ///< config files as written
  bool uniform = false;
  double low = 0, high = 0;
};

Value to_value(const toml::node& n, const std::string& where, const std::string& key) {
  if (const auto* b = n.as_boolean()) return b->get();
  if (const auto* i = n.as_integer()) return i->get();
  if (const auto* f = n.as_floating_point()) return f->get();
  if (const auto* s = n.as_string()) return s->get();
  throw ConfigError(where, key, "expected a boolean, number or string");
}

double number(const toml::node* n, const std::string& where, const std::string& key, const char* what) {
  if (n != nullptr && n->is_number()) {
    const double d = n->value<double>().value_or(0);
    if (!std::isfinite(d))
      throw ConfigError(where, key,
                        std::string("'") + what + "' must be a finite number, got " + to_toml_text(d));
    return d;
  }
  throw ConfigError(where, key, std::string("'") + what + "' must be a number");
}

/// Checks a value against the schema as Params::set would, so errors carry the allowed range; returns it as
/// the parameter stores it (an integer given for a real becomes a float).
Value check_value(const std::string& key, const Value& v, const std::string& where) {
  Params scratch(full_schema());
  scratch.set(key, v, where);
  return scratch.get(key);
}

/// Refuses a level given twice: it would be a second sample with the same parameters. `seen` maps the levels
/// so far to their numbers.
void check_distinct(const Factor& f, const std::string& where, std::map<Value, std::size_t>& seen) {
  const auto [it, fresh] = seen.emplace(f.levels.back(), f.levels.size());
  if (!fresh)
    throw ConfigError(where, f.key,
                      "level " + to_toml_text(f.levels.back()) + " given twice (levels " +
                          std::to_string(it->second) + " and " + std::to_string(f.levels.size()) +
                          "); allowed: each level once (use replicates for repeated runs)");
}

Factor read_param_factor(const std::string& path, const std::string& key, const toml::node& node) {
  Factor f;
  f.key = key;
  f.where = at(path, node.source());
  f.spec = full_schema().find(key);
  if (f.spec == nullptr)
    check_value(key, std::int64_t{0}, f.where);  // throws "not a parameter; did you mean"
  const toml::array* list = node.as_array();
  const toml::table* t = node.as_table();
  if (t != nullptr) {
    const int forms =
        static_cast<int>(t->contains("values")) +
        static_cast<int>(t->contains("first") || t->contains("step") || t->contains("last")) +
        static_cast<int>(t->contains("distribution") || t->contains("low") || t->contains("high"));
    if (forms > 1)
      throw ConfigError(f.where, key,
                        "give one of values = [...], first/step/last, or distribution/low/high, not several");
    for (const auto& [k, v] : *t) {
      static const std::vector<std::string> allowed{"values",       "first", "step", "last",
                                                    "distribution", "low",   "high"};
      if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end())
        throw ConfigError(
            at(path, v.source()), key,
            "unknown factor field '" + std::string(k.str()) +
                "'; allowed: values = [...], or first, step, last, or distribution = \"uniform\", "
                "low, high");
    }
    list = t->get_as<toml::array>("values");
  }
  std::map<Value, std::size_t> seen;
  if (list != nullptr) {
    for (const auto& item : *list) {
      const std::string w = at(path, item.source());
      f.levels.push_back(check_value(key, to_value(item, w, key), w));
      check_distinct(f, w, seen);
    }
    if (f.levels.empty()) throw ConfigError(f.where, key, "empty design: the factor has no values");
    return f;
  }
  if (t == nullptr) throw ConfigError(f.where, key, "expected [values...] or a table {values=[...]}");
  if (t->contains("first") || t->contains("step") || t->contains("last")) {
    const double first = number(t->get("first"), f.where, key, "first");
    const double step = number(t->get("step"), f.where, key, "step");
    const double last = number(t->get("last"), f.where, key, "last");
    if (step == 0 || !std::isfinite(step)) throw ConfigError(f.where, key, "step must be a non-zero number");
    if ((last - first) / step < 0)
      throw ConfigError(at(path, t->get("step")->source()), key,
                        "step " + to_toml_text(step) + " goes away from last " + to_toml_text(last) +
                            "; allowed: a step with the sign of last - first");
    if (!((last - first) / step < static_cast<double>(kMaxSamples)))
      throw ConfigError(at(path, t->get("step")->source()), key,
                        "step " + to_toml_text(step) + " makes more than " + std::to_string(kMaxSamples) +
                            " levels from " + to_toml_text(first) + " to " + to_toml_text(last) +
                            "; allowed: at most " + std::to_string(kMaxSamples) + " levels");
    const bool integral =
        f.spec->type == ParamType::Int && first == std::trunc(first) && step == std::trunc(step);
    for (const double v : design::range(first, step, last)) {
      Value val = integral ? Value(static_cast<std::int64_t>(std::llround(v))) : Value(v);
      f.levels.push_back(check_value(key, val, f.where));
      check_distinct(f, f.where, seen);  // a step below the 12 digits a level keeps
    }
    return f;
  }
  if (const auto dist = t->get_as<std::string>("distribution")) {
    if (dist->get() != "uniform")
      throw ConfigError(at(path, dist->source()), key,
                        "unknown distribution \"" + dist->get() + "\"; allowed: \"uniform\"");
    if (f.spec->type != ParamType::Real && f.spec->type != ParamType::Int)
      throw ConfigError(f.where, key, "a distribution needs a numeric parameter; use values = [...]");
    f.uniform = true;
    f.low = number(t->get("low"), f.where, key, "low");
    f.high = number(t->get("high"), f.where, key, "high");
    if (!(f.low < f.high)) throw ConfigError(f.where, key, "low must be below high");
    if (f.spec->type == ParamType::Int && std::floor(f.high) < std::ceil(f.low))
      throw ConfigError(f.where, key,
                        "no whole number lies between low " + to_toml_text(f.low) + " and high " +
                            to_toml_text(f.high) +
                            " for this integer parameter; allowed: bounds with at least "
                            "one integer between them");
    for (const double v : {f.low, f.high}) {
      // An integer parameter's bound is range-checked as a number first: casting 1e300 to an integer is
      // undefined behaviour.
      if (f.spec->type == ParamType::Int && !(v >= f.spec->min && v <= f.spec->max && std::fabs(v) < 9.2e18))
        throw ConfigError(f.where, key,
                          "value " + to_toml_text(v) + " is out of range; allowed: " + allowed_text(*f.spec));
      check_value(key, f.spec->type == ParamType::Int ? Value(static_cast<std::int64_t>(v)) : Value(v),
                  f.where);
    }
    return f;
  }
  throw ConfigError(f.where, key, "expected values = [...], first/step/last, or distribution/low/high");
}

/// A config-file factor ("configs", or "configs.NAME" when there are several, e.g. scenario and doctrine):
/// its levels are files layered after the base, in the order the factors appear.
Factor read_configs_factor(const std::string& path, const std::string& key, const toml::node& node) {
  Factor f;
  f.key = key;
  f.where = at(path, node.source());
  std::map<Value, std::size_t> seen;
  const toml::array* list = node.as_array();
  if (const auto* t = node.as_table()) list = t->get_as<toml::array>("values");
  if (list == nullptr) throw ConfigError(f.where, key, "expected a list of config files");
  for (const auto& item : *list) {
    const auto s = item.value<std::string>();
    if (!s) throw ConfigError(at(path, item.source()), key, "expected a config file path (a string)");
    f.labels.push_back(*s);
    f.levels.emplace_back((fs::path(path).parent_path() / *s).lexically_normal().string());
    check_distinct(f, at(path, item.source()), seen);
  }
  if (f.levels.empty()) throw ConfigError(f.where, key, "empty design: no config files");
  return f;
}

/// Factor tables nest ("[factors.cops] density = ..."); a table holding a factor field is a factor.
void read_factors(const std::string& path, const toml::table& t, const std::string& prefix,
                  std::vector<Factor>& out) {
  for (const auto& [k, node] : t) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    const auto* sub = node.as_table();
    const bool field = sub && (sub->contains("values") || sub->contains("first") || sub->contains("step") ||
                               sub->contains("last") || sub->contains("distribution"));
    if (sub && !field)
      read_factors(path, *sub, key, out);
    else if (key == "configs" || key.starts_with("configs."))
      out.push_back(read_configs_factor(path, key, node));
    else
      out.push_back(read_param_factor(path, key, node));
  }
}

std::int64_t get_int(const toml::table& t, const std::string& path, const char* key, std::int64_t def,
                     std::int64_t min, std::int64_t max = std::numeric_limits<std::int64_t>::max()) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return def;
  const auto v = n->value_exact<std::int64_t>();
  if (!v || *v < min || *v > max)
    throw ConfigError(
        at(path, n->source()), std::string("sweep.") + key,
        "expected an integer >= " + std::to_string(min) +
            (max < std::numeric_limits<std::int64_t>::max() ? " and at most " + std::to_string(max)
                                                            : std::string()));
  return *v;
}

/// The node at `key` when it is there, checked to be of the kind `ok` accepts.
template <class Ok>
const toml::node* typed_node(const toml::table& t, const std::string& path, const char* key,
                             const std::string& name, Ok ok, const char* expected) {
  const toml::node* n = t.get(key);
  if (n != nullptr && !ok(*n))
    throw ConfigError(at(path, n->source()), name, std::string("expected ") + expected);
  return n;
}

/// Level index of u in [0, 1) among n levels.
std::size_t level_of(double u, std::size_t n) {
  return std::min(n - 1, static_cast<std::size_t>(u * static_cast<double>(n)));
}

Value sample_value(const Factor& f, double u) {
  if (!f.uniform) return f.levels[level_of(u, f.levels.size())];
  if (f.spec->type == ParamType::Int) {
    const double span = std::floor(f.high) - std::ceil(f.low) + 1;
    return static_cast<std::int64_t>(std::ceil(f.low) + std::min(span - 1, std::floor(u * span)));
  }
  return f.low + u * (f.high - f.low);
}

/// The table column of factor j: reals for real parameters, else integers (booleans as 0/1, choices, strings
/// and config files as indices into `levels`).
Column make_column(const Factor& f, std::size_t j, const std::vector<std::vector<Value>>& rows,
                   const std::vector<Params>& samples, const std::vector<std::int64_t>& run_sample) {
  Column c;
  c.name = f.key;
  c.dtype = f.spec != nullptr && f.spec->type == ParamType::Real ? DType::Float64 : DType::Int64;
  c.long_name = f.spec != nullptr ? f.spec->doc : "config file layered after the base (index into levels)";
  c.units = f.spec != nullptr && !f.spec->unit.empty() ? f.spec->unit : "1";
  const bool indexed =
      f.spec == nullptr || f.spec->type == ParamType::Choice || f.spec->type == ParamType::String;
  if (f.spec == nullptr) c.levels = f.labels;
  std::vector<std::string> keys;  // what a level index points at: resolved paths, or the strings themselves
  if (indexed) {
    for (const auto& v : f.levels) keys.push_back(std::get<std::string>(v));
    for (const auto& row : rows)  // a CSV design declares no levels: take them in order of appearance
      if (std::find(keys.begin(), keys.end(), std::get<std::string>(row[j])) == keys.end())
        keys.push_back(std::get<std::string>(row[j]));
    if (f.spec != nullptr) c.levels = keys;
  }
  for (const std::int64_t s : run_sample) {
    const auto si = static_cast<std::size_t>(s);
    const Params& p = samples[si];
    if (indexed) {
      const auto& v = std::get<std::string>(rows[si][j]);
      c.ints.push_back(std::find(keys.begin(), keys.end(), v) - keys.begin());
    } else if (c.dtype == DType::Float64) {
      c.reals.push_back(p.get_real(f.key));
    } else {
      c.ints.push_back(f.spec->type == ParamType::Bool ? std::int64_t{p.get_bool(f.key)} : p.get_int(f.key));
    }
  }
  return c;
}

}  // namespace

Params Plan::run_params(std::size_t run) const {
  Params p = samples[static_cast<std::size_t>(manifest.sample[run])];
  p.set("run.seed", manifest.seed[run], "sweep seed");
  return p;
}

Plan load_plan(const std::string& path) {
  // Only a regular file or a named pipe, with a cap, as config files.
  const std::string text = read_input_file(path, "sweep file", kMaxConfigBytes);
  if (const std::size_t line = toml_key_too_deep(text))
    throw ConfigError(path + ":" + std::to_string(line), "",
                      "TOML syntax error: a key or table nested more than 64 levels deep");
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& pos = e.source().begin;
    throw ConfigError(path + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column), "",
                      "TOML syntax error: " + std::string(e.description()));
  }
  if (root.empty())
    throw ConfigError(path, "",
                      "empty sweep file: nothing to run; a sweep names base = [...] configs and "
                      "[factors] (docs/sweeps.md)");
  for (const auto& [k, node] : root)
    if (k.str() != "base" && k.str() != "sweep" && k.str() != "factors")
      throw ConfigError(at(path, node.source()), std::string(k.str()),
                        "unknown key in a sweep file; allowed: base, [sweep], [factors]");
  const auto is_table = [](const toml::node& n) { return n.is_table(); };
  const auto is_string = [](const toml::node& n) { return n.is_string(); };
  typed_node(
      root, path, "base", "base", [](const toml::node& n) { return n.is_string() || n.is_array(); },
      "a config file path or a list of them");
  typed_node(root, path, "sweep", "sweep", is_table, "a table: [sweep]");
  typed_node(root, path, "factors", "factors", is_table, "a table: [factors]");
  const fs::path dir = fs::path(path).parent_path();

  // The base configs, in order, relative to the sweep file.
  std::vector<std::string> base;
  if (const auto* s = root.get_as<std::string>("base")) base.push_back(s->get());
  if (const auto* a = root.get_as<toml::array>("base"))
    for (const auto& item : *a) {
      if (!item.is_string())
        throw ConfigError(at(path, item.source()), "base", "expected a config file path");
      base.push_back(*item.value<std::string>());
    }
  Params base_params(full_schema());
  for (const auto& b : base) base_params.load_file((dir / b).lexically_normal().string());

  toml::table empty;
  const toml::table* opts = root.get_as<toml::table>("sweep");
  if (opts == nullptr) opts = &empty;
  static const std::vector<std::string> allowed{"design", "replicates", "seed", "samples", "csv", "set"};
  for (const auto& [k, node] : *opts)
    if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end())
      throw ConfigError(at(path, node.source()), "sweep." + std::string(k.str()),
                        "unknown key; allowed: design, replicates, seed, samples, csv, set");
  typed_node(*opts, path, "design", "sweep.design", is_string, "a string: factorial, lhs, saltelli or csv");
  typed_node(*opts, path, "csv", "sweep.csv", is_string, "a file path (a string)");
  if (const auto* set = typed_node(
          *opts, path, "set", "sweep.set", [](const toml::node& n) { return n.is_array(); },
          "a list of \"key=value\" strings"))
    for (const auto& item : *set->as_array())
      if (!item.is_string())
        throw ConfigError(at(path, item.source()), "sweep.set", "expected \"key=value\" (a string)");
  Manifest m;
  m.source = path;
  m.design = opts->get_as<std::string>("design") ? opts->get_as<std::string>("design")->get() : "factorial";
  static const std::vector<std::string> designs{"factorial", "lhs", "saltelli", "csv"};
  if (std::find(designs.begin(), designs.end(), m.design) == designs.end())
    throw ConfigError(at(path, opts->get("design")->source()), "sweep.design",
                      "unknown design \"" + m.design + "\"; allowed: factorial, lhs, saltelli, csv");
  if (opts->contains("csv") && m.design != "csv")
    throw ConfigError(at(path, opts->get("csv")->source()), "sweep.csv",
                      "a design CSV is read only with design = \"csv\" (the design is \"" + m.design + "\")");
  m.replicates = get_int(*opts, path, "replicates", 1, 1, kMaxRuns);
  m.base_seed = get_int(*opts, path, "seed", base_params.get_int("run.seed"), 0);
  const std::int64_t n_samples = get_int(*opts, path, "samples", 0, 1, kMaxSamples);
  const auto apply_sets = [&](Params& p) {
    if (const auto* sets = opts->get_as<toml::array>("set"))
      for (const auto& item : *sets) p.apply_override(*item.value<std::string>(), at(path, item.source()));
  };
  apply_sets(base_params);

  std::vector<Factor> factors;
  if (const auto* t = root.get_as<toml::table>("factors")) read_factors(path, *t, "", factors);
  // toml++ sorts keys; the table's columns follow the file instead.
  std::sort(factors.begin(), factors.end(), [&](const Factor& a, const Factor& b) {
    auto pos = [](const std::string& w) {
      const auto c2 = w.rfind(':'), c1 = w.rfind(':', c2 - 1);
      return std::pair(std::stol(w.substr(c1 + 1, c2 - c1 - 1)), std::stol(w.substr(c2 + 1)));
    };
    return pos(a.where) < pos(b.where);
  });
  // "cops.density" and [factors.cops] density are different TOML keys but the same factor.
  for (std::size_t j = 0; j < factors.size(); ++j)
    for (std::size_t i = 0; i < j; ++i)
      if (factors[i].key == factors[j].key)
        throw ConfigError(
            factors[j].where, factors[j].key,
            "factor given twice (first at " + factors[i].where + "); allowed: each factor once");
  // Runs = samples x replicates, checked before any sample is made.
  const auto too_many = [&](const std::string& where, const std::string& key, double samples) {
    if (samples > static_cast<double>(kMaxSamples) ||
        samples * static_cast<double>(m.replicates) > static_cast<double>(kMaxRuns))
      throw ConfigError(where, key,
                        "the design makes " + to_toml_text(samples) + " samples x " +
                            std::to_string(m.replicates) + " replicates; allowed: at most " +
                            std::to_string(kMaxSamples) + " samples and " + std::to_string(kMaxRuns) +
                            " runs in one sweep");
  };

  // The samples: per factor, a value (parameters) or a level (configs).
  std::vector<std::vector<Value>> rows;
  std::vector<std::string> row_where;  // a CSV design: "path:line:" of each row, so errors name the row
  const std::string where_design = opts->get("design") ? at(path, opts->get("design")->source()) : path;
  if (m.design == "factorial") {
    std::vector<std::size_t> counts;
    double total = 1;
    for (const auto& f : factors) {
      if (f.uniform)
        throw ConfigError(f.where, f.key,
                          "a distribution needs design = \"lhs\" or \"saltelli\"; use values");
      counts.push_back(f.levels.size());
      total *= static_cast<double>(f.levels.size());
      too_many(f.where, f.key, total);
    }
    for (const auto& idx : design::factorial(counts)) {
      auto& row = rows.emplace_back();
      for (std::size_t j = 0; j < factors.size(); ++j) row.push_back(factors[j].levels[idx[j]]);
    }
  } else if (m.design == "lhs" || m.design == "saltelli") {
    if (n_samples < 1)
      throw ConfigError(where_design, "sweep.samples", "empty design: " + m.design + " needs samples >= 1");
    if (factors.empty()) throw ConfigError(where_design, "factors", "empty design: no factors to sample");
    const auto n = static_cast<std::size_t>(n_samples);
    too_many(
        at(path, opts->get("samples")->source()), "sweep.samples",
        static_cast<double>(n_samples) * (m.design == "lhs" ? 1.0 : static_cast<double>(factors.size() + 2)));
    const auto u = m.design == "lhs" ? design::latin_hypercube(n, factors.size(), m.base_seed)
                                     : design::saltelli(n, factors.size(), m.base_seed);
    for (const auto& point : u) {
      auto& row = rows.emplace_back();
      for (std::size_t j = 0; j < factors.size(); ++j) row.push_back(sample_value(factors[j], point[j]));
    }
  } else {
    const auto* csv = opts->get_as<std::string>("csv");
    if (csv == nullptr) throw ConfigError(where_design, "sweep.csv", "design \"csv\" needs csv = \"FILE\"");
    if (!factors.empty())
      throw ConfigError(factors[0].where, factors[0].key,
                        "design \"csv\" takes its factors from the CSV file");
    const CsvDesign d = read_design_csv((dir / csv->get()).lexically_normal().string(), full_schema());
    too_many(d.path, "", static_cast<double>(d.rows.size()));
    for (const auto& col : d.columns) {
      Factor f;
      f.key = col;
      f.spec = full_schema().find(col);
      f.where = d.path;
      factors.push_back(std::move(f));
    }
    rows = d.rows;
    for (const int line : d.lines) row_where.push_back(d.path + ":" + std::to_string(line) + ":");
  }
  if (rows.empty()) throw ConfigError(where_design, "sweep.design", "empty design: no samples");

  // Every sample's parameters: base, its config files, the sweep's `set`, its factor values; then the
  // model's cross-parameter rules.
  std::map<std::vector<std::string>, Params> layered;  // per combination of config files, loaded once
  Plan plan;
  for (std::size_t s = 0; s < rows.size(); ++s) {
    std::vector<std::string> configs;
    for (std::size_t j = 0; j < factors.size(); ++j)
      if (factors[j].spec == nullptr) configs.push_back(std::get<std::string>(rows[s][j]));
    auto it = layered.find(configs);
    if (it == layered.end()) {
      Params p = base_params;
      for (const auto& config : configs) p.load_file(config);
      apply_sets(p);
      it = layered.emplace(configs, std::move(p)).first;
    }
    Params p = it->second;
    for (std::size_t j = 0; j < factors.size(); ++j)
      if (factors[j].spec != nullptr)
        p.set(factors[j].key, rows[s][j],
              row_where.empty() ? factors[j].where : row_where[s] + std::to_string(j + 1));
    validate(p);
    plan.samples.push_back(std::move(p));
  }
  m.samples = static_cast<std::int64_t>(rows.size());
  for (std::int64_t s = 0; s < m.samples; ++s)
    for (std::int64_t r = 0; r < m.replicates; ++r) {
      m.sample.push_back(s);
      m.replicate.push_back(r);
      m.seed.push_back(static_cast<std::int64_t>(design::run_seed(static_cast<std::uint64_t>(m.base_seed),
                                                                  static_cast<std::uint64_t>(s),
                                                                  static_cast<std::uint64_t>(r))));
    }
  for (std::size_t j = 0; j < factors.size(); ++j)
    m.columns.push_back(make_column(factors[j], j, rows, plan.samples, m.sample));
  plan.manifest = std::move(m);
  return plan;
}

}  // namespace keepsim::sweep

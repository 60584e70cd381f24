// `keepsim calibrate` (docs/calibration.md): ABC rejection and ABC-SMC (population Monte Carlo) against case
// targets. A round's parameter sets become a CSV design run as one ordinary sweep per case (sim/sweep_run.cpp
// in-process), so everything a sweep does (--jobs, MPI, resume, failed runs recorded) a round does too.
// Every round is recomputed from the sweeps' tables, and its proposals are a pure function of the seed and
// the earlier rounds' tables: rerunning the command on the same folder reuses every finished run and gives
// the same bytes.
#include "sim/calibrate.hpp"

#include <hdf5.h>

#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <limits>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>

#include "keepsim/core/design.hpp"
#include "keepsim/core/errors.hpp"
#include "keepsim/core/params.hpp"
#include "keepsim/core/safe_files.hpp"
#include "models/registry.hpp"
#include "sim/sweep_run.hpp"
#include "sim/sweep_table.hpp"

namespace keepsim::calibrate {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kMaxSamples = 100000;  // a sweep's own cap (docs/sweeps.md)

std::string at(const std::string& path, const toml::source_region& src) {
  return path + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

/// A parameter to fit and its prior: uniform on [low, high], or on [log low, log high] when `log`.
struct Prior {
  std::string key, where;
  double low = 0, high = 1;
  bool log = false;
  double lo() const { return log ? std::log(low) : low; }  ///< bounds in the sampling space
  double hi() const { return log ? std::log(high) : high; }
  double to_natural(double t) const { return log ? std::exp(t) : t; }
  double mean() const { return log ? (high - low) / std::log(high / low) : 0.5 * (low + high); }
  double sd() const {
    if (!log) return (high - low) / std::sqrt(12.0);
    const double m = mean();
    return std::sqrt((high * high - low * low) / (2 * std::log(high / low)) - m * m);
  }
};

struct Target {
  std::string name, where;
  double observed = 0, sd = 1;
};

struct Case {
  std::string name, where;
  std::vector<std::string> configs;  ///< absolute paths, in order
  std::vector<Target> targets;
};

struct Spec {
  std::string path, method = "rejection";
  std::int64_t samples = 0, replicates = 1, rounds = 1, seed = 0, steps = -1;
  double accept = 0.1;
  std::vector<std::string> sets;
  std::vector<Prior> priors;
  std::vector<Case> cases;
};

double number(const toml::node& n, const std::string& where, const std::string& key) {
  if (!n.is_number()) throw ConfigError(where, key, "expected a number");
  const double d = n.value<double>().value_or(0);
  if (!std::isfinite(d)) throw ConfigError(where, key, "expected a finite number, got " + to_toml_text(d));
  return d;
}

void only_keys(const toml::table& t, const std::string& path, const std::string& prefix,
               const std::vector<std::string>& allowed) {
  for (const auto& [k, node] : t)
    if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw ConfigError(at(path, node.source()), prefix + std::string(k.str()),
                        "unknown key; allowed: " + list);
    }
}

std::int64_t integer(const toml::table& t, const std::string& path, const std::string& prefix,
                     const char* key, std::int64_t def, std::int64_t min, std::int64_t max) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return def;
  const auto v = n->value_exact<std::int64_t>();
  if (!v || *v < min || *v > max)
    throw ConfigError(at(path, n->source()), prefix + key,
                      "expected an integer; allowed: " + std::to_string(min) + " to " + std::to_string(max));
  return *v;
}

/// Reads and checks the calibration file, before anything runs.
Spec load_spec(const std::string& path) {
  const std::string text = read_input_file(path, "calibration file", kMaxConfigBytes);
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& pos = e.source().begin;
    throw ConfigError(path + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column), "",
                      "TOML syntax error: " + std::string(e.description()));
  }
  only_keys(root, path, "", {"calibration", "parameters", "cases"});
  Spec s;
  s.path = path;
  const fs::path dir = fs::absolute(fs::path(path)).parent_path();
  const toml::table* c = root.get_as<toml::table>("calibration");
  if (c == nullptr)
    throw ConfigError(path, "calibration", "missing [calibration] table (docs/calibration.md)");
  only_keys(*c, path, "calibration.",
            {"method", "samples", "accept", "rounds", "replicates", "seed", "steps", "set"});
  if (const toml::node* m = c->get("method")) {
    const auto v = m->value<std::string>();
    if (!v || (*v != "rejection" && *v != "abc-smc"))
      throw ConfigError(at(path, m->source()), "calibration.method", "allowed: \"rejection\" or \"abc-smc\"");
    s.method = *v;
  }
  s.samples = integer(*c, path, "calibration.", "samples", 0, 2, kMaxSamples);
  if (s.samples == 0) throw ConfigError(path, "calibration.samples", "missing; allowed: 2 to 100000");
  s.replicates = integer(*c, path, "calibration.", "replicates", 1, 1, 1000);
  if (s.samples * s.replicates > 1000000)  // a round's sweep may hold at most a million runs (docs/sweeps.md)
    throw ConfigError(at(path, c->get("replicates")->source()), "calibration.replicates",
                      "samples x replicates is " + std::to_string(s.samples * s.replicates) +
                          "; allowed: at most 1000000 runs per case and round");
  s.rounds = integer(*c, path, "calibration.", "rounds", s.method == "rejection" ? 1 : 3, 1, 100);
  if (s.method == "rejection" && s.rounds != 1)
    throw ConfigError(at(path, c->get("rounds")->source()), "calibration.rounds",
                      "rejection has one round; allowed: 1 (or method = \"abc-smc\")");
  s.seed = integer(*c, path, "calibration.", "seed", 1, 0, std::numeric_limits<std::int64_t>::max() / 2);
  s.steps = integer(*c, path, "calibration.", "steps", -1, 1, 1000000000);
  if (const toml::node* a = c->get("accept")) {
    s.accept = number(*a, at(path, a->source()), "calibration.accept");
    if (!(s.accept > 0 && s.accept <= 1))
      throw ConfigError(at(path, a->source()), "calibration.accept",
                        "value " + to_toml_text(s.accept) + " is out of range; allowed: (0, 1]");
  }
  if (const toml::node* set = c->get("set")) {
    const auto* arr = set->as_array();
    if (arr == nullptr) throw ConfigError(at(path, set->source()), "calibration.set", "expected a list");
    for (const auto& item : *arr) {
      const auto v = item.value<std::string>();
      if (!v) throw ConfigError(at(path, item.source()), "calibration.set", "expected \"key=value\"");
      Params(full_schema()).apply_override(*v, at(path, item.source()));  // checks key, type and range
      s.sets.push_back(*v);
    }
  }

  const toml::table* params = root.get_as<toml::table>("parameters");
  if (params == nullptr || params->empty())
    throw ConfigError(path, "parameters", "no [parameters] to fit (docs/calibration.md)");
  for (const auto& [k, node] : *params) {
    Prior p;
    p.key = std::string(k.str());
    p.where = at(path, node.source());
    const ParamSpec* spec = full_schema().find(p.key);
    if (spec == nullptr) {
      Params(full_schema()).set(p.key, 0.0, p.where);  // throws "not a parameter; did you mean"
      throw ConfigError(p.where, p.key, "not a parameter (keepsim describe lists them)");
    }
    if (spec->type != ParamType::Real)
      throw ConfigError(
          p.where, p.key,
          "only real-valued parameters can be fitted; this one is " + std::string(type_name(spec->type)));
    const auto* t = node.as_table();
    if (t == nullptr) throw ConfigError(p.where, p.key, "expected { low = ..., high = ... }");
    only_keys(*t, path, "parameters." + p.key + ".", {"low", "high", "prior"});
    if (!t->contains("low") || !t->contains("high"))
      throw ConfigError(p.where, p.key, "a prior needs low and high; allowed: " + allowed_text(*spec));
    p.low = number(*t->get("low"), p.where, p.key + ".low");
    p.high = number(*t->get("high"), p.where, p.key + ".high");
    if (const toml::node* pr = t->get("prior")) {
      const auto v = pr->value<std::string>();
      if (!v || (*v != "uniform" && *v != "log-uniform"))
        throw ConfigError(at(path, pr->source()), p.key + ".prior",
                          "allowed: \"uniform\" or \"log-uniform\"");
      p.log = *v == "log-uniform";
    }
    for (const double v : {p.low, p.high})
      if (v < spec->min || v > spec->max)
        throw ConfigError(
            p.where, p.key,
            "prior bound " + to_toml_text(v) + " is out of range; allowed: " + allowed_text(*spec));
    if (!(p.low < p.high)) throw ConfigError(p.where, p.key, "low must be below high");
    if (p.log && !(p.low > 0)) throw ConfigError(p.where, p.key, "a log-uniform prior needs low > 0");
    s.priors.push_back(p);
  }
  // toml++ sorts keys; the design's columns follow the file.
  std::sort(s.priors.begin(), s.priors.end(), [](const Prior& a, const Prior& b) {
    auto pos = [](const std::string& w) {
      const auto c2 = w.rfind(':'), c1 = w.rfind(':', c2 - 1);
      return std::pair(std::stol(w.substr(c1 + 1, c2 - c1 - 1)), std::stol(w.substr(c2 + 1)));
    };
    return pos(a.where) < pos(b.where);
  });

  const toml::table* cases = root.get_as<toml::table>("cases");
  if (cases == nullptr || cases->empty())
    throw ConfigError(path, "cases", "no [cases.NAME] to fit against (docs/calibration.md)");
  for (const auto& [k, node] : *cases) {
    Case cs;
    cs.name = std::string(k.str());
    cs.where = at(path, node.source());
    const std::string prefix = "cases." + cs.name + ".";
    if (cs.name.empty() || cs.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                     "0123456789_-") != std::string::npos)
      throw ConfigError(cs.where, "cases." + cs.name,
                        "a case name becomes a folder name; allowed: letters, digits, _ and -");
    const auto* t = node.as_table();
    if (t == nullptr) throw ConfigError(cs.where, "cases." + cs.name, "expected a table");
    only_keys(*t, path, prefix, {"configs", "targets"});
    const auto* cf = t->get_as<toml::array>("configs");
    if (cf == nullptr || cf->empty())
      throw ConfigError(cs.where, prefix + "configs", "expected a list of config files");
    Params check(full_schema());
    for (const auto& item : *cf) {
      const auto v = item.value<std::string>();
      if (!v) throw ConfigError(at(path, item.source()), prefix + "configs", "expected a config file path");
      cs.configs.push_back((dir / *v).lexically_normal().string());
      check.load_file(cs.configs.back());
    }
    for (const auto& set : s.sets) check.apply_override(set, path);
    const auto* tg = t->get_as<toml::table>("targets");
    if (tg == nullptr || tg->empty())
      throw ConfigError(cs.where, prefix + "targets", "no targets: give summary_NAME = { observed, sd }");
    for (const auto& [tk, tnode] : *tg) {
      Target tr;
      tr.name = std::string(tk.str());
      tr.where = at(path, tnode.source());
      const std::string key = prefix + "targets." + tr.name;
      if (!tr.name.starts_with("summary_"))
        throw ConfigError(tr.where, key,
                          "a target is a run's summary variable; allowed: summary_* names "
                          "(keepsim describe --outputs)");
      const auto* tt = tnode.as_table();
      if (tt == nullptr) throw ConfigError(tr.where, key, "expected { observed = ..., sd = ... }");
      only_keys(*tt, path, key + ".", {"observed", "sd", "low", "high"});
      // Without `observed`, a range's midpoint (a case table that gives only low and high).
      const bool range = tt->contains("low") && tt->contains("high");
      if (!tt->contains("observed") && !range)
        throw ConfigError(tr.where, key + ".observed", "missing; give observed, or low and high");
      tr.observed = tt->contains("observed") ? number(*tt->get("observed"), tr.where, key + ".observed")
                                             : 0.5 * (number(*tt->get("low"), tr.where, key + ".low") +
                                                      number(*tt->get("high"), tr.where, key + ".high"));
      if (tt->contains("sd") == (tt->contains("low") || tt->contains("high")))
        throw ConfigError(tr.where, key,
                          "give either sd, or low and high (a 95% range), not both or neither");
      if (tt->contains("sd")) {
        tr.sd = number(*tt->get("sd"), tr.where, key + ".sd");
      } else {
        if (!tt->contains("low") || !tt->contains("high"))
          throw ConfigError(tr.where, key, "a range needs both low and high");
        const double lo = number(*tt->get("low"), tr.where, key + ".low");
        const double hi = number(*tt->get("high"), tr.where, key + ".high");
        if (!(lo <= tr.observed && tr.observed <= hi))
          throw ConfigError(tr.where, key, "observed must lie in [low, high]");
        tr.sd = (hi - lo) / (2 * 1.959963984540054);  // a 95% normal interval
      }
      if (!(tr.sd > 0))
        throw ConfigError(tr.where, key + ".sd",
                          "value " + to_toml_text(tr.sd) + " is out of range; allowed: > 0");
      cs.targets.push_back(tr);
    }
    s.cases.push_back(std::move(cs));
  }
  return s;
}

/// Exact text of a double that reads back to the same double (the design CSV, posterior.csv).
std::string fmt(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// Seven significant digits, for the human-facing tables (diagnostics, comments).
std::string brief(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return buf;
}

/// A uniform in [0, 1) from a generator whose output the standard fixes (std::uniform_real_distribution's
/// is implementation-defined): the same proposals on every platform.
double uniform01(std::mt19937_64& g) {
  return static_cast<double>(g() >> 11) * 0x1.0p-53;
}
double normal01(std::mt19937_64& g) {  // Box-Muller
  const double u1 = 1.0 - uniform01(g), u2 = uniform01(g);
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * 3.14159265358979323846 * u2);
}

/// A population: points in the sampling space (log for log-uniform priors), normalised weights, distances.
struct Population {
  std::vector<std::vector<double>> points;
  std::vector<double> weights, distances;
};

/// The kernel's standard deviation per dimension: twice the weighted variance (Beaumont et al. 2009), or a
/// tenth of the prior's width when the population has collapsed to one point.
std::vector<double> kernel_sd(const Population& pop, const std::vector<Prior>& priors) {
  std::vector<double> sd(priors.size());
  for (std::size_t j = 0; j < priors.size(); ++j) {
    double m = 0, v = 0;
    for (std::size_t i = 0; i < pop.points.size(); ++i) m += pop.weights[i] * pop.points[i][j];
    for (std::size_t i = 0; i < pop.points.size(); ++i)
      v += pop.weights[i] * (pop.points[i][j] - m) * (pop.points[i][j] - m);
    sd[j] = v > 0 ? std::sqrt(2 * v) : 0.1 * (priors[j].hi() - priors[j].lo());
  }
  return sd;
}

/// Round `round`'s proposals: the prior in round 0, else a weighted draw from `prev` moved by the Gaussian
/// kernel, redrawn until it lies inside the prior's support.
std::vector<std::vector<double>> propose(const Spec& s, std::int64_t round, const Population* prev) {
  std::mt19937_64 g(design::run_seed(static_cast<std::uint64_t>(s.seed), static_cast<std::uint64_t>(round),
                                     0x43414c42));  // "CALB": a stream of its own
  std::vector<std::vector<double>> out;
  const std::size_t d = s.priors.size();
  std::vector<double> sd, cum;
  if (prev != nullptr) {
    sd = kernel_sd(*prev, s.priors);
    std::partial_sum(prev->weights.begin(), prev->weights.end(), std::back_inserter(cum));
  }
  for (std::int64_t i = 0; i < s.samples; ++i) {
    std::vector<double> x(d);
    if (prev == nullptr) {
      for (std::size_t j = 0; j < d; ++j)
        x[j] = s.priors[j].lo() + uniform01(g) * (s.priors[j].hi() - s.priors[j].lo());
    } else {
      for (int tries = 0;; ++tries) {
        if (tries == 100000)
          throw std::runtime_error("abc-smc: no proposal inside the prior after 100000 tries");
        const double u = uniform01(g) * cum.back();
        const std::size_t k = std::min<std::size_t>(
            cum.size() - 1,
            static_cast<std::size_t>(std::upper_bound(cum.begin(), cum.end(), u) - cum.begin()));
        bool inside = true;
        for (std::size_t j = 0; j < d; ++j) {
          x[j] = prev->points[k][j] + sd[j] * normal01(g);
          inside = inside && x[j] >= s.priors[j].lo() && x[j] <= s.priors[j].hi();
        }
        if (inside) break;
      }
    }
    out.push_back(std::move(x));
  }
  return out;
}

/// An HDF5 id closed at scope exit.
struct H5 {
  hid_t id;
  herr_t (*close)(hid_t);
  H5(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  ~H5() {
    if (id >= 0) close(id);
  }
  H5(const H5&) = delete;
  H5& operator=(const H5&) = delete;
};

/// A column of DIR/sweep.h5 as doubles, or nothing when the table has no such variable.
std::optional<std::vector<double>> read_column(hid_t file, const std::string& name) {
  if (H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0) return std::nullopt;
  const H5 ds(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  const H5 space(H5Dget_space(ds.id), H5Sclose);
  std::vector<double> v(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.id)));
  if (H5Dread(ds.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    throw OutputError(name + ": cannot be read from a sweep table");
  return v;
}

/// The summary variables a table has, for a message naming what a target could be.
std::string summaries_in(hid_t file) {
  std::string out;
  H5Literate(
      file, H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
        auto& s = *static_cast<std::string*>(data);
        if (std::string(name).starts_with("summary_")) s += (s.empty() ? "" : ", ") + std::string(name);
        return 0;
      },
      &out);
  return out;
}

/// Per sample of a case's sweep: the mean over replicates of sum over targets of ((sim - obs) / sd)^2;
/// infinite when a replicate failed or lacks a value.
std::vector<double> case_distances(const std::string& table, const Case& c, std::int64_t samples) {
  const H5 file(H5Fopen(table.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (file.id < 0) throw OutputError(table + ": cannot open the sweep table");
  const auto status = read_column(file.id, "status");
  const auto sample = read_column(file.id, "sample");
  if (!status || !sample) throw OutputError(table + ": not a sweep table (no status or sample)");
  std::vector<double> sum(static_cast<std::size_t>(samples), 0.0);
  std::vector<int> n(static_cast<std::size_t>(samples), 0);
  std::vector<double> run_d(status->size(), 0.0);
  for (const auto& t : c.targets) {
    const auto v = read_column(file.id, t.name);
    if (!v)
      throw ConfigError(t.where, "cases." + c.name + ".targets." + t.name,
                        "the runs have no such summary; allowed: " + excerpt(summaries_in(file.id), 1500));
    for (std::size_t r = 0; r < v->size(); ++r) {
      const double z = ((*v)[r] - t.observed) / t.sd;
      run_d[r] += z * z;
    }
  }
  for (std::size_t r = 0; r < status->size(); ++r) {
    const auto s = static_cast<std::size_t>((*sample)[r]);
    if ((*status)[r] != 0 || !std::isfinite(run_d[r])) {
      sum[s] = std::numeric_limits<double>::infinity();
    } else {
      sum[s] += run_d[r];
    }
    ++n[s];
  }
  for (std::size_t s = 0; s < sum.size(); ++s) sum[s] /= std::max(1, n[s]);
  return sum;
}

std::string round_dir(const std::string& dir, std::int64_t round) {
  return (fs::path(dir) / ("round-" + std::to_string(round))).string();
}

/// The sweep file of one case in one round: the case's configs, the calibration's overrides, the design.
std::string sweep_text(const Spec& s, const Case& c, std::int64_t round) {
  std::ostringstream o;
  o << "# Written by keepsim calibrate from " << s.path << ": round " << round << ", case " << c.name
    << " (docs/calibration.md).\nbase = [";
  for (std::size_t i = 0; i < c.configs.size(); ++i) o << (i ? ", " : "") << to_toml_text(c.configs[i]);
  o << "]\n\n[sweep]\ndesign = \"csv\"\ncsv = \"design.csv\"\nreplicates = " << s.replicates << "\nseed = "
    << design::run_seed(static_cast<std::uint64_t>(s.seed), static_cast<std::uint64_t>(round), 1)
    << "\nset = [";
  std::vector<std::string> sets = s.sets;
  if (s.steps > 0) sets.push_back("run.steps=" + std::to_string(s.steps));
  for (std::size_t i = 0; i < sets.size(); ++i) o << (i ? ", " : "") << to_toml_text(sets[i]);
  o << "]\n";
  return o.str();
}

/// Writes `text` unless the file already holds exactly it (a resumed round leaves its files untouched).
void write_if_changed(const fs::path& p, const std::string& text) {
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) {
    try {
      if (read_input_file(p.string(), "calibration file", kMaxDesignBytes) == text) return;
    } catch (const ConfigError&) {
    }
  }
  write_file_replacing(p.string(), text);
}

double weighted_quantile(std::vector<std::pair<double, double>> xw, double q) {
  std::sort(xw.begin(), xw.end());
  double total = 0;
  for (const auto& [x, w] : xw) total += w;
  double acc = 0;
  for (const auto& [x, w] : xw) {
    acc += w;
    if (acc >= q * total) return x;
  }
  return xw.back().first;
}

}  // namespace

CLI::App* add_command(CLI::App& app, Options& o) {
  CLI::App* c = app.add_subcommand("calibrate",
                                   "fit parameters to case targets by ABC over sweeps (docs/calibration.md)");
  c->add_option("calibration", o.file, "the calibration file (TOML)")->required();
  c->add_option("-o,--output", o.dir, "output directory (DIR/posterior.csv, DIR/round-K/CASE/...)")
      ->required();
  c->add_option("--threads", o.threads, "threads per run, 0 to 1024 (as keepsim sweep)")
      ->check(CLI::Range(0, cli::kMaxThreads));
  c->add_option("--jobs", o.jobs, "runs at once on this machine, 0 to 1024 (0: as many as cores)")
      ->check(CLI::Range(0, cli::kMaxThreads));
  c->add_flag("--resume", o.resume, "continue the calibration in DIR, reusing every finished run");
  c->add_flag("--prepare", o.prepare,
              "run no simulation: go on through the rounds whose runs are all done, write the next round's "
              "sweep files and stop (for job arrays)");
  c->add_flag("-q,--quiet", o.quiet, "print nothing but errors");
  cli::add_memory_options(c, o.memory);
  return c;
}

int main(const Options& o, const std::atomic<bool>* stop) {
  // Held for the whole calibration; under MPI the sweeps below join this session instead of starting one.
  const sweep::MpiSession mpi;
  std::optional<Spec> spec;
  try {
    spec = load_spec(o.file);
  } catch (const std::exception&) {
    if (mpi.rank() != 0) return 2;  // every rank finds the same error: rank 0 reports it
    throw;
  }
  const Spec& s = *spec;
  const bool root = mpi.rank() == 0;
  const fs::path dir(o.dir);
  std::vector<FileLock> locks;
  const std::string text = read_input_file(o.file, "calibration file", kMaxConfigBytes);
  if (root) {
    try {
      std::error_code ec;
      if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
        throw OutputError(o.dir + ": the calibration's output path exists and is not a directory");
      fs::create_directories(dir, ec);
      if (ec) throw OutputError(o.dir + ": cannot create the directory: " + ec.message());
      locks.emplace_back((dir / "calibrate.lock").string(), "calibration folder " + o.dir,
                         "keepsim calibrate -o " + o.dir);
      const fs::path copy = dir / "calibration.toml";
      refuse_non_regular(copy.string(), "copy of the calibration file");
      refuse_input_as_output(copy.string(), "copy of the calibration file", {{o.file, "calibration file"}});
      if (fs::exists(copy, ec)) {
        if (!o.resume)
          throw OutputError(o.dir +
                            ": holds a calibration already; pass --resume to continue it, or choose "
                            "another directory");
        if (read_input_file(copy.string(), "calibration copy", kMaxConfigBytes) != text)
          throw OutputError(o.dir + ": holds another calibration (its calibration.toml differs from " +
                            o.file + "); choose another directory");
      }
      write_if_changed(copy, text);
    } catch (...) {
      mpi.broadcast(0);
      throw;
    }
  }
  if (mpi.broadcast(1) == 0) return 2;

  const std::size_t d = s.priors.size();
  const auto n_accept = static_cast<std::size_t>(
      std::max<std::int64_t>(1, std::llround(s.accept * static_cast<double>(s.samples))));
  std::optional<Population> pop;
  struct RoundInfo {
    std::int64_t proposals = 0, finite = 0, accepted = 0;
    double epsilon = 0, ess = 0;
  };
  std::vector<RoundInfo> info;
  bool failures = false;
  for (std::int64_t round = 0; round < s.rounds; ++round) {
    const auto x = propose(s, round, pop ? &*pop : nullptr);
    const fs::path rdir = round_dir(o.dir, round);
    if (root) {
      int ok = 1;
      try {
        fs::create_directories(rdir);
        std::string csv;
        for (std::size_t j = 0; j < d; ++j) csv += (j ? "," : "") + s.priors[j].key;
        csv += "\n";
        for (const auto& row : x) {
          for (std::size_t j = 0; j < d; ++j) csv += (j ? "," : "") + fmt(s.priors[j].to_natural(row[j]));
          csv += "\n";
        }
        write_if_changed(rdir / "design.csv", csv);
        for (const auto& c : s.cases)
          write_if_changed(rdir / (c.name + ".sweep.toml"), sweep_text(s, c, round));
      } catch (...) {
        ok = 0;
        mpi.broadcast(ok);
        throw;
      }
      mpi.broadcast(ok);
    } else if (mpi.broadcast(1) == 0) {
      return 2;
    }
    if (o.prepare) {  // every run of every case of this round complete, or stop here
      bool done = true;
      for (const auto& c : s.cases)
        for (std::int64_t r = 0; r < s.samples * s.replicates && done; ++r)
          done = sweep::run_complete(sweep::run_path((rdir / c.name).string(), static_cast<std::size_t>(r)));
      if (!done) {
        if (root) {
          std::printf(
              "keepsim calibrate: round %lld is prepared; run its sweeps, e.g. in each task of a job "
              "array:\n",
              static_cast<long long>(round + 1));
          for (const auto& c : s.cases)
            std::printf("  keepsim sweep %s -o %s --resume -q\n", (rdir / (c.name + ".sweep.toml")).c_str(),
                        (rdir / c.name).c_str());
          std::printf("then: keepsim calibrate %s -o %s --resume --prepare\n", o.file.c_str(), o.dir.c_str());
        }
        return 0;
      }
    }
    std::vector<double> dist(x.size(), 0.0);
    for (const auto& c : s.cases) {
      sweep::Options so;
      so.file = (rdir / (c.name + ".sweep.toml")).string();
      so.dir = (rdir / c.name).string();
      so.threads = o.threads;
      so.jobs = o.jobs;
      so.resume = true;  // a case folder is only ever this round's sweep: finished runs are kept
      so.quiet = o.quiet;
      so.memory = o.memory;
      if (!o.quiet && root)
        std::printf("keepsim calibrate: round %lld of %lld, case %s: %lld samples x %lld replicates\n",
                    static_cast<long long>(round + 1), static_cast<long long>(s.rounds), c.name.c_str(),
                    static_cast<long long>(s.samples), static_cast<long long>(s.replicates));
      std::fflush(stdout);
      int rc = 0;
      try {
        rc = sweep::main(so, stop);
      } catch (...) {
        mpi.broadcast(2);
        throw;
      }
      rc = mpi.broadcast(rc);  // the workers wait here for rank 0's table
      if (rc == 1) failures = true;
      if (rc != 0 && rc != 1) {
        if (root && rc == 130)
          std::fprintf(stderr, "keepsim: calibration interrupted; run it again with --resume to finish %s\n",
                       o.dir.c_str());
        return rc;
      }
      const auto cd = case_distances((fs::path(so.dir) / "sweep.h5").string(), c, s.samples);
      for (std::size_t i = 0; i < dist.size(); ++i) dist[i] += cd[i];
    }
    // Accept the closest fraction; epsilon is the largest distance accepted. After round 0 only proposals
    // within the previous epsilon qualify, so epsilon never grows (Toni et al. 2009's decreasing schedule).
    std::vector<std::size_t> order(x.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return dist[a] < dist[b]; });
    RoundInfo ri;
    ri.proposals = s.samples;
    ri.finite = std::count_if(dist.begin(), dist.end(), [](double v) { return std::isfinite(v); });
    const double limit = pop ? info.back().epsilon : std::numeric_limits<double>::infinity();
    Population next;
    for (std::size_t k = 0; k < order.size() && next.points.size() < n_accept; ++k) {
      if (!std::isfinite(dist[order[k]]) || dist[order[k]] > limit) break;
      next.points.push_back(x[order[k]]);
      next.distances.push_back(dist[order[k]]);
    }
    if (next.points.empty() && !pop)
      throw OutputError(o.dir + ": round " + std::to_string(round) +
                        ": every run failed or lacks a target; see the .error files in " + rdir.string());
    if (next.points.empty()) {
      // No proposal came within epsilon: the population stays as it was (said in diagnostics/rounds.csv).
      ri.epsilon = info.back().epsilon;
      ri.ess = info.back().ess;
      info.push_back(ri);
      continue;
    }
    ri.accepted = static_cast<std::int64_t>(next.points.size());
    ri.epsilon = next.distances.back();
    // Importance weights: prior density (flat in the sampling space) over the mixture that proposed them.
    for (const auto& p : next.points) {
      if (!pop) {
        next.weights.push_back(1.0);
        continue;
      }
      const auto sd = kernel_sd(*pop, s.priors);
      double mix = 0;
      for (std::size_t k = 0; k < pop->points.size(); ++k) {
        double logk = 0;
        for (std::size_t j = 0; j < d; ++j) {
          const double z = (p[j] - pop->points[k][j]) / sd[j];
          logk += -0.5 * z * z - std::log(sd[j]);
        }
        mix += pop->weights[k] * std::exp(logk);
      }
      next.weights.push_back(mix > 0 ? 1.0 / mix : 0.0);
    }
    const double total = std::accumulate(next.weights.begin(), next.weights.end(), 0.0);
    double sq = 0;
    for (auto& w : next.weights) {
      w /= total;
      sq += w * w;
    }
    ri.ess = 1.0 / sq;
    info.push_back(ri);
    pop = std::move(next);
  }
  if (!root) return 0;

  // posterior.csv, diagnostics, point_estimate.toml.
  std::string post = "particle,";
  for (const auto& p : s.priors) post += p.key + ",";
  post += "weight,distance\n";
  for (std::size_t i = 0; i < pop->points.size(); ++i) {
    post += std::to_string(i) + ",";
    for (std::size_t j = 0; j < d; ++j) post += fmt(s.priors[j].to_natural(pop->points[i][j])) + ",";
    post += fmt(pop->weights[i]) + "," + fmt(pop->distances[i]) + "\n";
  }
  write_file_replacing((dir / "posterior.csv").string(), post);

  const fs::path diag = dir / "diagnostics";
  fs::create_directories(diag);
  std::string rounds = "round,proposals,finite,accepted,acceptance_rate,epsilon,ess\n";
  for (std::size_t r = 0; r < info.size(); ++r)
    rounds += std::to_string(r) + "," + std::to_string(info[r].proposals) + "," +
              std::to_string(info[r].finite) + "," + std::to_string(info[r].accepted) + "," +
              brief(static_cast<double>(info[r].accepted) / static_cast<double>(info[r].proposals)) + "," +
              brief(info[r].epsilon) + "," + brief(info[r].ess) + "\n";
  write_file_replacing((diag / "rounds.csv").string(), rounds);

  std::string params =
      "parameter,prior,prior_low,prior_high,prior_mean,prior_sd,posterior_mean,posterior_sd,"
      "posterior_median\n";
  std::string point = "# Posterior mean of keepsim calibrate " + s.path +
                      " (docs/calibration.md): layer it after a case's configs, e.g.\n#   keepsim run";
  for (const auto& c : s.cases[0].configs) point += " " + c;
  point += " " + (dir / "point_estimate.toml").string() + " -o run.h5\n";
  std::vector<std::string> point_lines;
  for (std::size_t j = 0; j < d; ++j) {
    const Prior& p = s.priors[j];
    double m = 0, v = 0;
    std::vector<std::pair<double, double>> xw;
    for (std::size_t i = 0; i < pop->points.size(); ++i) {
      const double xi = p.to_natural(pop->points[i][j]);
      m += pop->weights[i] * xi;
      xw.emplace_back(xi, pop->weights[i]);
    }
    for (const auto& [xi, w] : xw) v += w * (xi - m) * (xi - m);
    const double med = weighted_quantile(xw, 0.5);
    params += p.key + "," + (p.log ? "log-uniform" : "uniform") + "," + brief(p.low) + "," + brief(p.high) +
              "," + brief(p.mean()) + "," + brief(p.sd()) + "," + brief(m) + "," + brief(std::sqrt(v)) + "," +
              brief(med) + "\n";
    point += "# " + p.key + ": posterior median " + brief(med) + ", sd " + brief(std::sqrt(v)) + "\n";
    point_lines.push_back(p.key + " = " + to_toml_text(m) + "\n");
  }
  for (const auto& l : point_lines) point += l;
  write_file_replacing((diag / "parameters.csv").string(), params);
  write_file_replacing((dir / "point_estimate.toml").string(), point);
  if (!o.quiet) {
    std::printf("keepsim calibrate: %s, %lld round(s): %zu accepted, epsilon %.4g, ESS %.1f -> %s\n",
                s.method.c_str(), static_cast<long long>(s.rounds), pop->points.size(), info.back().epsilon,
                info.back().ess, (dir / "posterior.csv").c_str());
    std::printf("%s", params.c_str());
  }
  return failures ? 1 : 0;
}

}  // namespace keepsim::calibrate

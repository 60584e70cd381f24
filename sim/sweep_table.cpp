#include "sim/sweep_table.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/run.hpp"
#include "keepsim/core/safe_files.hpp"

namespace keepsim::sweep {
namespace {

/// An HDF5 id closed at scope exit (reading only; errors mean "not a complete run").
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

/// HDF5 prints its error stack by default; a missing or partial run file is expected here.
struct Quiet {
  H5E_auto2_t func = nullptr;
  void* data = nullptr;
  Quiet() {
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~Quiet() { H5Eset_auto2(H5E_DEFAULT, func, data); }
  Quiet(const Quiet&) = delete;
  Quiet& operator=(const Quiet&) = delete;
};

std::string string_attr(hid_t obj, const char* name) {
  if (H5Aexists(obj, name) <= 0) return "";
  const H5 attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  const H5 type(H5Aget_type(attr.id), H5Tclose);
  if (H5Tget_class(type.id) != H5T_STRING || H5Tis_variable_str(type.id) <= 0) return "";
  char* value = nullptr;
  if (H5Aread(attr.id, type.id, &value) < 0 || value == nullptr) return "";
  std::string out = value;
  H5free_memory(value);
  return out;
}

struct Summary {
  std::string name, long_name, units;
  bool real = false;
  std::vector<double> reals;
  std::vector<std::int64_t> ints;
};

/// Reads every scalar summary_* dataset of a complete run file into `table` (column per name, in order of
/// first appearance), at row `run`.
void read_summaries(hid_t file, std::size_t run, std::size_t runs, std::vector<Summary>& table) {
  struct Ctx {
    std::vector<std::string> names;
  } ctx;
  hsize_t idx = 0;
  H5Literate(
      file, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx,
      [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
        if (std::string(name).rfind("summary_", 0) == 0) static_cast<Ctx*>(data)->names.emplace_back(name);
        return 0;
      },
      &ctx);
  for (const auto& name : ctx.names) {
    const H5 ds(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
    const H5 type(H5Dget_type(ds.id), H5Tclose);
    const bool real = H5Tget_class(type.id) == H5T_FLOAT;
    auto it = std::find_if(table.begin(), table.end(), [&](const Summary& s) { return s.name == name; });
    if (it == table.end()) {
      Summary s{name, string_attr(ds.id, "long_name"), string_attr(ds.id, "units"), real, {}, {}};
      if (real)
        s.reals.assign(runs, std::numeric_limits<double>::quiet_NaN());
      else
        s.ints.assign(runs, kFillInt64);
      it = table.insert(table.end(), std::move(s));
    }
    if (it->real) {
      double v = 0;
      if (H5Dread(ds.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0) it->reals[run] = v;
    } else {
      std::int64_t v = 0;
      if (H5Dread(ds.id, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0) it->ints[run] = v;
    }
  }
}

std::int64_t int_attr(hid_t obj, const char* name, std::int64_t fallback) {
  if (H5Aexists(obj, name) <= 0) return fallback;
  const H5 attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  std::int64_t v = fallback;
  if (H5Aread(attr.id, H5T_NATIVE_INT64, &v) < 0) return fallback;
  return v;
}

/// A run's error file, as a short escaped excerpt: it goes into the table, and only a regular file is read
/// (a link to a device or a huge file in the folder must not hang or fill the collection).
std::string slurp(const std::string& path) {
  try {
    return excerpt(read_input_file(path, "error file", 1u << 20), 4000);
  } catch (const ConfigError& e) {
    return std::string("(unreadable error file: ") + e.message() + ")";
  }
}

}  // namespace

std::string run_path(const std::string& dir, std::size_t run) {
  char name[40];
  std::snprintf(name, sizeof name, "run_%06zu.h5", run);
  return (std::filesystem::path(dir) / "runs" / name).string();
}

std::string error_path(const std::string& dir, std::size_t run) {
  return run_path(dir, run) + ".error";
}

bool run_complete(const std::string& path) {
  const Quiet quiet;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  const H5 file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  return file.id >= 0 && int_attr(file.id, "complete", 0) == 1;
}

TableCounts write_table(const std::string& dir, const Manifest& m) {
  const std::size_t n = m.runs();
  std::vector<std::int64_t> status(n, 2);
  std::vector<Summary> summaries;
  std::string errors;
  TableCounts counts;
  {
    const Quiet quiet;
    for (std::size_t i = 0; i < n; ++i) {
      if (run_complete(run_path(dir, i))) {
        const H5 file(H5Fopen(run_path(dir, i).c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
        read_summaries(file.id, i, n, summaries);
        status[i] = 0;
        ++counts.ok;
      } else if (std::filesystem::exists(error_path(dir, i))) {
        status[i] = 1;
        ++counts.failed;
        std::string text = slurp(error_path(dir, i));
        while (!text.empty() && text.back() == '\n') text.pop_back();
        errors += "run " + std::to_string(i) + ": " + text + "\n";
      } else {
        ++counts.missing;
      }
    }
  }

  RunFile f((std::filesystem::path(dir) / "sweep.h5").string());
  for (const auto& [name, value] : standard_attrs()) f.set_attr(name, value);
  f.set_attr("title", "keepsim sweep: " + m.source);
  f.set_attr("sweep_file", m.source);
  f.set_attr("design", m.design);
  f.set_attr("samples", m.samples);
  f.set_attr("replicates", m.replicates);
  f.set_attr("base_seed", m.base_seed);
  f.set_attr("runs_ok", static_cast<std::int64_t>(counts.ok));
  f.set_attr("runs_failed", static_cast<std::int64_t>(counts.failed));
  f.set_attr("runs_missing", static_cast<std::int64_t>(counts.missing));
  f.set_attr("errors", errors);
  f.set_attr("history", std::string("created by keepsim sweep"));

  std::vector<std::int64_t> index(n);
  for (std::size_t i = 0; i < n; ++i) index[i] = static_cast<std::int64_t>(i);
  f.define_coordinate("run", index, "run index (file runs/run_NNNNNN.h5)");
  const std::vector<std::string> run_dim{"run"};
  f.write_array({"sample", "sample (design row) index", "1", DType::Int64, run_dim, {}}, m.sample, false);
  f.write_array({"replicate", "replicate index within the sample", "1", DType::Int64, run_dim, {}},
                m.replicate, false);
  f.write_array({"seed",
                 "run.seed of the run (derived from base_seed, sample, replicate)",
                 "1",
                 DType::Int64,
                 run_dim,
                 {}},
                m.seed, false);
  for (const Column& c : m.columns) {
    VarSpec spec{c.name, c.long_name, c.units, c.dtype, run_dim, {}};
    if (!c.levels.empty()) {
      std::string joined;
      for (const auto& l : c.levels) joined += (joined.empty() ? "" : "\n") + l;
      spec.attrs.emplace_back("levels", joined);
      spec.attrs.emplace_back("comment", std::string("index into the newline-separated attribute levels"));
    }
    if (c.dtype == DType::Float64)
      f.write_array(spec, c.reals, false);
    else
      f.write_array(spec, c.ints, false);
  }
  f.write_array({"status",
                 "run status",
                 "1",
                 DType::UInt8,
                 run_dim,
                 {{"flag_meanings", std::string("ok failed missing")},
                  {"comment", std::string("0 ok, 1 failed (error text in the global attribute errors), "
                                          "2 missing or incomplete")}}},
                status, false);
  for (const Summary& s : summaries) {
    const VarSpec spec{s.name, s.long_name, s.units, s.real ? DType::Float64 : DType::Int64, run_dim, {}};
    if (s.real)
      f.write_array(spec, s.reals);
    else
      f.write_array(spec, s.ints);
  }
  f.close();
  return counts;
}

}  // namespace keepsim::sweep

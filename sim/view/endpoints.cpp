// The /api/ routes of `keepsim view` (endpoints.hpp; each one is described in docs/explorer.md, "Endpoints").
// Every route that reads a file takes an id and asks the path policy for it first; a refused id and a missing
// file get the same answer, so the server says nothing about what lies outside the folders it serves.
#include "sim/view/endpoints.hpp"

#include <httplib.h>

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/params.hpp"
#include "models/registry.hpp"
#include "sim/view/json.hpp"
#include "sim/view/path_policy.hpp"
#include "sim/view/responses.hpp"
#include "sim/view/run_reader.hpp"

namespace keepsim::view {
namespace {

namespace fs = std::filesystem;

/// The real path of the file `id` names, or an answer of 404.
std::optional<std::string> file_param(const httplib::Request& req, httplib::Response& res,
                                      const PathPolicy& policy) {
  const std::string id = req.get_param_value("id");
  auto path = policy.resolve(id);
  if (!path) send_error(res, 404, "no file '" + id.substr(0, 200) + "' in the folders this server was given");
  return path;
}

void write_attr(Json& j, const Attr& a) {
  if (const auto* i = std::get_if<std::int64_t>(&a))
    j.value(*i);
  else if (const auto* d = std::get_if<double>(&a))
    j.value(*d);
  else if (const auto* s = std::get_if<std::string>(&a))
    j.value(*s);
  else {
    j.begin_array();
    for (const auto v : std::get<std::vector<std::int64_t>>(a)) j.value(v);
    j.end_array();
  }
}

void write_attrs(Json& j, const Attrs& attrs) {
  j.begin_object();
  for (const auto& [k, v] : attrs) {
    j.key(k);
    write_attr(j, v);
  }
  j.end_object();
}

std::string kind_of(const Attrs& attrs) {
  if (find_attr(attrs, "design") != nullptr && find_attr(attrs, "runs_ok") != nullptr) return "sweep";
  if (find_attr(attrs, "steps_completed") != nullptr) return "run";
  return "other";
}

/// A map variable of a run file: on (snapshot, y, x).
bool is_map(const VarInfo& v) {
  return v.dims.size() == 3 && v.dims[0] == "snapshot";
}
bool is_series(const VarInfo& v) {
  return !v.dims.empty() && v.dims[0] == "step" && v.name != "step";
}
bool is_summary(const VarInfo& v) {
  return v.shape.empty() && v.name.rfind("summary_", 0) == 0;
}

/// A file's root attributes, read once per version of the file (its size and modification time): a folder of
/// thousands of sweep runs is listed without opening them all again, and without holding the HDF5 lock that
/// long, each time the page loads.
Attrs listed_attrs(const std::string& path) {
  struct Cached {
    std::int64_t mtime_ns = 0;
    std::int64_t size = 0;
    Attrs attrs;
  };
  static std::mutex mutex;
  static std::map<std::string, Cached> cache;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw std::runtime_error(path + ": " + std::strerror(errno));
  const std::int64_t mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  {
    const std::lock_guard lock(mutex);
    const auto it = cache.find(path);
    if (it != cache.end() && it->second.mtime_ns == mtime && it->second.size == st.st_size)
      return it->second.attrs;
  }
  Attrs attrs = read_attrs(path);
  const std::lock_guard lock(mutex);
  cache[path] = Cached{mtime, static_cast<std::int64_t>(st.st_size), attrs};
  return attrs;
}

void runs(const httplib::Request&, httplib::Response& res, const PathPolicy& policy) {
  Json j;
  j.begin_object().key("runs").begin_array();
  for (const Listed& f : policy.list()) {
    j.begin_object().key("id").value(f.id).key("name").value(fs::path(f.path).filename().string());
    try {
      const Attrs attrs = listed_attrs(f.path);
      j.key("kind").value(kind_of(attrs));
      for (const char* k : {"title", "model", "doctrine", "seed", "complete", "steps_completed", "sweep_run",
                            "sample", "replicate", "design"})
        if (const Attr* a = find_attr(attrs, k)) {
          j.key(k);
          write_attr(j, *a);
        }
    } catch (const std::exception& e) {
      j.key("kind").value("unreadable").key("error").value(e.what());
    }
    j.end_object();
  }
  j.end_array().key("roots").begin_array();
  for (const Root& r : policy.roots()) j.value(r.given);
  j.end_array().end_object();
  send_json(res, j);
}

void run(const httplib::Request& req, httplib::Response& res, const PathPolicy& policy) {
  const auto path = file_param(req, res, policy);
  if (!path) return;
  const FileInfo info = read_info(*path);
  Json j;
  j.begin_object().key("id").value(req.get_param_value("id"));
  j.key("name").value(fs::path(*path).filename().string());
  j.key("kind").value(kind_of(info.attrs));
  j.key("attrs");
  write_attrs(j, info.attrs);
  j.key("variables").begin_array();
  std::vector<double> summaries;
  for (const VarInfo& v : info.vars) {
    j.begin_object().key("name").value(v.name).key("dtype").value(v.dtype);
    j.key("role").value(is_map(v) ? "map" : is_series(v) ? "series" : is_summary(v) ? "summary" : "other");
    j.key("dims").begin_array();
    for (const auto& d : v.dims) j.value(d);
    j.end_array().key("shape");
    write_shape(j, v.shape);
    j.key("attrs");
    write_attrs(j, v.attrs);
    if (is_summary(v)) {
      j.key("value");
      const std::vector<double> value = read_doubles(*path, v.name);
      j.value(value.empty() ? std::nan("") : value[0]);
    }
    j.end_object();
  }
  j.end_array();
  // Map snapshots: the period of each, so the page can put days on its slider.
  bool has_snapshots = false;
  for (const VarInfo& v : info.vars) has_snapshots = has_snapshots || v.name == "snapshot_step";
  j.key("snapshot_steps");
  if (has_snapshots)
    write_doubles(j, read_doubles(*path, "snapshot_step"));
  else
    j.begin_array().end_array();
  j.end_object();
  send_json(res, j);
}

void series(const httplib::Request& req, httplib::Response& res, const PathPolicy& policy) {
  const auto path = file_param(req, res, policy);
  if (!path) return;
  std::vector<std::uint64_t> shape;
  const std::vector<double> values = read_doubles(*path, req.get_param_value("name"), &shape);
  Json j;
  j.begin_object().key("name").value(req.get_param_value("name")).key("shape");
  write_shape(j, shape);
  j.key("values");
  write_doubles(j, values);
  j.end_object();
  send_json(res, j);
}

void map(const httplib::Request& req, httplib::Response& res, const PathPolicy& policy) {
  const auto path = file_param(req, res, policy);
  if (!path) return;
  const std::string name = req.get_param_value("name");
  if (name.rfind("map_", 0) != 0) return send_error(res, 400, "not a map: '" + name.substr(0, 100) + "'");
  const std::uint64_t index = index_param(req, "snapshot");
  const Array a = read_slice(*path, name, index);
  const std::vector<double> steps = read_doubles(*path, "snapshot_step");
  send_array(res, a, index < steps.size() ? static_cast<std::int64_t>(steps[index]) : -1);
}

void sweep(const httplib::Request& req, httplib::Response& res, const PathPolicy& policy) {
  const auto path = file_param(req, res, policy);
  if (!path) return;
  const FileInfo info = read_info(*path);
  if (kind_of(info.attrs) != "sweep") return send_error(res, 400, "not a sweep table");
  Json j;
  j.begin_object().key("attrs");
  write_attrs(j, info.attrs);
  j.key("columns").begin_array();
  std::uint64_t n = 0;
  for (const VarInfo& v : info.vars) {
    if (v.shape.size() != 1 || v.dims.empty() || v.dims[0] != "run") continue;
    n = v.shape[0];
    const bool summary = v.name.rfind("summary_", 0) == 0;
    const bool bookkeeping = v.name == "run" || v.name == "sample" || v.name == "replicate" ||
                             v.name == "seed" || v.name == "status";
    j.begin_object().key("name").value(v.name);
    j.key("role").value(summary ? "summary" : bookkeeping ? "bookkeeping" : "factor");
    j.key("attrs");
    write_attrs(j, v.attrs);
    j.key("values");
    write_doubles(j, read_doubles(*path, v.name));
    j.end_object();
  }
  j.end_array();
  // The run file of each row (docs/sweeps.md, "Output": DIR/runs/run_NNNNNN.h5), when it is served.
  j.key("run_ids").begin_array();
  const fs::path dir = fs::path(*path).parent_path() / "runs";
  for (std::uint64_t r = 0; r < n; ++r) {
    char name[32];
    std::snprintf(name, sizeof name, "run_%06llu.h5", static_cast<unsigned long long>(r));
    const std::string id = policy.id_of((dir / name).string());
    if (!id.empty() && policy.resolve(id))
      j.value(id);
    else
      j.null();
  }
  j.end_array().end_object();
  send_json(res, j);
}

std::string value_text(const ParamSpec& s, const Value& v) {
  if (s.type == ParamType::Choice || s.type == ParamType::String) return std::get<std::string>(v);
  return to_toml_text(v);
}

/// The parameter schema (keepsim describe), with each value from the run `id` when one is given.
void schema(const httplib::Request& req, httplib::Response& res, const PathPolicy& policy) {
  const Schema& schema = full_schema();
  std::optional<Params> like;
  if (req.has_param("id")) {
    const auto path = file_param(req, res, policy);
    if (!path) return;
    const std::string config = attr_text(read_attrs(*path), "config");
    if (config.empty()) return send_error(res, 400, "this file carries no config");
    like.emplace(schema);
    like->load_string(config, fs::path(*path).filename().string() + " (the config it carries)");
  }
  Json j;
  j.begin_object().key("parameters").begin_array();
  for (const ParamSpec& s : schema.all()) {
    j.begin_object().key("key").value(s.key).key("type").value(std::string(type_name(s.type)));
    j.key("default").value(value_text(s, s.default_value));
    j.key("value").value(value_text(s, like ? like->get(s.key) : s.default_value));
    j.key("unit").value(s.unit).key("allowed").value(allowed_text(s)).key("doc").value(s.doc);
    j.key("min").value(s.min).key("max").value(s.max);
    j.key("choices").begin_array();
    for (const auto& c : s.choices) j.value(c);
    j.end_array().end_object();
  }
  j.end_array().end_object();
  send_json(res, j);
}

}  // namespace

void add_endpoints(httplib::Server& server, PathPolicy& policy, Jobs* jobs) {
  const auto guard = [](auto handler) { return guarded(handler); };
  server.Get("/api/runs", guard([&policy](const auto& req, auto& res) { runs(req, res, policy); }));
  server.Get("/api/run", guard([&policy](const auto& req, auto& res) { run(req, res, policy); }));
  server.Get("/api/series", guard([&policy](const auto& req, auto& res) { series(req, res, policy); }));
  server.Get("/api/map", guard([&policy](const auto& req, auto& res) { map(req, res, policy); }));
  server.Get("/api/sweep", guard([&policy](const auto& req, auto& res) { sweep(req, res, policy); }));
  server.Get("/api/schema", guard([&policy](const auto& req, auto& res) { schema(req, res, policy); }));
  add_job_endpoints(server, policy, jobs);
}

}  // namespace keepsim::view

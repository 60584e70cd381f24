// The /api/ routes of `keepsim view` (endpoints.hpp; each one is described in docs/explorer.md, "Endpoints").
// Every route that reads a file takes an id and asks the path policy for it first; a refused id and a missing
// file get the same answer, so the server says nothing about what lies outside the folders it serves.
#include "sim/view/endpoints.hpp"

#include <httplib.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/params.hpp"
#include "models/registry.hpp"
#include "sim/view/jobs.hpp"
#include "sim/view/json.hpp"
#include "sim/view/path_policy.hpp"
#include "sim/view/run_reader.hpp"

namespace keepsim::view {
namespace {

namespace fs = std::filesystem;
constexpr const char* kJson = "application/json";

void send_json(httplib::Response& res, const Json& j) {
  res.set_content(j.str(), kJson);
  res.set_header("Cache-Control", "no-store");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  Json j;
  j.begin_object().key("error").value(message).end_object();
  res.status = status;
  send_json(res, j);
}

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

void write_shape(Json& j, const std::vector<std::uint64_t>& shape) {
  j.begin_array();
  for (const auto d : shape) j.value(d);
  j.end_array();
}

void write_doubles(Json& j, const std::vector<double>& values) {
  j.begin_array();
  for (const double v : values) j.value(v);
  j.end_array();
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

void runs(const httplib::Request&, httplib::Response& res, const PathPolicy& policy) {
  Json j;
  j.begin_object().key("runs").begin_array();
  for (const Listed& f : policy.list()) {
    j.begin_object().key("id").value(f.id).key("name").value(fs::path(f.path).filename().string());
    try {
      const Attrs attrs = read_attrs(f.path);
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

void send_array(httplib::Response& res, const Array& a, std::int64_t step) {
  // Binary, in the variable's own type (docs/explorer.md "Maps"): a 1000 x 1000 occupancy map is 1 MB, not
  // the 4 MB or more of JSON; the type and shape travel in headers.
  std::string shape;
  for (const auto d : a.shape) shape += (shape.empty() ? "" : ",") + std::to_string(d);
  res.set_header("X-Keepsim-Dtype", a.dtype);
  res.set_header("X-Keepsim-Shape", shape);
  res.set_header("X-Keepsim-Step", std::to_string(step));
  res.set_header("Cache-Control", "no-store");
  res.set_content(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size(), "application/octet-stream");
}

std::uint64_t index_param(const httplib::Request& req, const std::string& name) {
  const std::string text = req.get_param_value(name);
  if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(name + " must be a number");
  return std::stoull(text);
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

void write_job(Json& j, const Job& job, const PathPolicy& policy) {
  j.begin_object()
      .key("job")
      .value(job.id)
      .key("state")
      .value(job.state)
      .key("exit_code")
      .value(job.exit_code);
  j.key("steps").value(job.steps).key("output").value(fs::path(job.output).filename().string());
  j.key("config").value(fs::path(job.config).filename().string());
  j.key("height").value(job.height).key("width").value(job.width);
  // Progress: the run file once it is complete or stopped, else the latest checkpoint (replaced whole).
  std::int64_t period = 0;
  std::vector<double> snapshot_steps;
  try {
    if (fs::exists(job.checkpoint)) {
      period = std::get<std::int64_t>(*find_attr(read_attrs(job.checkpoint), "period"));
      snapshot_steps = read_doubles(job.checkpoint, "maps/snapshot_step");
    }
  } catch (const std::exception&) {  // between checkpoints, or one without maps: keep what is known
  }
  if (job.state == "finished") period = job.steps;
  j.key("period").value(period);
  j.key("live_snapshot_steps");
  write_doubles(j, snapshot_steps);
  std::string id;
  if (std::error_code ec; fs::exists(job.output, ec))
    id = policy.id_of(fs::canonical(job.output, ec).string());
  j.key("output_id").value(id);
  if (job.state == "failed") {
    std::string tail;
    if (FILE* f = std::fopen(job.log.c_str(), "rb")) {
      char buf[2048];
      std::fseek(f, 0, SEEK_END);
      const long size = std::ftell(f);
      std::fseek(f, size > 2000 ? size - 2000 : 0, SEEK_SET);
      const std::size_t got = std::fread(buf, 1, sizeof buf, f);
      std::fclose(f);
      tail.assign(buf, got);
    }
    j.key("log").value(tail);
  }
  j.end_object();
}

int job_param(const httplib::Request& req) {
  return static_cast<int>(std::min<std::uint64_t>(index_param(req, "job"), 1u << 30));
}

}  // namespace

void add_endpoints(httplib::Server& server, PathPolicy& policy, Jobs* jobs) {
  // Every handler's exceptions become a JSON error: a bad name or index is the request's fault (400).
  auto guard = [](auto handler) {
    return [handler](const httplib::Request& req, httplib::Response& res) {
      try {
        handler(req, res);
      } catch (const std::exception& e) {
        send_error(res, 400, excerpt(e.what(), 500));
      }
    };
  };
  server.Get("/api/runs", guard([&policy](const auto& req, auto& res) { runs(req, res, policy); }));
  server.Get("/api/run", guard([&policy](const auto& req, auto& res) { run(req, res, policy); }));
  server.Get("/api/series", guard([&policy](const auto& req, auto& res) { series(req, res, policy); }));
  server.Get("/api/map", guard([&policy](const auto& req, auto& res) { map(req, res, policy); }));
  server.Get("/api/sweep", guard([&policy](const auto& req, auto& res) { sweep(req, res, policy); }));
  server.Get("/api/schema", guard([&policy](const auto& req, auto& res) { schema(req, res, policy); }));

  server.Get("/api/jobs", guard([&policy, jobs](const auto&, auto& res) {
               Json j;
               j.begin_object().key("enabled").value(jobs != nullptr).key("jobs").begin_array();
               if (jobs != nullptr)
                 for (const Job& job : jobs->all()) write_job(j, job, policy);
               j.end_array().end_object();
               send_json(res, j);
             }));
  if (jobs == nullptr) return;
  server.Post("/api/jobs", guard([jobs](const httplib::Request& req, httplib::Response& res) {
                std::vector<std::string> sets;
                for (std::size_t i = 0; i < req.get_param_value_count("set"); ++i)
                  sets.push_back(req.get_param_value("set", i));
                try {
                  const int id = jobs->start(sets);
                  Json j;
                  j.begin_object().key("job").value(id).end_object();
                  send_json(res, j);
                } catch (const std::runtime_error& e) {
                  send_error(res, 400, excerpt(e.what(), 2000));
                }
              }));
  server.Get("/api/job", guard([&policy, jobs](const httplib::Request& req, httplib::Response& res) {
               Job job;
               if (!jobs->get(job_param(req), job)) return send_error(res, 404, "no such run");
               Json j;
               write_job(j, job, policy);
               send_json(res, j);
             }));
  server.Get("/api/job/map", guard([jobs](const httplib::Request& req, httplib::Response& res) {
               Job job;
               if (!jobs->get(job_param(req), job)) return send_error(res, 404, "no such run");
               const std::string name = req.get_param_value("name");
               if (name.rfind("map_", 0) != 0 || name.find('/') != std::string::npos)
                 return send_error(res, 400, "not a map");
               // The latest snapshot in the latest checkpoint: maps/NAME is (snapshot, cells).
               const std::vector<double> steps = read_doubles(job.checkpoint, "maps/snapshot_step");
               if (steps.empty()) return send_error(res, 404, "no snapshot yet");
               Array a = read_slice(job.checkpoint, "maps/" + name, steps.size() - 1);
               a.shape = {static_cast<std::uint64_t>(job.height), static_cast<std::uint64_t>(job.width)};
               send_array(res, a, static_cast<std::int64_t>(steps.back()));
             }));
  server.Get("/api/job/series", guard([jobs](const httplib::Request& req, httplib::Response& res) {
               Job job;
               if (!jobs->get(job_param(req), job)) return send_error(res, 404, "no such run");
               const std::string name = req.get_param_value("name");
               if (name.empty() || name.find('/') != std::string::npos)
                 return send_error(res, 400, "not a series");
               // The rows so far, from the latest checkpoint: step, and series/NAME flattened (rows x width).
               const std::vector<double> steps = read_doubles(job.checkpoint, "step");
               const std::vector<double> values = read_doubles(job.checkpoint, "series/" + name);
               const std::uint64_t rows = steps.size();
               const std::uint64_t width = rows > 0 ? values.size() / rows : 1;
               Json j;
               j.begin_object().key("name").value(name).key("shape");
               write_shape(j, {rows, width});
               j.key("steps");
               write_doubles(j, steps);
               j.key("values");
               write_doubles(j, values);
               j.end_object();
               send_json(res, j);
             }));
  server.Post("/api/job/stop", guard([jobs](const httplib::Request& req, httplib::Response& res) {
                if (!jobs->stop(job_param(req))) return send_error(res, 409, "the run is not running");
                send_json(res, Json().begin_object().key("ok").value(true).end_object());
              }));
  server.Post("/api/job/resume", guard([jobs](const httplib::Request& req, httplib::Response& res) {
                if (!jobs->resume(job_param(req))) return send_error(res, 409, "the run is not stopped");
                send_json(res, Json().begin_object().key("ok").value(true).end_object());
              }));
}

}  // namespace keepsim::view

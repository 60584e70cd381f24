// The /api/job routes of `keepsim view` (docs/explorer.md, "Runs from the page"): start a run from the form,
// watch its progress, latest map and series through its checkpoint, stop and resume it.
#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "sim/view/endpoints.hpp"
#include "sim/view/jobs.hpp"
#include "sim/view/path_policy.hpp"
#include "sim/view/responses.hpp"

namespace keepsim::view {
namespace {

namespace fs = std::filesystem;

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

void add_job_endpoints(httplib::Server& server, PathPolicy& policy, Jobs* jobs) {
  const auto guard = [](auto handler) { return guarded(handler); };
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

// keepsim: the command line. Thin by design: it parses arguments, loads the config through the schema, and
// hands the model to the run driver. User mistakes end with one message and exit code 2.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/run.hpp"
#include "models/peacekeeping/model.hpp"
#include "models/peacekeeping/world_map.hpp"
#include "models/registry.hpp"
#include "sim/sweep_run.hpp"

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int sig) {
  if (g_stop.exchange(true)) {  // a second signal: stop now
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

keepsim::Params load(const std::vector<std::string>& configs, const std::vector<std::string>& sets) {
  keepsim::Params params(keepsim::full_schema());
  for (const auto& path : configs) params.load_file(path);
  for (const auto& s : sets) params.apply_override(s);
  return params;
}

void check_output(const std::string& out, bool force) {
  namespace fs = std::filesystem;
  const fs::path p(out);
  if (fs::exists(p) && !force)
    throw keepsim::OutputError(out + ": output exists; pass --force to overwrite it");
  if (fs::is_directory(p)) throw keepsim::OutputError(out + ": output is a directory");
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir))
    throw keepsim::OutputError(out + ": directory " + dir.string() + " does not exist");
  if (access(dir.c_str(), W_OK) != 0)
    throw keepsim::OutputError(out + ": directory " + dir.string() + " is not writable");
}

std::string format_value(const keepsim::AttrValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", *d);
    return buf;
  }
  return std::get<std::string>(v);
}

int cmd_run(const std::vector<std::string>& configs, const std::vector<std::string>& sets,
            const std::string& out, std::optional<std::int64_t> seed, std::optional<std::int64_t> steps,
            int threads, bool quiet, bool force) {
  keepsim::Params params = load(configs, sets);
  if (seed) params.set("run.seed", *seed, "--seed");
  if (steps) params.set("run.steps", *steps, "--steps");
  keepsim::validate(params);
  check_output(out, force);

  keepsim::RunSpec spec;
  spec.output = out;
  spec.steps = params.get_int("run.steps");
  spec.attrs = keepsim::standard_attrs();
  for (auto& a : keepsim::run_attrs(params)) spec.attrs.push_back(std::move(a));
  spec.progress = !quiet && isatty(STDERR_FILENO) != 0;

  auto model = keepsim::make_model(params, threads);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const auto t0 = std::chrono::steady_clock::now();
  const keepsim::RunOutcome outcome = keepsim::run_model(*model, spec, &g_stop);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (!outcome.complete) {
    std::fprintf(stderr, "keepsim: interrupted after %lld periods; %s is valid and marked complete = 0\n",
                 static_cast<long long>(outcome.steps_completed), out.c_str());
    return 130;
  }
  if (!quiet) {
    std::printf("keepsim run: %s, seed %lld, %lld periods in %.2f s -> %s\n",
                params.get_string("title").c_str(), static_cast<long long>(params.get_int("run.seed")),
                static_cast<long long>(outcome.steps_completed), secs, out.c_str());
    for (const auto& s : outcome.summary)
      std::printf("  %-40s %s\n", s.spec.name.c_str(), format_value(s.value).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"keepsim: agent-based simulation of civil violence, peacekeeping and security-keeping"};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       std::string("keepsim ") + KEEPSIM_VERSION + " (" + KEEPSIM_GIT_COMMIT + ")");

  std::vector<std::string> configs, sets;
  std::string out;
  std::optional<std::int64_t> seed, steps;
  int threads = 0;
  bool quiet = false, force = false;

  CLI::App* run = app.add_subcommand("run", "run one simulation and write an HDF5 run file");
  run->add_option("config", configs, "config files (TOML); later files override earlier ones")->required();
  run->add_option("-o,--output", out, "the HDF5 run file to write")->required();
  run->add_option("--seed", seed, "base seed (overrides run.seed)");
  run->add_option("--steps", steps, "periods to run (overrides run.steps)");
  run->add_option("--threads", threads, "worker threads (0: all cores); never changes results");
  run->add_option("--set", sets, "override a parameter: --set key=value (dotted TOML key)");
  run->add_flag("-q,--quiet", quiet, "print nothing but errors");
  run->add_flag("--force", force, "overwrite an existing output file");

  CLI::App* describe =
      app.add_subcommand("describe", "list every parameter: type, default, unit, range, doc");
  bool outputs = false;
  describe->add_flag("--outputs", outputs, "list the output variables of a peacekeeping run instead");
  CLI::App* validate = app.add_subcommand("validate", "check config files without running them");
  std::vector<std::string> vconfigs, vsets;
  validate->add_option("config", vconfigs, "config files (TOML)")->required();
  validate->add_option("--set", vsets, "override a parameter: --set key=value");

  std::vector<std::string> mconfigs, msets;
  std::string mout;
  bool mforce = false;
  CLI::App* map = app.add_subcommand(
      "map", "write the map a peacekeeping config uses (generated or loaded) as an HDF5 raster to edit");
  map->add_option("config", mconfigs, "config files (TOML)")->required();
  map->add_option("-o,--output", mout, "the HDF5 raster to write")->required();
  map->add_option("--set", msets, "override a parameter: --set key=value");
  map->add_flag("--force", mforce, "overwrite an existing output file");

  keepsim::sweep::Options sweep_opts;
  CLI::App* sweep = keepsim::sweep::add_command(app, sweep_opts);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    if (*run) return cmd_run(configs, sets, out, seed, steps, threads, quiet, force);
    if (*sweep) {
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      return keepsim::sweep::main(sweep_opts, &g_stop);
    }
    if (*map) {
      const keepsim::Params p = load(mconfigs, msets);
      keepsim::validate(p);
      check_output(mout, mforce);
      keepsim::peace::save_map(keepsim::scenario_map(p), mout);
      std::printf("keepsim map: wrote %s (load it back with map.source = \"file\", map.file = \"%s\")\n",
                  mout.c_str(), mout.c_str());
      return 0;
    }
    if (*describe && outputs) {
      for (const auto& [name, meaning] : keepsim::peace::output_catalogue())
        std::printf("%-34s %s\n", name.c_str(), meaning.c_str());
      return 0;
    }
    if (*describe) {
      std::cout << keepsim::describe_schema(keepsim::full_schema());
      return 0;
    }
    if (*validate) {
      keepsim::validate(load(vconfigs, vsets));
      std::printf("ok: %zu config file(s) valid\n", vconfigs.size());
      return 0;
    }
  } catch (const keepsim::ConfigError& e) {
    std::fprintf(stderr, "keepsim: error: %s\n", e.what());
    return 2;
  } catch (const keepsim::OutputError& e) {
    std::fprintf(stderr, "keepsim: error: %s\n", e.what());
    return 2;
  }
  return 0;
}

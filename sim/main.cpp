// keepsim: the command line. Thin by design: it parses arguments, loads the config through the schema, and
// hands the model to the run driver. User mistakes end with one message and exit code 2.
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <limits>

#include "keepsim/core/build_info.hpp"
#include "keepsim/core/checkpoint.hpp"
#include "keepsim/core/errors.hpp"
#include "keepsim/core/output_guard.hpp"
#include "keepsim/core/params.hpp"
#include "keepsim/core/run.hpp"
#include "keepsim/core/safe_files.hpp"
#include "models/peacekeeping/model.hpp"
#include "models/peacekeeping/world_map.hpp"
#include "models/registry.hpp"
#include "sim/calibrate.hpp"
#include "sim/resources_cli.hpp"
#include "sim/sweep_run.hpp"
#include "sim/view/view_command.hpp"

#if defined(__SANITIZE_ADDRESS__)
// Address-sanitizer builds only: after a write fails (a full disk), libhdf5 1.10 loses its metadata
// accumulator's buffer on its own error path (allocated in H5F__accum_write, never freed once the flush has
// failed). Debian's libhdf5 has no frame pointers, so the fast unwinder sees only the library in such a
// stack: allocations made inside libhdf5 are not reported. Memory keepsim allocates is still checked, and an
// HDF5 id keepsim forgot to close would not show up as a leak either way (the library keeps it reachable).
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libhdf5_serial.so\n";
}
extern "C" const char* __lsan_default_options() {
  return "print_suppressions=0";  // stderr keeps the one-line error the CLI tests check
}
#endif

namespace {

std::atomic<bool> g_stop{false};

// The first SIGINT or SIGTERM asks for a stop at the next period boundary (the run then writes a checkpoint
// and a valid file marked complete = 0). A second one ends the process at once, with only async-signal-safe
// calls: the run file then stays under its .part name (never the final one), and the last checkpoint, renamed
// into place whole, is intact.
extern "C" void on_signal(int) {
  if (g_stop.exchange(true)) {
    static const char msg[] =
        "\nkeepsim: second signal: stopped at once; an unfinished run file keeps its .part name, the last "
        "checkpoint (if any) is intact\n";
    [[maybe_unused]] const ssize_t n = write(STDERR_FILENO, msg, sizeof msg - 1);
#if defined(__SANITIZE_THREAD__)
    // ThreadSanitizer runs its exit report from _exit; the signal can arrive while the main thread joins a
    // finished worker of the fork-join executor, which it would report as a leaked thread (exit code 66).
    // The system call itself ends the process as _exit does.
    syscall(SYS_exit_group, 130);
#endif
    _exit(130);
  }
}

/// An error for the terminal: control characters escaped, so that no input quoted in it can move the cursor
/// or retitle the window, and cut to a bound (the parts quoting input are short excerpts already).
std::string message(const std::exception& e) {
  return keepsim::excerpt(e.what(), 2000);
}

/// `text` quoted for a POSIX shell when it needs to be.
std::string shell_quote(const std::string& text) {
  const bool plain = !text.empty() && text.find_first_not_of(
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789_-+=./:,@%") == std::string::npos;
  if (plain) return text;
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

keepsim::Params load(const std::vector<std::string>& configs, const std::vector<std::string>& sets) {
  keepsim::Params params(keepsim::full_schema());
  for (const auto& path : configs) params.load_file(path);
  for (const auto& s : sets) params.apply_override(s);
  return params;
}

/// The files a run reads, for refusing an output that is one of them (compared by device and inode).
std::vector<std::pair<std::string, std::string>> run_inputs(const std::vector<std::string>& configs,
                                                            const keepsim::Params& params) {
  std::vector<std::pair<std::string, std::string>> inputs;
  for (const auto& c : configs) inputs.emplace_back(c, "config file");
  if (params.get_string("map.source") == "file")
    inputs.emplace_back(params.get_string("map.file"), "map file");
  return inputs;
}

/// The folder `out` goes to exists and is writable (checked before its lock file is made there).
void check_output_dir(const std::string& out) {
  namespace fs = std::filesystem;
  keepsim::refuse_non_regular(out, "output");  // also turns a name too long into a user error
  const fs::path p(out);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw keepsim::OutputError(out + ": directory " + dir.string() + " does not exist");
  if (access(dir.c_str(), W_OK) != 0)
    throw keepsim::OutputError(out + ": directory " + dir.string() + " is not writable");
}

/// Called while holding the output's lock: an existing output only with `force`, and then only a regular file
/// that is none of `inputs`; its .part only a regular file.
void check_output(const std::string& out, bool force,
                  const std::vector<std::pair<std::string, std::string>>& inputs) {
  check_output_dir(out);
  keepsim::refuse_non_regular(out + ".part", "temporary output");
  keepsim::refuse_input_as_output(out, "output", inputs);
  struct stat st {};
  if (lstat(out.c_str(), &st) == 0 && !force)
    throw keepsim::OutputError(out + ": output exists; pass --force to overwrite it");
}

/// A checkpoint path a run may write to: not the output, in a writable directory, a regular file or nothing,
/// and not a checkpoint left by an unfinished run unless --force.
void check_checkpoint(const std::string& checkpoint, const std::string& out, bool force,
                      const std::vector<std::pair<std::string, std::string>>& inputs) {
  namespace fs = std::filesystem;
  keepsim::refuse_non_regular(checkpoint, "checkpoint");
  keepsim::refuse_non_regular(checkpoint + ".tmp", "temporary checkpoint");
  const fs::path p(checkpoint);
  std::error_code ec1, ec2;
  if (fs::weakly_canonical(p, ec1) == fs::weakly_canonical(fs::path(out), ec2) && !ec1 && !ec2)
    throw keepsim::OutputError(checkpoint + ": the checkpoint cannot be the output file");
  keepsim::refuse_input_as_output(checkpoint, "checkpoint", inputs);
  struct stat st {};
  if (lstat(checkpoint.c_str(), &st) == 0 && !force)
    throw keepsim::OutputError(
        checkpoint + ": a checkpoint of an unfinished run is there; continue that run with " +
        "`keepsim resume " + shell_quote(checkpoint) + "`, or pass --force to start over");
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw keepsim::OutputError(checkpoint + ": directory " + dir.string() + " does not exist");
  if (access(dir.c_str(), W_OK) != 0)
    throw keepsim::OutputError(checkpoint + ": directory " + dir.string() + " is not writable");
}

/// The locks of a run writing `out` and `checkpoint`: the output's, and the checkpoint's when it is not
/// next to the output (OUT.ckpt is covered by the output's lock).
std::vector<keepsim::FileLock> lock_run(const std::string& out, const std::string& checkpoint,
                                        const std::string& command) {
  std::vector<keepsim::FileLock> locks;
  locks.emplace_back(keepsim::lock_path(out), "output " + out, command);
  if (!checkpoint.empty() && checkpoint != out + ".ckpt")
    locks.emplace_back(keepsim::lock_path(checkpoint), "checkpoint " + checkpoint, command);
  return locks;
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

/// Says how the run ended (exit code 0 when complete, 130 when stopped, 74 when its file could not be written
/// to the end) and prints the summary.
int finish(const keepsim::RunOutcome& outcome, const keepsim::RunSpec& spec, const keepsim::Params& params,
           double secs, bool quiet, const std::string& program, const std::string& verb) {
  if (!outcome.complete || !outcome.write_error.empty()) {
    if (!outcome.write_error.empty())  // says what is safe in the file, and where it is
      std::fprintf(stderr, "keepsim: error: %s\n", keepsim::excerpt(outcome.write_error, 2000).c_str());
    else
      std::fprintf(stderr, "keepsim: interrupted after %lld periods; %s is valid and marked complete = 0\n",
                   static_cast<long long>(outcome.steps_completed), spec.output.c_str());
    if (outcome.checkpointed)
      std::fprintf(stderr,
                   "keepsim: checkpoint of period %lld in %s; continue the run with:\n  %s resume %s\n",
                   static_cast<long long>(outcome.steps_completed), spec.checkpoint.c_str(),
                   shell_quote(program).c_str(), shell_quote(spec.checkpoint).c_str());
    else if (!outcome.checkpoint_error.empty())
      std::fprintf(stderr, "keepsim: no checkpoint of period %lld: %s\n",
                   static_cast<long long>(outcome.steps_completed), outcome.checkpoint_error.c_str());
    return outcome.write_error.empty() ? 130 : keepsim::cli::kExitWriteError;
  }
  if (!quiet) {
    std::printf("keepsim %s: %s, seed %lld, %lld periods in %.2f s -> %s\n", verb.c_str(),
                params.get_string("title").c_str(), static_cast<long long>(params.get_int("run.seed")),
                static_cast<long long>(outcome.steps_completed), secs, spec.output.c_str());
    for (const auto& s : outcome.summary)
      std::printf("  %-40s %s\n", s.spec.name.c_str(), format_value(s.value).c_str());
  }
  return 0;
}

int cmd_run(const std::vector<std::string>& configs, const std::vector<std::string>& sets,
            const std::string& out, const std::optional<std::string>& seed,
            const std::optional<std::string>& steps, int threads, bool quiet, bool force,
            std::int64_t checkpoint_every, const std::string& checkpoint, const std::string& program,
            const keepsim::cli::MemoryOptions& memory) {
  keepsim::Params params = load(configs, sets);
  if (seed) params.apply_override("run.seed=" + *seed, "--seed");
  if (steps) params.apply_override("run.steps=" + *steps, "--steps");
  keepsim::cli::check_run_memory(params, threads, memory);  // before a map or a model is built
  keepsim::validate(params);
  check_output_dir(out);
  // One writer per output: held until the process ends (the kernel drops it if the process dies).
  const std::string ckpt_path = checkpoint.empty() ? out + ".ckpt" : checkpoint;
  const auto locks = lock_run(out, ckpt_path, "keepsim run -o " + out);
  const auto inputs = run_inputs(configs, params);
  check_output(out, force, inputs);
  keepsim::cli::check_run_disk(params, threads, out, quiet);

  keepsim::RunSpec spec;
  spec.output = out;
  spec.steps = params.get_int("run.steps");
  spec.attrs = keepsim::standard_attrs();
  for (auto& a : keepsim::run_attrs(params)) spec.attrs.push_back(std::move(a));
  spec.progress = !quiet && isatty(STDERR_FILENO) != 0;
  // A checkpoint goes next to the output whether or not --checkpoint-every asks for them: a stop signal
  // writes one, so a killed batch job can always be resumed.
  spec.checkpoint = ckpt_path;
  spec.checkpoint_every = checkpoint_every;
  check_checkpoint(spec.checkpoint, out, force, inputs);

  auto model = keepsim::make_model(params, threads);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const auto t0 = std::chrono::steady_clock::now();
  const keepsim::RunOutcome outcome = keepsim::run_model(*model, spec, &g_stop);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return finish(outcome, spec, params, secs, quiet, program, "run");
}

int cmd_resume(const std::string& path, int threads, bool quiet, std::optional<std::int64_t> checkpoint_every,
               const std::string& program) {
  keepsim::Checkpoint ck(path);
  const keepsim::CheckpointHeader& h = ck.header();
  // The run's full effective config travels in the checkpoint; no config file is read (nor a map file: the
  // map is in the checkpoint too).
  keepsim::Params params(keepsim::full_schema());
  params.load_string(ck.run_attr("config"), path + " (the config it carries)");
  if (params.get_int("run.steps") != h.steps)
    throw keepsim::CheckpointError(path + ": its config and header disagree on the number of periods");
  auto model = keepsim::restore_model(params, threads, ck.state());
  ck.drop_state();
  if (model->period() != h.period)
    throw keepsim::CheckpointError(path + ": its model state is at period " +
                                   std::to_string(model->period()) + ", its header at " +
                                   std::to_string(h.period));
  // One writer per output: a second resume of the same checkpoint, or a run still writing it, is refused.
  check_output_dir(h.output);
  const auto locks = lock_run(h.output, path, "keepsim resume " + path);
  // The stopped run's file is there; it is replaced when the run ends. Never by the checkpoint itself.
  check_output(h.output, true, {{path, "checkpoint"}});
  keepsim::refuse_non_regular(path + ".tmp", "temporary checkpoint");

  char now[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
  keepsim::RunSpec spec;
  spec.output = h.output;
  spec.steps = h.steps;
  spec.attrs = h.attrs;
  spec.flush_every = h.flush_every;
  spec.history = h.history + "; resumed_from " + path + " at period " + std::to_string(h.period) + " (" +
                 now + ") by keepsim resume";
  spec.progress = !quiet && isatty(STDERR_FILENO) != 0;
  spec.checkpoint = path;
  spec.checkpoint_every = checkpoint_every.value_or(h.checkpoint_every);

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const auto t0 = std::chrono::steady_clock::now();
  const keepsim::RunOutcome outcome = keepsim::run_model(*model, spec, &g_stop, &ck);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return finish(outcome, spec, params, secs, quiet, program, "resume");
}

}  // namespace

int main(int argc, char** argv) {
  keepsim::prepare_for_write_failures();  // a full disk or ulimit -f: an error message, not a crash
  CLI::App app{"keepsim: agent-based simulation of civil violence, peacekeeping and security-keeping"};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       std::string("keepsim ") + KEEPSIM_VERSION + " (" + keepsim::git_commit() + ")");

  std::vector<std::string> configs, sets;
  std::string out;
  std::optional<std::string> seed, steps;  // text: parsed and range-checked as run.seed and run.steps are
  int threads = 0;
  bool quiet = false, force = false;

  CLI::App* run = app.add_subcommand("run", "run one simulation and write an HDF5 run file");
  run->add_option("config", configs, "config files (TOML); later files override earlier ones")->required();
  run->add_option("-o,--output", out, "the HDF5 run file to write")->required();
  // The ranges are the schema's (run.seed, run.steps): checked by Params::set with the range in the message.
  run->add_option("--seed", seed, "base seed, 0 to 9e18 (overrides run.seed)");
  run->add_option("--steps", steps, "periods to run, 0 to 1e9 (overrides run.steps)");
  run->add_option("--threads", threads, "worker threads, 0 to 1024 (0: all cores); never changes results")
      ->check(CLI::Range(0, keepsim::cli::kMaxThreads));
  run->add_option("--set", sets, "override a parameter: --set key=value (dotted TOML key)");
  run->add_flag("-q,--quiet", quiet, "print nothing but errors");
  keepsim::cli::MemoryOptions memory;
  keepsim::cli::add_memory_options(run, memory);
  run->add_flag("--force", force,
                "overwrite an existing output file (and a checkpoint left by a stopped run)");
  std::int64_t checkpoint_every = 0;
  std::string checkpoint;
  run->add_option(
         "--checkpoint-every", checkpoint_every,
         "write a checkpoint every N periods, replaced atomically each time (default: only when stopped)")
      ->check(CLI::Range(std::int64_t{1}, std::numeric_limits<std::int64_t>::max()));
  run->add_option("--checkpoint", checkpoint,
                  "where the checkpoint goes (default: OUTPUT.ckpt); removed when the run completes");
  run->footer(
      "Ctrl-C or SIGTERM stops at the end of the current period: the output is left valid and marked "
      "complete = 0, "
      "a checkpoint is written (with or without --checkpoint-every), and the exit code is 130. "
      "`keepsim resume CHECKPOINT` then finishes the run, bit for bit as if it had never stopped. A second "
      "signal "
      "stops at once: the output stays under OUTPUT.part and the last checkpoint is intact.");

  CLI::App* resume = app.add_subcommand(
      "resume",
      "continue a stopped run from its checkpoint; the finished file equals the uninterrupted run's");
  std::string resume_path;
  std::optional<std::int64_t> resume_every;
  resume
      ->add_option("checkpoint", resume_path, "the checkpoint (OUTPUT.ckpt unless the run said --checkpoint)")
      ->required();
  resume->add_option("--threads", threads, "worker threads, 0 to 1024 (0: all cores); never changes results")
      ->check(CLI::Range(0, keepsim::cli::kMaxThreads));
  resume
      ->add_option("--checkpoint-every", resume_every,
                   "write a checkpoint every N periods (default: as the run did)")
      ->check(CLI::Range(std::int64_t{1}, std::numeric_limits<std::int64_t>::max()));
  resume->add_flag("-q,--quiet", quiet, "print nothing but errors");
  resume->footer(
      "The checkpoint carries the full config, seed, steps and output path (found relative to the "
      "checkpoint); "
      "the output is rebuilt under OUTPUT.part and renamed when done, a stale .part is replaced. New "
      "checkpoints "
      "go to the same file, which is removed when the run completes.");

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
  keepsim::calibrate::Options calibrate_opts;
  CLI::App* calibrate = keepsim::calibrate::add_command(app, calibrate_opts);
  keepsim::view::ServerOptions view_opts;
  CLI::App* view = keepsim::view::add_command(app, view_opts);

  try {
    app.parse(argc, argv);
  } catch (const CLI::RequiredError& e) {
    // "A subcommand is required" also when one was given but is not known: name it, and the known ones.
    if (argc > 1 && argv[1][0] != '-' && app.get_subcommands().empty()) {
      std::fprintf(
          stderr,
          "keepsim: error: unknown command '%s'; the commands are run, resume, sweep, calibrate, view, "
          "validate, describe and map (keepsim --help)\n",
          keepsim::excerpt(argv[1], 60).c_str());
      return 2;
    }
    std::fprintf(stderr, "keepsim: error: %s\nRun with --help for more information.\n", message(e).c_str());
    return 2;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // CLI11 would print the offending argument raw: escaped here, and cut, like every other message.
    std::fprintf(stderr, "keepsim: error: %s\nRun with --help for more information.\n", message(e).c_str());
    return 2;
  }
  try {
    if (*run)
      return cmd_run(configs, sets, out, seed, steps, threads, quiet, force, checkpoint_every, checkpoint,
                     argv[0], memory);
    if (*resume) return cmd_resume(resume_path, threads, quiet, resume_every, argv[0]);
    if (*sweep) {
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      return keepsim::sweep::main(sweep_opts, &g_stop);
    }
    if (*calibrate) {
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      return keepsim::calibrate::main(calibrate_opts, &g_stop);
    }
    if (*view) {
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      return keepsim::view::main(view_opts, &g_stop);
    }
    if (*map) {
      const keepsim::Params p = load(mconfigs, msets);
      keepsim::validate(p);
      check_output_dir(mout);
      const keepsim::FileLock lock(keepsim::lock_path(mout), "output " + mout, "keepsim map -o " + mout);
      check_output(mout, mforce, run_inputs(mconfigs, p));
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
      const keepsim::Params p = load(vconfigs, vsets);
      keepsim::validate(p);
      std::printf("ok: %zu config file(s) valid\n  %s\n", vconfigs.size(),
                  keepsim::cli::describe_needs(p, 0).c_str());
      return 0;
    }
  } catch (const keepsim::ConfigError& e) {  // messages quote input: bad bytes, control characters escaped
    std::fprintf(stderr, "keepsim: error: %s\n", message(e).c_str());
    return 2;
  } catch (const keepsim::OutputError& e) {
    std::fprintf(stderr, "keepsim: error: %s\n", message(e).c_str());
    return 2;
  } catch (const keepsim::CheckpointError& e) {
    std::fprintf(stderr, "keepsim: error: checkpoint %s\n", message(e).c_str());
    return 2;
  } catch (const std::filesystem::filesystem_error& e) {
    // A path the user gave that cannot be used (too long a name, a missing folder, no permission) is a user
    // error; anything else the file system says is an I/O error. Neither is an internal error.
    const int err = e.code().value();
    const bool user = err == ENAMETOOLONG || err == ENOENT || err == ENOTDIR || err == ELOOP ||
                      err == EACCES || err == EPERM || err == EEXIST || err == EISDIR || err == EROFS;
    std::fprintf(stderr, "keepsim: error: %s\n", message(e).c_str());
    return user ? 2 : keepsim::cli::kExitWriteError;
  } catch (const std::bad_alloc&) {  // not a bad input (those are ConfigErrors): exit 3, not 2, and no abort
    std::fprintf(stderr, "keepsim: error: out of memory\n");
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "keepsim: internal error: %s\n", message(e).c_str());
    return 3;
  }
  return 0;
}

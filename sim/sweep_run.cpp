// `keepsim sweep`: prepares the output directory, runs what is pending (here with oneTBB, across MPI ranks,
// or one share of a Slurm job array), then builds the table from the run files.
#include "sim/sweep_run.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/parallel.hpp"
#include "keepsim/core/resources.hpp"
#include "keepsim/core/run.hpp"
#include "keepsim/core/safe_files.hpp"
#include "models/registry.hpp"
#include "sim/sweep_plan.hpp"
#include "sim/sweep_table.hpp"

namespace keepsim::sweep {
namespace {

namespace fs = std::filesystem;

/// One line on standard error, redrawn at most ten times a second: runs done, failed, elapsed, left.
class Progress {
 public:
  Progress(bool on, std::size_t total) : on_(on), total_(total), start_(Clock::now()) {}
  void tick(int status) {
    const std::lock_guard lock(mutex_);
    ++done_;
    if (status == 1) ++failed_;
    draw(done_ == total_);
  }
  void finish() {
    const std::lock_guard lock(mutex_);
    if (on_ && total_ > 0) std::fputc('\n', stderr);
  }
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  std::size_t failed() const { return failed_; }

 private:
  using Clock = std::chrono::steady_clock;
  void draw(bool force) {
    if (!on_) return;
    const auto now = Clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double secs = elapsed();
    const double left =
        done_ > 0 ? secs * static_cast<double>(total_ - done_) / static_cast<double>(done_) : 0;
    std::fprintf(stderr, "\rsweep: %zu/%zu runs done, %zu failed, %.0fs elapsed, ~%.0fs left   ", done_,
                 total_, failed_, secs, left);
    std::fflush(stderr);
  }
  std::mutex mutex_;
  bool on_;
  std::size_t total_, done_ = 0, failed_ = 0;
  Clock::time_point start_, last_{};
};

/// A manifest (only a regular file or pipe, capped like any config: the folder may not be trusted).
std::string slurp(const fs::path& p) {
  return read_input_file(p.string(), "sweep manifest", kMaxConfigBytes);
}

void write_file(const fs::path& p, const std::string& text) {
  // A new file of a unique name, renamed into place: concurrent array tasks writing the same manifest never
  // leave half a file, and nothing is written through a link planted in the folder.
  write_file_replacing(p.string(), text);
}

/// The folder's lock: exclusive for a sweep, --resume and --collect; shared by the tasks of a Slurm array
/// (which share the folder), each of which also holds its own task's lock, so that a refusal can name them.
std::vector<FileLock> lock_folder(const std::string& dir, const std::string& command,
                                  std::optional<std::int64_t> task) {
  const fs::path folder(dir);
  std::vector<FileLock> locks;
  try {
    locks.emplace_back((folder / "sweep.lock").string(), "sweep folder " + dir, command, task.has_value());
  } catch (const OutputError& e) {
    // Held by array tasks: their own locks say who they are.
    std::string tasks;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
      const std::string name = entry.path().filename().string();
      if (!name.starts_with("sweep.task-") || !name.ends_with(".lock")) continue;
      const std::string who = FileLock::holder(entry.path().string());
      if (!who.empty()) tasks += (tasks.empty() ? "" : "; ") + who;
    }
    if (tasks.empty()) throw;
    throw OutputError("sweep folder " + dir + " is in use by tasks of a job array (" + excerpt(tasks, 400) +
                      "); wait for them to end, or choose another folder");
  }
  if (task)
    locks.emplace_back((folder / ("sweep.task-" + std::to_string(*task) + ".lock")).string(),
                       "task " + std::to_string(*task) + " of sweep folder " + dir, command);
  return locks;
}

bool is_sweep_file(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.rfind("run_", 0) == 0 &&
         (name.ends_with(".h5") || name.ends_with(".h5.part") || name.ends_with(".h5.error"));
}

/// Manifests equal but for `source`: the same sweep file may be named from another working directory.
bool same_sweep(const std::string& a, const std::string& b) {
  auto strip = [](const std::string& t) {
    const auto from = t.find("\nsource = ");
    return from == std::string::npos ? t : t.substr(0, from) + t.substr(t.find('\n', from + 1));
  };
  return strip(a) == strip(b);
}

/// Creates DIR and DIR/runs (before the folder's lock file can be made there).
void make_folder(const Options& o) {
  const fs::path dir(o.dir), runs = dir / "runs";
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw OutputError(o.dir + ": the sweep's output path exists and is not a directory");
  fs::create_directories(runs, ec);
  if (ec || access(runs.c_str(), W_OK) != 0)
    throw OutputError(o.dir + ": cannot create or write the directory " + runs.string() +
                      (ec ? ": " + ec.message() : std::string()));
}

/// Makes DIR ready (holding its lock): refuses to mix two sweeps or to redo one without --resume or --force.
void prepare(const Options& o, const Plan& plan, bool array_mode) {
  const fs::path dir(o.dir), runs = dir / "runs", manifest = dir / "manifest.toml";
  std::error_code ec;
  refuse_non_regular(manifest.string(), "sweep manifest");
  refuse_non_regular((dir / "sweep.h5").string(), "sweep table");
  // The sweep file kept in its own output folder under a name the sweep writes would be replaced.
  refuse_input_as_output(manifest.string(), "sweep manifest", {{o.file, "sweep file"}});
  refuse_input_as_output((dir / "sweep.h5").string(), "sweep table", {{o.file, "sweep file"}});
  const std::string text = plan.manifest.to_toml();
  const bool started = fs::exists(manifest) || fs::exists(dir / "sweep.h5") || !fs::is_empty(runs);
  if (started && !o.force) {
    if (fs::exists(manifest) && !same_sweep(slurp(manifest), text))
      throw OutputError(o.dir +
                        ": holds another sweep (its manifest.toml differs from this sweep's plan); "
                        "pass --force to replace it, or choose another directory");
    if (!o.resume && !array_mode)
      throw OutputError(o.dir +
                        ": holds this sweep already; pass --resume to finish it or --force to start again");
  }
  if (o.force && !array_mode) {  // array tasks share DIR: each only overwrites its own runs
    remove_own_file((dir / "sweep.h5").string());
    // Only regular files of this user: a link or another user's file there was not made by a sweep.
    for (const auto& entry : fs::directory_iterator(runs)) {
      if (is_sweep_file(entry.path())) remove_own_file(entry.path().string());
    }
  }
  write_file(manifest, text);
}

std::optional<std::int64_t> env_int(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  char* end = nullptr;
  const long long x = std::strtoll(v, &end, 10);
  if (*end != '\0' || errno == ERANGE)
    throw ConfigError(name, "", "expected an integer, got '" + excerpt(v, 40) + "'");
  return x;
}

/// The first run file a sweep could not write, and why (runs go on in parallel: guarded).
std::mutex g_write_error_mutex;
std::string g_write_error;

/// The reason of a write error is a full disk (or a file size limit, or a quota).
bool out_of_room(const std::string& text) {
  for (const int e : {ENOSPC, EFBIG, EDQUOT})
    if (text.find(std::strerror(e)) != std::string::npos) return true;
  return false;
}

void note_write_error(const std::string& text) {
  const std::lock_guard lock(g_write_error_mutex);
  if (g_write_error.empty()) g_write_error = text;
}

int collect(const std::string& dir, bool quiet) {
  const fs::path manifest = fs::path(dir) / "manifest.toml";
  std::error_code ec;
  if (!fs::exists(manifest, ec))
    throw ConfigError(manifest.string(), "", "no sweep manifest: is " + dir + " a sweep's output directory?");
  // Not while array tasks (or a sweep) still write the folder: the table would miss their runs.
  const auto locks = lock_folder(dir, "keepsim sweep --collect " + dir, std::nullopt);
  refuse_non_regular((fs::path(dir) / "sweep.h5").string(), "sweep table");
  const Manifest m = Manifest::parse(slurp(manifest), manifest.string());
  const TableCounts c = write_table(dir, m);
  if (!quiet)
    std::printf("keepsim sweep: %zu runs: %zu ok, %zu failed, %zu missing -> %s\n", m.runs(), c.ok, c.failed,
                c.missing, (fs::path(dir) / "sweep.h5").c_str());
  return c.failed > 0 || c.missing > 0 ? 1 : 0;
}

}  // namespace

CLI::App* add_command(CLI::App& app, Options& o) {
  CLI::App* s = app.add_subcommand("sweep", "run a parameter sweep (docs/sweeps.md) and write DIR/sweep.h5");
  s->add_option("sweep", o.file, "the sweep file (TOML)");
  s->add_option("-o,--output", o.dir, "output directory (DIR/runs/run_NNNNNN.h5 and DIR/sweep.h5)");
  s->add_option("--collect", o.collect,
                "only build DIR/sweep.h5 from the run files there (after a job array)");
  s->add_option("--threads", o.threads,
                "threads per run, 0 to 1024 (0: 1 when runs outnumber cores, else a share)")
      ->check(CLI::Range(0, cli::kMaxThreads));
  s->add_option("--jobs", o.jobs, "runs at once on this machine, 0 to 1024 (0: as many as cores)")
      ->check(CLI::Range(0, cli::kMaxThreads));
  s->add_flag("--resume", o.resume, "skip runs whose run file is complete; run the rest");
  s->add_flag("--force", o.force, "discard an existing sweep in DIR and start again");
  s->add_option("--task-index", o.task_index, "Slurm array mode: run share I (default $SLURM_ARRAY_TASK_ID)");
  s->add_option("--task-count", o.task_count,
                "Slurm array mode: of K shares (default $SLURM_ARRAY_TASK_COUNT)");
  s->add_flag("-q,--quiet", o.quiet, "print nothing but errors");
  cli::add_memory_options(s, o.memory);
  return s;
}

int execute_run(const Plan& plan, const std::string& dir, std::size_t run, int threads,
                const std::atomic<bool>* stop) {
  std::error_code ec;
  remove_own_file(error_path(dir, run));
  bool input = false;  // the run file's name holds one of the run's inputs: refused, and never removed
  try {
    const Params p = plan.run_params(run);
    RunSpec spec;
    spec.output = run_path(dir, run);
    spec.steps = p.get_int("run.steps");
    spec.attrs = standard_attrs();
    for (auto& a : run_attrs(p)) spec.attrs.push_back(std::move(a));
    spec.attrs.emplace_back("sweep_run", static_cast<std::int64_t>(run));
    spec.attrs.emplace_back("sample", plan.manifest.sample[run]);
    spec.attrs.emplace_back("replicate", plan.manifest.replicate[run]);
    // A run file may not be the map the run reads (a map kept, or hard-linked, under a run file's name).
    if (p.get_string("map.source") == "file") {
      input = true;
      refuse_input_as_output(spec.output, "run file", {{p.get_string("map.file"), "map file"}});
      input = false;
    }
    cli::check_run_disk(p, threads, spec.output, true);
    auto model = make_model(p, threads);
    const RunOutcome outcome = run_model(*model, spec, stop);
    if (!outcome.write_error.empty()) throw OutputError(outcome.write_error);
    return outcome.complete ? 0 : 2;
  } catch (const std::exception& e) {
    if (dynamic_cast<const OutputError*>(&e) != nullptr && out_of_room(e.what())) {
      // A full disk is no fault of the run: no .error file; the run file, if any, is valid and incomplete.
      remove_own_file(run_path(dir, run) + ".part");
      note_write_error(e.what());
      return 3;
    }
    // Recorded, not fatal: the other runs go on and the table marks this one failed with this text.
    if (!input) remove_own_file(run_path(dir, run));
    try {
      write_file_replacing(error_path(dir, run), std::string(e.what()) + "\n");
    } catch (const OutputError&) {  // the table then marks the run missing instead of failed
    }
    return 1;
  }
}

int main(const Options& o, const std::atomic<bool>* stop) {
  if (!o.collect.empty()) return collect(o.collect, o.quiet);
  if (o.file.empty() || o.dir.empty())
    throw ConfigError("command line", "", "keepsim sweep needs SWEEP.toml and -o DIR (or --collect DIR)");
  const MpiSession mpi;
  const bool root = mpi.rank() == 0;
  std::optional<Plan> plan;
  std::vector<FileLock> locks;
  try {
    plan = load_plan(o.file);  // every rank: workers need the runs' parameters, and the errors are the same
    std::int64_t index = o.task_index.value_or(env_int("SLURM_ARRAY_TASK_ID").value_or(0) -
                                               env_int("SLURM_ARRAY_TASK_MIN").value_or(0));
    const std::int64_t count = o.task_count.value_or(env_int("SLURM_ARRAY_TASK_COUNT").value_or(1));
    if (count < 1 || index < 0 || index >= count)
      throw ConfigError(
          "command line", "--task-index",
          "task " + std::to_string(index) + " of " + std::to_string(count) + "; allowed: 0 <= index < count");
    if (root) {
      try {
        // Before anything is written: the runs this machine will hold at once must fit in its memory.
        std::vector<Params> mine;
        for (std::size_t i = static_cast<std::size_t>(index); i < plan->manifest.runs();
             i += static_cast<std::size_t>(count))
          mine.push_back(plan->run_params(i));
        const int at_once = mpi.size() > 1 ? 1
                            : o.jobs > 0
                                ? o.jobs
                                : std::min<int>(Executor(0).threads(), static_cast<int>(mine.size()));
        cli::check_sweep_memory(mine, at_once, o.threads > 0 ? o.threads : 1, o.memory, o.file);
        make_folder(o);
        // One sweep per folder (array tasks share it), held to the end of the process.
        locks =
            lock_folder(o.dir, "keepsim sweep -o " + o.dir, count > 1 ? std::optional(index) : std::nullopt);
        prepare(o, *plan, count > 1);
      } catch (...) {
        mpi.broadcast(0);  // the other ranks leave quietly; rank 0 reports
        throw;
      }
    }
    if (mpi.broadcast(1) == 0) return 2;
    const std::size_t n = plan->manifest.runs();
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < n; ++i)
      if (static_cast<std::int64_t>(i % static_cast<std::size_t>(count)) == index &&
          !(o.resume && run_complete(run_path(o.dir, i))))
        pending.push_back(i);

    const int cores = Executor(0).threads();
    const int jobs =
        o.jobs > 0 ? o.jobs : std::max(1, std::min<int>(cores, static_cast<int>(pending.size())));
    const int threads = o.threads > 0 ? o.threads
                        : mpi.size() > 1 || static_cast<int>(pending.size()) >= cores
                            ? 1
                            : std::max(1, cores / jobs);
    Progress progress(root && !o.quiet && isatty(STDERR_FILENO) != 0, pending.size());
    std::atomic<int> interrupted{0};
    std::atomic<bool> disk_full{false};
    auto done = [&](std::size_t, int status) {
      if (status == 2) interrupted = 1;
      if (status == 3) disk_full = true;  // start no more runs: they would not fit either
      progress.tick(status);
    };
    auto one = [&](std::size_t i) { return execute_run(*plan, o.dir, i, threads, stop); };
    if (mpi.size() > 1) {
      mpi.distribute(pending, one, done, stop);
    } else {
      Executor pool(jobs);
      pool.for_each(
          pending.size(),
          [&](std::size_t k) {
            if ((stop != nullptr && stop->load()) || disk_full) return;
            done(pending[k], one(pending[k]));
          },
          1);
    }
    progress.finish();
    if (!root) return 0;
    if (disk_full) {
      std::fprintf(stderr,
                   "keepsim: error: %s; the sweep stopped: make room, then run it again with --resume to "
                   "finish %s\n",
                   g_write_error.c_str(), o.dir.c_str());
      return cli::kExitWriteError;
    }
    if ((stop != nullptr && stop->load()) || interrupted) {
      std::fprintf(stderr, "keepsim: sweep interrupted; run it again with --resume to finish %s\n",
                   o.dir.c_str());
      return 130;
    }
    if (count > 1) {
      if (!o.quiet)
        std::printf(
            "keepsim sweep: task %lld of %lld: %zu runs (%zu failed) in %.1f s; when every task is done: "
            "keepsim sweep --collect %s\n",
            static_cast<long long>(index), static_cast<long long>(count), pending.size(), progress.failed(),
            progress.elapsed(), o.dir.c_str());
      return progress.failed() > 0 ? 1 : 0;
    }
    TableCounts c;
    try {
      c = write_table(o.dir, plan->manifest);
    } catch (const OutputError& e) {
      std::error_code ec;
      remove_own_file((fs::path(o.dir) / "sweep.h5.part").string());
      std::fprintf(stderr,
                   "keepsim: error: %s; every run file is written: make room, then build the table with "
                   "keepsim sweep --collect %s\n",
                   e.what(), o.dir.c_str());
      return cli::kExitWriteError;
    }
    if (!o.quiet)
      std::printf(
          "keepsim sweep: %zu runs (%zu run now, %zu ok, %zu failed, %zu missing) in %.1f s with %d jobs x "
          "%d threads -> %s\n",
          n, pending.size(), c.ok, c.failed, c.missing, progress.elapsed(),
          mpi.size() > 1 ? mpi.size() - 1 : jobs, threads, (fs::path(o.dir) / "sweep.h5").c_str());
    return c.failed > 0 ? 1 : 0;
  } catch (const std::exception&) {
    if (!root) return 2;  // every rank sees the same plan errors: rank 0 reports them
    throw;
  }
}

}  // namespace keepsim::sweep

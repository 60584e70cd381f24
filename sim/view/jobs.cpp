// Runs started from the page (jobs.hpp, docs/explorer.md "Runs from the page"): a config file written from
// the schema-checked form, a child process of this executable, and a thread that notes how each one ended.
#include "sim/view/jobs.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/params.hpp"
#include "models/registry.hpp"

namespace keepsim::view {
namespace fs = std::filesystem;

struct Jobs::Reaper {
  std::atomic<bool> done{false};
  std::thread thread;
};

Jobs::Jobs(std::string program, std::string dir)
    : program_(std::move(program)), dir_(std::move(dir)), reaper_(std::make_unique<Reaper>()) {
  reaper_->thread = std::thread([this] {
    while (!reaper_->done.load()) {
      reap();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

Jobs::~Jobs() {
  reaper_->done = true;
  reaper_->thread.join();
}

void Jobs::reap() {
  const std::lock_guard lock(mutex_);
  for (auto& [id, job] : jobs_) {
    if (job.state != "running" || job.pid <= 0) continue;
    int status = 0;
    if (waitpid(job.pid, &status, WNOHANG) != job.pid) continue;
    job.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    job.pid = -1;
    // 130: stopped by a signal with a checkpoint written (README, "Using it"); resumable.
    job.state = job.exit_code == 0 ? "finished" : job.exit_code == 130 ? "stopped" : "failed";
  }
}

void Jobs::spawn(Job& job, const std::vector<std::string>& args) {
  const int log = open(job.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (log < 0) throw std::runtime_error(job.log + ": " + std::strerror(errno));
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program_.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(log);
    throw std::runtime_error(std::string("cannot start a run: ") + std::strerror(errno));
  }
  if (pid == 0) {  // the child: only async-signal-safe calls until exec
    const int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, STDIN_FILENO);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    execv(program_.c_str(), argv.data());
    _exit(127);
  }
  close(log);
  job.pid = pid;
  job.state = "running";
  job.exit_code = -1;
  job.stop_requested = false;
}

int Jobs::start(const std::vector<std::string>& sets) {
  Params params(full_schema());
  try {
    for (const auto& s : sets) params.apply_override(s, "the form");
    validate(params);
  } catch (const ConfigError& e) {
    throw std::runtime_error(e.what());
  }
  const std::lock_guard lock(mutex_);
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw std::runtime_error(dir_ + ": " + ec.message());
  // The folder must be where it was when the server started, not a link planted there since: runs write only
  // inside the folders the server serves.
  if (const fs::path real = fs::canonical(dir_, ec); ec || real.string() != dir_)
    throw std::runtime_error(dir_ + ": no longer a folder of its own (a link?); runs are not started there");
  Job job;
  // The first free name: neither its config, its output, its .part nor its checkpoint is there.
  for (int n = next_;; ++n) {
    char name[32];
    std::snprintf(name, sizeof name, "page_run_%04d", n);
    const std::string base = (fs::path(dir_) / name).string();
    struct stat st {};
    if (lstat((base + ".toml").c_str(), &st) == 0 || lstat((base + ".h5").c_str(), &st) == 0 ||
        lstat((base + ".h5.part").c_str(), &st) == 0 || lstat((base + ".h5.ckpt").c_str(), &st) == 0)
      continue;
    const int fd = open((base + ".toml").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      throw std::runtime_error(base + ".toml: " + std::strerror(errno));
    }
    const std::string text =
        "# Written by keepsim view for a run started from the page.\n" + params.to_toml();
    const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    close(fd);
    if (!ok) throw std::runtime_error(base + ".toml: cannot write");
    job.id = n;
    next_ = n + 1;
    job.config = base + ".toml";
    job.output = base + ".h5";
    job.checkpoint = base + ".h5.ckpt";
    job.log = base + ".log";
    break;
  }
  job.steps = params.get_int("run.steps");
  // Checkpoints are what the page watches; about fifty of them in a run, and none between two map snapshots.
  const std::int64_t map_every =
      params.schema().find("output.map_every") != nullptr ? params.get_int("output.map_every") : 0;
  job.checkpoint_every = std::max<std::int64_t>({1, map_every, job.steps / 50});
  if (map_every > 0 && params.get_string("model") == "peacekeeping") {
    job.height = static_cast<int>(params.get_int("world.height"));
    job.width = static_cast<int>(params.get_int("world.width"));
  }
  spawn(job, {"run", job.config, "-o", job.output, "--checkpoint-every", std::to_string(job.checkpoint_every),
              "-q"});
  const int id = job.id;
  jobs_[id] = std::move(job);
  return id;
}

bool Jobs::stop(int id) {
  const std::lock_guard lock(mutex_);
  const auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second.state != "running" || it->second.pid <= 0) return false;
  // One signal only: a second would end the run at once and leave no file under its name.
  if (!it->second.stop_requested) kill(it->second.pid, SIGTERM);
  it->second.stop_requested = true;
  return true;
}

bool Jobs::resume(int id) {
  const std::lock_guard lock(mutex_);
  const auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second.state != "stopped") return false;
  spawn(it->second, {"resume", it->second.checkpoint, "-q"});
  return true;
}

std::vector<Job> Jobs::all() const {
  const std::lock_guard lock(mutex_);
  std::vector<Job> out;
  for (const auto& [id, job] : jobs_) out.push_back(job);
  return out;
}

bool Jobs::get(int id, Job& out) const {
  const std::lock_guard lock(mutex_);
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return false;
  out = it->second;
  return true;
}

}  // namespace keepsim::view

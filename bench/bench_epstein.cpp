// keepsim_bench: agent-updates per second of the Epstein model (agents on the grid or in jail, times periods,
// over wall seconds), for both schedules, both models, grid sizes and thread counts, each next to the plain
// reference implementation of the same model and schedule (models/epstein/reference.hpp: a vector of agents
// and full scans of every vision, the same draws as the engine), timed in the same run, so every figure also
// comes as a ratio that stays meaningful on noisy shared machines. After the table it prints how the cost per
// agent-update grows with the grid (issue 14: it should not grow faster than the agents).
//
// Every case runs in a child process of its own (fork), so that its memory is measured cleanly: the growth of
// resident memory from just before the model is built to the peak of the case (VmHWM), and so that a case
// that cannot run (out of memory, an exception) is reported as failed while the others go on. The children
// run under an address-space limit of the memory available when they start, so that a case too big for the
// machine fails with std::bad_alloc rather than waking the kernel's OOM killer.
//
// The case (issue 6): Model I, density 0.7, cops 0.04, vision 7, Moore metric, floor rule. Model II: the same
// grid, densities and vision with two groups, inter-group violence and run 8's demography.
//
// --quick: sizes 100, 300 and 1000, the reference up to 300.
//
//   keepsim_bench [--quick] [--sizes 100,300,1000,3000,10000] [--max-size N] [--threads 1,2]
//                 [--schedules sync,async] [--models I,II] [--updates N] [--periods N]
//                 [--reference-max-size 1000] [--reference-updates N] [--no-reference] [--no-mem-limit]
//                 [--json FILE]
#include <sched.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "keepsim/core/build_info.hpp"
#include "models/epstein/model.hpp"
#include "models/epstein/reference.hpp"
#include "models/registry.hpp"

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kCitizenDensity = 0.7, kCopDensity = 0.04, kLegitimacy = 0.82;
constexpr int kVision = 7, kMaxJail = 30;

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<int> parse_ints(const std::string& text) {
  std::vector<int> out;
  for (const std::string& s : split(text)) out.push_back(std::stoi(s));
  return out;
}

keepsim::epstein::Config config_for(int size, const std::string& model, const std::string& schedule) {
  keepsim::Params p(keepsim::full_schema());
  std::string text = "[world]\nwidth = " + std::to_string(size) + "\nheight = " + std::to_string(size) +
                     "\n[citizens]\ndensity = " + std::to_string(kCitizenDensity) +
                     "\nvision = " + std::to_string(kVision) + "\n";
  if (model == "II")
    text +=
        "legitimacy = 0.8\ngroups = 2\ngroup_share = 0.5\nviolence = \"inter_group\"\n[demography]\n"
        "clone_probability = 0.05\nmax_age = 200\n[jail]\nmax_term = 15\n";
  else
    text += "legitimacy = " + std::to_string(kLegitimacy) +
            "\n[jail]\nmax_term = " + std::to_string(kMaxJail) + "\n";
  text += "[cops]\ndensity = " + std::to_string(kCopDensity) + "\nvision = " + std::to_string(kVision) +
          "\n[rules]\nvision_metric = \"moore\"\nratio = \"floor\"\nschedule = \"" + schedule + "\"\n";
  p.load_string(text, "bench");
  return keepsim::epstein::read_config(p);
}

std::int64_t agents_counted(const keepsim::epstein::EpsteinModel& m) {
  std::int64_t n = 0;
  for (const auto s : m.agents().status) n += s != keepsim::epstein::Status::Dead;
  return n;
}

// ---- /proc and the machine ----

/// A field of /proc/self/status (VmRSS, VmHWM, VmSize, VmPeak) in bytes; -1 if absent.
std::int64_t proc_status_bytes(const char* field) {
  std::ifstream f("/proc/self/status");
  const std::string key = std::string(field) + ":";
  for (std::string line; std::getline(f, line);)
    if (line.rfind(key, 0) == 0) return std::atoll(line.c_str() + key.size()) * 1024;
  return -1;
}

/// A field of /proc/meminfo in bytes; -1 if absent.
std::int64_t meminfo_bytes(const char* field) {
  std::ifstream f("/proc/meminfo");
  const std::string key = std::string(field) + ":";
  for (std::string line; std::getline(f, line);)
    if (line.rfind(key, 0) == 0) return std::atoll(line.c_str() + key.size()) * 1024;
  return -1;
}

struct Machine {
  std::string cpu = "unknown", kernel = "unknown", compiler;
  int logical_cpus = 0, cpus_available = 0;
  std::int64_t mem_total = -1, mem_available = -1;
};

Machine describe_machine() {
  Machine m;
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("processor", 0) == 0) ++m.logical_cpus;
    if (m.cpu == "unknown" && line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) m.cpu = line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) m.cpus_available = CPU_COUNT(&set);
  m.mem_total = meminfo_bytes("MemTotal");
  m.mem_available = meminfo_bytes("MemAvailable");
  utsname u{};
  if (uname(&u) == 0) m.kernel = std::string(u.sysname) + " " + u.release + " " + u.version + " " + u.machine;
#if defined(__clang__)
  m.compiler = std::string("clang ") + __VERSION__;
#elif defined(__GNUC__)
  m.compiler = std::string("g++ ") + __VERSION__;
#else
  m.compiler = __VERSION__;
#endif
  return m;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_number(double x) {
  if (!(x == x) || x > 1e308 || x < -1e308) return "null";  // NaN or infinite
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

std::string human_bytes(double b) {
  char buf[32];
  if (b >= 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  else
    std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024));
  return buf;
}

// ---- one case in a child process ----

/// What a child sends back through its pipe: plain data, written and read whole.
struct Measure {
  int ok = 0;
  char error[256] = {};
  std::int64_t agents = 0;   ///< agents on the grid or in jail when the timed periods start
  std::int64_t periods = 0;  ///< timed periods (the warm-up period is not timed)
  std::int64_t updates = 0;  ///< agent-updates in the timed periods
  double setup_s = 0, seconds = 0;
  std::int64_t rss_start = 0;  ///< VmRSS before the model is built
  std::int64_t rss_warm = 0;   ///< VmRSS after the warm-up period
  std::int64_t rss_peak = 0;   ///< VmHWM at the end
  std::int64_t vm_peak = 0;    ///< VmPeak at the end (address space)
  std::int64_t as_limit = 0;   ///< the address-space limit the child ran under (0: none)
};

bool write_all(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

std::size_t read_all(int fd, void* data, std::size_t n) {
  char* p = static_cast<char*>(data);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

/// Runs body in a fresh child process and returns its Measure; `failure` says why when there is none.
Measure run_isolated(const std::function<void(Measure&)>& body, bool mem_limit, std::string& failure) {
  failure.clear();
  std::fflush(stdout);
  std::fflush(stderr);
  int fd[2];
  if (pipe(fd) != 0) {
    failure = std::string("pipe: ") + std::strerror(errno);
    return {};
  }
  const pid_t pid = fork();
  if (pid < 0) {
    failure = std::string("fork: ") + std::strerror(errno);
    close(fd[0]);
    close(fd[1]);
    return {};
  }
  if (pid == 0) {
    close(fd[0]);
    Measure m;
    try {
      if (mem_limit) {
        // What this process maps now, plus the memory the machine has available.
        const std::int64_t avail = meminfo_bytes("MemAvailable"), vm = proc_status_bytes("VmSize");
        if (avail > 0 && vm > 0) {
          m.as_limit = avail + vm;
          const rlimit rl{static_cast<rlim_t>(m.as_limit), static_cast<rlim_t>(m.as_limit)};
          setrlimit(RLIMIT_AS, &rl);
        }
      }
      m.rss_start = proc_status_bytes("VmRSS");
      body(m);
      m.rss_peak = proc_status_bytes("VmHWM");
      m.vm_peak = proc_status_bytes("VmPeak");
      m.ok = 1;
    } catch (const std::exception& e) {
      if (m.as_limit > 0)
        std::snprintf(m.error, sizeof m.error,
                      "%s (under an address-space limit of %.1f GiB: the memory available at its start plus "
                      "what it mapped)",
                      e.what(), static_cast<double>(m.as_limit) / (1024.0 * 1024 * 1024));
      else
        std::snprintf(m.error, sizeof m.error, "%s", e.what());
    }
    const bool sent = write_all(fd[1], &m, sizeof m);
    close(fd[1]);
    _exit(sent ? 0 : 3);
  }
  close(fd[1]);
  Measure m;
  const std::size_t got = read_all(fd[0], &m, sizeof m);
  close(fd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got != sizeof m) {
    if (WIFSIGNALED(status)) {
      const int sig = WTERMSIG(status);
      failure = "killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")" +
                (sig == SIGKILL ? ": out of memory?" : "");
    } else {
      failure = "exited with status " + std::to_string(WEXITSTATUS(status)) + " without a result";
    }
    return {};
  }
  if (!m.ok) failure = m.error;
  return m;
}

std::int64_t periods_for(std::int64_t agents, std::int64_t target_updates, std::int64_t fixed) {
  if (fixed > 0) return fixed;
  const std::int64_t a = std::max<std::int64_t>(1, agents);
  return std::max<std::int64_t>(3, (target_updates + a - 1) / a);
}

std::int64_t agents_counted(const keepsim::epstein::ReferenceModel& m) {
  std::int64_t n = 0;
  for (const auto& a : m.agents()) n += a.status != keepsim::epstein::Status::Dead;
  return n;
}

void time_reference(Measure& m, int size, const std::string& model, const std::string& schedule,
                    std::int64_t target_updates, std::int64_t fixed_periods) {
  const auto s0 = Clock::now();
  keepsim::epstein::ReferenceModel ref(config_for(size, model, schedule));
  ref.step();  // warm-up
  m.setup_s = std::chrono::duration<double>(Clock::now() - s0).count();
  m.rss_warm = proc_status_bytes("VmRSS");
  m.agents = agents_counted(ref);
  m.periods = periods_for(m.agents, target_updates, fixed_periods);
  double seconds = 0;
  for (std::int64_t t = 0; t < m.periods; ++t) {
    m.updates += agents_counted(ref);  // counted outside the timed step
    const auto t0 = Clock::now();
    ref.step();
    seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  m.seconds = seconds;
}

void time_keepsim(Measure& m, int size, const std::string& model, const std::string& schedule, int threads,
                  std::int64_t target_updates, std::int64_t fixed_periods) {
  const auto s0 = Clock::now();
  keepsim::epstein::EpsteinModel sim(config_for(size, model, schedule), threads);
  sim.step();  // warm-up
  m.setup_s = std::chrono::duration<double>(Clock::now() - s0).count();
  m.rss_warm = proc_status_bytes("VmRSS");
  m.agents = agents_counted(sim);
  m.periods = periods_for(m.agents, target_updates, fixed_periods);
  double seconds = 0;
  for (std::int64_t t = 0; t < m.periods; ++t) {
    m.updates += agents_counted(sim);  // counted outside the timed step
    const auto t0 = Clock::now();
    sim.step();
    seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  m.seconds = seconds;
}

// ---- results ----

struct Case {
  std::string kind;  // "reference" or "keepsim"
  std::string model, schedule;
  int size = 0, threads = 1;
  std::string status = "ok";  // ok | failed | skipped
  std::string note;
  Measure m;
  double rate = 0, ratio = 0;
  int reference_size = 0;  // 0: no reference measured at or below this size
  std::int64_t cells() const { return static_cast<std::int64_t>(size) * size; }
  std::int64_t growth() const { return m.rss_peak - m.rss_start; }
  double bound_48_4() const {
    return 48.0 * static_cast<double>(m.agents) + 4.0 * static_cast<double>(cells());
  }
  double bound_24_2() const {
    return 24.0 * static_cast<double>(m.agents) + 2.0 * static_cast<double>(cells());
  }
};

void print_header() {
  std::printf("%-5s %-9s %6s %7s %7s %10s %11s %14s %11s %9s %7s %9s\n", "model", "schedule", "size",
              "threads", "periods", "agents", "updates/s", "x reference", "mem growth", "B/agent", "B/cell",
              "bound B/a");
}

void print_case(const Case& c) {
  const std::string sched = (c.kind == "reference" ? "ref-" : "") + c.schedule;
  if (c.status != "ok") {
    std::printf("%-5s %-9s %6d %7d  %s: %s\n", c.model.c_str(), sched.c_str(), c.size, c.threads,
                c.status.c_str(), c.note.c_str());
    return;
  }
  char ratio[32] = "-";
  if (c.reference_size > 0) std::snprintf(ratio, sizeof ratio, "%.2f (%d)", c.ratio, c.reference_size);
  const double agents = static_cast<double>(c.m.agents), growth = static_cast<double>(c.growth());
  char bound[16] = "-";
  if (c.kind == "keepsim") std::snprintf(bound, sizeof bound, "%.1f", c.bound_48_4() / agents);
  std::printf("%-5s %-9s %6d %7d %7lld %10lld %11.3e %14s %11s %9.1f %7.2f %9s\n", c.model.c_str(),
              sched.c_str(), c.size, c.threads, static_cast<long long>(c.m.periods),
              static_cast<long long>(c.m.agents), c.rate, ratio, human_bytes(growth).c_str(), growth / agents,
              growth / static_cast<double>(c.cells()), bound);
}

void usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: keepsim_bench [--quick] [--sizes 100,300,1000,3000,10000] [--max-size N] [--threads 1,2]\n"
      "                     [--schedules sync,async] [--models I,II] [--updates N] [--periods N]\n"
      "                     [--reference-max-size 1000] [--reference-updates N] [--no-reference]\n"
      "                     [--no-mem-limit] [--json FILE]\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes{100, 300, 1000, 3000, 10000}, threads{1, 2};
  std::vector<std::string> schedules{"sync", "async"}, models{"I", "II"};
  int max_size = 0, reference_max_size = 1000;
  std::int64_t periods = 0, updates = 20'000'000, reference_updates = 2'000'000;
  std::string json;
  bool reference = true, quick = false, mem_limit = true, reference_size_given = false;
  std::string command = argv[0];
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      const bool has_value = i + 1 < argc;
      if (a == "--help" || a == "-h") {
        usage(stdout);
        return 0;
      } else if (a == "--quick") {
        quick = true;
        sizes = {100, 300, 1000};
      } else if (a == "--sizes" && has_value) {
        sizes = parse_ints(argv[++i]);
      } else if (a == "--max-size" && has_value) {
        max_size = std::stoi(argv[++i]);
      } else if (a == "--threads" && has_value) {
        threads = parse_ints(argv[++i]);
      } else if (a == "--schedules" && has_value) {
        schedules = split(argv[++i]);
      } else if (a == "--models" && has_value) {
        models = split(argv[++i]);
      } else if (a == "--periods" && has_value) {
        periods = std::stoll(argv[++i]);
      } else if (a == "--updates" && has_value) {
        updates = std::stoll(argv[++i]);
      } else if (a == "--reference-max-size" && has_value) {
        reference_max_size = std::stoi(argv[++i]);
        reference_size_given = true;
      } else if (a == "--reference-updates" && has_value) {
        reference_updates = std::stoll(argv[++i]);
      } else if (a == "--no-reference") {
        reference = false;
      } else if (a == "--no-mem-limit") {
        mem_limit = false;
      } else if (a == "--json" && has_value) {
        json = argv[++i];
      } else {
        usage(stderr);
        return 2;
      }
    }
  } catch (const std::exception&) {
    usage(stderr);
    return 2;
  }
  // The reference is about a hundred times slower than the engine: --quick times it up to 300 x 300 only.
  if (quick && !reference_size_given) reference_max_size = 300;
  for (const std::string& s : schedules)
    if (s != "sync" && s != "async") {
      std::fprintf(stderr, "keepsim_bench: unknown schedule '%s' (sync, async)\n", s.c_str());
      return 2;
    }
  for (const std::string& s : models)
    if (s != "I" && s != "II") {
      std::fprintf(stderr, "keepsim_bench: unknown model '%s' (I, II)\n", s.c_str());
      return 2;
    }
  if (sizes.empty() || threads.empty()) {
    usage(stderr);
    return 2;
  }

  const Machine machine = describe_machine();
  const std::string date = utc_now();
  std::printf("keepsim_bench, commit %s, %s\n", keepsim::git_commit(), date.c_str());
  std::printf("machine: %s, %d logical CPUs (%d available), %s memory (%s available), %s, %s\n",
              machine.cpu.c_str(), machine.logical_cpus, machine.cpus_available,
              human_bytes(static_cast<double>(machine.mem_total)).c_str(),
              human_bytes(static_cast<double>(machine.mem_available)).c_str(), machine.kernel.c_str(),
              machine.compiler.c_str());
  std::printf(
      "case: Epstein Model I (II: two groups, inter-group violence, demography), citizens 0.7, cops 0.04, "
      "vision 7, Moore, floor rule\n"
      "updates/s: agents on the grid or in jail x timed periods / wall seconds (after one warm-up period); "
      "each case in its own process;\n"
      "mem growth: peak resident memory of the case (VmHWM) minus resident memory before building the model; "
      "bound B/a: issue bound (48 x agents + 4 x cells) / agents\n"
      "x reference: ratio to the plain reference of the same model and schedule "
      "(models/epstein/reference.hpp, "
      "1 thread) measured in this run at the size in brackets\n\n");
  print_header();

  std::vector<Case> cases;
  // (model, schedule, size) -> reference updates/s
  std::map<std::tuple<std::string, std::string, int>, double> reference_rate;
  std::map<std::tuple<std::string, int, int>, double> sync_rate;  // (model, size, threads) -> updates/s
  std::string failure;
  for (const int size : sizes) {
    if (max_size > 0 && size > max_size) {
      for (const std::string& model : models)
        for (const std::string& schedule : schedules)
          for (const int th : threads) {
            if (schedule == "async" && th != threads.front()) continue;
            Case c;
            c.kind = "keepsim";
            c.model = model;
            c.schedule = schedule;
            c.size = size;
            c.threads = th;
            c.status = "skipped";
            c.note = "larger than --max-size " + std::to_string(max_size);
            print_case(c);
            cases.push_back(c);
          }
      continue;
    }
    if (reference && size <= reference_max_size)
      for (const std::string& model : models)
        for (const std::string& schedule : schedules) {
          Case c;
          c.kind = "reference";
          c.model = model;
          c.schedule = schedule;
          c.size = size;
          c.m = run_isolated(
              [&](Measure& m) { time_reference(m, size, model, schedule, reference_updates, periods); },
              mem_limit, failure);
          if (failure.empty()) {
            c.rate = static_cast<double>(c.m.updates) / c.m.seconds;
            c.ratio = 1.0;
            c.reference_size = size;
            reference_rate[{model, schedule, size}] = c.rate;
          } else {
            c.status = "failed";
            c.note = failure;
          }
          print_case(c);
          cases.push_back(c);
        }
    // The reference of the same model and schedule at the largest size <= this one where it ran.
    const auto ref_size = [&](const std::string& model, const std::string& schedule) {
      int found = 0;
      for (const auto& [key, rate] : reference_rate)
        if (std::get<0>(key) == model && std::get<1>(key) == schedule && std::get<2>(key) <= size)
          found = std::max(found, std::get<2>(key));
      return found;
    };
    for (const std::string& model : models) {
      for (const std::string& schedule : schedules) {
        for (const int th : threads) {
          if (schedule == "async" && th != threads.front()) continue;  // async is sequential by definition
          Case c;
          c.kind = "keepsim";
          c.model = model;
          c.schedule = schedule;
          c.size = size;
          c.threads = schedule == "async" ? 1 : th;
          c.m = run_isolated(
              [&](Measure& m) { time_keepsim(m, size, model, schedule, c.threads, updates, periods); },
              mem_limit, failure);
          if (failure.empty()) {
            c.rate = static_cast<double>(c.m.updates) / c.m.seconds;
            if (const int rs = ref_size(model, schedule); rs > 0) {
              c.reference_size = rs;
              c.ratio = c.rate / reference_rate[{model, schedule, rs}];
            }
            if (schedule == "sync") sync_rate[{model, size, c.threads}] = c.rate;
          } else {
            c.status = "failed";
            c.note = failure;
          }
          print_case(c);
          cases.push_back(c);
        }
      }
    }
    for (const std::string& model : models) {
      const auto one = sync_rate.find({model, size, 1});
      if (one == sync_rate.end()) continue;
      for (const int th : threads) {
        const auto more = sync_rate.find({model, size, th});
        if (th <= 1 || more == sync_rate.end()) continue;
        char line[160];
        std::snprintf(line, sizeof line, "  model %s sync at %d: speed-up 1 -> %d threads %.2fx",
                      model.c_str(), size, th, more->second / one->second);
        std::printf("%s\n", line);
      }
    }
  }

  // How the cost per agent-update grows with the grid (issue 14: anything that grows faster than the agents
  // is a defect): nanoseconds per agent-update at each size, and the cost at the largest size measured over
  // the cost at the smallest.
  struct Growth {
    std::string kind, model, schedule;
    int threads;
    std::map<int, double> ns;  // size -> ns per agent-update
    double growth() const { return ns.size() < 2 ? 0 : ns.rbegin()->second / ns.begin()->second; }
  };
  std::vector<Growth> growth;
  for (const Case& c : cases) {
    if (c.status != "ok") continue;
    auto g = std::find_if(growth.begin(), growth.end(), [&](const Growth& x) {
      return x.kind == c.kind && x.model == c.model && x.schedule == c.schedule && x.threads == c.threads;
    });
    if (g == growth.end())
      g = growth.insert(growth.end(), Growth{c.kind, c.model, c.schedule, c.threads, {}});
    g->ns[c.size] = 1e9 / c.rate;
  }
  std::printf("\ncost per agent-update (ns) by grid size; growth: at the largest size over the smallest\n");
  std::printf("%-5s %-9s %7s", "model", "schedule", "threads");
  for (const int size : sizes) std::printf(" %9d", size);
  std::printf(" %8s\n", "growth");
  for (const Growth& g : growth) {
    std::printf("%-5s %-9s %7d", g.model.c_str(),
                ((g.kind == "reference" ? "ref-" : "") + g.schedule).c_str(), g.threads);
    for (const int size : sizes) {
      const auto it = g.ns.find(size);
      if (it == g.ns.end())
        std::printf(" %9s", "-");
      else
        std::printf(" %9.1f", it->second);
    }
    if (g.ns.size() >= 2)
      std::printf(" %7.2fx  (%d -> %d)\n", g.growth(), g.ns.begin()->first, g.ns.rbegin()->first);
    else
      std::printf(" %8s\n", "-");
  }

  // The memory bound next to the largest size measured.
  const int largest = *std::max_element(sizes.begin(), sizes.end());
  std::printf("\nmemory at %dx%d (issue: <= 48 bytes per agent plus 4 per cell; aim <= 24 plus 2):\n",
              largest, largest);
  for (const Case& c : cases) {
    if (c.kind != "keepsim" || c.size != largest) continue;
    if (c.status != "ok") {
      std::printf("  model %-2s %-5s %d thread(s): %s: %s\n", c.model.c_str(), c.schedule.c_str(), c.threads,
                  c.status.c_str(), c.note.c_str());
      continue;
    }
    const double g = static_cast<double>(c.growth());
    std::printf(
        "  model %-2s %-5s %d thread(s): %s = %.1f bytes/agent (%lld agents, %lld cells); bound %s, aim %s: "
        "%s; "
        "peak resident %s\n",
        c.model.c_str(), c.schedule.c_str(), c.threads, human_bytes(g).c_str(),
        g / static_cast<double>(c.m.agents), static_cast<long long>(c.m.agents),
        static_cast<long long>(c.cells()), human_bytes(c.bound_48_4()).c_str(),
        human_bytes(c.bound_24_2()).c_str(),
        g <= c.bound_24_2()   ? "meets the aim"
        : g <= c.bound_48_4() ? "within the bound"
                              : "OVER the bound",
        human_bytes(static_cast<double>(c.m.rss_peak)).c_str());
  }

  if (!json.empty()) {
    std::ofstream f(json);
    f << "{\n  \"benchmark\": \"keepsim_bench\",\n  \"commit\": " << json_string(keepsim::git_commit())
      << ",\n  \"date\": " << json_string(date) << ",\n  \"command\": " << json_string(command)
      << ",\n  \"machine\": {\"cpu\": " << json_string(machine.cpu)
      << ", \"logical_cpus\": " << machine.logical_cpus << ", \"cpus_available\": " << machine.cpus_available
      << ", \"mem_total_bytes\": " << machine.mem_total
      << ", \"mem_available_bytes\": " << machine.mem_available
      << ", \"kernel\": " << json_string(machine.kernel)
      << ", \"compiler\": " << json_string(machine.compiler) << "},\n";
    f << "  \"settings\": {\"quick\": " << (quick ? "true" : "false") << ", \"sizes\": [";
    for (std::size_t i = 0; i < sizes.size(); ++i) f << (i ? ", " : "") << sizes[i];
    f << "], \"max_size\": " << max_size << ", \"threads\": [";
    for (std::size_t i = 0; i < threads.size(); ++i) f << (i ? ", " : "") << threads[i];
    f << "], \"schedules\": [";
    for (std::size_t i = 0; i < schedules.size(); ++i) f << (i ? ", " : "") << json_string(schedules[i]);
    f << "], \"models\": [";
    for (std::size_t i = 0; i < models.size(); ++i) f << (i ? ", " : "") << json_string(models[i]);
    f << "], \"target_updates\": " << updates << ", \"fixed_periods\": " << periods
      << ", \"reference\": " << (reference ? "true" : "false")
      << ", \"reference_max_size\": " << reference_max_size
      << ", \"reference_target_updates\": " << reference_updates
      << ", \"memory_limit\": " << (mem_limit ? "true" : "false") << ",\n    \"case\": "
      << json_string(
             "citizens density 0.7, cops density 0.04, vision 7, Moore metric, floor rule; Model I "
             "legitimacy 0.82, "
             "max jail 30; Model II two groups (share 0.5), inter-group violence, legitimacy 0.8, max jail "
             "15, "
             "clone probability 0.05, max age 200")
      << "},\n  \"cases\": [\n";
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      f << "    {\"kind\": " << json_string(c.kind) << ", \"model\": " << json_string(c.model)
        << ", \"schedule\": " << json_string(c.schedule) << ", \"size\": " << c.size
        << ", \"cells\": " << c.cells() << ", \"threads\": " << c.threads
        << ", \"status\": " << json_string(c.status);
      if (!c.note.empty()) f << ", \"note\": " << json_string(c.note);
      if (c.status == "ok") {
        const double agents = static_cast<double>(c.m.agents), g = static_cast<double>(c.growth());
        f << ", \"periods\": " << c.m.periods << ", \"agents\": " << c.m.agents
          << ", \"updates\": " << c.m.updates << ", \"seconds\": " << json_number(c.m.seconds)
          << ", \"setup_seconds\": " << json_number(c.m.setup_s)
          << ", \"updates_per_s\": " << json_number(c.rate)
          << ", \"ratio_to_reference\": " << (c.reference_size > 0 ? json_number(c.ratio) : "null")
          << ", \"reference_size\": " << (c.reference_size > 0 ? std::to_string(c.reference_size) : "null")
          << ", \"rss_start_bytes\": " << c.m.rss_start << ", \"rss_after_warmup_bytes\": " << c.m.rss_warm
          << ", \"rss_peak_bytes\": " << c.m.rss_peak << ", \"vm_peak_bytes\": " << c.m.vm_peak
          << ", \"address_space_limit_bytes\": " << c.m.as_limit
          << ", \"memory_growth_bytes\": " << c.growth()
          << ", \"bytes_per_agent\": " << json_number(g / agents)
          << ", \"bytes_per_cell\": " << json_number(g / static_cast<double>(c.cells()))
          << ", \"bound_48_per_agent_4_per_cell_bytes\": " << json_number(c.bound_48_4())
          << ", \"aim_24_per_agent_2_per_cell_bytes\": " << json_number(c.bound_24_2());
      }
      f << "}" << (i + 1 < cases.size() ? ",\n" : "\n");
    }
    f << "  ],\n  \"speedups\": [";
    bool first = true;
    for (const std::string& model : models)
      for (const int size : sizes) {
        const auto one = sync_rate.find({model, size, 1});
        if (one == sync_rate.end()) continue;
        for (const int th : threads) {
          const auto more = sync_rate.find({model, size, th});
          if (th <= 1 || more == sync_rate.end()) continue;
          f << (first ? "\n" : ",\n") << "    {\"model\": " << json_string(model)
            << ", \"schedule\": \"sync\", \"size\": " << size
            << ", \"threads_from\": 1, \"threads_to\": " << th
            << ", \"speedup\": " << json_number(more->second / one->second) << "}";
          first = false;
        }
      }
    f << "\n  ],\n  \"cost_growth\": [";
    for (std::size_t i = 0; i < growth.size(); ++i) {
      const Growth& g = growth[i];
      f << (i ? ",\n" : "\n") << "    {\"kind\": " << json_string(g.kind)
        << ", \"model\": " << json_string(g.model) << ", \"schedule\": " << json_string(g.schedule)
        << ", \"threads\": " << g.threads << ", \"ns_per_update\": {";
      bool first_size = true;
      for (const auto& [size, ns] : g.ns) {
        f << (first_size ? "" : ", ") << "\"" << size << "\": " << json_number(ns);
        first_size = false;
      }
      f << "}, \"smallest_size\": " << (g.ns.empty() ? 0 : g.ns.begin()->first)
        << ", \"largest_size\": " << (g.ns.empty() ? 0 : g.ns.rbegin()->first)
        << ", \"growth\": " << (g.ns.size() >= 2 ? json_number(g.growth()) : "null") << "}";
    }
    f << "\n  ]\n}\n";
    if (!f) {
      std::fprintf(stderr, "keepsim_bench: could not write %s\n", json.c_str());
      return 1;
    }
    std::printf("\nresults: %s\n", json.c_str());
  }
  bool all_ok = true;
  for (const Case& c : cases) all_ok = all_ok && c.status != "failed";
  return all_ok ? 0 : 1;
}

// keepsim_bench_peace: what a day of the peacekeeping scenario costs next to a period of the Epstein model
// under the `sync` schedule with the same number of agents on the same grid (issue 3 asks for at most 3x).
// Both are timed in the same process, so the ratio stays meaningful on a noisy machine, after --skip untimed
// periods each (time_model). --schedule picks the
// peacekeeping day's schedule: async (the reference, the default) or sync (decide-then-resolve, parallel).
//
//   keepsim_bench_peace [--size 300] [--periods 200] [--skip 1] [--repeats 1] [--threads 1]
//                       [--doctrine security_keeping] [--schedule async] [--json FILE] [--phases]
//
// --repeats N times N runs of seeds 1..N, each over the same days (after --skip, then --periods), and adds
// them up. A day's cost depends on which day it is (the first days after the force arrives are the busiest),
// so the cost per agent-day at two sizes compares like with like only over the same days: a small grid is
// given more runs, not more days (bench/run.sh).
//
// --phases also prints the wall time of each phase of the peacekeeping day and of each mechanism's hook
// (PeaceModel::time_phases), and of recording: run it at 1 and 2 threads to see what does not shrink.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "keepsim/core/build_info.hpp"
#include "keepsim/core/params.hpp"
#include "keepsim/core/recorder.hpp"
#include "models/peacekeeping/model.hpp"
#include "models/registry.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Timing {
  double seconds = 0;
  std::int64_t agent_periods = 0;
};

Timing time_model(keepsim::Params& p, std::int64_t skip, std::int64_t periods, int threads,
                  std::map<std::string, double>* phases = nullptr) {
  auto m = keepsim::make_model(p, threads);
  keepsim::Recorder rec;
  m->declare(rec);
  // Untimed periods first (one by default): the first day is a one-off (the whole force arrives, every
  // citizen decides for the first time, the day's buffers are allocated) that costs about twice a later day
  // at 3000x3000, and a large grid is timed over few days, where it would weigh far more than in a long run.
  for (std::int64_t k = 0; k < skip; ++k) {
    m->step();
    rec.begin_step(m->period());
    m->observe(rec);
  }
  auto* peace = phases ? dynamic_cast<keepsim::peace::PeaceModel*>(m.get()) : nullptr;
  if (peace) peace->time_phases(phases);
  Timing t;
  const auto t0 = Clock::now();
  for (std::int64_t k = 0; k < periods; ++k) {
    m->step();
    rec.begin_step(m->period());
    const auto r0 = Clock::now();
    m->observe(rec);  // recording is part of a period's cost in a real run
    if (peace) (*phases)["(recording: observe)"] += std::chrono::duration<double>(Clock::now() - r0).count();
    t.agent_periods +=
        rec.ints(0)[rec.rows() - 1] + rec.ints(1)[rec.rows() - 1] + rec.ints(3)[rec.rows() - 1];
  }
  t.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int size = 300, threads = 1;
  std::int64_t periods = 200, skip = 1, repeats = 1;
  std::string doctrine = "security_keeping", schedule = "async", json;
  bool phases = false;
  for (int i = 1; i < argc; i += 2) {
    if (!std::strcmp(argv[i], "--phases")) {  // a flag: no value follows
      phases = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr,
                   "usage: keepsim_bench_peace [--size 300] [--periods 200] [--skip 1] [--repeats 1] "
                   "[--threads 1] [--doctrine security_keeping] [--schedule async] [--json FILE] "
                   "[--phases]\n");
      return 2;
    }
    if (!std::strcmp(argv[i], "--size"))
      size = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--periods"))
      periods = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--skip"))
      skip = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeats"))
      repeats = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads"))
      threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--doctrine"))
      doctrine = argv[i + 1];
    else if (!std::strcmp(argv[i], "--schedule"))
      schedule = argv[i + 1];
    else if (!std::strcmp(argv[i], "--json"))
      json = argv[i + 1];
    else {
      std::fprintf(stderr, "keepsim_bench_peace: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (periods < 1 || skip < 0 || repeats < 1) {
    std::fprintf(stderr,
                 "keepsim_bench_peace: --periods and --repeats must be at least 1, --skip at least 0\n");
    return 2;
  }
  const std::string src = KEEPSIM_SOURCE_DIR;
  const std::string dims = "world.width=" + std::to_string(size);
  keepsim::Params peace(keepsim::full_schema());
  peace.load_file(src + "/configs/scenarios/default.toml");
  peace.load_file(src + "/configs/doctrines/" + doctrine + ".toml");
  peace.apply_override(dims);
  peace.apply_override("world.height=" + std::to_string(size));
  // A day's cost is what is measured: the scenario's burn-in (days before day 0, ODD 7.12) would only add a
  // long untimed set-up at large sizes.
  peace.apply_override("start.burn_in_days=0");
  peace.apply_override("start.settlement_share=0");  // no burn-in, so no war to settle (ODD 7.20)
  peace.apply_override("rules.schedule=" + schedule);
  // The country grows with the grid, and so does the force, so that every size runs at the doctrine's force
  // ratio (about 25 per 1,000): otherwise a large grid would be a country without a mission, a different
  // regime, and the cost per agent would compare unlike days.
  const double area = static_cast<double>(size) * size / (100.0 * 100.0);
  for (int c = 1; c <= 6; ++c) {
    const std::string key = "contingents.c" + std::to_string(c) + ".size";
    const auto n = static_cast<long long>(std::llround(static_cast<double>(peace.get_int(key)) * area));
    peace.apply_override(key + "=" + std::to_string(n));
  }
  const std::string police = "police.count";
  peace.apply_override(police + "=" +
                       std::to_string(std::llround(static_cast<double>(peace.get_int(police)) * area)));
  // The same grid and vision with Epstein's sync schedule and as many agents (citizens, plus cops at the
  // scenario's security density: its force scaled to the grid).
  keepsim::Params ep(keepsim::full_schema());
  ep.load_string(
      "model = \"epstein\"\n[rules]\nschedule = \"sync\"\n[citizens]\ndensity = 0.6\nvision = 5\n"
      "[cops]\ndensity = 0.015\nvision = 5\n[jail]\nmax_term = 30\n",
      "bench");
  ep.apply_override(dims);
  ep.apply_override("world.height=" + std::to_string(size));
  // First row of the recorder: quiet, active, (jailed), cops; agent-periods count agents on the grid.
  Timing e, p;
  std::map<std::string, double> phase_seconds;
  for (std::int64_t r = 1; r <= repeats; ++r) {  // Epstein's run, then the peacekeeping run, of each seed
    ep.apply_override("run.seed=" + std::to_string(r));
    peace.apply_override("run.seed=" + std::to_string(r));
    const Timing er = time_model(ep, skip, periods, threads);
    const Timing pr = time_model(peace, skip, periods, threads, phases ? &phase_seconds : nullptr);
    e.seconds += er.seconds, e.agent_periods += er.agent_periods;
    p.seconds += pr.seconds, p.agent_periods += pr.agent_periods;
  }
  const double eu = static_cast<double>(e.agent_periods) / e.seconds;
  const double pu = static_cast<double>(p.agent_periods) / p.seconds;
  const auto timed = static_cast<double>(periods * repeats);  // the day's cost is a mean over every run
  const double e_day = e.seconds / timed, p_day = p.seconds / timed;
  std::printf("grid %dx%d, %lld periods after %lld untimed, %lld run(s), %d thread(s)\n", size, size,
              static_cast<long long>(periods), static_cast<long long>(skip), static_cast<long long>(repeats),
              threads);
  std::printf("  epstein sync      %.3f ms/period  %.3g agent-updates/s\n", 1e3 * e_day, eu);
  std::printf("  peacekeeping (%s, %s)  %.3f ms/day  %.3g agent-updates/s\n", doctrine.c_str(),
              schedule.c_str(), 1e3 * p_day, pu);
  std::printf("  cost per agent-update: peacekeeping / epstein sync = %.2f\n", eu / pu);
  if (phases) {  // slowest first; a phase's line is its own work, its hooks are the lines "phase: name"
    std::vector<std::pair<double, std::string>> rows;
    for (const auto& [name, s] : phase_seconds) rows.emplace_back(s, name);
    std::sort(rows.rbegin(), rows.rend());
    std::printf("  ms/day by phase and hook:\n");
    for (const auto& [s, name] : rows)
      if (1e3 * s / timed >= 0.001)  // hooks that did nothing left out
        std::printf("    %9.3f  %s\n", 1e3 * s / timed, name.c_str());
  }
  if (!json.empty()) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::ofstream f(json);
    f << "{\"benchmark\": \"keepsim_bench_peace\", \"commit\": \"" << keepsim::git_commit()
      << "\", \"date\": \"" << date << "\", \"size\": " << size << ", \"periods\": " << periods
      << ", \"skip\": " << skip << ", \"repeats\": " << repeats << ", \"threads\": " << threads
      << ", \"doctrine\": \"" << doctrine << "\", \"schedule\": \"" << schedule
      << "\",\n \"epstein_sync\": {\"seconds_per_period\": " << e_day
      << ", \"agent_periods\": " << e.agent_periods << ", \"updates_per_s\": " << eu
      << "},\n \"peacekeeping\": {\"seconds_per_period\": " << p_day
      << ", \"agent_periods\": " << p.agent_periods << ", \"updates_per_s\": " << pu
      << "},\n \"cost_ratio_per_agent_update\": " << eu / pu << ", \"period_ratio\": " << p_day / e_day
      << "}\n";
    if (!f) {
      std::fprintf(stderr, "keepsim_bench_peace: could not write %s\n", json.c_str());
      return 1;
    }
  }
  return 0;
}

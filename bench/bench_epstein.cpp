// keepsim_bench: agent-updates per second of the Epstein model (agents on the grid or in jail, times periods,
// over wall seconds), for both schedules, grid sizes and thread counts, with a deliberately straightforward
// single-threaded reference (reference.hpp) timed in the same process, so every figure also comes as a ratio
// that stays meaningful on noisy shared machines.
//
//   keepsim_bench [--sizes 40,1000] [--periods N] [--threads 1,2] [--json FILE] [--no-reference]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/reference.hpp"
#include "models/epstein/model.hpp"
#include "models/registry.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::vector<int> parse_list(const char* text) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoi(item));
  return out;
}

keepsim::epstein::Config config_for(int size, const std::string& schedule) {
  // The benchmark case of issue 6: Model I, density 0.7, cops 0.04, vision 7, Moore metric, floor rule.
  keepsim::Params p(keepsim::full_schema());
  p.load_string(
      "[world]\nwidth = " + std::to_string(size) + "\nheight = " + std::to_string(size) +
          "\n[citizens]\ndensity = 0.7\nvision = 7\nlegitimacy = 0.82\n[cops]\ndensity = 0.04\nvision = 7\n"
          "[jail]\nmax_term = 30\n[rules]\nvision_metric = \"moore\"\nratio = \"floor\"\nschedule = \"" +
          schedule + "\"\n",
      "bench");
  return keepsim::epstein::read_config(p);
}

std::int64_t agents_counted(const keepsim::epstein::EpsteinModel& m) {
  std::int64_t n = 0;
  for (const auto s : m.agents().status) n += s != keepsim::epstein::Status::Dead;
  return n;
}

struct Result {
  std::string what;
  int size, threads;
  std::int64_t periods;
  double updates_per_s, ratio;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes{40, 1000}, threads{1, 2};
  std::int64_t periods = 0;
  std::string json;
  bool reference = true;
  std::vector<std::string> schedules{"async", "sync"};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--sizes" && i + 1 < argc)
      sizes = parse_list(argv[++i]);
    else if (a == "--threads" && i + 1 < argc)
      threads = parse_list(argv[++i]);
    else if (a == "--periods" && i + 1 < argc)
      periods = std::atoll(argv[++i]);
    else if (a == "--json" && i + 1 < argc)
      json = argv[++i];
    else if (a == "--schedules" && i + 1 < argc) {
      schedules.clear();
      std::stringstream ss(argv[++i]);
      for (std::string item; std::getline(ss, item, ',');) schedules.push_back(item);
    } else if (a == "--no-reference")
      reference = false;
    else {
      std::fprintf(stderr,
                   "usage: keepsim_bench [--sizes 40,1000] [--periods N] [--threads 1,2] [--json FILE] "
                   "[--no-reference]\n");
      return 2;
    }
  }
  std::vector<Result> results;
  std::printf("%-28s %6s %7s %8s %14s %10s\n", "case", "size", "threads", "periods", "updates/s",
              "x reference");
  for (const int size : sizes) {
    // About 2e7 agent-updates per case unless --periods says otherwise, at least 10 periods.
    const std::int64_t n =
        periods > 0 ? periods
                    : std::max<std::int64_t>(10, 20'000'000 / (static_cast<std::int64_t>(size) * size));
    double ref_rate = 0;
    if (reference) {
      keepsim::bench::ReferenceModelI ref(size, 0.7, 0.04, 7, 0.82, 30, 1);
      ref.step();  // warm-up
      const auto t0 = Clock::now();
      std::int64_t updates = 0;
      for (std::int64_t t = 0; t < n; ++t) updates += ref.step();
      ref_rate = static_cast<double>(updates) / std::chrono::duration<double>(Clock::now() - t0).count();
      results.push_back({"reference (scan every cell)", size, 1, n, ref_rate, 1.0});
      std::printf("%-28s %6d %7d %8lld %14.3e %10.2f\n", "reference (scan every cell)", size, 1,
                  static_cast<long long>(n), ref_rate, 1.0);
    }
    for (const std::string& schedule : schedules) {
      for (const int th : threads) {
        if (schedule == "async" && th != threads.front()) continue;  // async is sequential by definition
        keepsim::epstein::EpsteinModel m(config_for(size, schedule), th);
        m.step();  // warm-up
        const auto t0 = Clock::now();
        std::int64_t updates = 0;
        for (std::int64_t t = 0; t < n; ++t) {
          updates += agents_counted(m);
          m.step();
        }
        const double rate =
            static_cast<double>(updates) / std::chrono::duration<double>(Clock::now() - t0).count();
        const double ratio = ref_rate > 0 ? rate / ref_rate : 0;
        results.push_back({"keepsim " + schedule, size, th, n, rate, ratio});
        std::printf("%-28s %6d %7d %8lld %14.3e %10.2f\n", ("keepsim " + schedule).c_str(), size, th,
                    static_cast<long long>(n), rate, ratio);
      }
    }
  }
  if (!json.empty()) {
    std::ofstream f(json);
    f << "{\"commit\": \"" << KEEPSIM_GIT_COMMIT << "\", \"results\": [\n";
    for (std::size_t i = 0; i < results.size(); ++i) {
      const Result& r = results[i];
      f << "  {\"case\": \"" << r.what << "\", \"size\": " << r.size << ", \"threads\": " << r.threads
        << ", \"periods\": " << r.periods << ", \"updates_per_s\": " << r.updates_per_s
        << ", \"ratio_to_reference\": " << r.ratio << "}" << (i + 1 < results.size() ? ",\n" : "\n");
    }
    f << "]}\n";
  }
  return 0;
}

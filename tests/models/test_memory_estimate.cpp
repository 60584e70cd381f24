// The memory estimate (models/memory.hpp) against what real models allocate: glibc's mallinfo2() before and
// after building a model and running it for a while with a Recorder (which keeps every row, as the run driver
// does). The estimate's state + recorder terms must be within 25% of the bytes measured.
#include <malloc.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/recorder.hpp"
#include "models/memory.hpp"
#include "models/registry.hpp"

using namespace keepsim;

namespace {

double heap_in_use() {
  const struct mallinfo2 mi = mallinfo2();
  return static_cast<double>(mi.uordblks) + static_cast<double>(mi.hblkhd);
}

Params params_of(const std::vector<std::string>& configs, const std::vector<std::string>& sets) {
  Params p(full_schema());
  for (const auto& c : configs) p.load_file(std::string(KEEPSIM_SOURCE_DIR) + "/configs/" + c);
  for (const auto& s : sets) p.apply_override(s);
  return p;
}

/// Heap bytes held by a model built from `p` and run for run.steps periods, with its recorder.
double measure(const Params& p) {
  const std::int64_t steps = p.get_int("run.steps");
  const double before = heap_in_use();
  double after = 0;
  {
    auto model = make_model(p, 1);
    Recorder rec;
    model->declare(rec);
    rec.begin_step(model->period());
    model->observe(rec);
    for (std::int64_t t = 0; t < steps; ++t) {
      model->step();
      rec.begin_step(model->period());
      model->observe(rec);
    }
    after = heap_in_use();
  }
  return after - before;
}

void check_estimate(const std::vector<std::string>& configs, const std::vector<std::string>& sets) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // The sanitizers bring their own allocator, which glibc's mallinfo2() does not see.
  WARN("memory estimate not measured under a sanitizer");
  return;
#endif
  const Params p = params_of(configs, sets);
  const MemoryEstimate e = estimate_run(p, 1).memory;
  const double measured = measure(p);
  const double ratio = e.resident() / measured;
  std::string name;
  for (const auto& c : configs) name += c + " ";
  for (const auto& s : sets) name += s + " ";
  INFO(name << ": estimate " << format_bytes(e.resident()) << " (state " << format_bytes(e.state)
            << ", recorder " << format_bytes(e.recorder) << "), measured " << format_bytes(measured)
            << ", ratio " << ratio);
  CHECK(ratio > 0.75);
  CHECK(ratio < 1.25);
  if (std::getenv("KEEPSIM_PRINT_ESTIMATES") != nullptr)
    std::printf("%-100s estimate %10.0f measured %10.0f ratio %.3f\n", name.c_str(), e.resident(), measured,
                ratio);
}

}  // namespace

TEST_CASE("memory estimate: Epstein Model I, both schedules, within 25% of the heap used") {
  check_estimate({"epstein/run2.toml"}, {"world.width=300", "world.height=300", "run.steps=3"});
  check_estimate({"epstein/run2.toml"},
                 {"world.width=300", "world.height=200", "run.steps=3", "rules.schedule=sync"});
  // Rows dominate: a long run on a small grid.
  check_estimate({"epstein/run2.toml"}, {"world.width=40", "world.height=40", "run.steps=1500",
                                         "citizens.vision=1.5", "cops.vision=1.5"});
  // Cops added by a schedule.
  check_estimate({"epstein/safe_haven.toml"}, {"world.width=150", "world.height=150", "run.steps=80"});
}

TEST_CASE("memory estimate: Epstein Model II with births, within 25% of the heap used") {
  check_estimate({"epstein/run7.toml"}, {"world.width=80", "world.height=80", "run.steps=200"});
  check_estimate({"epstein/run8.toml"},
                 {"world.width=60", "world.height=60", "run.steps=150", "rules.schedule=sync"});
}

TEST_CASE("memory estimate: peacekeeping scenarios, within 25% of the heap used") {
  check_estimate({"scenarios/default.toml", "doctrines/complex_peacekeeping.toml"},
                 {"run.steps=40", "output.map_every=10"});
  check_estimate(
      {"scenarios/default.toml", "scenarios/large_separated.toml", "doctrines/security_keeping.toml"},
      {"run.steps=20", "world.width=250", "world.height=250"});
  // The sync day's plans and claims (act_sync.cpp).
  check_estimate(
      {"scenarios/default.toml", "scenarios/large_separated.toml", "doctrines/security_keeping.toml"},
      {"run.steps=20", "world.width=250", "world.height=250", "rules.schedule=sync"});
  check_estimate({"scenarios/default.toml", "scenarios/small_mixed.toml", "doctrines/security_keeping.toml"},
                 {"run.steps=200"});
}

TEST_CASE("memory estimate: grows with the world and names the keys that drive it") {
  const Params small = params_of({"epstein/run2.toml"}, {});
  const Params big = params_of({"epstein/run2.toml"}, {"world.width=10000", "world.height=10000"});
  const MemoryEstimate a = estimate_run(small, 1).memory, b = estimate_run(big, 1).memory;
  CHECK(b.total() > 1000 * a.resident());
  CHECK(b.what.find("10000x10000") != std::string::npos);
  CHECK(b.what.find("7.4e7 agents") != std::string::npos);
  CHECK(b.advice.find("world.width/height") != std::string::npos);
  MemoryAvailable avail{1024.0 * 1024 * 1024, "--memory-limit", false};
  try {
    check_memory(b, avail, "run2.toml");
    FAIL("a 10000x10000 world fitted in 1 GiB");
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("run2.toml: this run needs about") == 0);
    CHECK(msg.find("but 1.0 GiB is available (--memory-limit)") != std::string::npos);
  }
  CHECK_NOTHROW(check_memory(a, avail, "run2.toml"));
}

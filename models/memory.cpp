// The memory and disk estimates of a run, for whichever model the config chooses (models/memory.hpp).
#include "models/memory.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "models/epstein/params.hpp"
#include "models/peacekeeping/params.hpp"

namespace keepsim {

namespace estimate {

double grown(double n) {
  if (n < 1) return 0;
  return std::exp2(std::ceil(std::log2(n)));
}

int thread_count(int threads) {
  return threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

double births(double citizens, double capacity, double clone_probability, std::int64_t max_age, bool killing,
              std::int64_t steps) {
  if (clone_probability <= 0 || citizens <= 0 || steps <= 0) return 0;
  const auto t = static_cast<double>(steps);
  // Cloning fills the empty cells at up to clone_probability a period; then births replace the dead: deaths
  // of age at 2 / (max_age + 1) of the population a period (lifetimes uniform on 1..max_age), and killings
  // in inter-group violence at about 0.15% a period (Epstein's runs 7 and 8 measure 0.1% to 0.2%).
  const double filled = std::min(capacity, citizens * std::pow(1 + clone_probability, t));
  double rate = 0;
  if (max_age > 0) rate += 2.0 / (static_cast<double>(max_age) + 1);
  if (killing) rate += 0.0015;
  return std::max(0.0, filled - citizens) + t * filled * rate;
}

std::string count_text(double n) {
  char buf[32];
  if (n < 1e6) {
    std::snprintf(buf, sizeof buf, "%.0f", n);
    return buf;
  }
  const int e = static_cast<int>(std::floor(std::log10(n)));
  std::snprintf(buf, sizeof buf, "%.1fe%d", n / std::pow(10.0, e), e);
  return buf;
}

}  // namespace estimate

namespace {

/// The bytes of the file that do not grow with the run: superblock, root group and its attributes (the
/// config text is the big one), and per dataset an object header with its attributes and dimension lists.
double fixed_bytes(const Params& params, std::size_t datasets, double coordinates) {
  return 64.0 * 1024 + static_cast<double>(params.to_toml().size()) + 4096.0 * static_cast<double>(datasets) +
         8 * coordinates;
}

}  // namespace

RunEstimate estimate_run(const Params& params, int threads) {
  RunEstimate e;
  OutputEstimate& out = e.output;
  if (params.get_string("model") != "peacekeeping") {
    const epstein::Config c = epstein::read_config(params);
    e.memory = epstein::estimate_memory(c, threads);
    const auto width = static_cast<double>(epstein::series_width(c));
    out.rows = c.steps + 1;
    out.row = 8 * (width + 1);
    out.fixed = fixed_bytes(params, 20, c.groups) + 40 * 1024.0;  // the summary scalars
    return e;
  }
  const peace::Config c = peace::read_config(params);
  e.memory = peace::estimate_memory(c, threads);
  const auto width = static_cast<double>(peace::series_width(c.base.groups));
  const double cells = static_cast<double>(c.base.width) * c.base.height;
  out.rows = c.base.steps + 1;
  out.row = 8 * (width + 1);
  double coordinates = 32;
  if (c.map_every > 0) {
    // uint8 occupancy, displaced and installations, int32 killings, float32 legitimacy and control, the
    // period
    out.snapshot = 15 * cells + 8;
    out.snapshots = c.base.steps / c.map_every + 1;
    coordinates += c.base.width + c.base.height;
  }
  out.fixed = fixed_bytes(params, 70, coordinates) + 80 * 1024.0;
  return e;
}

}  // namespace keepsim

// How much memory and disk a run will need, estimated from its parameters alone, before the model (or a
// generated map) is built: keepsim run and keepsim sweep refuse a run that will not fit, keepsim validate
// prints the estimate. tests/models/test_memory_estimate.cpp measures real models against it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "keepsim/core/params.hpp"
#include "keepsim/core/resources.hpp"

namespace keepsim {

/// What a run file will take on disk, uncompressed: an upper bound, since deflate usually shrinks the series
/// and the maps several times.
struct OutputEstimate {
  double fixed = 0;     ///< attributes (the config text among them), coordinates, dataset headers
  double row = 0;       ///< one period of every series and of the step axis
  double snapshot = 0;  ///< one map snapshot (0: the run writes no maps)
  std::int64_t rows = 0;
  std::int64_t snapshots = 0;
  double upper() const {
    return fixed + row * static_cast<double>(rows) + snapshot * static_cast<double>(snapshots);
  }
};

struct RunEstimate {
  MemoryEstimate memory;
  OutputEstimate output;
};

/// The estimate for the model `params` choose, run with `threads` worker threads (0: every core). Reads the
/// parameters through the models' read_config (so it throws the same ConfigErrors) but builds nothing.
RunEstimate estimate_run(const Params& params, int threads);

namespace epstein {
struct Config;
MemoryEstimate estimate_memory(const Config& c, int threads);
/// Values per period over all series (the step axis not counted).
std::size_t series_width(const Config& c);
}  // namespace epstein

namespace peace {
struct Config;
MemoryEstimate estimate_memory(const Config& c, int threads);
/// Values per period over all series with `groups` citizen groups (defined in observe.cpp, beside the list).
std::size_t series_width(int groups);
}  // namespace peace

namespace estimate {
/// The capacity a std::vector reaches after `n` push_backs from empty (libstdc++ doubles: the next power of
/// two).
double grown(double n);
/// Worker threads `threads` (0: every core) means.
int thread_count(int threads);
/// Citizens born over `steps` periods (Model II reproduction; 0 without it): the grid filling up to
/// `capacity` cells, then as many as die of age (a uniform lifetime of 1..max_age) or are killed.
double births(double citizens, double capacity, double clone_probability, std::int64_t max_age, bool killing,
              std::int64_t steps);
/// "7.4e7" for large counts, "1200" for small ones.
std::string count_text(double n);
}  // namespace estimate

}  // namespace keepsim

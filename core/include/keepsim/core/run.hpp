// The run driver: steps a model, records each period, writes the run file as it goes, and stops cleanly at a
// period boundary when asked (Ctrl-C), leaving a valid file marked complete = 0.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "keepsim/core/model.hpp"

namespace keepsim {

struct RunSpec {
  std::string output;                                    ///< final path of the run file
  std::int64_t steps = 0;                                ///< periods to run
  std::vector<std::pair<std::string, AttrValue>> attrs;  ///< global attributes (title, config, seed, ...)
  bool progress = false;                                 ///< draw a progress bar on standard error
  std::int64_t flush_every = 256;                        ///< rows buffered before they are written
};

struct RunOutcome {
  std::int64_t steps_completed = 0;
  bool complete = false;
  std::vector<Scalar> summary;  ///< empty when the run did not complete
};

/// Runs `spec.steps` periods. `stop` (may be null) is polled at each period boundary.
RunOutcome run_model(Model& model, const RunSpec& spec, const std::atomic<bool>* stop);

/// The global attributes every run file carries whatever the model: Conventions, source, git_commit, created.
std::vector<std::pair<std::string, AttrValue>> standard_attrs();

}  // namespace keepsim

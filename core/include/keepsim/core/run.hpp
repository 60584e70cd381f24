// The run driver: steps a model, records each period, writes the run file as it goes, and stops cleanly at a
// period boundary when asked (Ctrl-C), leaving a valid file marked complete = 0. It writes checkpoints
// (checkpoint.hpp) every N periods and when stopped, and continues a run from one.
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
  std::string history = "created by keepsim run";        ///< the history attribute
  /// Where checkpoints go; empty: never write one. One is written after every period divisible by
  /// `checkpoint_every` (when > 0) and before the run returns stopped; the run removes it when it completes.
  std::string checkpoint;
  std::int64_t checkpoint_every = 0;
};

struct RunOutcome {
  std::int64_t steps_completed = 0;
  bool complete = false;
  std::vector<Scalar> summary;   ///< empty when the run did not complete
  bool checkpointed = false;     ///< a checkpoint of the last period completed is at spec.checkpoint
  std::string checkpoint_error;  ///< why the last checkpoint could not be written ("" if none failed)
  /// Why the run file could not be written to the end (a full disk, output_guard.hpp), and what of it is
  /// safe; "" when nothing went wrong. The command line exits with code 74 then.
  std::string write_error;
};

class Checkpoint;

/// Runs the model up to `spec.steps` periods. `stop` (may be null) is polled at each period boundary.
/// With `resume`, `model` must be built from the checkpoint's config and hold its state (Model::load_state);
/// the run file is rebuilt from the checkpoint's rows and maps and the run continues from its period.
/// `steps_completed` counts from period 0 either way.
RunOutcome run_model(Model& model, const RunSpec& spec, const std::atomic<bool>* stop,
                     const Checkpoint* resume = nullptr);

/// The global attributes every run file carries whatever the model: Conventions, source, git_commit, created.
std::vector<std::pair<std::string, AttrValue>> standard_attrs();

}  // namespace keepsim

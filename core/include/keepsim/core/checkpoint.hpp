// Checkpoints of a run (`keepsim run --checkpoint-every N`, on a stop signal, `keepsim resume`). A checkpoint
// is an HDF5 file, so h5py can inspect it, holding everything a run needs to continue as if it had never
// stopped:
//   /            attributes: format, format_version, source, git_commit, created, period, steps,
//                checkpoint_every, flush_every, output (its file name when it is in the checkpoint's
//                directory, else its absolute path), history
//   /run_attrs   attributes: the run file's global attributes (config, seed, model, ...), in order
//   /state/*     the model's state (Model::save_state), one dataset per entry
//   /step, /series/*            the recorded rows so far (the run file is rebuilt from them on resume)
//   /maps/snapshot_step, /maps/* the map snapshots so far, one row of height*width values per snapshot
// The first 512 bytes are an HDF5 user block (HDF5 and h5py skip it) holding a text header with the length
// and FNV-1a 64 checksum of the rest of the file, so a truncated or corrupt checkpoint is refused before HDF5
// reads it. A checkpoint is written under `<path>.tmp`, synced to disk and renamed: the file at `<path>` is
// always a complete checkpoint, whenever the process dies.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "keepsim/core/h5file.hpp"
#include "keepsim/core/model.hpp"
#include "keepsim/core/recorder.hpp"
#include "keepsim/core/state.hpp"

namespace keepsim {

/// Bumped whenever the layout above changes; a checkpoint of another format is refused.
inline constexpr std::int64_t kCheckpointFormat = 1;

/// What a run needs, besides the model's state and its rows, to continue.
struct CheckpointHeader {
  std::int64_t period = 0;            ///< periods completed
  std::int64_t steps = 0;             ///< periods the run is to have
  std::int64_t checkpoint_every = 0;  ///< the run's checkpoint interval (0: only when stopped)
  std::int64_t flush_every = 256;     ///< rows buffered before they are written
  std::string output;   ///< the run file; stored by name when beside the checkpoint, read back resolved
  std::string history;  ///< the run file's history attribute so far
  std::vector<std::pair<std::string, AttrValue>> attrs;  ///< the run file's global attributes
};

/// Writes a checkpoint of `model`, the rows of `rec` and, when `maps` is not null, the map snapshots written
/// to it so far (model.map_specs() names them), to `path` atomically. Throws OutputError on failure; the
/// checkpoint previously at `path` is then untouched.
void write_checkpoint(const std::string& path, const CheckpointHeader& header, const Model& model,
                      const Recorder& rec, const RunFile* maps);

/// A checkpoint opened for resuming.
class Checkpoint {
 public:
  /// Opens and checks `path`; throws CheckpointError naming it when it is missing, not a checkpoint,
  /// truncated or corrupt, or written by another keepsim version or checkpoint format.
  explicit Checkpoint(const std::string& path);
  ~Checkpoint();
  Checkpoint(const Checkpoint&) = delete;
  Checkpoint& operator=(const Checkpoint&) = delete;

  const std::string& path() const;
  const CheckpointHeader& header() const;
  const StateReader& state() const;  ///< until drop_state()
  /// Frees the model state once a model has loaded it (the rows and maps stay, for run_model).
  void drop_state();
  /// A string global attribute of the run (e.g. "config", "model"); throws CheckpointError if absent.
  std::string run_attr(const std::string& name) const;

  /// Puts the saved rows into `rec`, on which the model has declared its series; throws CheckpointError when
  /// the series differ from the saved ones.
  void restore_rows(Recorder& rec) const;
  /// Writes the saved map snapshots into `file`, whose maps `specs` are defined, `cells` values each.
  void restore_maps(RunFile& file, const std::vector<VarSpec>& specs, std::size_t cells) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keepsim

// What the run driver needs from a model, and nothing more: declare what it records, step, observe,
// summarise.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "keepsim/core/h5file.hpp"
#include "keepsim/core/recorder.hpp"
#include "keepsim/core/state.hpp"

namespace keepsim {

struct Scalar {
  VarSpec spec;  ///< dims empty; name starts with "summary_"
  AttrValue value;
};

/// Where a model puts its map snapshots (docs/output.md: dimensions snapshot, y, x). The run driver
/// implements it over the run file, so a model never sees HDF5.
class MapSink {
 public:
  virtual ~MapSink() = default;
  /// One layer of the current snapshot: height*width values, row-major; `name` was declared by map_specs().
  virtual void put(const std::string& name, std::span<const std::uint8_t> values) = 0;
  virtual void put(const std::string& name, std::span<const std::int32_t> values) = 0;
  virtual void put(const std::string& name, std::span<const float> values) = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  /// Fixed dimensions with coordinates (e.g. group), defined in the file before the series.
  virtual std::vector<Coordinate> coordinates() const = 0;
  /// Declares every series on the recorder; called once before step 0 is observed.
  virtual void declare(Recorder& rec) = 0;
  /// Advances one period.
  virtual void step() = 0;
  /// Puts the current state's row (after begin_step(period())).
  virtual void observe(Recorder& rec) = 0;
  /// Periods completed so far (0 before the first step).
  virtual std::int64_t period() const = 0;
  /// The run summary, computed from the recorded series.
  virtual std::vector<Scalar> summary(const Recorder& rec) const = 0;

  // Maps (optional). A model with maps returns their specs (dims {"snapshot", "y", "x"}, dtype UInt8, Int32
  // or Float32) and its grid shape; the driver asks map_due() after each observe (and at step 0) and, when
  // true, starts a snapshot at period() and calls write_maps.
  virtual std::vector<VarSpec> map_specs() const { return {}; }
  virtual int map_height() const { return 0; }
  virtual int map_width() const { return 0; }
  virtual bool map_due() const { return false; }
  virtual void write_maps(MapSink& /*sink*/) {}

  // Checkpoints (keepsim resume). save_state writes everything that affects future periods (agents, cells,
  // counters, credits, queues, schedules' scratch that carries over); load_state is called on a model freshly
  // built from the same config and makes it the saved model, so that stepping it gives bit for bit what
  // stepping the saved one would have. Random draws need no state: streams are pure functions of (seed,
  // purpose, id, period). A model without checkpoints keeps these defaults, which throw CheckpointError.
  virtual void save_state(StateWriter& /*w*/) const {
    throw CheckpointError("this model cannot write checkpoints");
  }
  virtual void load_state(const StateReader& r) { r.fail("this model cannot be resumed from a checkpoint"); }
};

}  // namespace keepsim

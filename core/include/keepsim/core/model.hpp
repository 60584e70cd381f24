// What the run driver needs from a model, and nothing more: declare what it records, step, observe,
// summarise.
#pragma once
#include <cstdint>
#include <vector>

#include "keepsim/core/h5file.hpp"
#include "keepsim/core/recorder.hpp"

namespace keepsim {

struct Scalar {
  VarSpec spec;  ///< dims empty; name starts with "summary_"
  AttrValue value;
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
};

}  // namespace keepsim

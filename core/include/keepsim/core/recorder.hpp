// Per-step observations held in memory until the run driver writes them (docs/design.md: observers record,
// the writer writes). A model declares its series once and puts one row per step; it never sees HDF5.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "keepsim/core/h5file.hpp"

namespace keepsim {

struct Coordinate {
  std::string name;  ///< dimension name, e.g. "group"
  std::vector<std::int64_t> values;
  std::string long_name;
};

class Recorder {
 public:
  using Handle = std::size_t;

  /// Declares a series; spec.dims[0] must be "step". `width` is the product of the other dimensions' sizes.
  /// DType Int64 series take integer puts, Float64 series take real puts.
  Handle add(VarSpec spec, std::size_t width = 1);

  /// Starts the row of `step`; every series must then be put exactly once.
  void begin_step(std::int64_t step);
  void put(Handle h, std::int64_t value) { put(h, std::span<const std::int64_t>(&value, 1)); }
  void put(Handle h, double value) { put(h, std::span<const double>(&value, 1)); }
  void put(Handle h, std::span<const std::int64_t> values);
  void put(Handle h, std::span<const double> values);

  std::size_t rows() const { return steps_.size(); }
  const std::vector<std::int64_t>& steps() const { return steps_; }
  std::span<const std::int64_t> ints(Handle h) const { return series_[h].ints; }
  std::span<const double> reals(Handle h) const { return series_[h].reals; }
  std::size_t width(Handle h) const { return series_[h].width; }
  std::size_t size() const { return series_.size(); }
  const VarSpec& spec(Handle h) const { return series_[h].spec; }

 private:
  struct Series {
    VarSpec spec;
    std::size_t width = 1;
    std::vector<std::int64_t> ints;
    std::vector<double> reals;
  };
  std::vector<Series> series_;
  std::vector<std::int64_t> steps_;
};

}  // namespace keepsim

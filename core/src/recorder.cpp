#include "keepsim/core/recorder.hpp"

#include <stdexcept>

namespace keepsim {

Recorder::Handle Recorder::add(VarSpec spec, std::size_t width) {
  if (spec.dims.empty() || spec.dims.front() != "step")
    throw std::logic_error("series '" + spec.name + "' must have 'step' as its first dimension");
  if (!steps_.empty()) throw std::logic_error("series declared after recording started: " + spec.name);
  series_.push_back(Series{std::move(spec), width, {}, {}});
  return series_.size() - 1;
}

void Recorder::begin_step(std::int64_t step) {
  for (const auto& s : series_) {
    const std::size_t have = s.spec.dtype == DType::Float64 ? s.reals.size() : s.ints.size();
    if (have != steps_.size() * s.width)
      throw std::logic_error("series '" + s.spec.name + "' was not recorded at step " +
                             std::to_string(steps_.empty() ? -1 : steps_.back()));
  }
  steps_.push_back(step);
}

void Recorder::put(Handle h, std::span<const std::int64_t> values) {
  Series& s = series_.at(h);
  if (s.spec.dtype == DType::Float64 || values.size() != s.width)
    throw std::logic_error("wrong type or width put to series '" + s.spec.name + "'");
  s.ints.insert(s.ints.end(), values.begin(), values.end());
}

void Recorder::put(Handle h, std::span<const double> values) {
  Series& s = series_.at(h);
  if (s.spec.dtype != DType::Float64 || values.size() != s.width)
    throw std::logic_error("wrong type or width put to series '" + s.spec.name + "'");
  s.reals.insert(s.reals.end(), values.begin(), values.end());
}

}  // namespace keepsim

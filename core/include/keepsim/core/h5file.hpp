// A run file in the layout of OUTPUT.md: netCDF-4 compatible HDF5 that xarray opens in one line with the
// h5netcdf and netcdf4 engines and h5py reads as plain datasets. Knows nothing of any model: it stores named
// dimensions, per-step series, scalars and attributes.
//
// The file is written under `<path>.part` and renamed to `<path>` by close(), so a reader never sees a
// half-written file under the final name.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace keepsim {

using AttrValue = std::variant<std::int64_t, double, std::string>;

enum class DType { Int32, Int64, Float32, Float64, UInt8 };

/// `_FillValue` of each integer dtype (netCDF's default fills); floating-point variables use NaN.
inline constexpr std::int32_t kFillInt32 = -2147483647;
inline constexpr std::int64_t kFillInt64 = -9223372036854775806;
inline constexpr std::uint8_t kFillUInt8 = 255;

struct VarSpec {
  std::string name;
  std::string long_name;
  std::string units;  ///< "1" for counts and fractions
  DType dtype = DType::Int64;
  /// Dimension names, first one "step" for series (the unlimited axis); empty for a scalar.
  std::vector<std::string> dims;
  /// Extra attributes (flag_values as a string is not allowed: use numbers), e.g. {"comment", "..."}.
  std::vector<std::pair<std::string, AttrValue>> attrs;
};

class RunFile {
 public:
  /// Creates `<path>.part` (truncating a stale one) with link and attribute creation order tracked and
  /// indexed. Throws OutputError when it cannot be created.
  explicit RunFile(std::string path);
  ~RunFile();  ///< closes without renaming if close() was not called (the .part file stays)
  RunFile(const RunFile&) = delete;
  RunFile& operator=(const RunFile&) = delete;

  void set_attr(const std::string& name, const AttrValue& value);  ///< global attribute (overwrites)

  /// The unlimited step axis: a coordinate variable "step" (int64, units "1", long_name "period").
  /// Must be called before any series is defined.
  void define_step_axis();
  /// A fixed-size dimension with coordinate values (e.g. "group" = {0, 1}).
  void define_coordinate(const std::string& name, const std::vector<std::int64_t>& values,
                         const std::string& long_name, const std::string& units = "1");
  /// A fixed-size dimension without coordinate values (netCDF's "dimension but not a variable").
  void define_dimension(const std::string& name, std::size_t size);

  /// A per-step variable: dims[0] == "step", later dims fixed-size dimensions already defined. Chunked along
  /// step, deflate level 4 with shuffle, _FillValue of the dataset's type.
  void define_series(const VarSpec& spec);
  /// Appends `rows` rows to the step axis: the step coordinate values, then for each series (in any order)
  /// `values.size() == rows * (product of the other dims)`. Every defined series must be appended the same
  /// number of rows before the next append_steps.
  void append_steps(std::span<const std::int64_t> steps);
  void append(const std::string& series, std::span<const std::int64_t> values);
  void append(const std::string& series, std::span<const double> values);

  /// A scalar variable (no dimension), e.g. "summary_outbursts". NaN is allowed for doubles and is the fill.
  void write_scalar(const VarSpec& spec, const AttrValue& value);

  /// Flushes HDF5 buffers to disk (the file stays valid if the process dies after this).
  void flush();
  /// Closes the file and renames `<path>.part` to `<path>`. Throws OutputError on failure.
  void close();

  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

}  // namespace keepsim

// A run file in the layout of docs/output.md: netCDF-4 compatible HDF5 that xarray opens in one line with the
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

/// An attribute value. A vector is a 1-D attribute: int64 as a global attribute, and on a variable stored in
/// the variable's dtype (CF wants `flag_values` and `valid_range` in the type of the data), e.g.
/// {"flag_values", std::vector<std::int64_t>{0, 1, 2}} on a UInt8 map.
using AttrValue = std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>>;

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
  /// Extra attributes (flag_values as a string is not allowed: use a vector of numbers), e.g. {"comment",
  /// "..."}.
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

  /// A whole variable on fixed dimensions already defined (not step), e.g. a sweep table column on "run":
  /// `values.size()` must be the product of their sizes. Integers may be stored as any integer dtype, doubles
  /// as Float32 or Float64 (NaN is their fill). Contiguous, uncompressed. `fill` = false leaves out the
  /// `_FillValue` attribute of a variable that has no missing values, so that xarray keeps integers integers.
  void write_array(const VarSpec& spec, std::span<const std::int64_t> values, bool fill = true);
  void write_array(const VarSpec& spec, std::span<const double> values, bool fill = true);

  /// Map snapshots (docs/output.md): the unlimited dimension `snapshot` (netCDF's "dimension but not a
  /// variable", chunked) with the int64 variable `snapshot_step` on it (the period of each snapshot), and
  /// coordinates `y` = 0..height-1 and `x` = 0..width-1. Called once, before define_map.
  void define_map_axes(int height, int width);
  /// A map variable: dims {"snapshot", "y", "x"}, dtype UInt8, Int32 or Float32; chunked one snapshot per
  /// chunk, shuffle + deflate level 4, `_FillValue` of its type (kFillUInt8, kFillInt32, NaN), and a
  /// `coordinates = "snapshot_step"` attribute so that xarray shows the period of each snapshot.
  void define_map(const VarSpec& spec);
  /// Starts a snapshot: grows the snapshot axis by one and writes `step` into snapshot_step.
  void append_snapshot(std::int64_t step);
  /// Writes one map of the last snapshot: height*width values, row-major, of the map's dtype. A map not
  /// written in a snapshot keeps its fill value there.
  void write_map(const std::string& name, std::span<const std::uint8_t> values);
  void write_map(const std::string& name, std::span<const std::int32_t> values);
  void write_map(const std::string& name, std::span<const float> values);

  /// Reading back what was written, for checkpoints: the period of every snapshot so far, and map `name` of
  /// snapshot `index` (height*width values of the map's dtype; the fill value where it was not written).
  std::vector<std::int64_t> snapshot_steps() const;
  void read_map(const std::string& name, std::size_t index, std::span<std::uint8_t> out) const;
  void read_map(const std::string& name, std::size_t index, std::span<std::int32_t> out) const;
  void read_map(const std::string& name, std::size_t index, std::span<float> out) const;

  /// Flushes HDF5 buffers to disk (the file stays valid if the process dies after this).
  void flush();
  /// Closes the file and renames `<path>.part` to `<path>`. Throws OutputError on failure.
  void close();

  const std::string& path() const { return path_; }
  /// False after close() (or abandon()) closed the file, whether or not the rename then worked.
  bool is_open() const;
  /// After a write failed: closes the file without writing anything more to it (HDF5 could neither finish
  /// those writes nor close the file cleanly, and would crash at exit). `<path>.part` stays as it was on
  /// disk, which HDF5 may well not be able to open. The destructor does this too after a failure.
  void abandon() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

}  // namespace keepsim

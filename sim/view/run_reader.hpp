// Reading run files, sweep tables and checkpoints for `keepsim view` (docs/explorer.md), with the project's
// HDF5 helpers (keepsim/core/h5util.hpp). It knows the layout of docs/output.md only as far as a browser
// needs: root attributes, variables with their dimensions and units, whole small variables and one slice of a
// big one.
//
// Debian's libhdf5 is built without thread safety, and the server answers requests on several threads: every
// function here takes hdf5_mutex() itself, so callers never touch HDF5 directly.
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace keepsim::view {

/// The one lock around every HDF5 call the viewer makes.
std::mutex& hdf5_mutex();

/// An attribute as the browser needs it: a number, a text, or a list of integers.
using Attr = std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>>;
using Attrs = std::vector<std::pair<std::string, Attr>>;

struct VarInfo {
  std::string name;
  std::string dtype;              ///< "u1", "i4", "i8", "f4" or "f8" (little-endian in what the server sends)
  std::vector<std::string> dims;  ///< names of the dimension scales attached, "" where none is
  std::vector<std::uint64_t> shape;
  Attrs attrs;  ///< units, long_name, flag_meanings, levels, _FillValue, ...
};

struct FileInfo {
  Attrs attrs;                ///< root attributes, in creation order
  std::vector<VarInfo> vars;  ///< datasets of the root group, in creation order
};

/// Throws std::runtime_error naming the file when it cannot be read.
FileInfo read_info(const std::string& path);
/// Root attributes only (cheap: used to list many files).
Attrs read_attrs(const std::string& path);

/// A variable's values, or a slice of them, in its own type.
struct Array {
  std::string dtype;
  std::vector<std::uint64_t> shape;
  std::vector<unsigned char> bytes;  ///< native (little-endian) order, row-major
};

/// The whole of dataset `name` (a path inside the file, e.g. "active" or "maps/map_occupancy").
Array read_var(const std::string& path, const std::string& name);
/// Index `index` along the first axis of dataset `name` (one map snapshot); shape is the rest of the axes.
Array read_slice(const std::string& path, const std::string& name, std::uint64_t index);
/// Any numeric dataset as doubles (integer fill values and NaN become NaN).
std::vector<double> read_doubles(const std::string& path, const std::string& name,
                                 std::vector<std::uint64_t>* shape = nullptr);

const Attr* find_attr(const Attrs& attrs, const std::string& name);
std::string attr_text(const Attrs& attrs, const std::string& name);

}  // namespace keepsim::view

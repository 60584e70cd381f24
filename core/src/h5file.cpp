// RunFile: netCDF-4 compatible HDF5 written with the HDF5 C API (the C++ API has no dimension scales).
//
// Layout (all in the root group, creation order tracked and indexed for links and attributes):
//  - every dimension is an HDF5 dimension scale with a `_Netcdf4Dimid` (int32) attribute, numbered in
//    definition order, as netCDF-C and h5netcdf write them;
//  - a coordinate variable (step, group, ...) is its own scale; a dimension without coordinates is an empty
//    big-endian float32 dataset whose NAME starts with "This is a netCDF dimension but not a netCDF
//    variable.";
//  - series are chunked along the unlimited step axis, shuffle + deflate 4, with `_FillValue`;
//  - maps: the unlimited `snapshot` dimension is a "dimension but not a variable" scale left at length 0, as
//    netCDF-C leaves it (readers take an unlimited dimension's length from the variables attached to it);
//    `snapshot_step` and the maps grow along it, the maps one snapshot per chunk.
#include "keepsim/core/h5file.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/h5util.hpp"
#include "keepsim/core/safe_files.hpp"

namespace keepsim {
namespace {

constexpr const char* kNotAVariable = "This is a netCDF dimension but not a netCDF variable.";
constexpr hsize_t kMaxChunkRows = 1024;
// Below the default 1 MiB chunk cache, so a chunk filled by several appends stays in memory until flushed.
constexpr hsize_t kMaxChunkBytes = 512 * 1024;
constexpr unsigned kDeflateLevel = 4;

using h5util::Id;
using h5util::QuietErrors;

/// The most specific message on HDF5's current error stack ("" when empty).
std::string hdf5_detail() {
  return h5util::detail();
}

bool is_float(DType t) {
  return t == DType::Float32 || t == DType::Float64;
}

hid_t file_type(DType t) {
  switch (t) {
    case DType::Int32:
      return H5T_STD_I32LE;
    case DType::Int64:
      return H5T_STD_I64LE;
    case DType::Float32:
      return H5T_IEEE_F32LE;
    case DType::Float64:
      return H5T_IEEE_F64LE;
    case DType::UInt8:
      return H5T_STD_U8LE;
  }
  throw std::logic_error("RunFile: unknown DType");
}

hid_t native_type(DType t) {
  switch (t) {
    case DType::Int32:
      return H5T_NATIVE_INT32;
    case DType::Int64:
      return H5T_NATIVE_INT64;
    case DType::Float32:
      return H5T_NATIVE_FLOAT;
    case DType::Float64:
      return H5T_NATIVE_DOUBLE;
    case DType::UInt8:
      return H5T_NATIVE_UINT8;
  }
  throw std::logic_error("RunFile: unknown DType");
}

std::size_t type_size(DType t) {
  switch (t) {
    case DType::Int32:
    case DType::Float32:
      return 4;
    case DType::Int64:
    case DType::Float64:
      return 8;
    case DType::UInt8:
      return 1;
  }
  throw std::logic_error("RunFile: unknown DType");
}

/// The fill value of `t` in native layout (netCDF's default fill for integers, NaN for floats).
struct Fill {
  alignas(8) unsigned char bytes[8] = {};
  explicit Fill(DType t) {
    switch (t) {
      case DType::Int32:
        store(kFillInt32);
        break;
      case DType::Int64:
        store(kFillInt64);
        break;
      case DType::Float32:
        store(std::numeric_limits<float>::quiet_NaN());
        break;
      case DType::Float64:
        store(std::numeric_limits<double>::quiet_NaN());
        break;
      case DType::UInt8:
        store(kFillUInt8);
        break;
    }
  }
  template <class T>
  void store(T v) {
    static_assert(sizeof(T) <= sizeof bytes);
    std::memcpy(bytes, &v, sizeof v);
  }
};

const std::set<std::string>& reserved_attr_names() {
  static const std::set<std::string> names{"units",          "long_name",     "_FillValue",
                                           "CLASS",          "NAME",          "DIMENSION_LIST",
                                           "REFERENCE_LIST", "_Netcdf4Dimid", "_Netcdf4Coordinates",
                                           "_NCProperties",  "_nc3_strict"};
  return names;
}

void check_name(const std::string& name, const char* what) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    throw std::logic_error(std::string("RunFile: invalid ") + what + " name '" + name + "'");
}

}  // namespace

struct RunFile::Impl {
  struct Dim {
    std::string name;
    hsize_t size = 0;  ///< current length (the step axis grows)
    Id ds;
  };
  struct Series {
    DType dtype = DType::Int64;
    Id ds;
    std::vector<hsize_t> tail;  ///< the fixed dims after step
    hsize_t width = 1;          ///< product of `tail`
    hsize_t rows = 0;           ///< rows written so far
  };

  std::string path;
  std::string part;
  Id file;
  std::vector<Dim> dims;  ///< index = _Netcdf4Dimid
  std::map<std::string, std::size_t> dim_index;
  std::optional<std::size_t> step_dim;
  std::map<std::string, Series> series;
  struct Map {
    DType dtype = DType::UInt8;
    Id ds;
    hsize_t rows = 0;  ///< snapshots the dataset spans so far
  };
  std::optional<std::size_t> snapshot_dim;
  Id snapshot_step;        ///< the int64 variable on snapshot
  hsize_t snapshots = 0;   ///< length of the snapshot axis
  hsize_t map_height = 0;  ///< y
  hsize_t map_width = 0;   ///< x
  std::map<std::string, Map> maps;
  std::set<std::string> names;  ///< every dataset in the root group
  Id utf8;                      ///< scalar variable-length UTF-8 string type
  mutable bool failed = false;  ///< an HDF5 call failed: the file cannot be trusted to close cleanly

  [[noreturn]] void fail(const std::string& what) const {
    failed = true;
    const std::string detail = hdf5_detail();
    throw OutputError("cannot write output file '" + path + "': " + what +
                      (detail.empty() ? std::string() : ": " + detail));
  }
  void check(herr_t status, const std::string& what) const {
    if (status < 0) fail(what);
  }
  Id hold(hid_t id, Id::Closer closer, const std::string& what) const {
    if (id < 0) fail(what);
    return Id(id, closer);
  }

  void require_open() const {
    if (!file.valid()) throw std::logic_error("RunFile '" + path + "': used after close()");
  }
  void claim_name(const std::string& name, const char* what) {
    check_name(name, what);
    if (!names.insert(name).second)
      throw std::logic_error("RunFile: '" + name + "' is already defined in '" + path + "'");
  }

  Id scalar_space() const { return hold(H5Screate(H5S_SCALAR), H5Sclose, "cannot create a dataspace"); }

  void write_attr_raw(hid_t obj, const std::string& name, hid_t ftype, hid_t mtype, const void* buf) const {
    const std::string what = "cannot write attribute '" + name + "'";
    const htri_t exists = H5Aexists(obj, name.c_str());
    check(exists, what);
    if (exists > 0) check(H5Adelete(obj, name.c_str()), what);
    const Id space = scalar_space();
    const Id attr =
        hold(H5Acreate2(obj, name.c_str(), ftype, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose, what);
    check(H5Awrite(attr.get(), mtype, buf), what);
  }

  /// A 1-D attribute of `values` stored as `ftype` (HDF5 converts; the caller checks the range).
  void write_attr_vector(hid_t obj, const std::string& name, const std::vector<std::int64_t>& values,
                         hid_t ftype) const {
    const std::string what = "cannot write attribute '" + name + "'";
    if (values.empty()) throw std::logic_error("RunFile: attribute '" + name + "' is an empty vector");
    const htri_t exists = H5Aexists(obj, name.c_str());
    check(exists, what);
    if (exists > 0) check(H5Adelete(obj, name.c_str()), what);
    const hsize_t n = values.size();
    const Id space = hold(H5Screate_simple(1, &n, nullptr), H5Sclose, what);
    const Id attr =
        hold(H5Acreate2(obj, name.c_str(), ftype, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose, what);
    check(H5Awrite(attr.get(), H5T_NATIVE_INT64, values.data()), what);
  }

  void write_attr(hid_t obj, const std::string& name, const AttrValue& value) const {
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
      write_attr_raw(obj, name, H5T_NATIVE_INT64, H5T_NATIVE_INT64, i);
    } else if (const auto* d = std::get_if<double>(&value)) {
      write_attr_raw(obj, name, H5T_NATIVE_DOUBLE, H5T_NATIVE_DOUBLE, d);
    } else if (const auto* v = std::get_if<std::vector<std::int64_t>>(&value)) {
      write_attr_vector(obj, name, *v, H5T_NATIVE_INT64);
    } else {
      const char* s = std::get<std::string>(value).c_str();
      write_attr_raw(obj, name, utf8.get(), utf8.get(), &s);
    }
  }

  void write_var_attrs(hid_t ds, const VarSpec& spec) const {
    write_attr(ds, "units", spec.units);
    write_attr(ds, "long_name", spec.long_name);
    std::set<std::string> seen;
    for (const auto& [name, value] : spec.attrs) {
      if (name.empty() || reserved_attr_names().count(name) != 0 || !seen.insert(name).second)
        throw std::logic_error("RunFile: variable '" + spec.name +
                               "' has a reserved or repeated attribute '" + name + "'");
      if (const auto* v = std::get_if<std::vector<std::int64_t>>(&value)) {
        // In the variable's own type, as CF wants flag_values, flag_masks and valid_range.
        std::int64_t lo = std::numeric_limits<std::int64_t>::min();
        std::int64_t hi = std::numeric_limits<std::int64_t>::max();
        if (spec.dtype == DType::UInt8) {
          lo = 0;
          hi = std::numeric_limits<std::uint8_t>::max();
        } else if (spec.dtype == DType::Int32) {
          lo = std::numeric_limits<std::int32_t>::min();
          hi = std::numeric_limits<std::int32_t>::max();
        }
        for (const std::int64_t x : *v)
          if (x < lo || x > hi)
            throw std::logic_error("RunFile: attribute '" + name + "' of '" + spec.name + "' has " +
                                   std::to_string(x) + ", out of the range of the variable's type");
        write_attr_vector(ds, name, *v, file_type(spec.dtype));
      } else {
        write_attr(ds, name, value);
      }
    }
  }

  void write_fill_attr(hid_t ds, DType t) const {
    const Fill fill(t);
    write_attr_raw(ds, "_FillValue", file_type(t), native_type(t), fill.bytes);
  }

  /// A dataset creation plist with attribute creation order tracked and indexed.
  Id dcpl(const std::string& what) const {
    Id plist = hold(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
    check(H5Pset_attr_creation_order(plist.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), what);
    return plist;
  }

  /// A dcpl for data growing along step: chunked, shuffle + deflate, fill value of `t`.
  Id growing_dcpl(const std::vector<hsize_t>& chunk, DType t, const std::string& what) const {
    Id plist = dcpl(what);
    check(H5Pset_chunk(plist.get(), static_cast<int>(chunk.size()), chunk.data()), what);
    check(H5Pset_shuffle(plist.get()), what);
    check(H5Pset_deflate(plist.get(), kDeflateLevel), what);
    const Fill fill(t);
    check(H5Pset_fill_value(plist.get(), native_type(t), fill.bytes), what);
    return plist;
  }

  /// Whether dimension `id` is an unlimited axis (step or snapshot), not a fixed one.
  bool growing(std::size_t id) const {
    return (step_dim && id == *step_dim) || (snapshot_dim && id == *snapshot_dim);
  }

  void add_dim(std::string name, hsize_t size, Id ds) {
    const std::string what = "cannot define dimension '" + name + "'";
    const int dimid = static_cast<int>(dims.size());
    write_attr_raw(ds.get(), "_Netcdf4Dimid", H5T_NATIVE_INT, H5T_NATIVE_INT, &dimid);
    dim_index.emplace(name, dims.size());
    dims.push_back(Dim{std::move(name), size, std::move(ds)});
  }

  /// Extends `ds` to `start + n` rows and writes `n * width` values from `buf` (1-D, `mtype`) there.
  void write_rows(hid_t ds, const std::vector<hsize_t>& tail, hsize_t start, hsize_t n, hid_t mtype,
                  const void* buf, const std::string& what) const {
    if (n == 0) return;
    std::vector<hsize_t> extent{start + n};
    extent.insert(extent.end(), tail.begin(), tail.end());
    check(H5Dset_extent(ds, extent.data()), what);
    const Id fspace = hold(H5Dget_space(ds), H5Sclose, what);
    std::vector<hsize_t> offset(extent.size(), 0);
    offset[0] = start;
    std::vector<hsize_t> count = extent;
    count[0] = n;
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr),
          what);
    hsize_t total = 1;
    for (const hsize_t c : count) total *= c;
    const Id mspace = hold(H5Screate_simple(1, &total, nullptr), H5Sclose, what);
    check(H5Dwrite(ds, mtype, mspace.get(), fspace.get(), H5P_DEFAULT, buf), what);
  }

  template <class T>
  void append(const std::string& name, std::span<const T> values, bool floating, hid_t mtype) {
    require_open();
    const auto it = series.find(name);
    if (it == series.end()) throw std::logic_error("RunFile::append: no series '" + name + "'");
    Series& s = it->second;
    if (is_float(s.dtype) != floating)
      throw std::logic_error("RunFile::append: series '" + name + "' takes " +
                             (is_float(s.dtype) ? "floating-point" : "integer") + " values");
    if (values.size() % s.width != 0)
      throw std::logic_error("RunFile::append: " + std::to_string(values.size()) + " values for series '" +
                             name + "' are not a whole number of rows of " + std::to_string(s.width));
    const hsize_t n = values.size() / s.width;
    const hsize_t steps = step_dim ? dims[*step_dim].size : 0;
    if (s.rows + n > steps)
      throw std::logic_error("RunFile::append: series '" + name + "' would have " +
                             std::to_string(s.rows + n) + " rows but the step axis has " +
                             std::to_string(steps));
    write_rows(s.ds.get(), s.tail, s.rows, n, mtype, values.data(), "cannot append to '" + name + "'");
    s.rows += n;
  }

  void write_fixed(const VarSpec& spec, const void* buf, std::size_t n, hid_t mtype, bool with_fill) {
    require_open();
    if (spec.dims.empty())
      throw std::logic_error("RunFile::write_array: '" + spec.name + "' has no dimension");
    std::vector<hsize_t> shape;
    std::vector<std::size_t> ids;
    for (const auto& d : spec.dims) {
      const auto it = dim_index.find(d);
      if (it == dim_index.end() || growing(it->second))
        throw std::logic_error("RunFile::write_array: '" + spec.name +
                               "' uses undefined or unlimited dimension '" + d + "'");
      ids.push_back(it->second);
      shape.push_back(dims[it->second].size);
    }
    hsize_t total = 1;
    for (const hsize_t s : shape) total *= s;
    if (total != n)
      throw std::logic_error("RunFile::write_array: " + std::to_string(n) + " values for '" + spec.name +
                             "' of " + std::to_string(total) + " elements");
    claim_name(spec.name, "variable");
    const std::string what = "cannot write variable '" + spec.name + "'";
    const Id space =
        hold(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr), H5Sclose, what);
    const Id plist = dcpl(what);
    const Fill fill(spec.dtype);
    check(H5Pset_fill_value(plist.get(), native_type(spec.dtype), fill.bytes), what);
    const Id ds = hold(H5Dcreate2(file.get(), spec.name.c_str(), file_type(spec.dtype), space.get(),
                                  H5P_DEFAULT, plist.get(), H5P_DEFAULT),
                       H5Dclose, what);
    check(H5Dwrite(ds.get(), mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), what);
    for (std::size_t axis = 0; axis < ids.size(); ++axis)
      check(H5DSattach_scale(ds.get(), dims[ids[axis]].ds.get(), static_cast<unsigned>(axis)), what);
    write_var_attrs(ds.get(), spec);
    if (with_fill) write_fill_attr(ds.get(), spec.dtype);
  }

  /// Writes one map of the last snapshot, growing the map to the snapshot count first (a skipped snapshot
  /// keeps the fill value).
  template <class T>
  void write_map(const std::string& name, std::span<const T> values, DType dtype, hid_t mtype,
                 const char* type_name) {
    require_open();
    const auto it = maps.find(name);
    if (it == maps.end()) throw std::logic_error("RunFile::write_map: no map '" + name + "'");
    Map& mp = it->second;
    if (mp.dtype != dtype)
      throw std::logic_error("RunFile::write_map: map '" + name + "' does not take " + type_name + " values");
    if (values.size() != map_height * map_width)
      throw std::logic_error("RunFile::write_map: " + std::to_string(values.size()) + " values for map '" +
                             name + "' of " + std::to_string(map_height) + " x " + std::to_string(map_width));
    if (snapshots == 0) throw std::logic_error("RunFile::write_map: append_snapshot() first");
    write_rows(mp.ds.get(), {map_height, map_width}, snapshots - 1, 1, mtype, values.data(),
               "cannot write map '" + name + "'");
    mp.rows = snapshots;
  }

  /// Reads map `name` of snapshot `index` back into `out`.
  template <class T>
  void read_map(const std::string& name, std::size_t index, std::span<T> out, DType dtype,
                hid_t mtype) const {
    require_open();
    const auto it = maps.find(name);
    if (it == maps.end()) throw std::logic_error("RunFile::read_map: no map '" + name + "'");
    const Map& mp = it->second;
    if (mp.dtype != dtype || out.size() != map_height * map_width || index >= snapshots)
      throw std::logic_error("RunFile::read_map: wrong type, size or snapshot for map '" + name + "'");
    if (index >= mp.rows) {  // not written in this snapshot (nor later): the fill value
      const Fill fill(dtype);
      T value;
      std::memcpy(&value, fill.bytes, sizeof value);
      std::fill(out.begin(), out.end(), value);
      return;
    }
    const std::string what = "cannot read back map '" + name + "'";
    const Id fspace = hold(H5Dget_space(mp.ds.get()), H5Sclose, what);
    const hsize_t offset[3] = {index, 0, 0};
    const hsize_t count[3] = {1, map_height, map_width};
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, offset, nullptr, count, nullptr), what);
    const hsize_t total = out.size();
    const Id mspace = hold(H5Screate_simple(1, &total, nullptr), H5Sclose, what);
    check(H5Dread(mp.ds.get(), mtype, mspace.get(), fspace.get(), H5P_DEFAULT, out.data()), what);
  }

  /// Closes every id; returns false if any close failed.
  bool close_all() {
    bool ok = true;
    for (auto& [name, s] : series) ok = s.ds.reset() >= 0 && ok;
    for (auto& [name, mp] : maps) ok = mp.ds.reset() >= 0 && ok;
    ok = snapshot_step.reset() >= 0 && ok;
    for (Dim& d : dims) ok = d.ds.reset() >= 0 && ok;
    ok = utf8.reset() >= 0 && ok;
    ok = file.reset() >= 0 && ok;
    return ok;
  }

  /// Closes the file without writing to it again: its descriptor is pointed at a memory file first, so what
  /// HDF5 still holds (dirty metadata, cached chunks) goes nowhere. After a failed write (a full disk), a
  /// plain close would try those writes again, fail, and leave HDF5 a file it cannot close, on which the
  /// library's exit handler crashes.
  void abandon() {
    // The memory file takes the writes and the truncation HDF5 does when closing (/dev/null, the fallback,
    // cannot be truncated). Past RLIMIT_FSIZE a memory file refuses them too: the soft limit is raised to the
    // hard one meanwhile. When the close fails even so (soft = hard), keepsim's main() has told HDF5 not to
    // close files at exit (prepare_for_write_failures), where it would crash.
    if (file.valid()) {
      void* handle = nullptr;
      if (H5Fget_vfd_handle(file.get(), H5P_DEFAULT, &handle) >= 0 && handle != nullptr) {
        int sink = ::memfd_create("keepsim-abandoned", MFD_CLOEXEC);
        if (sink < 0) sink = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (sink >= 0) {
          ::dup2(sink, *static_cast<int*>(handle));
          ::close(sink);
        }
      }
    }
    rlimit old{};
    const bool raise = getrlimit(RLIMIT_FSIZE, &old) == 0 && old.rlim_cur != old.rlim_max;
    if (raise) {
      rlimit wide = old;
      wide.rlim_cur = old.rlim_max;
      setrlimit(RLIMIT_FSIZE, &wide);
    }
    close_all();
    if (raise) setrlimit(RLIMIT_FSIZE, &old);
    H5Eclear2(H5E_DEFAULT);
  }
};

RunFile::RunFile(std::string path) : impl_(std::make_unique<Impl>()), path_(std::move(path)) {
  const QuietErrors quiet;
  Impl& m = *impl_;
  m.path = path_;
  m.part = path_ + ".part";
  const std::string what = "cannot create '" + m.part + "'";
  const Id fcpl = m.hold(H5Pcreate(H5P_FILE_CREATE), H5Pclose, what);
  m.check(H5Pset_link_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), what);
  m.check(H5Pset_attr_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), what);
  const Id fapl = m.hold(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, what);
  m.check(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), what);
  // A stale .part (a run killed at once) is removed first, and only if it is this user's regular file; the
  // file is then created exclusively (O_CREAT | O_EXCL: never through a symbolic link planted at the name,
  // never over a file another process put there since).
  remove_stale(m.part, "temporary output");
  const hid_t created = H5Fcreate(m.part.c_str(), H5F_ACC_EXCL, fcpl.get(), fapl.get());
  if (created < 0) {  // what H5Fcreate may have left (an empty file on a full disk) is of no use
    const int err = errno;
    const std::string detail = hdf5_detail();
    struct stat st {};
    // Only an empty regular file of ours: when the name was taken (EEXIST) the file is someone else's.
    if (err != EEXIST && lstat(m.part.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
        st.st_uid == geteuid())
      unlink(m.part.c_str());
    if (err == EEXIST)
      throw OutputError("cannot write output file '" + m.path + "': " + m.part +
                        " appeared while it was being created (another process?); nothing was written");
    throw OutputError("cannot write output file '" + m.path + "': " + what +
                      (detail.empty() ? std::string() : ": " + detail));
  }
  m.file = Id(created, H5Fclose);
  m.utf8 = m.hold(H5Tcopy(H5T_C_S1), H5Tclose, what);
  m.check(H5Tset_size(m.utf8.get(), H5T_VARIABLE), what);
  m.check(H5Tset_cset(m.utf8.get(), H5T_CSET_UTF8), what);
}

RunFile::~RunFile() {
  if (!impl_) return;
  try {
    const QuietErrors quiet;
    if (impl_->failed)
      impl_->abandon();  // the .part file stays as it was on disk when the write failed
    else
      impl_->close_all();
  } catch (...) {  // never throw from a destructor; the ids are released either way
  }
}

bool RunFile::is_open() const {
  return impl_->file.valid();
}

void RunFile::abandon() noexcept {
  try {
    const QuietErrors quiet;
    impl_->abandon();
  } catch (...) {  // the ids are released either way
  }
}

void RunFile::set_attr(const std::string& name, const AttrValue& value) {
  const QuietErrors quiet;
  impl_->require_open();
  if (name.empty() || reserved_attr_names().count(name) != 0)
    throw std::logic_error("RunFile::set_attr: reserved attribute name '" + name + "'");
  impl_->write_attr(impl_->file.get(), name, value);
}

void RunFile::define_step_axis() {
  const QuietErrors quiet;
  Impl& m = *impl_;
  m.require_open();
  if (m.step_dim) throw std::logic_error("RunFile::define_step_axis: called twice");
  if (!m.series.empty())
    throw std::logic_error("RunFile::define_step_axis: series defined before the step axis");
  m.claim_name("step", "dimension");
  const std::string what = "cannot define the step axis";
  const hsize_t zero = 0;
  const hsize_t unlimited = H5S_UNLIMITED;
  const Id space = m.hold(H5Screate_simple(1, &zero, &unlimited), H5Sclose, what);
  const Id plist = m.growing_dcpl({kMaxChunkRows}, DType::Int64, what);
  Id ds = m.hold(
      H5Dcreate2(m.file.get(), "step", H5T_STD_I64LE, space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT),
      H5Dclose, what);
  m.check(H5DSset_scale(ds.get(), "step"), what);
  m.write_attr(ds.get(), "units", std::string("1"));
  m.write_attr(ds.get(), "long_name", std::string("period"));
  m.step_dim = m.dims.size();
  m.add_dim("step", 0, std::move(ds));
}

void RunFile::define_coordinate(const std::string& name, const std::vector<std::int64_t>& values,
                                const std::string& long_name, const std::string& units) {
  const QuietErrors quiet;
  Impl& m = *impl_;
  m.require_open();
  if (values.empty()) throw std::logic_error("RunFile::define_coordinate: '" + name + "' has no values");
  m.claim_name(name, "coordinate");
  const std::string what = "cannot define coordinate '" + name + "'";
  const hsize_t size = values.size();
  const Id space = m.hold(H5Screate_simple(1, &size, nullptr), H5Sclose, what);
  const Id plist = m.dcpl(what);
  Id ds = m.hold(H5Dcreate2(m.file.get(), name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, plist.get(),
                            H5P_DEFAULT),
                 H5Dclose, what);
  m.check(H5Dwrite(ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), what);
  m.check(H5DSset_scale(ds.get(), name.c_str()), what);
  m.write_attr(ds.get(), "units", units);
  m.write_attr(ds.get(), "long_name", long_name);
  m.add_dim(name, size, std::move(ds));
}

void RunFile::define_dimension(const std::string& name, std::size_t size) {
  const QuietErrors quiet;
  Impl& m = *impl_;
  m.require_open();
  if (size == 0) throw std::logic_error("RunFile::define_dimension: '" + name + "' has size 0");
  m.claim_name(name, "dimension");
  const std::string what = "cannot define dimension '" + name + "'";
  const hsize_t len = size;
  const Id space = m.hold(H5Screate_simple(1, &len, nullptr), H5Sclose, what);
  const Id plist = m.dcpl(what);
  // netCDF-C and h5netcdf store such a dimension as an unwritten big-endian float32 dataset.
  Id ds = m.hold(H5Dcreate2(m.file.get(), name.c_str(), H5T_IEEE_F32BE, space.get(), H5P_DEFAULT, plist.get(),
                            H5P_DEFAULT),
                 H5Dclose, what);
  char scale_name[96];
  std::snprintf(scale_name, sizeof scale_name, "%s%10llu", kNotAVariable,
                static_cast<unsigned long long>(size));
  m.check(H5DSset_scale(ds.get(), scale_name), what);
  m.add_dim(name, len, std::move(ds));
}

void RunFile::define_series(const VarSpec& spec) {
  const QuietErrors quiet;
  Impl& m = *impl_;
  m.require_open();
  if (!m.step_dim) throw std::logic_error("RunFile::define_series: define_step_axis() first");
  if (spec.dims.empty() || spec.dims[0] != "step")
    throw std::logic_error("RunFile::define_series: the first dimension of '" + spec.name + "' must be step");
  std::vector<std::size_t> dim_ids{*m.step_dim};
  Impl::Series s;
  s.dtype = spec.dtype;
  for (std::size_t i = 1; i < spec.dims.size(); ++i) {
    const auto it = m.dim_index.find(spec.dims[i]);
    if (it == m.dim_index.end() || m.growing(it->second))
      throw std::logic_error("RunFile::define_series: '" + spec.name +
                             "' uses undefined or repeated dimension '" + spec.dims[i] + "'");
    dim_ids.push_back(it->second);
    s.tail.push_back(m.dims[it->second].size);
    s.width *= m.dims[it->second].size;
  }
  m.claim_name(spec.name, "series");
  const std::string what = "cannot define series '" + spec.name + "'";

  // Series defined after rows were appended start with fill values up to the current step count.
  s.rows = m.dims[*m.step_dim].size;
  std::vector<hsize_t> shape{s.rows};
  std::vector<hsize_t> maxshape{H5S_UNLIMITED};
  shape.insert(shape.end(), s.tail.begin(), s.tail.end());
  maxshape.insert(maxshape.end(), s.tail.begin(), s.tail.end());
  const hsize_t row_bytes = s.width * type_size(spec.dtype);
  std::vector<hsize_t> chunk{
      std::clamp<hsize_t>(kMaxChunkBytes / std::max<hsize_t>(row_bytes, 1), 1, kMaxChunkRows)};
  chunk.insert(chunk.end(), s.tail.begin(), s.tail.end());

  const Id space =
      m.hold(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), maxshape.data()), H5Sclose, what);
  const Id plist = m.growing_dcpl(chunk, spec.dtype, what);
  s.ds = m.hold(H5Dcreate2(m.file.get(), spec.name.c_str(), file_type(spec.dtype), space.get(), H5P_DEFAULT,
                           plist.get(), H5P_DEFAULT),
                H5Dclose, what);
  for (std::size_t axis = 0; axis < dim_ids.size(); ++axis)
    m.check(H5DSattach_scale(s.ds.get(), m.dims[dim_ids[axis]].ds.get(), static_cast<unsigned>(axis)), what);
  m.write_var_attrs(s.ds.get(), spec);
  m.write_fill_attr(s.ds.get(), spec.dtype);
  m.series.emplace(spec.name, std::move(s));
}

void RunFile::append_steps(std::span<const std::int64_t> steps) {
  const QuietErrors quiet;
  Impl& m = *impl_;
  m.require_open();
  if (!m.step_dim) throw std::logic_error("RunFile::append_steps: define_step_axis() first");
  Impl::Dim& step = m.dims[*m.step_dim];
  for (const auto& [name, s] : m.series)
    if (s.rows != step.size)
      throw std::logic_error("RunFile::append_steps: series '" + name + "' has " + std::to_string(s.rows) +
                             " rows but the step axis has " + std::to_string(step.size));
  m.write_rows(step.ds.get(), {}, step.size, steps.size(), H5T_NATIVE_INT64, steps.data(),
               "cannot append to 'step'");
  step.size += steps.size();
}

void RunFile::append(const std::string& series, std::span<const std::int64_t> values) {
  const QuietErrors quiet;
  impl_->append(series, values, false, H5T_NATIVE_INT64);
}

void RunFile::append(const std::string& series, std::span<const double> values) {
  const QuietErrors quiet;
  impl_->append(series, values, true, H5T_NATIVE_DOUBLE);
}

void RunFile::write_scalar(const VarSpec& spec, const AttrValue& value) {
  const QuietErrors quiet;
  Impl& m = *impl_;
  m.require_open();
  if (!spec.dims.empty()) throw std::logic_error("RunFile::write_scalar: '" + spec.name + "' has dimensions");
  const void* buf = nullptr;
  hid_t mtype = H5I_INVALID_HID;
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    buf = i;
    mtype = H5T_NATIVE_INT64;
  } else if (const auto* d = std::get_if<double>(&value); d != nullptr && is_float(spec.dtype)) {
    buf = d;
    mtype = H5T_NATIVE_DOUBLE;
  } else {
    throw std::logic_error("RunFile::write_scalar: value of '" + spec.name + "' does not fit its dtype");
  }
  m.claim_name(spec.name, "variable");
  const std::string what = "cannot write scalar '" + spec.name + "'";
  const Id space = m.scalar_space();
  const Id plist = m.dcpl(what);
  const Fill fill(spec.dtype);
  m.check(H5Pset_fill_value(plist.get(), native_type(spec.dtype), fill.bytes), what);
  const Id ds = m.hold(H5Dcreate2(m.file.get(), spec.name.c_str(), file_type(spec.dtype), space.get(),
                                  H5P_DEFAULT, plist.get(), H5P_DEFAULT),
                       H5Dclose, what);
  m.check(H5Dwrite(ds.get(), mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), what);
  m.write_var_attrs(ds.get(), spec);
  m.write_fill_attr(ds.get(), spec.dtype);
}

void RunFile::write_array(const VarSpec& spec, std::span<const std::int64_t> values, bool fill) {
  const QuietErrors quiet;
  if (is_float(spec.dtype))
    throw std::logic_error("RunFile::write_array: '" + spec.name + "' is floating-point; pass doubles");
  impl_->write_fixed(spec, values.data(), values.size(), H5T_NATIVE_INT64, fill);
}

void RunFile::write_array(const VarSpec& spec, std::span<const double> values, bool fill) {
  const QuietErrors quiet;
  if (!is_float(spec.dtype))
    throw std::logic_error("RunFile::write_array: '" + spec.name + "' is an integer; pass integers");
  impl_->write_fixed(spec, values.data(), values.size(), H5T_NATIVE_DOUBLE, fill);
}

void RunFile::define_map_axes(int height, int width) {
  const QuietErrors quiet;
  Impl& m = *impl_;
  m.require_open();
  if (m.snapshot_dim) throw std::logic_error("RunFile::define_map_axes: called twice");
  if (height <= 0 || width <= 0)
    throw std::logic_error("RunFile::define_map_axes: map shape " + std::to_string(height) + " x " +
                           std::to_string(width) + " is empty");
  for (const char* name : {"snapshot", "snapshot_step", "y", "x"})
    if (m.names.count(name) != 0)
      throw std::logic_error(std::string("RunFile::define_map_axes: '") + name + "' is already defined");
  m.claim_name("snapshot", "dimension");
  m.claim_name("snapshot_step", "variable");
  const std::string what = "cannot define the snapshot axis";
  const hsize_t zero = 0;
  const hsize_t unlimited = H5S_UNLIMITED;

  // The dimension: an unwritten big-endian float32 scale of length 0, chunk 1, exactly as netCDF-C writes an
  // unlimited dimension without a coordinate variable (it never extends it either).
  {
    const Id space = m.hold(H5Screate_simple(1, &zero, &unlimited), H5Sclose, what);
    const Id plist = m.dcpl(what);
    const hsize_t chunk = 1;
    m.check(H5Pset_chunk(plist.get(), 1, &chunk), what);
    Id ds = m.hold(H5Dcreate2(m.file.get(), "snapshot", H5T_IEEE_F32BE, space.get(), H5P_DEFAULT, plist.get(),
                              H5P_DEFAULT),
                   H5Dclose, what);
    char scale_name[96];
    std::snprintf(scale_name, sizeof scale_name, "%s%10d", kNotAVariable, 0);
    m.check(H5DSset_scale(ds.get(), scale_name), what);
    m.snapshot_dim = m.dims.size();
    m.add_dim("snapshot", 0, std::move(ds));
  }
  // The period of each snapshot: no _FillValue attribute, so that xarray keeps it int64 (like step).
  {
    const Id space = m.hold(H5Screate_simple(1, &zero, &unlimited), H5Sclose, what);
    const Id plist = m.growing_dcpl({kMaxChunkRows}, DType::Int64, what);
    m.snapshot_step = m.hold(H5Dcreate2(m.file.get(), "snapshot_step", H5T_STD_I64LE, space.get(),
                                        H5P_DEFAULT, plist.get(), H5P_DEFAULT),
                             H5Dclose, what);
    m.check(H5DSattach_scale(m.snapshot_step.get(), m.dims[*m.snapshot_dim].ds.get(), 0), what);
    m.write_attr(m.snapshot_step.get(), "units", std::string("1"));
    m.write_attr(m.snapshot_step.get(), "long_name", std::string("period of the snapshot"));
  }
  m.map_height = static_cast<hsize_t>(height);
  m.map_width = static_cast<hsize_t>(width);
  std::vector<std::int64_t> ys(m.map_height), xs(m.map_width);
  for (std::size_t i = 0; i < ys.size(); ++i) ys[i] = static_cast<std::int64_t>(i);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<std::int64_t>(i);
  define_coordinate("y", ys, "row of the grid");
  define_coordinate("x", xs, "column of the grid");
}

void RunFile::define_map(const VarSpec& spec) {
  const QuietErrors quiet;
  Impl& m = *impl_;
  m.require_open();
  if (!m.snapshot_dim) throw std::logic_error("RunFile::define_map: define_map_axes() first");
  if (spec.dims != std::vector<std::string>{"snapshot", "y", "x"})
    throw std::logic_error("RunFile::define_map: the dimensions of '" + spec.name +
                           "' must be snapshot, y, x");
  if (spec.dtype != DType::UInt8 && spec.dtype != DType::Int32 && spec.dtype != DType::Float32)
    throw std::logic_error("RunFile::define_map: '" + spec.name + "' must be UInt8, Int32 or Float32");
  for (const auto& attr : spec.attrs)
    if (attr.first == "coordinates")
      throw std::logic_error("RunFile::define_map: '" + spec.name +
                             "' sets the reserved attribute coordinates");
  m.claim_name(spec.name, "map");
  const std::string what = "cannot define map '" + spec.name + "'";

  Impl::Map mp;
  mp.dtype = spec.dtype;
  mp.rows = m.snapshots;  // a map defined late starts with fill values
  const hsize_t shape[3] = {mp.rows, m.map_height, m.map_width};
  const hsize_t maxshape[3] = {H5S_UNLIMITED, m.map_height, m.map_width};
  const Id space = m.hold(H5Screate_simple(3, shape, maxshape), H5Sclose, what);
  const Id plist = m.growing_dcpl({1, m.map_height, m.map_width}, spec.dtype, what);
  // Each chunk (one snapshot) is written once: no chunk cache, so it goes to disk at once rather than at the
  // next flush, and the run's disk-space checks (output_guard.hpp) see it go.
  const Id access = m.hold(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose, what);
  m.check(H5Pset_chunk_cache(access.get(), H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, H5D_CHUNK_CACHE_W0_DEFAULT),
          what);
  mp.ds = m.hold(H5Dcreate2(m.file.get(), spec.name.c_str(), file_type(spec.dtype), space.get(), H5P_DEFAULT,
                            plist.get(), access.get()),
                 H5Dclose, what);
  const std::size_t ids[3] = {*m.snapshot_dim, m.dim_index.at("y"), m.dim_index.at("x")};
  for (unsigned axis = 0; axis < 3; ++axis)
    m.check(H5DSattach_scale(mp.ds.get(), m.dims[ids[axis]].ds.get(), axis), what);
  m.write_var_attrs(mp.ds.get(), spec);
  m.write_fill_attr(mp.ds.get(), spec.dtype);
  m.write_attr(mp.ds.get(), "coordinates", std::string("snapshot_step"));
  m.maps.emplace(spec.name, std::move(mp));
}

void RunFile::append_snapshot(std::int64_t step) {
  const QuietErrors quiet;
  Impl& m = *impl_;
  m.require_open();
  if (!m.snapshot_dim) throw std::logic_error("RunFile::append_snapshot: define_map_axes() first");
  m.write_rows(m.snapshot_step.get(), {}, m.snapshots, 1, H5T_NATIVE_INT64, &step,
               "cannot append to 'snapshot_step'");
  ++m.snapshots;
}

void RunFile::write_map(const std::string& name, std::span<const std::uint8_t> values) {
  const QuietErrors quiet;
  impl_->write_map(name, values, DType::UInt8, H5T_NATIVE_UINT8, "uint8");
}

void RunFile::write_map(const std::string& name, std::span<const std::int32_t> values) {
  const QuietErrors quiet;
  impl_->write_map(name, values, DType::Int32, H5T_NATIVE_INT32, "int32");
}

void RunFile::write_map(const std::string& name, std::span<const float> values) {
  const QuietErrors quiet;
  impl_->write_map(name, values, DType::Float32, H5T_NATIVE_FLOAT, "float");
}

std::vector<std::int64_t> RunFile::snapshot_steps() const {
  const QuietErrors quiet;
  const Impl& m = *impl_;
  m.require_open();
  std::vector<std::int64_t> steps(m.snapshots);
  if (steps.empty()) return steps;
  const std::string what = "cannot read back 'snapshot_step'";
  const hsize_t n = steps.size();
  const Id mspace = m.hold(H5Screate_simple(1, &n, nullptr), H5Sclose, what);
  m.check(H5Dread(m.snapshot_step.get(), H5T_NATIVE_INT64, mspace.get(), H5S_ALL, H5P_DEFAULT, steps.data()),
          what);
  return steps;
}

void RunFile::read_map(const std::string& name, std::size_t index, std::span<std::uint8_t> out) const {
  const QuietErrors quiet;
  impl_->read_map(name, index, out, DType::UInt8, H5T_NATIVE_UINT8);
}

void RunFile::read_map(const std::string& name, std::size_t index, std::span<std::int32_t> out) const {
  const QuietErrors quiet;
  impl_->read_map(name, index, out, DType::Int32, H5T_NATIVE_INT32);
}

void RunFile::read_map(const std::string& name, std::size_t index, std::span<float> out) const {
  const QuietErrors quiet;
  impl_->read_map(name, index, out, DType::Float32, H5T_NATIVE_FLOAT);
}

void RunFile::flush() {
  const QuietErrors quiet;
  impl_->require_open();
  impl_->check(H5Fflush(impl_->file.get(), H5F_SCOPE_LOCAL), "cannot flush");
}

void RunFile::close() {
  const QuietErrors quiet;
  Impl& m = *impl_;
  m.require_open();
  // A series that fell behind the step axis is padded with its fill value, so every variable spans the axis.
  const hsize_t steps = m.step_dim ? m.dims[*m.step_dim].size : 0;
  for (auto& [name, s] : m.series) {
    if (s.rows == steps) continue;
    std::vector<hsize_t> extent{steps};
    extent.insert(extent.end(), s.tail.begin(), s.tail.end());
    m.check(H5Dset_extent(s.ds.get(), extent.data()), "cannot pad series '" + name + "'");
    s.rows = steps;
  }
  // Likewise a map not written in the last snapshots.
  for (auto& [name, mp] : m.maps) {
    if (mp.rows == m.snapshots) continue;
    const hsize_t extent[3] = {m.snapshots, m.map_height, m.map_width};
    m.check(H5Dset_extent(mp.ds.get(), extent), "cannot pad map '" + name + "'");
    mp.rows = m.snapshots;
  }
  m.check(H5Fflush(m.file.get(), H5F_SCOPE_LOCAL), "cannot flush");
  if (!m.close_all()) m.fail("cannot close '" + m.part + "'");
  // What took the final name since the run began (a device node, a link) is not replaced: the whole file
  // keeps its .part name and the error says so.
  refuse_non_regular(m.path, "output");
  std::error_code ec;
  std::filesystem::rename(m.part, m.path, ec);
  if (ec) throw OutputError("cannot rename '" + m.part + "' to '" + m.path + "': " + ec.message());
}

}  // namespace keepsim

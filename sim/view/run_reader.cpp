// Reading run files, sweep tables and checkpoints for `keepsim view` (see run_reader.hpp and
// docs/explorer.md). Read-only opens, HDF5's error printing off, every id closed on scope exit (h5util).
#include "sim/view/run_reader.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "keepsim/core/h5util.hpp"

namespace keepsim::view {
namespace {

using h5util::Id;

std::runtime_error fail(const std::string& path, const std::string& what) {
  const std::string detail = h5util::detail();
  return std::runtime_error(path + ": " + what + (detail.empty() ? "" : " (" + detail + ")"));
}

Id open_file(const std::string& path) {
  Id f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!f.valid()) throw fail(path, "cannot open as HDF5");
  return f;
}

Id open_dataset(hid_t file, const std::string& path, const std::string& name) {
  // A name is a path inside the file; H5Lexists on each part keeps HDF5 from printing a failed open.
  if (name.empty() || name.find('\0') != std::string::npos)
    throw std::runtime_error(path + ": no variable ''");
  if (H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0)
    throw std::runtime_error(path + ": no variable '" + name + "'");
  Id ds(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) throw fail(path, "cannot open variable '" + name + "'");
  return ds;
}

/// The dtype code of a dataset's stored type, "" when the viewer does not read it (strings, compounds).
std::string dtype_code(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  if (cls == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (!is_signed && size == 1) return "u1";
    if (is_signed && size == 4) return "i4";
    if (is_signed && size == 8) return "i8";
    if (!is_signed && size == 8) return "i8";  // read into int64: no run file variable is that large
    if (size == 4) return "i4";
  }
  if (cls == H5T_FLOAT) return size == 4 ? "f4" : "f8";
  return "";
}

hid_t memory_type(const std::string& dtype) {
  if (dtype == "u1") return H5T_NATIVE_UINT8;
  if (dtype == "i4") return H5T_NATIVE_INT32;
  if (dtype == "i8") return H5T_NATIVE_INT64;
  if (dtype == "f4") return H5T_NATIVE_FLOAT;
  return H5T_NATIVE_DOUBLE;
}

std::size_t dtype_size(const std::string& dtype) {
  if (dtype == "u1") return 1;
  if (dtype == "i4" || dtype == "f4") return 4;
  return 8;
}

std::vector<std::uint64_t> shape_of(hid_t ds) {
  const Id space(H5Dget_space(ds), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank > 0 ? rank : 0));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return {dims.begin(), dims.end()};
}

/// One attribute: strings (variable or fixed length), numbers, integer arrays; anything else is skipped.
bool read_one_attr(hid_t attr, Attr& out) {
  const Id type(H5Aget_type(attr), H5Tclose);
  const Id space(H5Aget_space(attr), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls == H5T_STRING) {
    if (n != 1) return false;
    if (H5Tis_variable_str(type.get()) > 0) {
      char* text = nullptr;
      const Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
      H5Tset_size(mem.get(), H5T_VARIABLE);
      H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
      if (H5Aread(attr, mem.get(), &text) < 0) return false;
      out = std::string(text != nullptr ? text : "");
      H5free_memory(text);
      return true;
    }
    const std::size_t size = H5Tget_size(type.get());
    std::string text(size, '\0');
    if (H5Aread(attr, type.get(), text.data()) < 0) return false;
    text.resize(std::strlen(text.c_str()));
    out = text;
    return true;
  }
  if (n < 1) return false;
  if (cls == H5T_INTEGER) {
    std::vector<std::int64_t> values(static_cast<std::size_t>(n));
    if (H5Aread(attr, H5T_NATIVE_INT64, values.data()) < 0) return false;
    if (n == 1 && H5Sget_simple_extent_ndims(space.get()) == 0)
      out = values[0];
    else
      out = values;
    return true;
  }
  if (cls == H5T_FLOAT && n == 1) {
    double v = 0;
    if (H5Aread(attr, H5T_NATIVE_DOUBLE, &v) < 0) return false;
    out = v;
    return true;
  }
  return false;
}

Attrs attrs_of(hid_t obj) {
  Attrs attrs;
  H5O_info_t info{};
  if (H5Oget_info2(obj, &info, H5O_INFO_NUM_ATTRS) < 0) return attrs;
  // Creation order when the file tracks it (run files do, docs/output.md), else name order.
  H5_index_t index = H5_INDEX_CRT_ORDER;
  {
    const Id probe(H5Aopen_by_idx(obj, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, 0, H5P_DEFAULT, H5P_DEFAULT),
                   H5Aclose);
    if (!probe.valid()) index = H5_INDEX_NAME;
  }
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    const Id a(H5Aopen_by_idx(obj, ".", index, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!a.valid()) continue;
    const ssize_t len = H5Aget_name(a.get(), 0, nullptr);
    if (len <= 0) continue;
    std::string name(static_cast<std::size_t>(len) + 1, '\0');
    H5Aget_name(a.get(), name.size(), name.data());
    name.resize(static_cast<std::size_t>(len));
    if (name == "DIMENSION_LIST" || name == "REFERENCE_LIST" || name == "CLASS" || name == "NAME" ||
        name == "_Netcdf4Dimid" || name == "_Netcdf4Coordinates")
      continue;  // HDF5's and netCDF's bookkeeping, not the data's
    Attr value;
    if (read_one_attr(a.get(), value)) attrs.emplace_back(std::move(name), std::move(value));
  }
  return attrs;
}

/// The name of the dimension scale attached to each axis ("" where none is).
std::vector<std::string> dim_names(hid_t ds, std::size_t rank) {
  std::vector<std::string> names(rank);
  for (std::size_t axis = 0; axis < rank; ++axis) {
    int idx = 0;
    H5DSiterate_scales(
        ds, static_cast<unsigned>(axis), &idx,
        [](hid_t, unsigned, hid_t scale, void* data) -> herr_t {
          const ssize_t len = H5Iget_name(scale, nullptr, 0);
          if (len > 0) {
            std::string name(static_cast<std::size_t>(len) + 1, '\0');
            H5Iget_name(scale, name.data(), name.size());
            name.resize(static_cast<std::size_t>(len));
            if (!name.empty() && name[0] == '/') name.erase(0, 1);
            *static_cast<std::string*>(data) = name;
          }
          return 1;  // the first scale is enough
        },
        &names[axis]);
  }
  return names;
}

std::string names_at(hid_t group, hsize_t i) {
  const ssize_t len =
      H5Lget_name_by_idx(group, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
  if (len <= 0) return {};
  std::string name(static_cast<std::size_t>(len) + 1, '\0');
  H5Lget_name_by_idx(group, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
  name.resize(static_cast<std::size_t>(len));
  return name;
}

std::vector<std::string> dataset_names(hid_t file) {
  std::vector<std::string> names;
  H5G_info_t info{};
  if (H5Gget_info(file, &info) < 0) return names;
  bool ordered = true;
  for (hsize_t i = 0; i < info.nlinks && ordered; ++i) {
    std::string name = names_at(file, i);
    if (name.empty()) ordered = false;
    names.push_back(std::move(name));
  }
  if (!ordered) {  // a file without a creation-order index: name order
    names.clear();
    H5Literate(
        file, H5_INDEX_NAME, H5_ITER_INC, nullptr,
        [](hid_t, const char* link, const H5L_info_t*, void* data) -> herr_t {
          static_cast<std::vector<std::string>*>(data)->emplace_back(link);
          return 0;
        },
        &names);
  }
  return names;
}

template <typename T>
void to_doubles(const Array& a, std::vector<double>& out, bool integer, double fill) {
  const std::size_t n = a.bytes.size() / sizeof(T);
  out.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, a.bytes.data() + i * sizeof(T), sizeof(T));
    out[i] = integer && static_cast<double>(v) == fill ? std::numeric_limits<double>::quiet_NaN()
                                                       : static_cast<double>(v);
  }
}

}  // namespace

std::mutex& hdf5_mutex() {
  static std::mutex m;
  return m;
}

const Attr* find_attr(const Attrs& attrs, const std::string& name) {
  for (const auto& [k, v] : attrs)
    if (k == name) return &v;
  return nullptr;
}

std::string attr_text(const Attrs& attrs, const std::string& name) {
  const Attr* a = find_attr(attrs, name);
  if (a == nullptr) return {};
  if (const auto* s = std::get_if<std::string>(a)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(a)) return std::to_string(*i);
  return {};
}

Attrs read_attrs(const std::string& path) {
  const std::lock_guard lock(hdf5_mutex());
  const h5util::QuietErrors quiet;
  const Id f = open_file(path);
  return attrs_of(f.get());
}

FileInfo read_info(const std::string& path) {
  const std::lock_guard lock(hdf5_mutex());
  const h5util::QuietErrors quiet;
  const Id f = open_file(path);
  FileInfo info;
  info.attrs = attrs_of(f.get());
  for (const std::string& name : dataset_names(f.get())) {
    H5O_info_t oinfo{};
    if (H5Oget_info_by_name2(f.get(), name.c_str(), &oinfo, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
        oinfo.type != H5O_TYPE_DATASET)
      continue;
    const Id ds(H5Dopen2(f.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!ds.valid()) continue;
    const Id type(H5Dget_type(ds.get()), H5Tclose);
    VarInfo v;
    v.name = name;
    v.dtype = dtype_code(type.get());
    if (v.dtype.empty()) continue;
    v.shape = shape_of(ds.get());
    v.dims = dim_names(ds.get(), v.shape.size());
    v.attrs = attrs_of(ds.get());
    info.vars.push_back(std::move(v));
  }
  return info;
}

namespace {

// A numeric variable whole (index null) or its slice at `index` along the first dimension.
Array read_numeric(const std::string& path, const std::string& name, const std::uint64_t* index) {
  const std::lock_guard lock(hdf5_mutex());
  const h5util::QuietErrors quiet;
  const Id f = open_file(path);
  const Id ds = open_dataset(f.get(), path, name);
  const Id type(H5Dget_type(ds.get()), H5Tclose);
  Array a;
  a.dtype = dtype_code(type.get());
  if (a.dtype.empty()) throw std::runtime_error(path + ": variable '" + name + "' is not numeric");
  const std::vector<std::uint64_t> full = shape_of(ds.get());
  if (index != nullptr && (full.empty() || *index >= full[0]))
    throw std::out_of_range(path + ": variable '" + name + "' has no index " + std::to_string(*index));
  a.shape.assign(full.begin() + (index != nullptr ? 1 : 0), full.end());
  std::size_t n = 1;
  for (const auto d : a.shape) n *= static_cast<std::size_t>(d);
  a.bytes.resize(n * dtype_size(a.dtype));
  if (n == 0) return a;
  if (index == nullptr) {
    if (H5Dread(ds.get(), memory_type(a.dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, a.bytes.data()) < 0)
      throw fail(path, "cannot read variable '" + name + "'");
    return a;
  }
  std::vector<hsize_t> start(full.size(), 0), count(full.begin(), full.end());
  start[0] = *index;
  count[0] = 1;
  const Id fspace(H5Dget_space(ds.get()), H5Sclose);
  H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  const hsize_t cells = n;
  const Id mspace(H5Screate_simple(1, &cells, nullptr), H5Sclose);
  if (H5Dread(ds.get(), memory_type(a.dtype), mspace.get(), fspace.get(), H5P_DEFAULT, a.bytes.data()) < 0)
    throw fail(path, "cannot read variable '" + name + "'");
  return a;
}

}  // namespace

Array read_var(const std::string& path, const std::string& name) {
  return read_numeric(path, name, nullptr);
}

Array read_slice(const std::string& path, const std::string& name, std::uint64_t index) {
  return read_numeric(path, name, &index);
}

std::vector<double> read_doubles(const std::string& path, const std::string& name,
                                 std::vector<std::uint64_t>* shape) {
  const Array a = read_var(path, name);
  if (shape != nullptr) *shape = a.shape;
  std::vector<double> out;
  if (a.dtype == "u1")
    to_doubles<std::uint8_t>(a, out, true, 255.0);
  else if (a.dtype == "i4")
    to_doubles<std::int32_t>(a, out, true, -2147483647.0);
  else if (a.dtype == "i8")
    to_doubles<std::int64_t>(a, out, true, -9223372036854775806.0);
  else if (a.dtype == "f4")
    to_doubles<float>(a, out, false, 0.0);
  else
    to_doubles<double>(a, out, false, 0.0);
  return out;
}

}  // namespace keepsim::view

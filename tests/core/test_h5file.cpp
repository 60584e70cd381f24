// RunFile: writes a small run file and reads it back with the HDF5 C API.
// With KEEPSIM_H5_SAMPLE=PATH set, "h5file: sample file" leaves a sample at PATH for tests/python/h5check.py.
#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/h5file.hpp"

namespace fs = std::filesystem;
using keepsim::DType;
using keepsim::OutputError;
using keepsim::RunFile;
using keepsim::VarSpec;

namespace {

/// A fresh directory removed at the end of the test.
struct TempDir {
  fs::path dir;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "keepsim_h5_XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

/// An HDF5 id closed at scope exit.
struct H5Id {
  hid_t id;
  herr_t (*closer)(hid_t);
  H5Id(hid_t i, herr_t (*c)(hid_t)) : id(i), closer(c) { REQUIRE(id >= 0); }
  ~H5Id() { closer(id); }
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
};

H5Id open_file(const std::string& path) {
  return {H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
}
H5Id open_ds(const H5Id& file, const char* name) {
  return {H5Dopen2(file.id, name, H5P_DEFAULT), H5Dclose};
}

std::vector<hsize_t> shape_of(const H5Id& ds) {
  const H5Id space(H5Dget_space(ds.id), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.id);
  REQUIRE(rank >= 0);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
  return dims;
}

std::vector<hsize_t> maxshape_of(const H5Id& ds) {
  const H5Id space(H5Dget_space(ds.id), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.id);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank)), max(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.id, dims.data(), max.data());
  return max;
}

template <class T>
std::vector<T> read_all(const H5Id& file, const char* name, hid_t mtype) {
  const H5Id ds = open_ds(file, name);
  const H5Id space(H5Dget_space(ds.id), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.id);
  REQUIRE(n >= 0);
  std::vector<T> out(static_cast<std::size_t>(n));
  if (n > 0) REQUIRE(H5Dread(ds.id, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
  return out;
}

std::string string_attr(hid_t obj, const char* name) {
  const H5Id attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  const H5Id type(H5Aget_type(attr.id), H5Tclose);
  const H5Id space(H5Aget_space(attr.id), H5Sclose);
  REQUIRE(H5Tget_class(type.id) == H5T_STRING);
  REQUIRE(H5Tis_variable_str(type.id) > 0);
  REQUIRE(H5Tget_cset(type.id) == H5T_CSET_UTF8);
  REQUIRE(H5Sget_simple_extent_type(space.id) == H5S_SCALAR);
  char* value = nullptr;
  REQUIRE(H5Aread(attr.id, type.id, &value) >= 0);
  std::string out = value;
  H5free_memory(value);
  return out;
}

/// Reads a scalar numeric attribute after checking its stored type equals `ftype`.
template <class T>
T num_attr(hid_t obj, const char* name, hid_t ftype, hid_t mtype) {
  const H5Id attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  const H5Id type(H5Aget_type(attr.id), H5Tclose);
  const H5Id space(H5Aget_space(attr.id), H5Sclose);
  REQUIRE(H5Tequal(type.id, ftype) > 0);
  REQUIRE(H5Sget_simple_extent_type(space.id) == H5S_SCALAR);
  T value{};
  REQUIRE(H5Aread(attr.id, mtype, &value) >= 0);
  return value;
}

std::string scale_name(const H5Id& ds) {
  char buf[128] = {};
  REQUIRE(H5DSget_scale_name(ds.id, buf, sizeof buf) > 0);
  return buf;
}

/// The file the tests check and the sample for h5check.py: step axis, group coordinate {0, 1}, dimension y =
/// 3, series on (step), (step, group) and (step, y), scalars and global attributes, appended in three
/// batches.
void write_sample(const std::string& path) {
  RunFile f(path);
  f.set_attr("Conventions", std::string("CF-1.8"));
  f.set_attr("title", std::string("h5file test \xc3\xa9t\xc3\xa9"));  // UTF-8 survives
  f.set_attr("seed", std::int64_t{12345});
  f.set_attr("rate", 0.25);
  f.set_attr("complete", std::int64_t{0});
  f.set_attr("steps_completed", std::int64_t{0});

  f.define_step_axis();
  f.define_coordinate("group", {0, 1}, "population group");
  f.define_dimension("y", 3);
  f.define_series({"count", "number of agents", "1", DType::Int64, {"step"}, {}});
  f.define_series(
      {"share", "share of group", "1", DType::Float64, {"step", "group"}, {{"comment", std::string("x")}}});
  f.define_series({"hist", "histogram", "1", DType::Int64, {"step", "y"}, {{"valid_min", std::int64_t{0}}}});
  f.define_series({"small", "small count", "1", DType::Int32, {"step"}, {}});
  f.define_series({"flag", "flag", "1", DType::UInt8, {"step"}, {}});
  f.define_series({"level", "level", "m", DType::Float32, {"step", "group", "y"}, {{"scale", 2.5}}});

  std::int64_t t = 0;
  for (const std::size_t batch : {2u, 3u, 1u}) {
    std::vector<std::int64_t> steps, count, hist, small, flag;
    std::vector<double> share, level;
    for (std::size_t r = 0; r < batch; ++r, ++t) {
      steps.push_back(t);
      count.push_back(100 + t);
      small.push_back(-t);
      flag.push_back(t % 2);
      share.insert(share.end(),
                   {0.5 + static_cast<double>(t), t == 3 ? std::nan("") : -static_cast<double>(t)});
      hist.insert(hist.end(), {t, 10 * t, 100 * t});
      for (int i = 0; i < 6; ++i) level.push_back(static_cast<double>(t) + 0.5 * i);
    }
    f.append_steps(steps);
    f.append("share", share);  // any order
    f.append("count", count);
    f.append("hist", hist);
    f.append("small", small);
    f.append("flag", flag);
    f.append("level", level);
    f.set_attr("steps_completed", t);
    f.flush();
  }
  f.write_scalar({"summary_total", "total", "1", DType::Int64, {}, {}}, std::int64_t{42});
  f.write_scalar({"summary_mean", "mean", "1", DType::Float64, {}, {}}, std::nan(""));
  f.write_scalar({"summary_max", "max", "m", DType::Float64, {}, {{"comment", std::string("peak")}}}, 1.5);
  f.set_attr("complete", std::int64_t{1});
  f.close();
}

}  // namespace

TEST_CASE("h5file: writes series, coordinates, scalars and attributes", "[h5]") {
  TempDir tmp;
  const std::string path = tmp.file("run.h5");
  write_sample(path);
  CHECK(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".part"));

  const H5Id file = open_file(path);

  SECTION("creation order is tracked and indexed") {
    const H5Id root(H5Gopen2(file.id, "/", H5P_DEFAULT), H5Gclose);
    const H5Id fcpl(H5Gget_create_plist(root.id), H5Pclose);
    unsigned links = 0, attrs = 0;
    REQUIRE(H5Pget_link_creation_order(fcpl.id, &links) >= 0);
    REQUIRE(H5Pget_attr_creation_order(fcpl.id, &attrs) >= 0);
    CHECK(links == (H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
    CHECK(attrs == (H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
  }

  SECTION("global attributes") {
    CHECK(string_attr(file.id, "Conventions") == "CF-1.8");
    CHECK(string_attr(file.id, "title") == "h5file test \xc3\xa9t\xc3\xa9");
    CHECK(num_attr<std::int64_t>(file.id, "seed", H5T_NATIVE_INT64, H5T_NATIVE_INT64) == 12345);
    CHECK(num_attr<double>(file.id, "rate", H5T_NATIVE_DOUBLE, H5T_NATIVE_DOUBLE) == 0.25);
    CHECK(num_attr<std::int64_t>(file.id, "complete", H5T_NATIVE_INT64, H5T_NATIVE_INT64) == 1);
    CHECK(num_attr<std::int64_t>(file.id, "steps_completed", H5T_NATIVE_INT64, H5T_NATIVE_INT64) == 6);
  }

  SECTION("step axis is an unlimited, chunked, compressed coordinate") {
    CHECK(read_all<std::int64_t>(file, "step", H5T_NATIVE_INT64) ==
          std::vector<std::int64_t>{0, 1, 2, 3, 4, 5});
    const H5Id step = open_ds(file, "step");
    CHECK(H5DSis_scale(step.id) > 0);
    CHECK(scale_name(step) == "step");
    CHECK(maxshape_of(step) == std::vector<hsize_t>{H5S_UNLIMITED});
    CHECK(string_attr(step.id, "units") == "1");
    CHECK(string_attr(step.id, "long_name") == "period");
    CHECK(H5Aexists(step.id, "_FillValue") == 0);  // coordinates keep their integer dtype in xarray
    const H5Id dcpl(H5Dget_create_plist(step.id), H5Pclose);
    CHECK(H5Pget_layout(dcpl.id) == H5D_CHUNKED);
    CHECK(num_attr<int>(step.id, "_Netcdf4Dimid", H5T_NATIVE_INT, H5T_NATIVE_INT) == 0);
  }

  SECTION("coordinate and plain dimension") {
    CHECK(read_all<std::int64_t>(file, "group", H5T_NATIVE_INT64) == std::vector<std::int64_t>{0, 1});
    const H5Id group = open_ds(file, "group");
    CHECK(scale_name(group) == "group");
    CHECK(string_attr(group.id, "long_name") == "population group");
    CHECK(string_attr(group.id, "units") == "1");
    CHECK(num_attr<int>(group.id, "_Netcdf4Dimid", H5T_NATIVE_INT, H5T_NATIVE_INT) == 1);
    const H5Id y = open_ds(file, "y");
    CHECK(H5DSis_scale(y.id) > 0);
    CHECK(scale_name(y) == "This is a netCDF dimension but not a netCDF variable.         3");
    CHECK(shape_of(y) == std::vector<hsize_t>{3});
    CHECK(num_attr<int>(y.id, "_Netcdf4Dimid", H5T_NATIVE_INT, H5T_NATIVE_INT) == 2);
  }

  SECTION("series values, scales and attributes") {
    CHECK(read_all<std::int64_t>(file, "count", H5T_NATIVE_INT64) ==
          std::vector<std::int64_t>{100, 101, 102, 103, 104, 105});
    CHECK(read_all<std::int32_t>(file, "small", H5T_NATIVE_INT32) ==
          std::vector<std::int32_t>{0, -1, -2, -3, -4, -5});
    CHECK(read_all<std::uint8_t>(file, "flag", H5T_NATIVE_UINT8) ==
          std::vector<std::uint8_t>{0, 1, 0, 1, 0, 1});
    const auto share = read_all<double>(file, "share", H5T_NATIVE_DOUBLE);
    REQUIRE(share.size() == 12);
    CHECK(share[0] == 0.5);
    CHECK(share[1] == 0.0);
    CHECK(share[10] == 5.5);
    CHECK(share[11] == -5.0);
    CHECK(std::isnan(share[7]));
    const auto hist = read_all<std::int64_t>(file, "hist", H5T_NATIVE_INT64);
    REQUIRE(hist.size() == 18);
    CHECK(hist[3 * 4 + 0] == 4);
    CHECK(hist[3 * 4 + 1] == 40);
    CHECK(hist[3 * 4 + 2] == 400);
    const auto level = read_all<float>(file, "level", H5T_NATIVE_FLOAT);
    REQUIRE(level.size() == 36);
    CHECK(level[6 * 5 + 5] == 7.5f);

    const H5Id step = open_ds(file, "step");
    const H5Id group = open_ds(file, "group");
    const H5Id y = open_ds(file, "y");
    const H5Id share_ds = open_ds(file, "share");
    const H5Id hist_ds = open_ds(file, "hist");
    const H5Id level_ds = open_ds(file, "level");
    CHECK(shape_of(share_ds) == std::vector<hsize_t>{6, 2});
    CHECK(maxshape_of(share_ds) == std::vector<hsize_t>{H5S_UNLIMITED, 2});
    CHECK(H5DSis_attached(share_ds.id, step.id, 0) > 0);
    CHECK(H5DSis_attached(share_ds.id, group.id, 1) > 0);
    CHECK(H5DSis_attached(hist_ds.id, step.id, 0) > 0);
    CHECK(H5DSis_attached(hist_ds.id, y.id, 1) > 0);
    CHECK(H5DSis_attached(level_ds.id, group.id, 1) > 0);
    CHECK(H5DSis_attached(level_ds.id, y.id, 2) > 0);

    CHECK(string_attr(share_ds.id, "units") == "1");
    CHECK(string_attr(share_ds.id, "long_name") == "share of group");
    CHECK(string_attr(share_ds.id, "comment") == "x");
    CHECK(std::isnan(num_attr<double>(share_ds.id, "_FillValue", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE)));
    CHECK(num_attr<std::int64_t>(hist_ds.id, "_FillValue", H5T_STD_I64LE, H5T_NATIVE_INT64) ==
          keepsim::kFillInt64);
    CHECK(num_attr<std::int64_t>(hist_ds.id, "valid_min", H5T_NATIVE_INT64, H5T_NATIVE_INT64) == 0);
    CHECK(num_attr<double>(level_ds.id, "scale", H5T_NATIVE_DOUBLE, H5T_NATIVE_DOUBLE) == 2.5);
    CHECK(std::isnan(num_attr<float>(level_ds.id, "_FillValue", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT)));
    const H5Id small_ds = open_ds(file, "small");
    CHECK(num_attr<std::int32_t>(small_ds.id, "_FillValue", H5T_STD_I32LE, H5T_NATIVE_INT32) == -2147483647);
    const H5Id flag_ds = open_ds(file, "flag");
    CHECK(num_attr<std::uint8_t>(flag_ds.id, "_FillValue", H5T_STD_U8LE, H5T_NATIVE_UINT8) == 255);

    const H5Id dcpl(H5Dget_create_plist(hist_ds.id), H5Pclose);
    CHECK(H5Pget_layout(dcpl.id) == H5D_CHUNKED);
    hsize_t chunk[2] = {};
    REQUIRE(H5Pget_chunk(dcpl.id, 2, chunk) == 2);
    CHECK(chunk[0] == 1024);
    CHECK(chunk[1] == 3);
    REQUIRE(H5Pget_nfilters(dcpl.id) == 2);
    unsigned flags = 0;
    unsigned values[4] = {};
    std::size_t nvalues = 4;
    CHECK(H5Pget_filter2(dcpl.id, 0, &flags, &nvalues, values, 0, nullptr, nullptr) == H5Z_FILTER_SHUFFLE);
    nvalues = 4;
    CHECK(H5Pget_filter2(dcpl.id, 1, &flags, &nvalues, values, 0, nullptr, nullptr) == H5Z_FILTER_DEFLATE);
    CHECK(nvalues == 1);
    CHECK(values[0] == 4);
    unsigned crt_order = 0;
    REQUIRE(H5Pget_attr_creation_order(dcpl.id, &crt_order) >= 0);
    CHECK(crt_order == (H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
    std::int64_t fill = 0;
    REQUIRE(H5Pget_fill_value(dcpl.id, H5T_NATIVE_INT64, &fill) >= 0);
    CHECK(fill == keepsim::kFillInt64);
  }

  SECTION("scalars") {
    const H5Id total = open_ds(file, "summary_total");
    CHECK(shape_of(total).empty());
    CHECK(read_all<std::int64_t>(file, "summary_total", H5T_NATIVE_INT64) == std::vector<std::int64_t>{42});
    CHECK(string_attr(total.id, "units") == "1");
    CHECK(string_attr(total.id, "long_name") == "total");
    CHECK(num_attr<std::int64_t>(total.id, "_FillValue", H5T_STD_I64LE, H5T_NATIVE_INT64) ==
          keepsim::kFillInt64);
    const auto mean = read_all<double>(file, "summary_mean", H5T_NATIVE_DOUBLE);
    REQUIRE(mean.size() == 1);
    CHECK(std::isnan(mean[0]));
    CHECK(read_all<double>(file, "summary_max", H5T_NATIVE_DOUBLE) == std::vector<double>{1.5});
    const H5Id max = open_ds(file, "summary_max");
    CHECK(string_attr(max.id, "units") == "m");
    CHECK(string_attr(max.id, "comment") == "peak");
  }
}

TEST_CASE("h5file: sample file for h5check.py", "[h5]") {
  const char* sample = std::getenv("KEEPSIM_H5_SAMPLE");
  if (sample == nullptr || *sample == '\0') return;
  write_sample(sample);
  CHECK(fs::exists(sample));
}

TEST_CASE("h5file: without close() only the .part file stays, readable", "[h5]") {
  TempDir tmp;
  const std::string path = tmp.file("run.h5");
  {
    RunFile f(path);
    f.define_step_axis();
    f.define_series({"count", "count", "1", DType::Int64, {"step"}, {}});
    const std::vector<std::int64_t> steps{0, 1, 2};
    f.append_steps(steps);
    f.append("count", steps);
    f.set_attr("complete", std::int64_t{0});
  }
  CHECK_FALSE(fs::exists(path));
  REQUIRE(fs::exists(path + ".part"));
  const H5Id file = open_file(path + ".part");
  CHECK(read_all<std::int64_t>(file, "count", H5T_NATIVE_INT64) == std::vector<std::int64_t>{0, 1, 2});
}

TEST_CASE("h5file: a stale .part is truncated and an existing file replaced", "[h5]") {
  TempDir tmp;
  const std::string path = tmp.file("run.h5");
  std::ofstream(path + ".part") << "not hdf5";
  std::ofstream(path) << "old";
  RunFile f(path);
  f.set_attr("x", std::int64_t{1});
  f.close();
  CHECK_FALSE(fs::exists(path + ".part"));
  const H5Id file = open_file(path);
  CHECK(num_attr<std::int64_t>(file.id, "x", H5T_NATIVE_INT64, H5T_NATIVE_INT64) == 1);
}

TEST_CASE("h5file: set_attr overwrites, also with another type", "[h5]") {
  TempDir tmp;
  const std::string path = tmp.file("run.h5");
  RunFile f(path);
  f.set_attr("note", std::int64_t{1});
  f.set_attr("note", std::string("now a string"));
  f.set_attr("steps_completed", std::int64_t{0});
  f.set_attr("steps_completed", std::int64_t{7});
  f.close();
  const H5Id file = open_file(path);
  CHECK(string_attr(file.id, "note") == "now a string");
  CHECK(num_attr<std::int64_t>(file.id, "steps_completed", H5T_NATIVE_INT64, H5T_NATIVE_INT64) == 7);
}

TEST_CASE("h5file: a series that falls behind is padded with its fill value at close", "[h5]") {
  TempDir tmp;
  const std::string path = tmp.file("run.h5");
  {
    RunFile f(path);
    f.define_step_axis();
    f.define_series({"a", "a", "1", DType::Int64, {"step"}, {}});
    f.define_series({"b", "b", "1", DType::Float64, {"step"}, {}});
    const std::vector<std::int64_t> steps{0, 1};
    f.append_steps(steps);
    f.append("a", steps);
    f.close();
  }
  const H5Id file = open_file(path);
  CHECK(read_all<std::int64_t>(file, "a", H5T_NATIVE_INT64) == std::vector<std::int64_t>{0, 1});
  const auto b = read_all<double>(file, "b", H5T_NATIVE_DOUBLE);
  REQUIRE(b.size() == 2);
  CHECK(std::isnan(b[0]));
  CHECK(std::isnan(b[1]));
}

TEST_CASE("h5file: unwritable paths throw OutputError naming the path", "[h5]") {
  for (const std::string path : {"/nonexistent_keepsim_dir/sub/x.h5", "/proc/nonexistent/x.h5"}) {
    try {
      RunFile f(path);
      FAIL("no exception for " << path);
    } catch (const OutputError& e) {
      CHECK_THAT(e.what(), Catch::Contains(path));
    }
  }
}

TEST_CASE("h5file: close() fails with OutputError when the rename fails", "[h5]") {
  TempDir tmp;
  const std::string path = tmp.file("run.h5");
  fs::create_directories(fs::path(path) / "occupied");  // a non-empty directory cannot be replaced by a file
  RunFile f(path);
  CHECK_THROWS_AS(f.close(), OutputError);
  CHECK(fs::exists(path + ".part"));
}

TEST_CASE("h5file: misuse throws std::logic_error", "[h5]") {
  TempDir tmp;
  RunFile f(tmp.file("run.h5"));
  const VarSpec count{"count", "count", "1", DType::Int64, {"step"}, {}};
  CHECK_THROWS_AS(f.define_series(count), std::logic_error);  // before the step axis
  f.define_step_axis();
  CHECK_THROWS_AS(f.define_step_axis(), std::logic_error);
  f.define_dimension("y", 3);
  f.define_series(count);
  f.define_series({"hist", "hist", "1", DType::Int64, {"step", "y"}, {}});
  f.define_series({"share", "share", "1", DType::Float64, {"step"}, {}});
  CHECK_THROWS_AS(f.define_series(count), std::logic_error);  // twice
  CHECK_THROWS_AS(f.define_series({"z", "z", "1", DType::Int64, {"step", "nope"}, {}}), std::logic_error);
  CHECK_THROWS_AS(f.define_series({"z", "z", "1", DType::Int64, {"y"}, {}}), std::logic_error);
  CHECK_THROWS_AS(f.define_series({"z", "z", "1", DType::Int64, {"step"}, {{"units", std::string("m")}}}),
                  std::logic_error);
  CHECK_THROWS_AS(f.define_dimension("count", 2), std::logic_error);
  CHECK_THROWS_AS(f.define_dimension("a/b", 2), std::logic_error);
  CHECK_THROWS_AS(f.define_dimension("w", 0), std::logic_error);

  const std::vector<std::int64_t> steps{0, 1};
  f.append_steps(steps);
  const std::vector<std::int64_t> five{1, 2, 3, 4, 5};
  CHECK_THROWS_AS(f.append("hist", five), std::logic_error);  // not whole rows of 3
  const std::vector<std::int64_t> three{1, 2, 3};
  CHECK_THROWS_AS(f.append("count", three), std::logic_error);  // more rows than steps
  CHECK_THROWS_AS(f.append("nope", steps), std::logic_error);
  CHECK_THROWS_AS(f.append("count", std::vector<double>{1.0, 2.0}), std::logic_error);  // wrong type
  CHECK_THROWS_AS(f.append("share", steps), std::logic_error);
  f.append("count", steps);
  CHECK_THROWS_AS(f.append("count", std::vector<std::int64_t>{9}), std::logic_error);  // full
  CHECK_THROWS_AS(f.append_steps(steps), std::logic_error);  // hist and share lag behind
  CHECK_THROWS_AS(f.write_scalar({"s", "s", "1", DType::Int64, {}, {}}, 0.5), std::logic_error);
  CHECK_THROWS_AS(f.write_scalar({"s", "s", "1", DType::Int64, {"step"}, {}}, std::int64_t{1}),
                  std::logic_error);
  f.close();
  CHECK_THROWS_AS(f.close(), std::logic_error);
  CHECK_THROWS_AS(f.set_attr("x", std::int64_t{1}), std::logic_error);
}

// RunFile: writes a small run file and reads it back with the HDF5 C API.
// tests/python/test_h5check.py runs the hidden "h5file: sample file" with KEEPSIM_H5_SAMPLE=PATH, and
// "h5file: map snapshots" with KEEPSIM_KEEP_MAP_FILE=PATH, and checks the files they leave with h5check.py
// and check_maps.py.
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
#include "keepsim/core/run.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using keepsim::DType;
using keepsim::OutputError;
using keepsim::RunFile;
using keepsim::VarSpec;

namespace {

struct TempDir : keepsim::test::TempDir {
  TempDir() : keepsim::test::TempDir("h5") {}
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

// Hidden ("[.]"): it checks nothing itself. tests/python/test_h5check.py runs it by name with
// KEEPSIM_H5_SAMPLE set and checks the sample it leaves with h5check.py.
TEST_CASE("h5file: sample file for h5check.py", "[h5][.]") {
  const char* sample = std::getenv("KEEPSIM_H5_SAMPLE");
  REQUIRE((sample != nullptr && *sample != '\0'));
  write_sample(sample);
  REQUIRE(fs::exists(sample));
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

namespace {

/// Reads a 1-D numeric attribute after checking its stored type equals `ftype`.
template <class T>
std::vector<T> vector_attr(hid_t obj, const char* name, hid_t ftype, hid_t mtype) {
  const H5Id attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  const H5Id type(H5Aget_type(attr.id), H5Tclose);
  const H5Id space(H5Aget_space(attr.id), H5Sclose);
  REQUIRE(H5Tequal(type.id, ftype) > 0);
  REQUIRE(H5Sget_simple_extent_ndims(space.id) == 1);
  std::vector<T> out(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.id)));
  REQUIRE(H5Aread(attr.id, mtype, out.data()) >= 0);
  return out;
}

constexpr int kMapH = 4;
constexpr int kMapW = 5;
constexpr std::size_t kCells = kMapH * kMapW;

/// Three snapshots (steps 0, 10, 20) of a 4x5 uint8, int32 and float map next to a short step series. Cell c
/// of snapshot s holds (s * 10 + c) % 8 (uint8), s * 100 - c (int32) and s + c / 4 (float, NaN in cell 7);
/// the float map is not written in snapshot 1, so it keeps its fill (NaN) there.
void write_map_sample(const std::string& path) {
  RunFile f(path);
  f.set_attr("Conventions", std::string("CF-1.8"));
  f.set_attr("title", std::string("map snapshots"));
  f.define_step_axis();
  f.define_series({"count", "number of agents", "1", DType::Int64, {"step"}, {}});
  f.define_map_axes(kMapH, kMapW);
  f.define_map({"map_occupancy",
                "what each cell holds",
                "1",
                DType::UInt8,
                {"snapshot", "y", "x"},
                {{"flag_values", std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7}},
                 {"flag_meanings", std::string("empty a b c d e f g")}}});
  f.define_map({"map_killings", "killings in the cell", "1", DType::Int32, {"snapshot", "y", "x"}, {}});
  f.define_map({"map_legitimacy", "legitimacy in the cell", "1", DType::Float32, {"snapshot", "y", "x"}, {}});
  std::vector<std::int64_t> steps;
  for (std::int64_t t = 0; t <= 20; ++t) steps.push_back(t);
  f.append_steps(steps);
  f.append("count", steps);
  for (int s = 0; s < 3; ++s) {
    f.append_snapshot(10 * s);
    std::vector<std::uint8_t> occ(kCells);
    std::vector<std::int32_t> kills(kCells);
    std::vector<float> legit(kCells);
    for (std::size_t c = 0; c < kCells; ++c) {
      occ[c] = static_cast<std::uint8_t>((static_cast<std::size_t>(s) * 10 + c) % 8);
      kills[c] = s * 100 - static_cast<std::int32_t>(c);
      legit[c] = c == 7 ? std::nanf("") : static_cast<float>(s) + static_cast<float>(c) / 4.0f;
    }
    f.write_map("map_occupancy", occ);
    f.write_map("map_killings", kills);
    if (s != 1) f.write_map("map_legitimacy", legit);
  }
  f.close();
}

}  // namespace

TEST_CASE("h5file: map snapshots", "[h5][maps]") {
  TempDir tmp;
  const std::string path = tmp.file("maps.h5");
  write_map_sample(path);
  // KEEPSIM_KEEP_MAP_FILE=PATH keeps a copy for tests/python/check_maps.py.
  if (const char* keep = std::getenv("KEEPSIM_KEEP_MAP_FILE"); keep != nullptr && *keep != '\0')
    fs::copy_file(path, keep, fs::copy_options::overwrite_existing);

  const H5Id file = open_file(path);
  const std::vector<hsize_t> shape{3, kMapH, kMapW};

  SECTION("snapshot axis: a dimension without variable, and snapshot_step on it") {
    const H5Id snap = open_ds(file, "snapshot");
    CHECK(H5DSis_scale(snap.id) > 0);
    CHECK(scale_name(snap) == "This is a netCDF dimension but not a netCDF variable.         0");
    CHECK(maxshape_of(snap) == std::vector<hsize_t>{H5S_UNLIMITED});
    const H5Id snap_dcpl(H5Dget_create_plist(snap.id), H5Pclose);
    CHECK(H5Pget_layout(snap_dcpl.id) == H5D_CHUNKED);
    CHECK(num_attr<int>(snap.id, "_Netcdf4Dimid", H5T_NATIVE_INT, H5T_NATIVE_INT) == 1);  // after step

    CHECK(read_all<std::int64_t>(file, "snapshot_step", H5T_NATIVE_INT64) ==
          std::vector<std::int64_t>{0, 10, 20});
    const H5Id step = open_ds(file, "snapshot_step");
    CHECK(H5DSis_scale(step.id) <= 0);
    CHECK(H5DSis_attached(step.id, snap.id, 0) > 0);
    CHECK(maxshape_of(step) == std::vector<hsize_t>{H5S_UNLIMITED});
    CHECK(string_attr(step.id, "units") == "1");
    CHECK(string_attr(step.id, "long_name") == "period of the snapshot");
    CHECK(H5Aexists(step.id, "_FillValue") == 0);

    CHECK(read_all<std::int64_t>(file, "y", H5T_NATIVE_INT64) == std::vector<std::int64_t>{0, 1, 2, 3});
    CHECK(read_all<std::int64_t>(file, "x", H5T_NATIVE_INT64) == std::vector<std::int64_t>{0, 1, 2, 3, 4});
    const H5Id y = open_ds(file, "y");
    const H5Id x = open_ds(file, "x");
    CHECK(scale_name(y) == "y");
    CHECK(scale_name(x) == "x");
    CHECK(string_attr(y.id, "units") == "1");
    CHECK(num_attr<int>(x.id, "_Netcdf4Dimid", H5T_NATIVE_INT, H5T_NATIVE_INT) == 3);
  }

  SECTION("maps: shape, values, scales, chunks, fill and attributes") {
    const H5Id snap = open_ds(file, "snapshot");
    const H5Id y = open_ds(file, "y");
    const H5Id x = open_ds(file, "x");
    for (const char* name : {"map_occupancy", "map_killings", "map_legitimacy"}) {
      INFO(name);
      const H5Id ds = open_ds(file, name);
      CHECK(shape_of(ds) == shape);
      CHECK(maxshape_of(ds) == std::vector<hsize_t>{H5S_UNLIMITED, kMapH, kMapW});
      CHECK(H5DSis_attached(ds.id, snap.id, 0) > 0);
      CHECK(H5DSis_attached(ds.id, y.id, 1) > 0);
      CHECK(H5DSis_attached(ds.id, x.id, 2) > 0);
      CHECK(string_attr(ds.id, "coordinates") == "snapshot_step");
      const H5Id dcpl(H5Dget_create_plist(ds.id), H5Pclose);
      hsize_t chunk[3] = {};
      REQUIRE(H5Pget_chunk(dcpl.id, 3, chunk) == 3);
      CHECK(chunk[0] == 1);
      CHECK(chunk[1] == kMapH);
      CHECK(chunk[2] == kMapW);
      REQUIRE(H5Pget_nfilters(dcpl.id) == 2);
      unsigned flags = 0;
      unsigned values[4] = {};
      std::size_t nvalues = 4;
      CHECK(H5Pget_filter2(dcpl.id, 0, &flags, &nvalues, values, 0, nullptr, nullptr) == H5Z_FILTER_SHUFFLE);
      nvalues = 4;
      CHECK(H5Pget_filter2(dcpl.id, 1, &flags, &nvalues, values, 0, nullptr, nullptr) == H5Z_FILTER_DEFLATE);
      CHECK(values[0] == 4);
    }

    const auto occ = read_all<std::uint8_t>(file, "map_occupancy", H5T_NATIVE_UINT8);
    const auto kills = read_all<std::int32_t>(file, "map_killings", H5T_NATIVE_INT32);
    const auto legit = read_all<float>(file, "map_legitimacy", H5T_NATIVE_FLOAT);
    REQUIRE(occ.size() == 3 * kCells);
    REQUIRE(kills.size() == 3 * kCells);
    REQUIRE(legit.size() == 3 * kCells);
    for (std::size_t s = 0; s < 3; ++s)
      for (std::size_t c = 0; c < kCells; ++c) {
        const std::size_t i = s * kCells + c;
        CHECK(occ[i] == (s * 10 + c) % 8);
        CHECK(kills[i] == static_cast<std::int32_t>(s * 100) - static_cast<std::int32_t>(c));
        if (s == 1 || c == 7)
          CHECK(std::isnan(legit[i]));
        else
          CHECK(legit[i] == static_cast<float>(s) + static_cast<float>(c) / 4.0f);
      }

    const H5Id occ_ds = open_ds(file, "map_occupancy");
    CHECK(num_attr<std::uint8_t>(occ_ds.id, "_FillValue", H5T_STD_U8LE, H5T_NATIVE_UINT8) ==
          keepsim::kFillUInt8);
    CHECK(vector_attr<std::uint8_t>(occ_ds.id, "flag_values", H5T_STD_U8LE, H5T_NATIVE_UINT8) ==
          std::vector<std::uint8_t>{0, 1, 2, 3, 4, 5, 6, 7});
    CHECK(string_attr(occ_ds.id, "flag_meanings") == "empty a b c d e f g");
    CHECK(string_attr(occ_ds.id, "long_name") == "what each cell holds");
    CHECK(string_attr(occ_ds.id, "units") == "1");
    const H5Id kills_ds = open_ds(file, "map_killings");
    CHECK(num_attr<std::int32_t>(kills_ds.id, "_FillValue", H5T_STD_I32LE, H5T_NATIVE_INT32) ==
          keepsim::kFillInt32);
    const H5Id legit_ds = open_ds(file, "map_legitimacy");
    CHECK(std::isnan(num_attr<float>(legit_ds.id, "_FillValue", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT)));
  }
}

TEST_CASE("h5file: a map left unwritten is padded with its fill value at close", "[h5][maps]") {
  TempDir tmp;
  const std::string path = tmp.file("maps.h5");
  {
    RunFile f(path);
    f.define_map_axes(2, 3);
    f.define_map({"a", "a", "1", DType::Int32, {"snapshot", "y", "x"}, {}});
    f.define_map({"b", "b", "1", DType::UInt8, {"snapshot", "y", "x"}, {}});
    const std::vector<std::int32_t> six{1, 2, 3, 4, 5, 6};
    f.append_snapshot(0);
    f.write_map("a", six);
    f.append_snapshot(5);
    f.close();
  }
  const H5Id file = open_file(path);
  CHECK(read_all<std::int64_t>(file, "snapshot_step", H5T_NATIVE_INT64) == std::vector<std::int64_t>{0, 5});
  const auto a = read_all<std::int32_t>(file, "a", H5T_NATIVE_INT32);
  REQUIRE(a.size() == 12);
  CHECK(a[0] == 1);
  CHECK(a[5] == 6);
  CHECK(a[6] == keepsim::kFillInt32);
  CHECK(a[11] == keepsim::kFillInt32);
  CHECK(read_all<std::uint8_t>(file, "b", H5T_NATIVE_UINT8) ==
        std::vector<std::uint8_t>(12, keepsim::kFillUInt8));
}

TEST_CASE("h5file: map misuse throws std::logic_error", "[h5][maps]") {
  TempDir tmp;
  RunFile f(tmp.file("run.h5"));
  const VarSpec occ{"map_occ", "occupancy", "1", DType::UInt8, {"snapshot", "y", "x"}, {}};
  const std::vector<std::uint8_t> six(6, 1);
  CHECK_THROWS_AS(f.define_map(occ), std::logic_error);  // before the axes
  CHECK_THROWS_AS(f.append_snapshot(0), std::logic_error);
  CHECK_THROWS_AS(f.define_map_axes(0, 3), std::logic_error);
  f.define_step_axis();
  f.define_map_axes(2, 3);
  CHECK_THROWS_AS(f.define_map_axes(2, 3), std::logic_error);  // twice
  CHECK_THROWS_AS(f.define_map({"m", "m", "1", DType::Int64, {"snapshot", "y", "x"}, {}}), std::logic_error);
  CHECK_THROWS_AS(f.define_map({"m", "m", "1", DType::UInt8, {"y", "x"}, {}}), std::logic_error);
  CHECK_THROWS_AS(f.define_map({"m",
                                "m",
                                "1",
                                DType::UInt8,
                                {"snapshot", "y", "x"},
                                {{"flag_values", std::vector<std::int64_t>{0, 256}}}}),
                  std::logic_error);  // out of uint8
  CHECK_THROWS_AS(f.define_series({"s", "s", "1", DType::Int64, {"step", "snapshot"}, {}}), std::logic_error);
  f.define_map(occ);
  CHECK_THROWS_AS(f.define_map(occ), std::logic_error);            // twice
  CHECK_THROWS_AS(f.write_map("map_occ", six), std::logic_error);  // before append_snapshot
  f.append_snapshot(0);
  CHECK_THROWS_AS(f.write_map("nope", six), std::logic_error);
  CHECK_THROWS_AS(f.write_map("map_occ", std::vector<std::uint8_t>(5, 1)), std::logic_error);  // not 2x3
  CHECK_THROWS_AS(f.write_map("map_occ", std::vector<float>(6, 1.0f)), std::logic_error);      // wrong type
  f.write_map("map_occ", six);
  f.close();
}

namespace {

/// A model with one series and two 2x3 maps, a snapshot every `every` periods (0 = no maps at all). Map
/// values: cell c at period t holds t * 10 + c.
class MapModel final : public keepsim::Model {
 public:
  explicit MapModel(std::int64_t every) : every_(every) {}
  std::vector<keepsim::Coordinate> coordinates() const override { return {}; }
  void declare(keepsim::Recorder& rec) override {
    h_ = rec.add({"count", "count", "1", DType::Int64, {"step"}, {}});
  }
  void step() override { ++t_; }
  void observe(keepsim::Recorder& rec) override { rec.put(h_, t_); }
  std::int64_t period() const override { return t_; }
  std::vector<keepsim::Scalar> summary(const keepsim::Recorder&) const override { return {}; }

  std::vector<VarSpec> map_specs() const override {
    if (every_ <= 0) return {};
    return {{"map_n", "n", "1", DType::Int32, {"snapshot", "y", "x"}, {}},
            {"map_f", "f", "1", DType::Float32, {"snapshot", "y", "x"}, {}}};
  }
  int map_height() const override { return 2; }
  int map_width() const override { return 3; }
  bool map_due() const override { return every_ > 0 && t_ % every_ == 0; }
  void write_maps(keepsim::MapSink& sink) override {
    std::vector<std::int32_t> n(6);
    std::vector<float> f(6);
    for (std::size_t c = 0; c < 6; ++c) {
      n[c] = static_cast<std::int32_t>(t_ * 10) + static_cast<std::int32_t>(c);
      f[c] = static_cast<float>(n[c]) / 2.0f;
    }
    sink.put("map_n", n);
    sink.put("map_f", f);
  }

 private:
  std::int64_t every_;
  std::int64_t t_ = 0;
  keepsim::Recorder::Handle h_ = 0;
};

}  // namespace

TEST_CASE("h5file: run_model writes a snapshot at step 0 and whenever map_due()", "[h5][maps]") {
  TempDir tmp;
  keepsim::RunSpec spec;
  spec.output = tmp.file("run.h5");
  spec.steps = 5;
  spec.flush_every = 2;
  MapModel model(2);
  const keepsim::RunOutcome out = keepsim::run_model(model, spec, nullptr);
  CHECK(out.complete);
  const H5Id file = open_file(spec.output);
  CHECK(read_all<std::int64_t>(file, "snapshot_step", H5T_NATIVE_INT64) ==
        std::vector<std::int64_t>{0, 2, 4});
  const auto n = read_all<std::int32_t>(file, "map_n", H5T_NATIVE_INT32);
  REQUIRE(n.size() == 18);
  CHECK(n[0] == 0);
  CHECK(n[6 + 5] == 25);
  CHECK(n[12 + 1] == 41);
  const auto f = read_all<float>(file, "map_f", H5T_NATIVE_FLOAT);
  REQUIRE(f.size() == 18);
  CHECK(f[12 + 1] == 20.5f);
  CHECK(shape_of(open_ds(file, "map_f")) == std::vector<hsize_t>{3, 2, 3});
  CHECK(read_all<std::int64_t>(file, "x", H5T_NATIVE_INT64) == std::vector<std::int64_t>{0, 1, 2});
}

TEST_CASE("h5file: run_model writes no map axes for a model without maps", "[h5][maps]") {
  TempDir tmp;
  keepsim::RunSpec spec;
  spec.output = tmp.file("run.h5");
  spec.steps = 3;
  MapModel model(0);
  CHECK(keepsim::run_model(model, spec, nullptr).complete);
  const H5Id file = open_file(spec.output);
  for (const char* name : {"snapshot", "snapshot_step", "y", "x", "map_n"})
    CHECK(H5Lexists(file.id, name, H5P_DEFAULT) == 0);
  CHECK(read_all<std::int64_t>(file, "count", H5T_NATIVE_INT64) == std::vector<std::int64_t>{0, 1, 2, 3});
}

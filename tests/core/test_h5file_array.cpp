// RunFile::write_array: fixed variables on a coordinate dimension, as the sweep table writes them.
#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "keepsim/core/h5file.hpp"

namespace fs = std::filesystem;
using keepsim::DType;
using keepsim::RunFile;

namespace {

template <class T>
std::vector<T> read_var(hid_t file, const char* name, hid_t mtype, hid_t* stored_type = nullptr) {
  const hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
  REQUIRE(ds >= 0);
  const hid_t space = H5Dget_space(ds);
  std::vector<T> out(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
  REQUIRE(H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
  if (stored_type != nullptr) *stored_type = H5Dget_type(ds);
  const hid_t run = H5Dopen2(file, "run", H5P_DEFAULT);
  CHECK(H5DSis_attached(ds, run, 0) > 0);
  H5Dclose(run);
  H5Sclose(space);
  H5Dclose(ds);
  return out;
}

}  // namespace

TEST_CASE("h5file: write_array stores whole variables on a coordinate dimension", "[h5]") {
  const fs::path path = fs::temp_directory_path() / ("keepsim_array_" + std::to_string(getpid()) + ".h5");
  {
    RunFile f(path.string());
    f.define_coordinate("run", {0, 1, 2}, "run index");
    const std::vector<double> x{0.5, std::nan(""), 2.0};
    const std::vector<std::int64_t> status{0, 1, 2};
    f.write_array({"x", "a parameter", "1", DType::Float64, {"run"}, {}}, x);
    f.write_array(
        {"status", "run status", "1", DType::UInt8, {"run"}, {{"flag_meanings", std::string("a b c")}}},
        status);
    f.write_array({"n", "count", "1", DType::Int64, {"run"}, {}}, status, false);
    CHECK_THROWS_AS(f.write_array({"bad", "", "1", DType::Int64, {"run"}, {}}, std::vector<std::int64_t>{1}),
                    std::logic_error);
    CHECK_THROWS_AS(f.write_array({"bad", "", "1", DType::Int64, {"nodim"}, {}}, status), std::logic_error);
    CHECK_THROWS_AS(f.write_array({"bad", "", "1", DType::Int64, {"run"}, {}}, x), std::logic_error);
    f.close();
  }
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(file >= 0);
  const auto x = read_var<double>(file, "x", H5T_NATIVE_DOUBLE);
  CHECK(x[0] == 0.5);
  CHECK(std::isnan(x[1]));
  hid_t type = -1;
  const auto status = read_var<std::int64_t>(file, "status", H5T_NATIVE_INT64, &type);
  CHECK(status == std::vector<std::int64_t>{0, 1, 2});
  CHECK(H5Tequal(type, H5T_STD_U8LE) > 0);
  H5Tclose(type);
  CHECK(read_var<std::int64_t>(file, "n", H5T_NATIVE_INT64) == std::vector<std::int64_t>{0, 1, 2});
  CHECK(H5Aexists_by_name(file, "x", "_FillValue", H5P_DEFAULT) > 0);
  CHECK(H5Aexists_by_name(file, "n", "_FillValue", H5P_DEFAULT) == 0);  // fill = false
  H5Fclose(file);
  fs::remove(path);
}

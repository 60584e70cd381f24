// Checkpoint files (checkpoint.hpp) through the run driver, with a small model that has series and maps: a
// run stopped at period 5 leaves a checkpoint whose header, run attributes, state, rows and map snapshots
// come back as written, and resuming from it gives the uninterrupted run's datasets. A damaged, truncated or
// missing checkpoint is refused with CheckpointError naming the file.
#include <hdf5.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "keepsim/core/checkpoint.hpp"
#include "keepsim/core/run.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using keepsim::DType;
using keepsim::VarSpec;

namespace {

struct TempDir : keepsim::test::TempDir {
  TempDir() : keepsim::test::TempDir("ckpt") {}
};

/// One int and one real series, two 2x3 maps every 2 periods, and a state that is not a function of the
/// period (a running sum), so a resume that lost it would show. Raises `stop` once at period `stop_at`.
class TinyModel final : public keepsim::Model {
 public:
  TinyModel(std::atomic<bool>* stop, std::int64_t stop_at) : stop_(stop), stop_at_(stop_at) {}
  std::vector<keepsim::Coordinate> coordinates() const override { return {}; }
  void declare(keepsim::Recorder& rec) override {
    h_ = rec.add({"sum", "sum", "1", DType::Int64, {"step"}, {}});
    r_ = rec.add({"half", "half", "1", DType::Float64, {"step"}, {}});
  }
  void step() override {
    ++t_;
    sum_ += t_ * t_;
    if (stop_ != nullptr && t_ == stop_at_) stop_->store(true);
  }
  void observe(keepsim::Recorder& rec) override {
    rec.put(h_, sum_);
    rec.put(r_, static_cast<double>(sum_) / 2.0);
  }
  std::int64_t period() const override { return t_; }
  std::vector<keepsim::Scalar> summary(const keepsim::Recorder&) const override {
    return {{{"summary_sum", "sum", "1", DType::Int64, {}, {}}, sum_}};
  }
  std::vector<VarSpec> map_specs() const override {
    return {{"map_n", "n", "1", DType::Int32, {"snapshot", "y", "x"}, {}},
            {"map_u", "u", "1", DType::UInt8, {"snapshot", "y", "x"}, {}}};
  }
  int map_height() const override { return 2; }
  int map_width() const override { return 3; }
  bool map_due() const override { return t_ % 2 == 0; }
  void write_maps(keepsim::MapSink& sink) override {
    std::vector<std::int32_t> n(6);
    std::vector<std::uint8_t> u(6);
    for (std::size_t c = 0; c < 6; ++c) {
      n[c] = static_cast<std::int32_t>(sum_) + static_cast<std::int32_t>(c);
      u[c] = static_cast<std::uint8_t>(n[c] % 200);
    }
    sink.put("map_n", n);
    sink.put("map_u", u);
  }
  void save_state(keepsim::StateWriter& w) const override {
    w.put("t", t_);
    w.put("sum", sum_);
    w.put("empty", std::vector<std::uint16_t>{});
    w.put_string("model", "tiny");
  }
  void load_state(const keepsim::StateReader& r) override {
    if (r.string("model") != "tiny") r.fail("not a tiny model");
    t_ = r.value<std::int64_t>("t");
    sum_ = r.value<std::int64_t>("sum");
    CHECK(r.get<std::uint16_t>("empty").empty());
  }

 private:
  std::atomic<bool>* stop_;
  std::int64_t stop_at_;
  std::int64_t t_ = 0, sum_ = 0;
  keepsim::Recorder::Handle h_ = 0, r_ = 0;
};

/// Every value of a dataset, as bytes (any type).
std::vector<unsigned char> dataset_bytes(const std::string& path, const std::string& name) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(f >= 0);
  const hid_t ds = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
  REQUIRE(ds >= 0);
  const hid_t type = H5Dget_type(ds);
  const hid_t native = H5Tget_native_type(type, H5T_DIR_ASCEND);
  const hid_t space = H5Dget_space(ds);
  std::vector<unsigned char> out(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)) *
                                 H5Tget_size(native));
  if (!out.empty()) REQUIRE(H5Dread(ds, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
  H5Sclose(space);
  H5Tclose(native);
  H5Tclose(type);
  H5Dclose(ds);
  H5Fclose(f);
  return out;
}

keepsim::RunSpec spec_for(const std::string& output, const std::string& checkpoint) {
  keepsim::RunSpec spec;
  spec.output = output;
  spec.steps = 9;
  spec.flush_every = 2;
  spec.checkpoint = checkpoint;
  spec.attrs = {{"title", std::string("tiny")},
                {"seed", std::int64_t{7}},
                {"ratio", 0.25},
                {"levels", std::vector<std::int64_t>{3, 1, 2}}};
  return spec;
}

}  // namespace

TEST_CASE("checkpoint: a stopped run resumes to the uninterrupted run's datasets", "[checkpoint][h5]") {
  TempDir tmp;
  const std::string ckpt = tmp.file("run.h5.ckpt");
  std::atomic<bool> stop{false};
  TinyModel stopped(&stop, 5);
  const keepsim::RunOutcome first = keepsim::run_model(stopped, spec_for(tmp.file("run.h5"), ckpt), &stop);
  CHECK_FALSE(first.complete);
  CHECK(first.checkpointed);
  CHECK(first.steps_completed == 5);
  REQUIRE(fs::exists(ckpt));
  fs::copy_file(ckpt, tmp.file("copy.ckpt"));

  {
    const keepsim::Checkpoint ck(ckpt);
    CHECK(ck.header().period == 5);
    CHECK(ck.header().steps == 9);
    CHECK(ck.header().output == tmp.file("run.h5"));
    CHECK(ck.header().history == "created by keepsim run");
    const auto& attrs = ck.header().attrs;
    REQUIRE(attrs.size() == 4);
    CHECK(attrs == spec_for("", "").attrs);  // values and order
    CHECK(ck.run_attr("title") == "tiny");
    TinyModel resumed(nullptr, 0);
    resumed.load_state(ck.state());
    const keepsim::RunOutcome second =
        keepsim::run_model(resumed, spec_for(tmp.file("run.h5"), ckpt), nullptr, &ck);
    CHECK(second.complete);
    CHECK(second.steps_completed == 9);
  }
  CHECK_FALSE(fs::exists(ckpt));  // a finished run removes its checkpoint

  TinyModel whole(nullptr, 0);
  CHECK(keepsim::run_model(whole, spec_for(tmp.file("ref.h5"), ""), nullptr).complete);
  for (const char* name : {"step", "sum", "half", "snapshot_step", "map_n", "map_u", "summary_sum"}) {
    CAPTURE(name);
    CHECK(dataset_bytes(tmp.file("run.h5"), name) == dataset_bytes(tmp.file("ref.h5"), name));
  }
  CHECK(dataset_bytes(tmp.file("run.h5"), "snapshot_step").size() == 5 * 8);  // 0, 2, 4, 6, 8

  // Damaged copies of the checkpoint.
  const std::string copy = tmp.file("copy.ckpt");
  const auto size = fs::file_size(copy);
  for (const std::uintmax_t at : {std::uintmax_t{700}, size / 2, size - 1}) {
    const std::string bad = tmp.file("bad" + std::to_string(at) + ".ckpt");
    fs::copy_file(copy, bad);
    std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(at));
    char c = 0;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(at));
    f.put(static_cast<char>(c ^ 0x21));
    f.close();
    CHECK_THROWS_WITH(keepsim::Checkpoint(bad), Catch::Contains(bad) && Catch::Contains("corrupt"));
  }
  fs::resize_file(copy, size - 100);
  CHECK_THROWS_WITH(keepsim::Checkpoint(copy), Catch::Contains(copy) && Catch::Contains("truncated"));
  CHECK_THROWS_WITH(keepsim::Checkpoint(tmp.file("none.ckpt")), Catch::Contains("no such checkpoint"));
  CHECK_THROWS_WITH(keepsim::Checkpoint(tmp.file("ref.h5")), Catch::Contains("not a keepsim checkpoint"));
}

#include "keepsim/core/run.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "keepsim/core/h5file.hpp"

namespace keepsim {
namespace {

class ProgressBar {
 public:
  ProgressBar(bool on, std::int64_t total) : on_(on), total_(total), start_(Clock::now()) {}
  void update(std::int64_t done) {
    if (!on_) return;
    const auto now = Clock::now();
    if (done != total_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double frac = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
    const int width = 40;
    const int filled = static_cast<int>(frac * width);
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double left = frac > 0 ? secs * (1 - frac) / frac : 0;
    std::fprintf(stderr, "\r[%.*s%*s] %lld/%lld periods  %.1fs elapsed  %.1fs left ", filled,
                 "########################################", width - filled, "", static_cast<long long>(done),
                 static_cast<long long>(total_), secs, left);
    if (done == total_) std::fputc('\n', stderr);
    std::fflush(stderr);
  }
  void finish() {
    if (on_) std::fputc('\n', stderr);
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool on_;
  std::int64_t total_;
  Clock::time_point start_;
  Clock::time_point last_{};
};

void write_rows(RunFile& file, const Recorder& rec, std::size_t from, std::size_t to) {
  if (to <= from) return;
  file.append_steps(std::span(rec.steps()).subspan(from, to - from));
  for (std::size_t h = 0; h < rec.size(); ++h) {
    const std::size_t w = rec.width(h);
    if (rec.spec(h).dtype == DType::Float64)
      file.append(rec.spec(h).name, rec.reals(h).subspan(from * w, (to - from) * w));
    else
      file.append(rec.spec(h).name, rec.ints(h).subspan(from * w, (to - from) * w));
  }
}

/// The run file's side of MapSink: each layer goes straight to the current snapshot of the file.
class FileMapSink final : public MapSink {
 public:
  explicit FileMapSink(RunFile& file) : file_(file) {}
  void put(const std::string& name, std::span<const std::uint8_t> values) override {
    file_.write_map(name, values);
  }
  void put(const std::string& name, std::span<const std::int32_t> values) override {
    file_.write_map(name, values);
  }
  void put(const std::string& name, std::span<const float> values) override { file_.write_map(name, values); }

 private:
  RunFile& file_;
};

}  // namespace

std::vector<std::pair<std::string, AttrValue>> standard_attrs() {
  char created[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {{"Conventions", std::string("CF-1.8")},
          {"source", std::string("keepsim ") + KEEPSIM_VERSION},
          {"git_commit", std::string(KEEPSIM_GIT_COMMIT)},
          {"created", std::string(created)}};
}

RunOutcome run_model(Model& model, const RunSpec& spec, const std::atomic<bool>* stop) {
  RunFile file(spec.output);
  for (const auto& [name, value] : spec.attrs) file.set_attr(name, value);
  file.set_attr("complete", std::int64_t{0});
  file.set_attr("steps_completed", std::int64_t{0});
  file.set_attr("history", std::string("created by keepsim run"));

  file.define_step_axis();
  for (const Coordinate& c : model.coordinates()) file.define_coordinate(c.name, c.values, c.long_name);
  Recorder rec;
  model.declare(rec);
  for (std::size_t h = 0; h < rec.size(); ++h) file.define_series(rec.spec(h));
  const std::vector<VarSpec> maps = model.map_specs();
  if (!maps.empty()) {
    file.define_map_axes(model.map_height(), model.map_width());
    for (const VarSpec& m : maps) file.define_map(m);
  }
  FileMapSink sink(file);
  // A snapshot goes to the file at once (the maps are not buffered like the series rows).
  const auto snapshot = [&] {
    if (maps.empty() || !model.map_due()) return;
    file.append_snapshot(model.period());
    model.write_maps(sink);
  };

  rec.begin_step(model.period());
  model.observe(rec);
  snapshot();

  ProgressBar bar(spec.progress, spec.steps);
  std::size_t written = 0;
  RunOutcome out;
  for (std::int64_t t = 0; t < spec.steps; ++t) {
    if (stop != nullptr && stop->load()) break;
    model.step();
    rec.begin_step(model.period());
    model.observe(rec);
    snapshot();
    ++out.steps_completed;
    bar.update(out.steps_completed);
    if (static_cast<std::int64_t>(rec.rows() - written) >= spec.flush_every) {
      write_rows(file, rec, written, rec.rows());
      written = rec.rows();
      file.set_attr("steps_completed", out.steps_completed);
      file.flush();
    }
  }
  write_rows(file, rec, written, rec.rows());
  file.set_attr("steps_completed", out.steps_completed);
  out.complete = out.steps_completed == spec.steps;
  if (out.complete) {
    out.summary = model.summary(rec);
    for (const Scalar& s : out.summary) file.write_scalar(s.spec, s.value);
    file.set_attr("complete", std::int64_t{1});
  } else {
    bar.finish();
  }
  file.close();
  return out;
}

}  // namespace keepsim

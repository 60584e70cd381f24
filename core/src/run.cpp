#include "keepsim/core/run.hpp"
#include "keepsim/core/build_info.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include <filesystem>

#include "keepsim/core/checkpoint.hpp"
#include "keepsim/core/errors.hpp"
#include "keepsim/core/h5file.hpp"
#include "keepsim/core/output_guard.hpp"
#include "keepsim/core/safe_files.hpp"

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
          {"git_commit", std::string(git_commit())},
          {"created", std::string(created)}};
}

RunOutcome run_model(Model& model, const RunSpec& spec, const std::atomic<bool>* stop,
                     const Checkpoint* resume) {
  RunFile file(spec.output);
  for (const auto& [name, value] : spec.attrs) file.set_attr(name, value);
  file.set_attr("complete", std::int64_t{0});
  file.set_attr("steps_completed", model.period());
  file.set_attr("history", spec.history);

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

  RunOutcome out;
  out.steps_completed = model.period();
  std::size_t written = 0;
  std::int64_t checkpointed = -1;  // the period of the last checkpoint written
  ProgressBar bar(spec.progress, spec.steps);
  try {  // a write failing (a full disk) is recovered from below
    if (resume != nullptr) {
      // The rows and maps up to the checkpoint's period, as the interrupted run wrote them.
      resume->restore_rows(rec);
      const auto cells =
          static_cast<std::size_t>(model.map_height()) * static_cast<std::size_t>(model.map_width());
      resume->restore_maps(file, maps, cells);
      write_rows(file, rec, 0, rec.rows());
      written = rec.rows();
      checkpointed = model.period();
    } else {
      rec.begin_step(model.period());
      model.observe(rec);
      snapshot();
    }
    const auto checkpoint = [&] {
      CheckpointHeader h;
      h.period = model.period();
      h.steps = spec.steps;
      h.checkpoint_every = spec.checkpoint_every;
      h.flush_every = spec.flush_every;
      h.output = spec.output;
      h.history = spec.history;
      h.attrs = spec.attrs;
      try {
        write_checkpoint(spec.checkpoint, h, model, rec, maps.empty() ? nullptr : &file);
        checkpointed = model.period();
        out.checkpoint_error.clear();
      } catch (const OutputError& e) {  // the previous checkpoint, if any, is still whole
        out.checkpoint_error = e.what();
      }
    };

    // A full disk stops the run while the file can still be closed.
    OutputGuard guard(
        file, rec, maps,
        static_cast<std::size_t>(model.map_height()) * static_cast<std::size_t>(model.map_width()),
        spec.flush_every, written);
    for (std::int64_t t = out.steps_completed; t < spec.steps; ++t) {
      if (stop != nullptr && stop->load()) break;
      model.step();
      rec.begin_step(model.period());
      model.observe(rec);
      const auto due =
          static_cast<std::int64_t>(rec.rows() - written) >= spec.flush_every ? rec.rows() - written : 0;
      if (!guard.fits(due, !maps.empty() && model.map_due())) {
        out.write_error = guard.reason();  // this period's row is recorded; it goes to the file below
        ++out.steps_completed;
        break;
      }
      snapshot();
      ++out.steps_completed;
      bar.update(out.steps_completed);
      if (static_cast<std::int64_t>(rec.rows() - written) >= spec.flush_every) {
        write_rows(file, rec, written, rec.rows());
        written = rec.rows();
        file.set_attr("steps_completed", out.steps_completed);
        file.flush();
      }
      if (!spec.checkpoint.empty() && spec.checkpoint_every > 0 && out.steps_completed < spec.steps &&
          out.steps_completed % spec.checkpoint_every == 0) {
        checkpoint();
        if (!out.checkpoint_error.empty())
          std::fprintf(stderr, "%skeepsim: warning: %s; the run goes on\n", spec.progress ? "\n" : "",
                       out.checkpoint_error.c_str());
      }
    }
    out.complete = out.steps_completed == spec.steps && out.write_error.empty();
    // Stopped: a checkpoint of the last period completed, before the file closes (its maps are read back).
    // Not when the disk is full: the run file must be closed first, and a checkpoint might take its last
    // room.
    if (!out.complete && !spec.checkpoint.empty() && checkpointed != model.period() &&
        out.write_error.empty())
      checkpoint();
    out.checkpointed = !out.complete && checkpointed == model.period();
    // The rows since the last flush, unless the disk has no room left for them: the file then ends there.
    const std::size_t keep = guard.final_rows(written, rec.rows());
    write_rows(file, rec, written, keep);
    if (keep < rec.rows()) {
      out.complete = false;
      out.steps_completed = rec.steps()[keep - 1];
      out.write_error = guard.reason();
    }
    file.set_attr("steps_completed", out.steps_completed);
    if (out.complete) {
      out.summary = model.summary(rec);
      for (const Scalar& s : out.summary) file.write_scalar(s.spec, s.value);
      file.set_attr("complete", std::int64_t{1});
    } else {
      bar.finish();
    }
    file.close();
  } catch (const OutputError& e) {
    out.write_error = recover_run_file(file, spec, model, rec, e.what(), out);
    bar.finish();
    return out;
  }
  if (!out.write_error.empty()) out.write_error = stopped_message(out.write_error, spec, out);
  if (out.complete && !spec.checkpoint.empty()) {  // a finished run needs no checkpoint
    // Only a regular file of this user: the checkpoint this run (or the run it resumed) wrote. The .tmp was
    // removed or renamed by write_checkpoint itself; one there now is not this process's.
    remove_own_file(spec.checkpoint);
  }
  return out;
}

}  // namespace keepsim

#include "keepsim/core/output_guard.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/resources.hpp"
#include "keepsim/core/safe_files.hpp"

namespace keepsim {
namespace {

// As RunFile chooses chunks (h5file.cpp): up to 1024 rows and 512 KiB per chunk along step.
constexpr double kMaxChunkRows = 1024;
constexpr double kMaxChunkBytes = 512 * 1024;
// Deflate can make incompressible data slightly larger; each chunk also costs a header and an index entry.
constexpr double kDeflate = 1.01;
constexpr double kPerChunk = 128;
// Metadata a flush may write per dataset (its object header, its chunk index), and what closing a file may
// still write: the summary scalars (each a small dataset with attributes) and the file's own metadata.
constexpr double kFlushPerDataset = 1024;
constexpr double kCloseBytes = 32 * 1024 + 40 * 2048;

double chunk_rows(double row_bytes) {
  return std::clamp(std::floor(kMaxChunkBytes / std::max(row_bytes, 1.0)), 1.0, kMaxChunkRows);
}

std::size_t type_size(DType t) {
  return t == DType::UInt8 ? 1 : t == DType::Int32 || t == DType::Float32 ? 4 : 8;
}

}  // namespace

OutputGuard::OutputGuard(const RunFile& file, const Recorder& rec, const std::vector<VarSpec>& maps,
                         std::size_t map_cells, std::int64_t flush_every, std::size_t written)
    : path_(file.path() + ".part"),
      name_(file.path()),
      flush_every_(static_cast<std::size_t>(std::max<std::int64_t>(flush_every, 1))),
      written_(written),
      enabled_(room_checks_enabled()) {
  series_.push_back({8, kMaxChunkRows});  // the step axis
  for (std::size_t h = 0; h < rec.size(); ++h) {
    const double row = static_cast<double>(rec.width(h) * type_size(rec.spec(h).dtype));
    series_.push_back({row, chunk_rows(row)});
  }
  const double datasets = static_cast<double>(series_.size() + maps.size() + 1);
  flush_ = 4096 + kFlushPerDataset * datasets;
  close_ = kCloseBytes + kFlushPerDataset * datasets;
  if (!maps.empty()) {
    // Each map is one snapshot per chunk; the snapshot's period goes into a chunk of 1024 periods rewritten.
    snapshot_ =
        kDeflate * 8 * kMaxChunkRows + kPerChunk + kFlushPerDataset * static_cast<double>(maps.size() + 1);
    // The maps go to disk as they are written (RunFile gives them no chunk cache); the snapshot's period
    // waits in the cache for the next flush.
    cache_ = kDeflate * 8 * kMaxChunkRows;
    for (const VarSpec& m : maps)
      snapshot_ += kDeflate * static_cast<double>(map_cells * type_size(m.dtype)) + kPerChunk;
  }
}

double OutputGuard::rows_bound(std::size_t from, std::size_t rows) const {
  // The new rows, and the rows before them in the partly filled chunk they continue: that chunk is
  // compressed again and written afresh (rows not yet written are fill values, which take next to nothing).
  double bytes = 0;
  for (const Series& s : series_) {
    const double n = static_cast<double>(rows);
    const double before = std::fmod(static_cast<double>(from), s.chunk_rows);
    bytes += kDeflate * (before + n) * s.row_bytes + kPerChunk * (n / s.chunk_rows + 2);
  }
  return bytes;
}

bool OutputGuard::fits(std::size_t rows, bool snapshot) {
  if (!enabled_ || (rows == 0 && !snapshot)) return true;
  // Then there must still be room to close the file (the rows buffered meanwhile may be left out).
  const double need = pending_ + (snapshot ? snapshot_ : 0.0) +
                      (rows > 0 ? rows_bound(written_, rows) : 0.0) + 2 * flush_ + close_;
  if (!room_for(need)) return false;
  // What a snapshot leaves in HDF5's caches until the next flush.
  pending_ = rows > 0 ? 0.0 : std::min(pending_ + (snapshot ? snapshot_ : 0.0), cache_ + flush_);
  written_ += rows;
  return true;
}

std::size_t OutputGuard::final_rows(std::size_t written, std::size_t rows) {
  if (!enabled_ || rows <= written || written == 0) return rows;  // an empty file is no use: try
  return room_for(pending_ + rows_bound(written_, rows - written) + flush_ + close_) ? rows : written;
}

bool OutputGuard::room_for(double need) {
  const DiskRoom room = disk_room(path_);
  if (room.bytes >= need) return true;
  reason_ = room.reason() + ": " + format_bytes(room.bytes) + " left for " + name_ +
            ", and the next write with what closing the file needs may take up to " + format_bytes(need);
  return false;
}

void prepare_for_write_failures() {
  std::signal(SIGXFSZ, SIG_IGN);
  H5dont_atexit();
}

std::string stopped_message(const std::string& reason, const RunSpec& spec, const RunOutcome& out) {
  return reason + "; stopped after " + std::to_string(out.steps_completed) + " periods: " + spec.output +
         " is valid, holds periods 0-" + std::to_string(out.steps_completed) + " and is marked complete = 0";
}

std::string recover_run_file(RunFile& file, const RunSpec& spec, const Model& model, const Recorder& rec,
                             const std::string& error, RunOutcome& out) {
  namespace fs = std::filesystem;
  const std::string part = spec.output + ".part";
  std::error_code ec;
  if (!file.is_open()) {
    // close() flushed and closed the file; only the rename to the final name failed.
    if (fs::exists(part, ec))
      return error + "; the file is whole (complete = " + (out.complete ? "1" : "0") + ", " +
             std::to_string(out.steps_completed) + " periods) but keeps the name " + part;
    return error;
  }
  file.abandon();
  out.complete = false;
  out.summary.clear();
  const std::int64_t before = out.steps_completed;
  // HDF5 cannot be trusted to open what it left: start again from the rows in memory. The broken file is
  // emptied (which frees its space) but kept until the new one is whole, under another name: HDF5 may still
  // count the broken one as open (when abandon() could not close it) and would refuse a new file that got
  // its inode number.
  if (const int fd = ::open(part.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC); fd >= 0) ::close(fd);
  const std::string rebuilt = spec.output + ".rebuilt";
  try {
    RunFile again(rebuilt);
    for (const auto& [name, value] : spec.attrs) again.set_attr(name, value);
    again.set_attr("complete", std::int64_t{0});
    again.set_attr("steps_completed", std::int64_t{0});
    again.set_attr("history", spec.history + "; rebuilt from memory after a write failed (" + error +
                                  "): map snapshots and summaries left out");
    again.define_step_axis();
    for (const Coordinate& c : model.coordinates()) again.define_coordinate(c.name, c.values, c.long_name);
    for (std::size_t h = 0; h < rec.size(); ++h) again.define_series(rec.spec(h));
    again.flush();
    // The rows in batches, each as large as the room left allows by the guard's upper bound; compressed
    // they take much less, which the next batch then uses, until all are in or no room is left.
    const OutputGuard bounds(again, rec, {}, 0, 1, 0);
    const double closing = 16 * 1024.0 + 1024.0 * static_cast<double>(rec.size() + 4);
    std::size_t rows = 0;
    for (int round = 0; round < 64 && rows < rec.rows(); ++round) {
      const double room = disk_room(rebuilt + ".part").bytes - closing;
      std::size_t n = rec.rows() - rows;
      while (n > 0 && bounds.rows_bound(rows, n) > room) n = n > 64 ? n - n / 8 : n - 1;
      if (n == 0) break;
      again.append_steps(std::span(rec.steps()).subspan(rows, n));
      for (std::size_t h = 0; h < rec.size(); ++h) {
        const std::size_t w = rec.width(h);
        if (rec.spec(h).dtype == DType::Float64)
          again.append(rec.spec(h).name, rec.reals(h).subspan(rows * w, n * w));
        else
          again.append(rec.spec(h).name, rec.ints(h).subspan(rows * w, n * w));
      }
      again.flush();
      rows += n;
    }
    if (rows == 0) throw OutputError("no room left for a single period");
    out.steps_completed = rec.steps()[rows - 1];
    again.set_attr("steps_completed", out.steps_completed);
    again.close();
    fs::rename(rebuilt, spec.output);  // the final name, as for a run stopped by a signal
  } catch (const std::exception& e) {
    for (const std::string& p : {rebuilt + ".part", rebuilt, part}) remove_own_file(p);  // only ours
    out.steps_completed = 0;
    return error + " after " + std::to_string(before) + " periods; no valid file could be kept (" + e.what() +
           ")";
  }
  remove_own_file(part);
  return error + " after " + std::to_string(before) + " periods; " + spec.output +
         " was rebuilt from memory: it is valid, holds periods 0-" + std::to_string(out.steps_completed) +
         " of every series (no map snapshots) and is marked complete = 0";
}

}  // namespace keepsim

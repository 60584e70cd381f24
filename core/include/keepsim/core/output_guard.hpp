// The run driver's defence against a full disk (robustness issue, point 6). HDF5 leaves a file it cannot
// open again when a write fails part-way (a superblock that promises more bytes than the file has: "truncated
// file"), and then crashes at exit trying to close it. So:
//  1. before every write, OutputGuard compares the room left for the file (free space, RLIMIT_FSIZE) with an
//     upper bound of what the write may add plus what closing the file needs, and stops the run while the
//     file can still be closed cleanly: a valid file, marked complete = 0;
//  2. when a write fails anyway (another process filled the disk, a quota, an I/O error),
//     recover_run_file() closes the broken file without writing to it and rebuilds it from what is in
//     memory: every series row (the Recorder keeps them all), not the map snapshots (written as they come).
// Either way the run ends with a one-line reason, and keepsim exits with code 74 (EX_IOERR).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "keepsim/core/h5file.hpp"
#include "keepsim/core/model.hpp"
#include "keepsim/core/recorder.hpp"
#include "keepsim/core/run.hpp"

namespace keepsim {

class OutputGuard {
 public:
  /// For `file` with the series of `rec` (declared already) and `maps` of `map_cells` cells each, written
  /// every `flush_every` rows, `written` rows of which are in the file already.
  OutputGuard(const RunFile& file, const Recorder& rec, const std::vector<VarSpec>& maps,
              std::size_t map_cells, std::int64_t flush_every, std::size_t written);

  /// Before writing `rows` buffered rows (0: none this period; a flush follows them) and, if `snapshot`, a
  /// map snapshot: true when that fits and leaves room to write the last rows and close the file; false when
  /// the run must stop now (reason() says why). Always true with KEEPSIM_NO_ROOM_CHECK=1.
  bool fits(std::size_t rows, bool snapshot);
  /// "No space left on device: 1.2 MiB left for run.h5, the next write may need up to 1.9 MiB"
  const std::string& reason() const { return reason_; }
  /// At the end, before writing the rows buffered since the last flush (rows `written` to `rows` of the
  /// recorder): `rows` when they fit with room to close the file, else `written` (the file then ends at the
  /// last flush, and reason() says why).
  std::size_t final_rows(std::size_t written, std::size_t rows);

  /// The bytes `rows` rows of every series, after the first `from`, may add to the file (the chunks they
  /// touch are compressed again and written afresh).
  double rows_bound(std::size_t from, std::size_t rows) const;
  /// The bytes one map snapshot may add.
  double snapshot_bound() const { return snapshot_; }
  /// What closing the file may still write: the summaries and the metadata.
  double close_bound() const { return close_; }

 private:
  std::string path_;  ///< the .part file
  std::string name_;  ///< the output as the user named it
  struct Series {
    double row_bytes;   ///< uncompressed bytes of one row
    double chunk_rows;  ///< rows per chunk, as RunFile chooses them
  };
  std::vector<Series> series_;
  double snapshot_ = 0, flush_ = 0, close_ = 0;
  std::size_t flush_every_ = 256;
  std::size_t written_ = 0;  ///< rows in the file
  bool room_for(double need);
  double pending_ = 0;  ///< snapshot bytes HDF5 may still hold in its chunk cache (until the next flush)
  double cache_ = 0;    ///< at most this many: the maps' chunk caches
  bool enabled_ = true;
  std::string reason_;
};

/// After a write to `file` failed with `error`: closes it without writing to it again, then, unless the
/// failure was only the final rename (the file is whole and complete under `<output>.part`), rebuilds
/// `spec.output` from memory: the attributes, the coordinates and as many rows of every series as the room
/// left allows, marked complete = 0 (no maps, no summaries). Sets `out.steps_completed` to the last period in
/// the rebuilt file and returns the message for the user (the error, where the data is, or that none could be
/// kept). Never throws.
/// Called first thing by main(): ignores SIGXFSZ, so that past a file size limit (ulimit -f) a write fails
/// with "File too large", which the run handles, instead of the signal killing the process; and tells HDF5
/// not to close files at exit, where a file whose writes failed (and whose close failed too, see
/// RunFile::abandon) would crash it. Every file is closed explicitly, so its exit handler has nothing to do.
void prepare_for_write_failures();

/// The message for a run the guard stopped: `reason`, the periods done, and that the file is valid.
std::string stopped_message(const std::string& reason, const RunSpec& spec, const RunOutcome& out);

std::string recover_run_file(RunFile& file, const RunSpec& spec, const Model& model, const Recorder& rec,
                             const std::string& error, RunOutcome& out);

}  // namespace keepsim

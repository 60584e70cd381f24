// Writing checkpoints (checkpoint.hpp has the layout): with the HDF5 C API under `<path>.tmp`, then sealed
// with the length and checksum of the rest in the user block, synced and renamed over `<path>`.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "checkpoint_format.hpp"
#include "keepsim/core/build_info.hpp"
#include "keepsim/core/checkpoint.hpp"
#include "keepsim/core/errors.hpp"
#include "keepsim/core/h5util.hpp"
#include "keepsim/core/safe_files.hpp"

namespace keepsim {
namespace {

namespace fs = std::filesystem;
using namespace ckpt;
using h5util::Id;
using h5util::QuietErrors;

constexpr unsigned kDeflate = 1;          // fast: a checkpoint blocks the run while it is written
constexpr hsize_t kChunkBytes = 1 << 20;  // per chunk of a 1-D entry

class Writer {
 public:
  Writer(std::string path, std::string tmp) : path_(std::move(path)), tmp_(std::move(tmp)) {
    const std::string what = "cannot create '" + tmp_ + "'";
    const Id fcpl = hold(H5Pcreate(H5P_FILE_CREATE), H5Pclose, what);
    check(H5Pset_userblock(fcpl.get(), kUserBlock), what);
    check(H5Pset_attr_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), what);
    const Id fapl = hold(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, what);
    check(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), what);
    // Exclusively: never through a link planted at `<path>.tmp`, never over a file another process made.
    remove_stale(tmp_, "temporary checkpoint");
    file_ = hold(H5Fcreate(tmp_.c_str(), H5F_ACC_EXCL, fcpl.get(), fapl.get()), H5Fclose, what);
    utf8_ = hold(H5Tcopy(H5T_C_S1), H5Tclose, what);
    check(H5Tset_size(utf8_.get(), H5T_VARIABLE), what);
    check(H5Tset_cset(utf8_.get(), H5T_CSET_UTF8), what);
  }

  [[noreturn]] void fail(const std::string& what) const {
    const std::string d = h5util::detail();
    throw OutputError("cannot write checkpoint '" + path_ + "': " + what + (d.empty() ? "" : ": " + d));
  }
  void check(herr_t status, const std::string& what) const {
    if (status < 0) fail(what);
  }
  Id hold(hid_t id, Id::Closer closer, const std::string& what) const {
    if (id < 0) fail(what);
    return Id(id, closer);
  }

  hid_t root() const { return file_.get(); }

  Id group(const std::string& name, bool ordered_attrs) {
    const std::string what = "cannot create group '" + name + "'";
    const Id gcpl = hold(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, what);
    if (ordered_attrs)
      check(H5Pset_attr_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), what);
    return hold(H5Gcreate2(file_.get(), name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), H5Gclose, what);
  }

  void attr(hid_t obj, const std::string& name, const AttrValue& value) {
    const std::string what = "cannot write attribute '" + name + "'";
    if (const auto* v = std::get_if<std::vector<std::int64_t>>(&value)) {
      if (v->empty()) throw std::logic_error("checkpoint: attribute '" + name + "' is an empty vector");
      const hsize_t n = v->size();
      const Id space = hold(H5Screate_simple(1, &n, nullptr), H5Sclose, what);
      const Id a = hold(H5Acreate2(obj, name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                        H5Aclose, what);
      check(H5Awrite(a.get(), H5T_NATIVE_INT64, v->data()), what);
      return;
    }
    const Id space = hold(H5Screate(H5S_SCALAR), H5Sclose, what);
    hid_t ftype = H5T_STD_I64LE, mtype = H5T_NATIVE_INT64;
    const void* buf = nullptr;
    const char* text = nullptr;
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
      buf = i;
    } else if (const auto* d = std::get_if<double>(&value)) {
      ftype = H5T_IEEE_F64LE;
      mtype = H5T_NATIVE_DOUBLE;
      buf = d;
    } else {
      text = std::get<std::string>(value).c_str();
      ftype = mtype = utf8_.get();
      buf = &text;
    }
    const Id a =
        hold(H5Acreate2(obj, name.c_str(), ftype, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose, what);
    check(H5Awrite(a.get(), mtype, buf), what);
  }

  /// A dataset of `shape` (1-D or 2-D), chunked by `chunk_rows` rows and compressed when not empty.
  Id dataset(hid_t loc, const std::string& name, ElemType t, std::vector<hsize_t> shape, hsize_t chunk_rows) {
    const std::string what = "cannot create dataset '" + name + "'";
    const Id space =
        hold(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr), H5Sclose, what);
    const Id dcpl = hold(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
    hsize_t total = 1;
    for (const hsize_t s : shape) total *= s;
    if (total > 0) {
      std::vector<hsize_t> chunk = shape;
      chunk[0] = std::clamp<hsize_t>(chunk_rows, 1, shape[0]);
      check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), what);
      check(H5Pset_shuffle(dcpl.get()), what);
      check(H5Pset_deflate(dcpl.get(), kDeflate), what);
    }
    return hold(
        H5Dcreate2(loc, name.c_str(), file_type(t), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
        H5Dclose, what);
  }

  void array(hid_t loc, const std::string& name, ElemType t, const void* data, hsize_t n) {
    const Id ds = dataset(loc, name, t, {n}, kChunkBytes / elem_size(t));
    if (n > 0)
      check(H5Dwrite(ds.get(), native_type(t), H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
            "cannot write '" + name + "'");
  }

  /// Writes row `row` (of `width` values) of a 2-D dataset.
  void row(hid_t ds, hsize_t row, hsize_t width, ElemType t, const void* data, const std::string& name) {
    const std::string what = "cannot write '" + name + "'";
    const Id fspace = hold(H5Dget_space(ds), H5Sclose, what);
    const hsize_t offset[2] = {row, 0}, count[2] = {1, width};
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, offset, nullptr, count, nullptr), what);
    const Id mspace = hold(H5Screate_simple(1, &width, nullptr), H5Sclose, what);
    check(H5Dwrite(ds, native_type(t), mspace.get(), fspace.get(), H5P_DEFAULT, data), what);
  }

  void close() {
    utf8_.reset();
    if (file_.reset() < 0) fail("cannot close '" + tmp_ + "'");
  }

 private:
  std::string path_, tmp_;
  Id file_, utf8_;
};

/// Map snapshots of `maps`, read back one at a time, into /maps.
template <class T>
void copy_map(Writer& w, hid_t ds, const RunFile& maps, const VarSpec& spec, std::size_t snapshots,
              std::size_t cells) {
  std::vector<T> buf(cells);
  for (std::size_t i = 0; i < snapshots; ++i) {
    maps.read_map(spec.name, i, std::span<T>(buf));
    w.row(ds, i, cells, map_elem(spec.dtype), buf.data(), spec.name);
  }
}

/// Puts the user block (magic, format, length and checksum of the rest) into the closed file `tmp`, syncs it.
void seal(const std::string& path, const std::string& tmp) {
  const auto fail = [&](const std::string& what) {
    throw OutputError("cannot write checkpoint '" + path + "': " + what + ": " + errno_text());
  };
  const int fd = open(tmp.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) fail("cannot reopen '" + tmp + "'");
  struct stat st {};
  std::uint64_t hash = 0;
  if (fstat(fd, &st) != 0 || !checksum_fd(fd, static_cast<off_t>(kUserBlock), hash)) {
    close(fd);
    fail("cannot read back '" + tmp + "'");
  }
  char block[kUserBlock] = {};
  std::snprintf(block, sizeof block, "%sformat %" PRId64 "\nbytes %" PRIu64 "\nfnv1a64 %016" PRIx64 "\n",
                kMagic, kCheckpointFormat, static_cast<std::uint64_t>(st.st_size) - kUserBlock, hash);
  if (pwrite(fd, block, sizeof block, 0) != static_cast<ssize_t>(sizeof block) || fsync(fd) != 0) {
    close(fd);
    fail("cannot seal '" + tmp + "'");
  }
  if (close(fd) != 0) fail("cannot close '" + tmp + "'");
}

/// Syncs the directory holding `path`, so that a rename into it survives a crash.
void sync_dir(const std::string& path) {
  const fs::path dir = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : fs::path(".");
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the rename itself is atomic either way
  (void)fsync(fd);
  close(fd);
}

std::string now_iso() {
  char created[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return created;
}
}  // namespace

void write_checkpoint(const std::string& path, const CheckpointHeader& header, const Model& model,
                      const Recorder& rec, const RunFile* maps) {
  const QuietErrors quiet;
  StateWriter state;
  model.save_state(state);
  const std::string tmp = path + ".tmp";
  bool created = false;  // only a temporary file this call created is removed on failure
  try {
    Writer w(path, tmp);
    created = true;
    const hid_t root = w.root();
    w.attr(root, "format", std::string("keepsim checkpoint"));
    w.attr(root, "format_version", kCheckpointFormat);
    w.attr(root, "source", current_source());
    w.attr(root, "git_commit", std::string(git_commit()));
    w.attr(root, "created", now_iso());
    w.attr(root, "period", header.period);
    w.attr(root, "steps", header.steps);
    w.attr(root, "checkpoint_every", header.checkpoint_every);
    w.attr(root, "flush_every", header.flush_every);
    // The output by its name alone when it sits next to the checkpoint (the default), so that a run directory
    // can be moved as a whole and resumed from anywhere; otherwise by its absolute path.
    const fs::path output = fs::absolute(header.output).lexically_normal();
    const bool beside = output.parent_path() == fs::absolute(path).lexically_normal().parent_path();
    w.attr(root, "output", beside ? output.filename().string() : output.string());
    w.attr(root, "history", header.history);
    {
      const Id g = w.group("run_attrs", true);
      for (const auto& [name, value] : header.attrs) w.attr(g.get(), name, value);
    }
    {
      const Id g = w.group("state", false);
      for (const auto& [name, e] : state.entries()) w.array(g.get(), name, e.type, e.bytes.data(), e.count);
    }
    w.array(root, "step", ElemType::I64, rec.steps().data(), rec.steps().size());
    {
      const Id g = w.group("series", false);
      for (std::size_t h = 0; h < rec.size(); ++h) {
        const VarSpec& spec = rec.spec(h);
        if (spec.dtype == DType::Float64)
          w.array(g.get(), spec.name, ElemType::F64, rec.reals(h).data(), rec.reals(h).size());
        else
          w.array(g.get(), spec.name, ElemType::I64, rec.ints(h).data(), rec.ints(h).size());
      }
    }
    if (maps != nullptr) {
      const Id g = w.group("maps", false);
      const std::vector<std::int64_t> steps = maps->snapshot_steps();
      w.array(g.get(), "snapshot_step", ElemType::I64, steps.data(), steps.size());
      const auto cells =
          static_cast<std::size_t>(model.map_height()) * static_cast<std::size_t>(model.map_width());
      for (const VarSpec& spec : model.map_specs()) {
        const Id ds = w.dataset(g.get(), spec.name, map_elem(spec.dtype), {steps.size(), cells}, 1);
        switch (spec.dtype) {
          case DType::UInt8:
            copy_map<std::uint8_t>(w, ds.get(), *maps, spec, steps.size(), cells);
            break;
          case DType::Int32:
            copy_map<std::int32_t>(w, ds.get(), *maps, spec, steps.size(), cells);
            break;
          case DType::Float32:
            copy_map<float>(w, ds.get(), *maps, spec, steps.size(), cells);
            break;
          default:
            throw std::logic_error("checkpoint: map '" + spec.name + "' has an unsupported dtype");
        }
      }
    }
    w.close();
    seal(path, tmp);
  } catch (...) {
    std::error_code ec;
    if (created) fs::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  try {  // a checkpoint name taken by a link, a device or a folder since the run began is not replaced
    refuse_non_regular(path, "checkpoint");
  } catch (const OutputError& e) {
    fs::remove(tmp, ec);
    throw OutputError(std::string("cannot write checkpoint: ") + e.what());
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw OutputError("cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
  }
  sync_dir(path);
}

}  // namespace keepsim

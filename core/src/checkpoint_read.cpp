// Reading checkpoints (checkpoint.hpp has the layout): the user block's length and checksum are checked
// before HDF5 opens the file, then the header, the run's attributes, the model state and the rows are read;
// the map snapshots are copied into the new run file when the run driver asks.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "checkpoint_format.hpp"
#include "keepsim/core/build_info.hpp"
#include "keepsim/core/checkpoint.hpp"
#include "keepsim/core/h5util.hpp"

namespace keepsim {

namespace fs = std::filesystem;
using namespace ckpt;
using h5util::Id;
using h5util::QuietErrors;

struct Checkpoint::Impl {
  std::string path;
  Id file;
  CheckpointHeader header;
  std::optional<StateReader> state;
  std::vector<std::int64_t> steps;
  struct Saved {
    bool real = false;
    std::vector<std::int64_t> ints;
    std::vector<double> reals;
  };
  std::map<std::string, Saved> series;

  [[noreturn]] void fail(const std::string& message) const { throw CheckpointError(path + ": " + message); }
  /// An HDF5 failure reading a file whose checksum matched: not written by keepsim, or a bug.
  [[noreturn]] void fail_h5(const std::string& what) const {
    const std::string d = h5util::detail();
    fail(what + (d.empty() ? "" : ": " + d));
  }
  Id hold(hid_t id, Id::Closer closer, const std::string& what) const {
    if (id < 0) fail_h5(what);
    return Id(id, closer);
  }
  void check(herr_t status, const std::string& what) const {
    if (status < 0) fail_h5(what);
  }

  /// Checks the user block: magic, format, length and checksum.
  void verify() const {
    std::error_code ec;
    if (!fs::exists(path, ec)) fail("no such checkpoint");
    if (fs::is_directory(path, ec)) fail("is a directory, not a checkpoint");
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open: " + errno_text());
    struct Closer {
      int fd;
      ~Closer() { close(fd); }
    } closer{fd};
    char block[kUserBlock + 1] = {};
    const ssize_t got = pread(fd, block, kUserBlock, 0);
    if (got < 0) fail("cannot read: " + errno_text());
    const std::size_t magic = sizeof kMagic - 1;
    if (static_cast<std::size_t>(got) < magic || std::memcmp(block, kMagic, magic) != 0)
      fail("not a keepsim checkpoint");
    if (static_cast<std::size_t>(got) < kUserBlock) fail("truncated: its header is incomplete");
    long long format = 0;
    unsigned long long bytes = 0, hash = 0;
    if (std::sscanf(block + magic, "format %lld\nbytes %llu\nfnv1a64 %llx", &format, &bytes, &hash) != 3)
      fail("corrupt: its header cannot be read");
    if (format != kCheckpointFormat)
      fail("checkpoint format " + std::to_string(format) + ", but this keepsim (" + current_source() +
           ") reads format " + std::to_string(kCheckpointFormat) +
           "; resume it with the keepsim that wrote it");
    struct stat st {};
    if (fstat(fd, &st) != 0) fail("cannot read: " + errno_text());
    const auto have = static_cast<unsigned long long>(st.st_size) - kUserBlock;
    if (have < bytes)
      fail("truncated: " + std::to_string(have + kUserBlock) + " bytes of " +
           std::to_string(bytes + kUserBlock));
    if (have > bytes) fail("corrupt: " + std::to_string(have - bytes) + " unexpected bytes at its end");
    std::uint64_t actual = 0;
    if (!checksum_fd(fd, static_cast<off_t>(kUserBlock), actual)) fail("cannot read: " + errno_text());
    if (actual != hash)
      fail("corrupt: checksum mismatch (the file was changed or damaged after it was written)");
  }

  Id open_attr(hid_t obj, const std::string& name) const {
    const htri_t exists = H5Aexists(obj, name.c_str());
    if (exists <= 0) fail("missing attribute '" + name + "'");
    return hold(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "cannot read attribute '" + name + "'");
  }

  AttrValue read_attr(hid_t a, const std::string& name) const {
    const std::string what = "cannot read attribute '" + name + "'";
    const Id type = hold(H5Aget_type(a), H5Tclose, what);
    const Id space = hold(H5Aget_space(a), H5Sclose, what);
    const int ndims = H5Sget_simple_extent_ndims(space.get());
    switch (H5Tget_class(type.get())) {
      case H5T_INTEGER: {
        if (ndims == 0) {
          std::int64_t v = 0;
          check(H5Aread(a, H5T_NATIVE_INT64, &v), what);
          return v;
        }
        const hssize_t n = H5Sget_simple_extent_npoints(space.get());
        if (ndims != 1 || n < 0) fail(what + ": not a scalar or vector");
        std::vector<std::int64_t> v(static_cast<std::size_t>(n));
        check(H5Aread(a, H5T_NATIVE_INT64, v.data()), what);
        return v;
      }
      case H5T_FLOAT: {
        double v = 0;
        if (ndims != 0) fail(what + ": not a scalar");
        check(H5Aread(a, H5T_NATIVE_DOUBLE, &v), what);
        return v;
      }
      case H5T_STRING: {
        if (ndims != 0 || H5Tis_variable_str(type.get()) <= 0) fail(what + ": not a text attribute");
        const Id mtype = hold(H5Tcopy(H5T_C_S1), H5Tclose, what);
        check(H5Tset_size(mtype.get(), H5T_VARIABLE), what);
        check(H5Tset_cset(mtype.get(), H5T_CSET_UTF8), what);
        char* text = nullptr;
        check(H5Aread(a, mtype.get(), &text), what);
        std::string out = text != nullptr ? text : "";
        H5free_memory(text);
        return out;
      }
      default:
        fail(what + ": unsupported type");
    }
  }

  std::int64_t attr_int(hid_t obj, const std::string& name) const {
    const AttrValue v = read_attr(open_attr(obj, name).get(), name);
    if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
    fail("attribute '" + name + "' is not an integer");
  }
  std::string attr_string(hid_t obj, const std::string& name) const {
    const AttrValue v = read_attr(open_attr(obj, name).get(), name);
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    fail("attribute '" + name + "' is not text");
  }

  /// Entry `name` of group `loc` as a StateEntry (its element type from the stored type).
  StateEntry read_entry(hid_t loc, const std::string& name) const {
    const std::string what = "cannot read '" + name + "'";
    const Id ds = hold(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose, what);
    const Id type = hold(H5Dget_type(ds.get()), H5Tclose, what);
    const Id space = hold(H5Dget_space(ds.get()), H5Sclose, what);
    if (H5Sget_simple_extent_ndims(space.get()) != 1) fail(what + ": not 1-D");
    const std::size_t size = H5Tget_size(type.get());
    StateEntry e;
    switch (H5Tget_class(type.get())) {
      case H5T_INTEGER: {
        const bool sign = H5Tget_sign(type.get()) == H5T_SGN_2;
        if (size == 1)
          e.type = sign ? ElemType::I8 : ElemType::U8;
        else if (size == 2)
          e.type = sign ? ElemType::I16 : ElemType::U16;
        else if (size == 4)
          e.type = sign ? ElemType::I32 : ElemType::U32;
        else if (size == 8)
          e.type = sign ? ElemType::I64 : ElemType::U64;
        else
          fail(what + ": unsupported integer size");
        break;
      }
      case H5T_FLOAT:
        if (size == 4)
          e.type = ElemType::F32;
        else if (size == 8)
          e.type = ElemType::F64;
        else
          fail(what + ": unsupported float size");
        break;
      default:
        fail(what + ": unsupported type");
    }
    e.count = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
    e.bytes.resize(e.count * elem_size(e.type));
    if (e.count > 0)
      check(H5Dread(ds.get(), native_type(e.type), H5S_ALL, H5S_ALL, H5P_DEFAULT, e.bytes.data()), what);
    return e;
  }

  /// Names of the links in group `loc`, in name order.
  std::vector<std::string> names(hid_t loc) const {
    std::vector<std::string> out;
    hsize_t idx = 0;
    check(H5Literate(
              loc, H5_INDEX_NAME, H5_ITER_INC, &idx,
              [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
                static_cast<std::vector<std::string>*>(data)->emplace_back(name);
                return 0;
              },
              &out),
          "cannot list a group");
    return out;
  }

  template <class T>
  std::vector<T> read_typed(hid_t loc, const std::string& name, ElemType want) const {
    const StateEntry e = read_entry(loc, name);
    if (e.type != want) fail("'" + name + "' holds " + elem_name(e.type) + ", not " + elem_name(want));
    std::vector<T> out(e.count);
    if (e.count > 0) std::memcpy(out.data(), e.bytes.data(), e.bytes.size());
    return out;
  }

  void load() {
    const std::string what = "cannot open it as HDF5";
    // Read-only and without HDF5's file lock: a checkpoint is never written in place (it is renamed into
    // place whole), and some cluster file systems refuse locks.
    const Id fapl = hold(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, what);
    check(H5Pset_file_locking(fapl.get(), false, true), what);
    file = hold(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose, what);
    const hid_t root = file.get();
    if (attr_string(root, "format") != "keepsim checkpoint") fail("not a keepsim checkpoint");
    const std::string source = attr_string(root, "source");
    const std::string commit = attr_string(root, "git_commit");
    if (source != current_source() || commit != git_commit())
      fail("written by " + source + " (commit " + commit + "), but this is " + current_source() +
           " (commit " + git_commit() +
           "); a run resumed by another version would not repeat the uninterrupted run, so " +
           "resume it with the keepsim that wrote it");
    header.period = attr_int(root, "period");
    header.steps = attr_int(root, "steps");
    header.checkpoint_every = attr_int(root, "checkpoint_every");
    header.flush_every = attr_int(root, "flush_every");
    header.history = attr_string(root, "history");
    const fs::path out = attr_string(root, "output");
    header.output =
        out.is_absolute() ? out.string() : (fs::path(path).parent_path() / out).lexically_normal().string();
    if (header.period < 0 || header.steps < header.period || header.flush_every < 1 ||
        header.checkpoint_every < 0)
      fail("inconsistent header (period " + std::to_string(header.period) + ", steps " +
           std::to_string(header.steps) + ")");
    {
      const Id g = hold(H5Gopen2(root, "run_attrs", H5P_DEFAULT), H5Gclose, "no group 'run_attrs'");
      std::vector<std::string> order;
      hsize_t idx = 0;
      check(H5Aiterate2(
                g.get(), H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx,
                [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
                  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
                  return 0;
                },
                &order),
            "cannot list 'run_attrs'");
      for (const std::string& name : order)
        header.attrs.emplace_back(name, read_attr(open_attr(g.get(), name).get(), name));
    }
    {
      const Id g = hold(H5Gopen2(root, "state", H5P_DEFAULT), H5Gclose, "no group 'state'");
      StateEntries entries;
      for (const std::string& name : names(g.get())) entries.emplace(name, read_entry(g.get(), name));
      state.emplace(std::move(entries), path);
    }
    steps = read_typed<std::int64_t>(root, "step", ElemType::I64);
    {
      const Id g = hold(H5Gopen2(root, "series", H5P_DEFAULT), H5Gclose, "no group 'series'");
      for (const std::string& name : names(g.get())) {
        const StateEntry e = read_entry(g.get(), name);
        Saved s;
        s.real = e.type == ElemType::F64;
        if (!s.real && e.type != ElemType::I64) fail("series '" + name + "' is neither int64 nor float64");
        if (s.real) {
          s.reals.resize(e.count);
          if (e.count > 0) std::memcpy(s.reals.data(), e.bytes.data(), e.bytes.size());
        } else {
          s.ints.resize(e.count);
          if (e.count > 0) std::memcpy(s.ints.data(), e.bytes.data(), e.bytes.size());
        }
        series.emplace(name, std::move(s));
      }
    }
  }

  template <class T>
  void copy_maps(RunFile& out, const VarSpec& spec, hid_t ds, std::size_t snapshot, std::size_t cells) const {
    const std::string what = "cannot read map '" + spec.name + "'";
    std::vector<T> buf(cells);
    const Id fspace = hold(H5Dget_space(ds), H5Sclose, what);
    const hsize_t offset[2] = {snapshot, 0}, count[2] = {1, cells};
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, offset, nullptr, count, nullptr), what);
    const hsize_t n = cells;
    const Id mspace = hold(H5Screate_simple(1, &n, nullptr), H5Sclose, what);
    check(H5Dread(ds, native_type(map_elem(spec.dtype)), mspace.get(), fspace.get(), H5P_DEFAULT, buf.data()),
          what);
    out.write_map(spec.name, std::span<const T>(buf));
  }
};

Checkpoint::Checkpoint(const std::string& path) : impl_(std::make_unique<Impl>()) {
  const QuietErrors quiet;
  impl_->path = path;
  impl_->verify();
  impl_->load();
}

Checkpoint::~Checkpoint() {
  const QuietErrors quiet;
  impl_.reset();
}

const std::string& Checkpoint::path() const {
  return impl_->path;
}

const CheckpointHeader& Checkpoint::header() const {
  return impl_->header;
}

const StateReader& Checkpoint::state() const {
  if (!impl_->state) throw std::logic_error("Checkpoint::state: used after drop_state()");
  return *impl_->state;
}

void Checkpoint::drop_state() {
  impl_->state.reset();
}

std::string Checkpoint::run_attr(const std::string& name) const {
  for (const auto& [key, value] : impl_->header.attrs)
    if (key == name) {
      if (const auto* s = std::get_if<std::string>(&value)) return *s;
      impl_->fail("run attribute '" + name + "' is not text");
    }
  impl_->fail("has no run attribute '" + name + "'");
}

void Checkpoint::restore_rows(Recorder& rec) const {
  const Impl& m = *impl_;
  if (rec.rows() != 0) throw std::logic_error("Checkpoint::restore_rows: the recorder already has rows");
  const std::size_t rows = m.steps.size();
  if (rows != static_cast<std::size_t>(m.header.period) + 1)
    m.fail("holds " + std::to_string(rows) + " rows for period " + std::to_string(m.header.period));
  std::set<std::string> declared;
  std::vector<const Impl::Saved*> saved(rec.size());
  for (std::size_t h = 0; h < rec.size(); ++h) {
    const VarSpec& spec = rec.spec(h);
    declared.insert(spec.name);
    const auto it = m.series.find(spec.name);
    if (it == m.series.end()) m.fail("has no series '" + spec.name + "', which this model records");
    const bool real = spec.dtype == DType::Float64;
    const std::size_t have = real ? it->second.reals.size() : it->second.ints.size();
    if (it->second.real != real || have != rows * rec.width(h))
      m.fail("series '" + spec.name + "' has another type or length than this model records");
    saved[h] = &it->second;
  }
  for (const auto& [name, s] : m.series)
    if (declared.count(name) == 0) m.fail("has a series '" + name + "' that this model does not record");
  for (std::size_t r = 0; r < rows; ++r) {
    rec.begin_step(m.steps[r]);
    for (std::size_t h = 0; h < rec.size(); ++h) {
      const std::size_t w = rec.width(h);
      if (saved[h]->real)
        rec.put(h, std::span<const double>(saved[h]->reals).subspan(r * w, w));
      else
        rec.put(h, std::span<const std::int64_t>(saved[h]->ints).subspan(r * w, w));
    }
  }
}

void Checkpoint::restore_maps(RunFile& file, const std::vector<VarSpec>& specs, std::size_t cells) const {
  const QuietErrors quiet;
  const Impl& m = *impl_;
  const hid_t root = m.file.get();
  const htri_t has = H5Lexists(root, "maps", H5P_DEFAULT);
  if (specs.empty()) {
    if (has > 0) m.fail("has map snapshots, but this run writes no maps");
    return;
  }
  if (has <= 0) m.fail("has no map snapshots, but this run writes maps");
  const Id g = m.hold(H5Gopen2(root, "maps", H5P_DEFAULT), H5Gclose, "cannot open group 'maps'");
  const auto steps = m.read_typed<std::int64_t>(g.get(), "snapshot_step", ElemType::I64);
  std::vector<Id> sets;
  for (const VarSpec& spec : specs) {
    const std::string what = "cannot read map '" + spec.name + "'";
    if (H5Lexists(g.get(), spec.name.c_str(), H5P_DEFAULT) <= 0) m.fail("has no map '" + spec.name + "'");
    Id ds = m.hold(H5Dopen2(g.get(), spec.name.c_str(), H5P_DEFAULT), H5Dclose, what);
    const Id space = m.hold(H5Dget_space(ds.get()), H5Sclose, what);
    hsize_t shape[2] = {0, 0};
    if (H5Sget_simple_extent_ndims(space.get()) != 2 ||
        H5Sget_simple_extent_dims(space.get(), shape, nullptr) < 0 || shape[0] != steps.size() ||
        shape[1] != cells)
      m.fail("map '" + spec.name + "' has another shape than this run's maps");
    const Id type = m.hold(H5Dget_type(ds.get()), H5Tclose, what);
    if (H5Tequal(type.get(), file_type(map_elem(spec.dtype))) <= 0)
      m.fail("map '" + spec.name + "' has another type than this run's maps");
    sets.push_back(std::move(ds));
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    file.append_snapshot(steps[i]);
    for (std::size_t k = 0; k < specs.size(); ++k) {
      switch (specs[k].dtype) {
        case DType::UInt8:
          m.copy_maps<std::uint8_t>(file, specs[k], sets[k].get(), i, cells);
          break;
        case DType::Int32:
          m.copy_maps<std::int32_t>(file, specs[k], sets[k].get(), i, cells);
          break;
        case DType::Float32:
          m.copy_maps<float>(file, specs[k], sets[k].get(), i, cells);
          break;
        default:
          throw std::logic_error("checkpoint: map '" + specs[k].name + "' has an unsupported dtype");
      }
    }
  }
}

}  // namespace keepsim

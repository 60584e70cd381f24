// A model's state as named, typed arrays: what Model::save_state writes and Model::load_state reads back, so
// that a checkpoint can carry everything that affects future periods while model code never sees the file
// format (docs/design.md: a line of model code should never need to know about HDF5). core/src/checkpoint.cpp
// stores each entry as one dataset of a checkpoint file.
#pragma once
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace keepsim {

/// A checkpoint that cannot be used: missing, truncated, corrupt, from another keepsim version or model, or
/// inconsistent with the model. The command line turns it into one message naming the file and exit code 2.
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The element types an entry may hold.
enum class ElemType : std::uint8_t { I8, U8, I16, U16, I32, U32, I64, U64, F32, F64 };

namespace detail {
template <class T>
struct StoredAs {
  using type = T;
};
template <class T>
requires std::is_enum_v<T>
struct StoredAs<T> {
  using type = std::underlying_type_t<T>;
};

template <class T>
constexpr ElemType elem_type() {
  using U = typename StoredAs<T>::type;
  static_assert(std::is_arithmetic_v<U> && !std::is_same_v<U, bool>, "state entries hold numbers or enums");
  if constexpr (std::is_floating_point_v<U>) {
    static_assert(sizeof(U) == 4 || sizeof(U) == 8);
    return sizeof(U) == 4 ? ElemType::F32 : ElemType::F64;
  } else {
    constexpr bool s = std::is_signed_v<U>;
    if constexpr (sizeof(U) == 1) return s ? ElemType::I8 : ElemType::U8;
    if constexpr (sizeof(U) == 2) return s ? ElemType::I16 : ElemType::U16;
    if constexpr (sizeof(U) == 4) return s ? ElemType::I32 : ElemType::U32;
    if constexpr (sizeof(U) == 8) return s ? ElemType::I64 : ElemType::U64;
  }
}
}  // namespace detail

std::size_t elem_size(ElemType t);
const char* elem_name(ElemType t);

/// One entry: `count` elements of `type`, in native byte order.
struct StateEntry {
  ElemType type = ElemType::U8;
  std::size_t count = 0;
  std::vector<unsigned char> bytes;
};

/// Named entries, in name order. Names are plain (no '/'); models use dotted names such as "agents.cell".
using StateEntries = std::map<std::string, StateEntry>;

class StateWriter {
 public:
  /// An array of numbers or enums (enums are stored as their underlying type).
  template <class T>
  void put(const std::string& name, std::span<const T> values) {
    StateEntry e;
    e.type = detail::elem_type<T>();
    e.count = values.size();
    e.bytes.resize(values.size_bytes());
    if (!values.empty()) std::memcpy(e.bytes.data(), values.data(), values.size_bytes());
    add(name, std::move(e));
  }
  template <class T>
  void put(const std::string& name, const std::vector<T>& values) {
    put(name, std::span<const T>(values));
  }
  /// One number or enum (an array of one).
  template <class T>
  requires(std::is_arithmetic_v<T> || std::is_enum_v<T>) void put(const std::string& name, T value) {
    put(name, std::span<const T>(&value, 1));
  }
  /// Text, stored as bytes.
  void put_string(const std::string& name, const std::string& text) {
    put(name, std::span<const char>(text.data(), text.size()));
  }

  const StateEntries& entries() const { return entries_; }

 private:
  void add(const std::string& name, StateEntry e);
  StateEntries entries_;
};

class StateReader {
 public:
  /// `where` names the checkpoint in errors.
  StateReader(StateEntries entries, std::string where)
      : entries_(std::move(entries)), where_(std::move(where)) {}

  bool has(const std::string& name) const { return entries_.count(name) != 0; }

  /// The array `name`; throws CheckpointError when it is missing or of another type.
  template <class T>
  std::vector<T> get(const std::string& name) const {
    const StateEntry& e = find(name, detail::elem_type<T>());
    std::vector<T> out(e.count);
    if (e.count > 0) std::memcpy(out.data(), e.bytes.data(), e.bytes.size());
    return out;
  }
  /// Like get, and also checks the length.
  template <class T>
  std::vector<T> get(const std::string& name, std::size_t expected) const {
    std::vector<T> out = get<T>(name);
    if (out.size() != expected) bad_length(name, out.size(), expected);
    return out;
  }
  /// Fills `out` (of its current length) from `name`.
  template <class T>
  void get_into(const std::string& name, std::span<T> out) const {
    const StateEntry& e = find(name, detail::elem_type<T>());
    if (e.count != out.size()) bad_length(name, e.count, out.size());
    if (e.count > 0) std::memcpy(out.data(), e.bytes.data(), e.bytes.size());
  }
  /// One number or enum.
  template <class T>
  requires(std::is_arithmetic_v<T> || std::is_enum_v<T>) T value(const std::string& name)
  const {
    T out{};
    get_into(name, std::span<T>(&out, 1));
    return out;
  }
  std::string string(const std::string& name) const {
    const std::vector<char> v = get<char>(name);
    return std::string(v.begin(), v.end());
  }

  const StateEntries& entries() const { return entries_; }
  const std::string& where() const { return where_; }
  /// Throws CheckpointError naming the checkpoint: "<where>: <message>".
  [[noreturn]] void fail(const std::string& message) const;

 private:
  const StateEntry& find(const std::string& name, ElemType type) const;
  [[noreturn]] void bad_length(const std::string& name, std::size_t have, std::size_t want) const;
  StateEntries entries_;
  std::string where_;
};

}  // namespace keepsim

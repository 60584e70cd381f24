// One parameter schema (docs/design.md, "One parameter schema"): every parameter is declared once with its
// type, default, unit, allowed range and doc. The same declaration drives TOML parsing and validation,
// `--set` overrides, `keepsim describe` and the config text stored in every run file.
#pragma once
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace keepsim {

using Value = std::variant<bool, std::int64_t, double, std::string>;

enum class ParamType { Bool, Int, Real, Choice, String };

struct ParamSpec {
  std::string key;  ///< dotted TOML key, e.g. "citizens.vision"
  ParamType type = ParamType::Real;
  Value default_value;
  std::string unit;  ///< CF-style unit: "1" for dimensionless, "cells", "periods", ...
  double min = -std::numeric_limits<double>::infinity();  ///< inclusive, Int and Real only
  double max = std::numeric_limits<double>::infinity();   ///< inclusive, Int and Real only
  std::vector<std::string> choices;                       ///< allowed values of a Choice
  std::string doc;                                        ///< one line
  bool path = false;  ///< a file path: a relative one in a config file is relative to that file's folder
};

/// Short constructors for declarations, so a model's parameter list reads as a table.
ParamSpec real_param(std::string key, double def, std::string unit, double lo, double hi, std::string doc);
ParamSpec int_param(std::string key, std::int64_t def, std::string unit, double lo, double hi,
                    std::string doc);
ParamSpec bool_param(std::string key, bool def, std::string doc);
/// A choice whose default is the first of `choices`.
ParamSpec choice_param(std::string key, std::vector<std::string> choices, std::string doc);
ParamSpec string_param(std::string key, std::string def, std::string doc);
/// A string naming a file; written in a config file, a relative path is taken from that file's folder (on the
/// command line, from the working directory).
ParamSpec path_param(std::string key, std::string def, std::string doc);

std::string_view type_name(ParamType t);
/// "[0, 1]", "one of: a, b", "true or false", ...
std::string allowed_text(const ParamSpec& spec);
/// A value as TOML source text ("0.7", "\"async\"", "inf", "true").
std::string to_toml_text(const Value& v);
/// The offset of the first byte of `text` that does not belong to well-formed UTF-8 (no overlong forms, no
/// surrogates, nothing above U+10FFFF), or std::string_view::npos when all of it is well-formed.
std::size_t invalid_utf8_at(std::string_view text);
/// `text` with every byte that is not well-formed UTF-8 written as \xNN, for messages.
std::string escape_invalid_utf8(std::string_view text);
/// The line (1-based) of the first dotted key or table header in TOML `text` with more than `max_dots` dots,
/// or 0 when there is none. toml++ recurses once per level of table nesting and overflows the stack on a key
/// nested some 30000 deep, so callers refuse such text before they parse it.
std::size_t toml_key_too_deep(std::string_view text, std::size_t max_dots = 64);

class Schema {
 public:
  /// Declares a parameter. Throws std::logic_error on a duplicate key or a default outside its own range
  /// (programming errors, not user errors).
  void add(ParamSpec spec);
  const ParamSpec* find(std::string_view key) const;
  const std::vector<ParamSpec>& all() const { return specs_; }
  /// The declared key closest to `key` by edit distance (for "did you mean"), or empty if none is close.
  std::string closest(std::string_view key) const;

 private:
  std::vector<ParamSpec> specs_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

/// Effective parameter values: defaults, overlaid by config files in order, then by `--set` overrides.
/// Every value remembers where it came from so that cross-parameter errors can name the file.
class Params {
 public:
  explicit Params(const Schema& schema);

  /// Merges a TOML file. Throws ConfigError naming the file and key: missing/unreadable file, TOML syntax
  /// error (with line), unknown key (with the closest valid key suggested), wrong type, out of range.
  void load_file(const std::string& path);
  /// Same, from text; `origin` names it in errors.
  void load_string(std::string_view toml_text, const std::string& origin);
  /// "key=value" from the command line, value parsed according to the key's type (strings may be unquoted).
  /// `where` names the place in errors (a sweep file's `set` passes its file, line and column).
  void apply_override(std::string_view assignment, const std::string& where = "--set");
  /// Sets a value programmatically (checked like any other).
  void set(const std::string& key, const Value& value, const std::string& origin);

  bool get_bool(std::string_view key) const;
  std::int64_t get_int(std::string_view key) const;
  double get_real(std::string_view key) const;                ///< also accepts Int parameters
  const std::string& get_string(std::string_view key) const;  ///< Choice and String parameters
  const Value& get(std::string_view key) const;
  /// Where the effective value came from: a file path, "--set" or "default".
  const std::string& origin(std::string_view key) const;

  /// The full effective config as TOML text, grouped into tables, one `key = value` per parameter, which
  /// `load_string` reads back to the same values.
  std::string to_toml() const;
  const Schema& schema() const { return *schema_; }

 private:
  struct Entry {
    Value value;
    std::string origin;
  };
  const Entry& entry(std::string_view key) const;
  const Schema* schema_;
  std::map<std::string, Entry, std::less<>> values_;
};

/// `keepsim describe`: a plain-text table of every parameter: key, type, default, unit, allowed, doc.
std::string describe_schema(const Schema& schema);

}  // namespace keepsim

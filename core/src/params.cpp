#include "keepsim/core/params.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <toml++/toml.h>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/safe_files.hpp"

namespace keepsim {

ParamSpec real_param(std::string key, double def, std::string unit, double lo, double hi, std::string doc) {
  return {std::move(key), ParamType::Real, def, std::move(unit), lo, hi, {}, std::move(doc)};
}
ParamSpec int_param(std::string key, std::int64_t def, std::string unit, double lo, double hi,
                    std::string doc) {
  return {std::move(key), ParamType::Int, def, std::move(unit), lo, hi, {}, std::move(doc)};
}
ParamSpec bool_param(std::string key, bool def, std::string doc) {
  const double inf = std::numeric_limits<double>::infinity();
  return {std::move(key), ParamType::Bool, def, "", -inf, inf, {}, std::move(doc)};
}
ParamSpec choice_param(std::string key, std::vector<std::string> choices, std::string doc) {
  const double inf = std::numeric_limits<double>::infinity();
  std::string def = choices.front();
  return {std::move(key), ParamType::Choice, def, "", -inf, inf, std::move(choices), std::move(doc)};
}
ParamSpec string_param(std::string key, std::string def, std::string doc) {
  const double inf = std::numeric_limits<double>::infinity();
  return {std::move(key), ParamType::String, std::move(def), "", -inf, inf, {}, std::move(doc)};
}
ParamSpec path_param(std::string key, std::string def, std::string doc) {
  ParamSpec spec = string_param(std::move(key), std::move(def), std::move(doc));
  spec.path = true;
  return spec;
}

namespace {

// Shortest text that reads back to the same double (std::to_chars without a format guarantees that).
std::string shortest(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (std::isnan(d)) return "nan";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, res.ptr);
}

// Range bounds are doubles even for Int parameters; print integral bounds of an Int as integers so that
// "[1, 1000000]" does not come out as "[1, 1e+06]".
std::string bound_text(double d, ParamType t) {
  if (t == ParamType::Int && std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.2e18)
    return std::to_string(static_cast<std::int64_t>(d));
  return shortest(d);
}

std::string_view value_type_name(const Value& v) {
  constexpr std::string_view names[] = {"boolean", "integer", "float", "string"};
  return names[v.index()];
}

std::string_view expected_text(ParamType t) {
  constexpr std::string_view text[] = {"a boolean", "an integer", "a number", "a string", "a string"};
  return text[static_cast<std::size_t>(t)];
}

std::string expected_got(const ParamSpec& spec, const Value& v) {
  return "expected " + std::string(expected_text(spec.type)) + ", got " + std::string(value_type_name(v)) +
         " " + excerpt(to_toml_text(v), 80);
}

// What is wrong with `v` as a value of `spec`, or "" if nothing. Converts an integer given to a Real in
// place. Files, --set, set() and Schema::add all go through here so that every path enforces the same rules.
std::string problem(const ParamSpec& spec, Value& v) {
  double number = 0;
  switch (spec.type) {
    case ParamType::Bool:
      return std::holds_alternative<bool>(v) ? "" : expected_got(spec, v);
    case ParamType::Int:
      if (!std::holds_alternative<std::int64_t>(v)) return expected_got(spec, v);
      number = static_cast<double>(std::get<std::int64_t>(v));
      {
        // Compared as integers: as doubles, 9000000000000000001 rounds to a documented maximum of 9e18 and
        // would pass.
        const std::int64_t i = std::get<std::int64_t>(v);
        const bool below = spec.min > -9.2e18 && i < static_cast<std::int64_t>(std::ceil(spec.min));
        const bool above = spec.max < 9.2e18 && i > static_cast<std::int64_t>(std::floor(spec.max));
        if (below || above) return "value " + std::to_string(i) + " is out of range";
      }
      break;
    case ParamType::Real:
      if (const auto* i = std::get_if<std::int64_t>(&v)) v = static_cast<double>(*i);
      if (!std::holds_alternative<double>(v)) return expected_got(spec, v);
      number = std::get<double>(v);
      if (std::isnan(number)) return "value nan is not allowed";
      break;
    case ParamType::Choice:
    case ParamType::String:
      if (!std::holds_alternative<std::string>(v)) return expected_got(spec, v);
      if (const auto& s = std::get<std::string>(v); invalid_utf8_at(s) != std::string_view::npos)
        return "value \"" + excerpt(s, 80) + "\" is not UTF-8 text (byte " +
               std::to_string(invalid_utf8_at(s) + 1) + ")";
      else if (s.find('\0') != std::string::npos)
        return "value " + excerpt(to_toml_text(v), 80) + " holds a NUL character";
      if (spec.type == ParamType::Choice &&
          std::find(spec.choices.begin(), spec.choices.end(), std::get<std::string>(v)) == spec.choices.end())
        return "value " + excerpt(to_toml_text(v), 80) + " is not allowed";
      return "";
  }
  if (number < spec.min || number > spec.max) {
    const std::string text =
        spec.type == ParamType::Int ? std::to_string(std::get<std::int64_t>(v)) : shortest(number);
    return "value " + text + " is out of range";
  }
  return "";
}

ConfigError value_error(const std::string& where, const ParamSpec& spec, const std::string& what) {
  return ConfigError(where, spec.key, what + "; allowed: " + allowed_text(spec));
}

// A bare TOML key component, so that to_toml can write keys without quoting.
bool is_bare_key_part(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string_view last_part(std::string_view key) {
  const auto dot = key.rfind('.');
  return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

std::size_t levenshtein(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Parameters grouped by TOML table (everything before the last dot): top-level keys first, then tables
// ordered by the first declaration of their first component, so that [a] and [a.b] stay together.
std::vector<std::pair<std::string, std::vector<const ParamSpec*>>> grouped(const Schema& schema) {
  std::vector<std::pair<std::string, std::vector<const ParamSpec*>>> groups{{"", {}}};
  for (const auto& spec : schema.all()) {
    const auto dot = spec.key.rfind('.');
    const std::string table = dot == std::string::npos ? "" : spec.key.substr(0, dot);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == table; });
    if (it == groups.end()) it = groups.emplace(groups.end(), table, std::vector<const ParamSpec*>{});
    it->second.push_back(&spec);
  }
  auto first_part = [](const std::string& t) { return t.substr(0, t.find('.')); };
  std::vector<std::string> order;
  for (const auto& g : groups)
    if (std::find(order.begin(), order.end(), first_part(g.first)) == order.end())
      order.push_back(first_part(g.first));
  std::stable_sort(groups.begin(), groups.end(), [&](const auto& a, const auto& b) {
    return std::find(order.begin(), order.end(), first_part(a.first)) <
           std::find(order.begin(), order.end(), first_part(b.first));
  });
  if (groups.front().second.empty()) groups.erase(groups.begin());
  return groups;
}

struct Leaf {
  std::string key;
  const toml::node* node;
};

// Flattens nested tables to dotted keys. A table with no entries is kept as a leaf so that an empty unknown
// table ("[nothing]") is still reported; known empty tables are dropped by the caller.
void flatten(const toml::table& table, const std::string& prefix, const Schema& schema,
             std::vector<Leaf>& out) {
  for (const auto& [k, node] : table) {
    // A quoted key part holding a dot must not silently alias a nested key, so keep its quotes.
    const std::string part = k.str().find('.') == std::string_view::npos ? std::string(k.str())
                                                                         : "\"" + std::string(k.str()) + "\"";
    const std::string key = prefix.empty() ? part : prefix + "." + part;
    const auto* sub = node.as_table();
    if (sub && !sub->empty() && schema.find(key) == nullptr)  // a table given for a parameter is a leaf
      flatten(*sub, key, schema, out);
    else
      out.push_back({key, &node});
  }
}

bool is_table(const Schema& schema, const std::string& key) {
  const auto& all = schema.all();
  return std::any_of(all.begin(), all.end(),
                     [&](const ParamSpec& s) { return s.key.starts_with(key + "."); });
}

ConfigError unknown_key(const Schema& schema, const std::string& where, const std::string& key) {
  // "citizens = 1" or "[[citizens]]": the name is a table of parameters, and "did you mean" would mislead.
  if (is_table(schema, key))
    return ConfigError(where, key, "is a table of parameters, not a value or an array; write [" + key + "]");
  std::string message = "is not a parameter";
  if (const std::string near = schema.closest(key); !near.empty())
    message += "; did you mean '" + near + "'?";
  return ConfigError(where, key, message);
}

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

template <class T>
const T& typed(const Value& v, std::string_view key, std::string_view want) {
  const T* p = std::get_if<T>(&v);
  if (!p)
    throw std::logic_error("parameter '" + std::string(key) + "' holds " + std::string(value_type_name(v)) +
                           ", not " + std::string(want));
  return *p;
}

}  // namespace

std::string_view type_name(ParamType t) {
  constexpr std::string_view names[] = {"bool", "int", "real", "choice", "string"};  // in ParamType order
  return names[static_cast<std::size_t>(t)];
}

std::string allowed_text(const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::Bool:
      return "true or false";
    case ParamType::String:
      return "any string";
    case ParamType::Choice: {
      std::string out = "one of: ";
      for (std::size_t i = 0; i < spec.choices.size(); ++i) out += (i ? ", " : "") + spec.choices[i];
      return out;
    }
    default:
      return "[" + bound_text(spec.min, spec.type) + ", " + bound_text(spec.max, spec.type) + "]";
  }
}

std::size_t invalid_utf8_at(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;
    char32_t min = 0, cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xe0) == 0xc0) {
      len = 2, min = 0x80, cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      len = 3, min = 0x800, cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      len = 4, min = 0x10000, cp = b & 0x07;
    } else {
      return i;
    }
    if (i + len > text.size()) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string escape_invalid_utf8(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    const std::size_t bad = invalid_utf8_at(text);
    out += text.substr(0, bad);
    if (bad == std::string_view::npos) break;
    constexpr char hex[] = "0123456789ABCDEF";
    const auto u = static_cast<unsigned char>(text[bad]);
    out += "\\x";
    out += hex[u >> 4];
    out += hex[u & 0xf];
    text.remove_prefix(bad + 1);
  }
  return out;
}

std::size_t toml_key_too_deep(std::string_view text, std::size_t max_dots) {
  // A chain is tokens (bare key characters or quoted strings) joined by dots, spaces allowed around them; any
  // other character ends it. Floats ("0.5") and dates make chains of one dot; string contents are skipped.
  std::size_t line = 1, dots = 0;
  const auto bare = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '+';
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"' || c == '\'') {
      const bool multi = text.substr(i, 3) == std::string_view(c == '"' ? "\"\"\"" : "'''");
      std::size_t j = i + (multi ? 3 : 1);
      for (; j < text.size(); ++j) {
        if (text[j] == '\n') {
          if (!multi) break;  // a single-line string ends at the line (a syntax error toml++ reports)
          ++line;
        } else if (text[j] == '\\' && c == '"') {
          if (j + 1 < text.size() && text[j + 1] == '\n') ++line;
          ++j;
        } else if (text[j] == c && (!multi || text.substr(j, 3) == text.substr(i, 3))) {
          j += multi ? 2 : 0;
          break;
        }
      }
      i = j < text.size() && text[j] == '\n' ? j - 1 : j;  // the newline is counted below
    } else if (c == '.') {
      if (++dots > max_dots) return line;
    } else if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (!bare(c) && c != ' ' && c != '\t') {
      dots = 0;
      if (c == '\n') ++line;
    }
  }
  return 0;
}

std::string to_toml_text(const Value& v) {
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    std::string s = shortest(*d);
    // TOML reads "1" as an integer; a float needs a '.' or an exponent (inf and nan are spelled out).
    if (s.find_first_of(".ein") == std::string::npos) s += ".0";
    return s;
  }
  std::string out = "\"";
  // A basic string: TOML forbids raw control characters there, so they become escapes; other bytes (UTF-8)
  // pass through.
  constexpr std::string_view plain = "\"\\\b\t\n\f\r", escaped = "\"\\btnfr";
  for (const char c : std::get<std::string>(v)) {
    const auto u = static_cast<unsigned char>(c);
    if (const auto k = plain.find(c); k != std::string_view::npos) {
      out += '\\';
      out += escaped[k];
    } else if (u < 0x20 || u == 0x7f) {
      constexpr char hex[] = "0123456789ABCDEF";
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void Schema::add(ParamSpec spec) {
  const std::string& key = spec.key;
  auto fail = [&](const std::string& why) { throw std::logic_error("parameter '" + key + "': " + why); };
  for (std::size_t start = 0;;) {
    const auto dot = key.find('.', start);
    if (!is_bare_key_part(std::string_view(key).substr(start, dot - start)))
      fail("key parts must be non-empty and use only A-Z a-z 0-9 _ -");
    if (dot == std::string::npos) break;
    // A key that is also a table ("a" and "a.b") could not be written as TOML.
    if (index_.count(key.substr(0, dot))) fail("is inside parameter '" + key.substr(0, dot) + "'");
    start = dot + 1;
  }
  if (index_.count(key)) fail("declared twice");
  if (auto it = index_.lower_bound(key + "."); it != index_.end() && it->first.starts_with(key + "."))
    fail("is also the table of parameter '" + it->first + "'");
  if (spec.type == ParamType::Choice && spec.choices.empty()) fail("a choice needs choices");
  if (!(spec.min <= spec.max)) fail("min is above max");
  if (const std::string p = problem(spec, spec.default_value); !p.empty())
    fail("bad default: " + p + "; allowed: " + allowed_text(spec));
  index_.emplace(key, specs_.size());
  specs_.push_back(std::move(spec));
}

const ParamSpec* Schema::find(std::string_view key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &specs_[it->second];
}

std::string Schema::closest(std::string_view key) const {
  // Full keys catch typos anywhere; last components catch a bare "vison" and a key put in the wrong table
  // ("agents.vision"), the latter one edit worse so that a match in the right table wins.
  // Ties go to a key in the same top-level table ("map.generator.seed": map.seed, not run.seed).
  std::string best;
  std::size_t best_d = std::string::npos;
  bool best_same = false;
  const bool dotted = key.find('.') != std::string_view::npos;
  const auto top = [](std::string_view k) { return k.substr(0, k.find('.')); };
  const std::size_t limit = std::max<std::size_t>(2, key.size() / 3);
  for (const auto& spec : specs_) {
    // The distance is at least the difference in length: a very long key is near nothing (and would cost
    // seconds of edit distances).
    if (key.size() > spec.key.size() + limit + 1 &&
        last_part(key).size() > last_part(spec.key).size() + limit)
      continue;
    std::size_t d = std::min(levenshtein(key, spec.key), levenshtein(key, last_part(spec.key)));
    if (dotted) d = std::min(d, levenshtein(last_part(key), last_part(spec.key)) + 1);
    const bool same = dotted && top(key) == top(spec.key);
    if (d < best_d || (d == best_d && same && !best_same)) {
      best_d = d;
      best = spec.key;
      best_same = same;
    }
  }
  return best_d <= limit ? best : std::string();
}

Params::Params(const Schema& schema) : schema_(&schema) {
  for (const auto& spec : schema.all()) values_.emplace(spec.key, Entry{spec.default_value, "default"});
}

void Params::load_file(const std::string& path) {
  // Only a regular file or a named pipe, with a cap: /dev/zero or a huge file ends with a message
  // ("cannot read file: ...", as before).
  const std::string text = read_input_file(path, "file", kMaxConfigBytes);
  load_string(text, path);
  // File paths this file set are taken from its folder, so a config and its map travel together; the value
  // is stored resolved, so the config a run records names the file that was read.
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) return;
  for (auto& [key, e] : values_) {
    const ParamSpec* spec = schema_->find(key);
    const auto* text_value = std::get_if<std::string>(&e.value);
    if (spec == nullptr || !spec->path || e.origin != path || text_value == nullptr || text_value->empty())
      continue;
    if (std::filesystem::path(*text_value).is_relative())
      e.value = (folder / *text_value).lexically_normal().string();
  }
}

void Params::load_string(std::string_view toml_text, const std::string& origin) {
  if (const std::size_t line = toml_key_too_deep(toml_text))
    throw ConfigError(origin, "",
                      "TOML syntax error at line " + std::to_string(line) +
                          ": a key or table nested more than 64 levels deep");
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    const auto& pos = e.source().begin;
    throw ConfigError(origin, "",
                      "TOML syntax error at line " + std::to_string(pos.line) + ", column " +
                          std::to_string(pos.column) + ": " + std::string(e.description()));
  }
  std::vector<Leaf> leaves;
  flatten(root, "", *schema_, leaves);
  // toml++ tables are sorted by key; report problems in file order instead.
  std::stable_sort(leaves.begin(), leaves.end(), [](const Leaf& a, const Leaf& b) {
    const auto &pa = a.node->source().begin, &pb = b.node->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  // Check everything before storing anything, so that a bad file leaves the parameters as they were.
  std::vector<std::pair<std::string, Value>> staged;
  for (const auto& leaf : leaves) {
    const ParamSpec* spec = schema_->find(leaf.key);
    if (!spec) {
      if (leaf.node->is_table() && is_table(*schema_, leaf.key)) continue;  // an empty [citizens] is harmless
      throw unknown_key(*schema_, origin, leaf.key);
    }
    Value v;
    const toml::node& n = *leaf.node;
    if (const auto* b = n.as_boolean())
      v = b->get();
    else if (const auto* i = n.as_integer())
      v = i->get();
    else if (const auto* f = n.as_floating_point())
      v = f->get();
    else if (const auto* s = n.as_string())
      v = s->get();
    else  // a table, an array, or a date or time
      throw value_error(origin, *spec,
                        "expected " + std::string(expected_text(spec->type)) + ", got " +
                            (n.is_table()   ? "table"
                             : n.is_array() ? "array"
                                            : "date/time"));
    if (const std::string p = problem(*spec, v); !p.empty()) throw value_error(origin, *spec, p);
    staged.emplace_back(leaf.key, std::move(v));
  }
  for (auto& [key, v] : staged) values_[key] = Entry{std::move(v), origin};
}

void Params::apply_override(std::string_view assignment, const std::string& where) {
  const auto eq = assignment.find('=');
  const std::string key(trim(assignment.substr(0, eq == std::string_view::npos ? 0 : eq)));
  if (eq == std::string_view::npos || key.empty())
    throw ConfigError(where, "", "expected key=value, got '" + excerpt(assignment, 80) + "'");
  const ParamSpec* spec = schema_->find(key);
  if (!spec) throw unknown_key(*schema_, where, key);
  std::string_view text = trim(assignment.substr(eq + 1));
  const std::string quoted = "'" + excerpt(text, 80) + "'";  // messages quote a short, escaped excerpt
  Value v;
  switch (spec->type) {
    case ParamType::Bool:
      if (text != "true" && text != "false")
        throw value_error(where, *spec, "expected true or false, got " + quoted);
      v = text == "true";
      break;
    case ParamType::Int:
    case ParamType::Real: {
      // from_chars takes no leading '+', which TOML and people write.
      if (text.size() > 1 && text[0] == '+' && text[1] != '-' && text[1] != '+') text.remove_prefix(1);
      const char* end = text.data() + text.size();
      std::from_chars_result res{};
      if (spec->type == ParamType::Int) {
        std::int64_t i = 0;
        res = std::from_chars(text.data(), end, i);
        v = i;
      } else {
        double d = 0;
        res = std::from_chars(text.data(), end, d);
        v = d;
      }
      if (res.ec == std::errc::result_out_of_range)
        throw value_error(where, *spec,
                          "value " + quoted + " does not fit in a 64-bit " +
                              (spec->type == ParamType::Int ? "integer" : "float"));
      if (res.ec != std::errc() || res.ptr != end)
        throw value_error(where, *spec,
                          "expected " + std::string(expected_text(spec->type)) + ", got " + quoted);
      break;
    }
    default:
      if (text.size() >= 2 && (text[0] == '"' || text[0] == '\'') && text.back() == text[0]) {
        // A TOML-quoted string: let toml++ undo the escapes so that --set reads what to_toml_text writes.
        try {
          const toml::table t = toml::parse("v = " + std::string(text));
          const auto* s = t.size() == 1 ? t.get_as<std::string>("v") : nullptr;
          if (!s) throw ConfigError(where, key, "invalid quoted string " + quoted);
          v = s->get();
        } catch (const toml::parse_error& e) {
          throw ConfigError(where, key,
                            "invalid quoted string " + quoted + ": " + std::string(e.description()));
        }
      } else {
        v = std::string(text);
      }
  }
  set(key, v, where);
}

void Params::set(const std::string& key, const Value& value, const std::string& origin) {
  const ParamSpec* spec = schema_->find(key);
  if (!spec) throw unknown_key(*schema_, origin, key);
  Value v = value;
  if (const std::string p = problem(*spec, v); !p.empty()) throw value_error(origin, *spec, p);
  values_[key] = Entry{std::move(v), origin};
}

const Params::Entry& Params::entry(std::string_view key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) throw std::logic_error("no parameter '" + std::string(key) + "'");
  return it->second;
}

bool Params::get_bool(std::string_view key) const {
  return typed<bool>(entry(key).value, key, "boolean");
}
std::int64_t Params::get_int(std::string_view key) const {
  return typed<std::int64_t>(entry(key).value, key, "integer");
}
double Params::get_real(std::string_view key) const {
  const Value& v = entry(key).value;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  return typed<double>(v, key, "float");
}
const std::string& Params::get_string(std::string_view key) const {
  return typed<std::string>(entry(key).value, key, "string");
}
const Value& Params::get(std::string_view key) const {
  return entry(key).value;
}
const std::string& Params::origin(std::string_view key) const {
  return entry(key).origin;
}

std::string Params::to_toml() const {
  std::string out;
  for (const auto& [table, specs] : grouped(*schema_)) {
    if (!out.empty()) out += "\n";
    if (!table.empty()) out += "[" + table + "]\n";
    for (const ParamSpec* spec : specs)
      out += std::string(last_part(spec->key)) + " = " + to_toml_text(get(spec->key)) + "\n";
  }
  return out;
}

std::string describe_schema(const Schema& schema) {
  using Row = std::array<std::string, 6>;
  const Row header{"KEY", "TYPE", "DEFAULT", "UNIT", "ALLOWED", "DOC"};
  std::vector<std::vector<Row>> groups;
  std::array<std::size_t, 6> width{};
  for (std::size_t c = 0; c < 6; ++c) width[c] = header[c].size();
  for (const auto& [table, specs] : grouped(schema)) {
    auto& rows = groups.emplace_back();
    for (const ParamSpec* s : specs) {
      rows.push_back({s->key, std::string(type_name(s->type)), to_toml_text(s->default_value), s->unit,
                      allowed_text(*s), s->doc});
      for (std::size_t c = 0; c < 6; ++c) width[c] = std::max(width[c], rows.back()[c].size());
    }
  }
  auto line = [&](const Row& r) {
    std::string out;
    for (std::size_t c = 0; c < 6; ++c) {
      out += r[c];
      if (c + 1 < 6) out += std::string(width[c] - r[c].size() + 2, ' ');
    }
    out.erase(out.find_last_not_of(' ') + 1);  // no trailing blanks when DOC is empty
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& rows : groups) {
    out += "\n";
    for (const auto& r : rows) out += line(r);
  }
  return out;
}

}  // namespace keepsim

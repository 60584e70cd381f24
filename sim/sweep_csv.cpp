#include "sim/sweep_csv.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/safe_files.hpp"

namespace keepsim::sweep {
namespace {

/// The fields of a line; `quoted` ends true when a quote is left open.
std::vector<std::string> split(const std::string& line, bool& quoted) {
  std::vector<std::string> out(1);
  quoted = false;
  for (const char c : line) {
    if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted)
      out.emplace_back();
    else if (c != '\r')
      out.back() += c;
  }
  for (auto& f : out) {
    const auto b = f.find_first_not_of(" \t");
    f = b == std::string::npos ? std::string() : f.substr(b, f.find_last_not_of(" \t") - b + 1);
  }
  return out;
}

/// The field as a value of the parameter's type; Params::set then checks its range.
Value parse(const ParamSpec& spec, const std::string& text, const std::string& where) {
  auto bad = [&](const char* what) {
    return ConfigError(
        where, spec.key,
        "expected " + std::string(what) + ", got '" + text + "'; allowed: " + allowed_text(spec));
  };
  switch (spec.type) {
    case ParamType::Bool:
      if (text == "true" || text == "True" || text == "1") return true;
      if (text == "false" || text == "False" || text == "0") return false;
      throw bad("true or false");
    case ParamType::Int:
    case ParamType::Real: {
      char* end = nullptr;
      errno = 0;
      const double d = std::strtod(text.c_str(), &end);
      if (!text.empty() && *end == '\0' && errno == ERANGE && std::isinf(d))
        throw ConfigError(
            where, spec.key,
            "value '" + text + "' does not fit in a 64-bit float; allowed: " + allowed_text(spec));
      if (text.empty() || *end != '\0' || errno == ERANGE) throw bad("a number");
      if (spec.type == ParamType::Real) return d;
      // Design tools write integers as floats ("3.0").
      if (d != std::trunc(d)) throw bad("an integer");
      if (std::fabs(d) > 9.0e18)
        throw ConfigError(
            where, spec.key,
            "value '" + text + "' does not fit in a 64-bit integer; allowed: " + allowed_text(spec));
      return static_cast<std::int64_t>(d);
    }
    default:
      return text;
  }
}

}  // namespace

CsvDesign read_design_csv(const std::string& path, const Schema& schema) {
  // Only a regular file or a named pipe, with a cap (a design of millions of rows still fits under it).
  std::istringstream in(read_input_file(path, "design CSV", kMaxDesignBytes));
  CsvDesign d;
  d.path = path;
  std::vector<const ParamSpec*> specs;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    const std::string prefix = path + ":" + std::to_string(lineno) + ":";
    // Column numbers count bytes here: the text is not known to be UTF-8 until it is checked.
    if (const auto bad = invalid_utf8_at(line); bad != std::string::npos)
      throw ConfigError(prefix + std::to_string(bad + 1), "",
                        "the design CSV is not UTF-8 text (first bad byte at column " +
                            std::to_string(bad + 1) + "); save it as UTF-8");
    if (const auto nul = line.find('\0'); nul != std::string::npos)
      throw ConfigError(prefix + std::to_string(nul + 1), "",
                        "a NUL byte in the design CSV; save it as UTF-8 text");
    if (lineno == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);  // a UTF-8 byte order mark
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') continue;
    bool open_quote = false;
    const auto fields = split(line, open_quote);
    if (open_quote)
      throw ConfigError(
          prefix + std::to_string(fields.size()), "",
          "field " + std::to_string(fields.size()) + " opens a quote that the line never closes");
    if (specs.empty()) {  // the header
      for (std::size_t c = 0; c < fields.size(); ++c) {
        const ParamSpec* spec = schema.find(fields[c]);
        for (std::size_t k = 0; k < c; ++k)
          if (fields[k] == fields[c])
            throw ConfigError(prefix + std::to_string(c + 1), fields[c],
                              "column " + std::to_string(c + 1) + " repeats column " + std::to_string(k + 1) +
                                  "; allowed: each parameter once");
        if (spec == nullptr) {
          std::string message = "column " + std::to_string(c + 1) + " is not a parameter";
          if (const std::string near = schema.closest(fields[c]); !near.empty())
            message += "; did you mean '" + near + "'?";
          throw ConfigError(prefix + std::to_string(c + 1), fields[c],
                            message + " (columns are dotted config keys; keepsim describe lists them)");
        }
        specs.push_back(spec);
        d.columns.push_back(fields[c]);
      }
      continue;
    }
    if (fields.size() != specs.size())
      throw ConfigError(prefix + "1", "",
                        "row has " + std::to_string(fields.size()) + " fields; the header has " +
                            std::to_string(specs.size()));
    auto& row = d.rows.emplace_back();
    d.lines.push_back(lineno);
    for (std::size_t c = 0; c < fields.size(); ++c) {
      const std::string where = prefix + std::to_string(c + 1);
      Value v = parse(*specs[c], fields[c], where);
      Params scratch(schema);
      scratch.set(specs[c]->key, v, where);  // the range check, with the allowed values in the message
      row.push_back(scratch.get(specs[c]->key));
    }
  }
  if (specs.empty()) throw ConfigError(path, "", "empty design: the CSV has no header");
  if (d.rows.empty()) throw ConfigError(path, "", "empty design: the CSV has no rows");
  return d;
}

}  // namespace keepsim::sweep

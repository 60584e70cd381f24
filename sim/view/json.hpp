// A small JSON writer for the answers of `keepsim view` (docs/explorer.md, "Endpoints"). Numbers that are not
// finite become null, since JSON has no NaN; text is escaped, and bytes that are not UTF-8 are replaced.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace keepsim::view {

class Json {
 public:
  Json& begin_object() { return sep().raw("{", true); }
  Json& end_object() { return close("}"); }
  Json& begin_array() { return sep().raw("[", true); }
  Json& end_array() { return close("]"); }
  /// An object key; the next value follows it.
  Json& key(std::string_view k) {
    sep();
    quote(k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  Json& value(std::string_view s) {
    sep();
    quote(s);
    return *this;
  }
  Json& value(const char* s) { return value(std::string_view(s)); }
  Json& value(const std::string& s) { return value(std::string_view(s)); }
  Json& value(bool b) { return sep().raw(b ? "true" : "false"); }
  Json& value(std::int64_t i) { return sep().raw(std::to_string(i)); }
  Json& value(int i) { return value(static_cast<std::int64_t>(i)); }
  Json& value(std::uint64_t i) { return sep().raw(std::to_string(i)); }
  Json& value(double d) {
    if (!std::isfinite(d)) return sep().raw("null");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    return sep().raw(buf);
  }
  Json& null() { return sep().raw("null"); }
  /// Text that is already JSON.
  Json& raw_value(std::string_view json) { return sep().raw(json); }

  const std::string& str() const { return out_; }

 private:
  Json& sep() {
    if (after_key_)
      after_key_ = false;
    else if (need_comma_)
      out_ += ',';
    need_comma_ = true;
    return *this;
  }
  Json& raw(std::string_view text, bool opens = false) {
    out_ += text;
    if (opens) need_comma_ = false;
    return *this;
  }
  Json& close(const char* c) {
    out_ += c;
    need_comma_ = true;
    return *this;
  }
  void quote(std::string_view s);

  std::string out_;
  bool need_comma_ = false;
  bool after_key_ = false;
};

inline void Json::quote(std::string_view s) {
  out_ += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out_ += buf;
        } else if (c < 0x80) {
          out_ += static_cast<char>(c);
        } else {
          // Well-formed UTF-8 passes; any other byte becomes U+FFFD, so the answer is always valid JSON.
          std::size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
          bool ok = len > 0 && i + len <= s.size();
          for (std::size_t k = 1; ok && k < len; ++k)
            ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
          if (ok) {
            out_.append(s.substr(i, len));
            i += len - 1;
          } else {
            out_ += "\\ufffd";
          }
        }
    }
  }
  out_ += '"';
}

}  // namespace keepsim::view

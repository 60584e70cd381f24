// Answers shared by the endpoints of `keepsim view` (docs/explorer.md, "Endpoints"): JSON with no caching,
// JSON errors, binary arrays with their type and shape in headers, and request numbers checked as plain
// digits.
#pragma once
#include <httplib.h>

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "keepsim/core/errors.hpp"
#include "sim/view/json.hpp"
#include "sim/view/run_reader.hpp"

namespace keepsim::view {

inline void send_json(httplib::Response& res, const Json& j) {
  res.set_content(j.str(), "application/json");
  res.set_header("Cache-Control", "no-store");
}

inline void send_error(httplib::Response& res, int status, const std::string& message) {
  Json j;
  j.begin_object().key("error").value(message).end_object();
  res.status = status;
  send_json(res, j);
}

inline void write_shape(Json& j, const std::vector<std::uint64_t>& shape) {
  j.begin_array();
  for (const auto d : shape) j.value(d);
  j.end_array();
}

inline void write_doubles(Json& j, const std::vector<double>& values) {
  j.begin_array();
  for (const double v : values) j.value(v);
  j.end_array();
}

inline void send_array(httplib::Response& res, const Array& a, std::int64_t step) {
  // Binary, in the variable's own type (docs/explorer.md, "Endpoints"): a 1000 x 1000 occupancy map is 1 MB,
  // not the 4 MB or more of JSON; the type and shape travel in headers.
  std::string shape;
  // Appended piece by piece: g++ 12 at -O3 reports a false overlap (-Werror=restrict) in `"," + string`.
  for (const auto d : a.shape) {
    if (!shape.empty()) shape += ',';
    shape += std::to_string(d);
  }
  res.set_header("X-Keepsim-Dtype", a.dtype);
  res.set_header("X-Keepsim-Shape", shape);
  res.set_header("X-Keepsim-Step", std::to_string(step));
  res.set_header("Cache-Control", "no-store");
  res.set_content(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size(), "application/octet-stream");
}

inline std::uint64_t index_param(const httplib::Request& req, const std::string& name) {
  const std::string text = req.get_param_value(name);
  if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(name + " must be a number");
  return std::stoull(text);
}

/// A route handler whose exceptions become a JSON error: a bad name or index is the request's fault (400).
template <typename Handler>
auto guarded(Handler handler) {
  return [handler](const httplib::Request& req, httplib::Response& res) {
    try {
      handler(req, res);
    } catch (const std::exception& e) {
      send_error(res, 400, excerpt(e.what(), 500));
    }
  };
}

}  // namespace keepsim::view

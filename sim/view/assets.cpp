// Routes for the explorer's page (assets.hpp): fixed paths only, each to bytes built into the executable, so
// no request reaches the file system through them.
#include "sim/view/assets.hpp"

#include <httplib.h>

#include <string>

namespace keepsim::view {

void add_assets(httplib::Server& server) {
  for (const Asset& a : assets()) {
    auto handler = [&a](const httplib::Request&, httplib::Response& res) {
      res.set_content(reinterpret_cast<const char*>(a.data), a.size, a.content_type);
      res.set_header("Cache-Control", "no-cache");
    };
    server.Get(a.path, handler);
    if (std::string(a.path) == "/index.html") server.Get("/", handler);
  }
}

}  // namespace keepsim::view

// The explorer's page (sim/view/web: index.html, app.js, style.css), built into the executable by
// cmake/EmbedAssets.cmake, so `keepsim view` needs no files beside it and nothing from the internet.
#pragma once
#include <cstddef>
#include <vector>

namespace httplib {
class Server;
}

namespace keepsim::view {

struct Asset {
  const char* path;  ///< "/index.html"
  const char* content_type;
  const unsigned char* data;
  std::size_t size;
};

const std::vector<Asset>& assets();

/// Serves every asset at its path, and index.html at "/".
void add_assets(httplib::Server& server);

}  // namespace keepsim::view

#pragma once
// The operator console's files (src/console/assets/), compiled into the
// binary by cmake/embed_console.cmake: nothing is read from disk or fetched
// at run time.

#include <span>
#include <string_view>

namespace sluice::console {

struct asset {
  std::string_view name;          // "app.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view etag;          // a strong ETag, quotes included
  std::string_view plain;         // the bytes as written
  std::string_view gzip;          // the same, gzip-compressed
};

// Every asset, sorted by name.
std::span<const asset> assets();

// A hash of every asset but index.html: the path segment under which
// index.html names them (/console/<version>/app.js).
std::string_view version();

}  // namespace sluice::console

#pragma once
// Answers the console's requests (issue 18):
//   GET /console                     index.html, revalidated (no-cache + ETag)
//   GET /console/<version>/<name>    an asset, cacheable for good (the
//                                    version changes when any asset does)
// gzip when the client accepts it (Vary: Accept-Encoding), 304 on a
// matching If-None-Match, and a Content-Security-Policy that lets the page
// run its own scripts and styles and talk to this origin only.

#include <string_view>

#include "http/message.hpp"

namespace sluice::console {

// The console's CSP: scripts, styles and fetches from this origin only, no
// inline script or style, no framing.
inline constexpr std::string_view k_csp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

http::response page(const http::request& req);
// `version` and `name` are the two path segments after /console/.
http::response file(const http::request& req, std::string_view version, std::string_view name);

}  // namespace sluice::console

#pragma once
// CORS (Fetch standard), off unless http.cors_origins lists origins. Origins
// match exactly (scheme://host[:port], as browsers send them); "*" allows any
// origin only when it is listed. No credentials mode: Sluice's credentials
// are headers (Authorization, X-API-Key), which a preflight allows by name,
// never cookies. A request from an origin not listed gets no CORS header at
// all, so the browser keeps its response from the page.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace sluice::api {

class cors_policy {
 public:
  // `origins` is http.cors_origins as validated by config ("" = off).
  explicit cors_policy(std::string_view origins);

  bool enabled() const { return !origins_.empty(); }
  // The Access-Control-Allow-Origin value for a request's Origin header
  // ("*" when "*" is listed and the origin is not), or nullopt when the
  // origin is not allowed (or CORS is off, or there is no Origin).
  std::optional<std::string> allow_origin(std::string_view origin) const;

  // The 204 answer to a preflight from an allowed origin for a path whose
  // methods are `methods` (the route table's "GET, POST").
  http::response preflight(const std::string& allowed_origin, const std::string& methods) const;

  // On an actual answer when CORS is on: Vary: Origin (the answer depends on
  // it for caches), and for an allowed origin Access-Control-Allow-Origin and
  // -Expose-Headers (the headers a client of the API reads).
  void decorate(http::response& res, const std::optional<std::string>& allowed_origin) const;

 private:
  std::vector<std::string> origins_;
  bool any_ = false;
};

}  // namespace sluice::api

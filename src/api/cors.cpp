#include "api/cors.hpp"

#include <algorithm>

#include "config/config.hpp"

namespace sluice::api {
namespace {

// What a browser client of the API sends beyond the CORS-safelisted headers.
constexpr std::string_view k_allow_headers =
    "Content-Type, Authorization, X-API-Key, Idempotency-Key, Prefer, If-None-Match, traceparent";
// What it may read beyond the safelisted response headers.
constexpr std::string_view k_expose_headers = "Location, ETag, Link, Retry-After, traceparent";
// Seconds a browser may reuse a preflight (Chromium caps it at 7200).
constexpr std::string_view k_max_age = "600";

}  // namespace

cors_policy::cors_policy(std::string_view origins) : origins_(config::cors_origin_list(origins)) {
  any_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
}

std::optional<std::string> cors_policy::allow_origin(std::string_view origin) const {
  if (origin.empty() || origins_.empty()) return std::nullopt;
  if (std::find(origins_.begin(), origins_.end(), origin) != origins_.end()) {
    return std::string(origin);
  }
  if (any_) return std::string("*");
  return std::nullopt;
}

http::response cors_policy::preflight(const std::string& allowed_origin,
                                      const std::string& methods) const {
  http::response r;
  r.status = 204;
  r.set("Access-Control-Allow-Origin", allowed_origin);
  r.set("Access-Control-Allow-Methods", methods);
  r.set("Access-Control-Allow-Headers", std::string(k_allow_headers));
  r.set("Access-Control-Max-Age", std::string(k_max_age));
  r.set("Vary", "Origin");
  return r;
}

void cors_policy::decorate(http::response& res,
                           const std::optional<std::string>& allowed_origin) const {
  if (!enabled()) return;
  auto varies = std::any_of(res.headers.begin(), res.headers.end(), [](const auto& h) {
    return h.first == "Vary" && h.second.find("Origin") != std::string::npos;
  });
  if (!varies) res.set("Vary", "Origin");
  if (!allowed_origin) return;
  res.set("Access-Control-Allow-Origin", *allowed_origin);
  res.set("Access-Control-Expose-Headers", std::string(k_expose_headers));
}

}  // namespace sluice::api

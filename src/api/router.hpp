#pragma once
// The HTTP API (v1) over the configured resources:
//   POST /v1/{resource}          validate → publish → 202 (201 with Prefer: wait)
//   GET  /v1/{resource}          rows, filters, keyset pages, ETag
//   GET  /v1/{resource}/{id}     one row
//   GET  /v1/messages/{id}       delivery status of one message (and its history)
//   GET, POST, DELETE /v1/dead-letters…   dead letters: list, inspect, redrive,
//                                discard (scope admin; api/dead_letters.cpp)
//   GET  /healthz, /readyz, /metrics
// All of it is one route table in router.cpp: dispatch, 405's Allow, the
// `route` label of metrics and logs and the scope each route needs (issue 12)
// are derived from it, never written twice. A route that needs a scope asks
// ctx.auth for the principal first: 401 (WWW-Authenticate) without a valid
// credential, 403 naming the missing scope without the scope.

#include <string>
#include <string_view>

#include "api/context.hpp"
#include "config/config.hpp"
#include "http/server.hpp"

namespace sluice::api {

// The returned handler refers to `ctx`, which must outlive it.
http::handler make_handler(context& ctx);

// What the route table makes of a request line, without running a handler.
struct route_match {
  // The route template with {resource} filled in ("/v1/users/{id}"), also for
  // a 405; "(unmatched)" when no route's path matches (404, or 400 for a
  // target that does not parse). Bounded by the configured resources.
  std::string label;
  std::string allow;      // the path's methods ("GET, POST"); "" when unmatched
  bool allowed = false;   // a route serves this method (GET routes serve HEAD too)
  // The scope the serving route needs ("publish:users", "status", …); "" when
  // it needs none or nothing serves the request.
  std::string scope;
};
route_match match_route(const config::config& cfg, std::string_view method,
                        std::string_view target);

}  // namespace sluice::api

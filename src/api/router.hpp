#pragma once
// The HTTP API (v1) over the configured resources:
//   POST /v1/{resource}          validate → publish → 202 (201 with Prefer: wait)
//   GET  /v1/{resource}          rows, filters, keyset pages, ETag
//   GET  /v1/{resource}/{id}     one row
//   GET  /v1/messages/{id}       delivery status of one message (and its history)
//   GET, POST, DELETE /v1/dead-letters…   dead letters: list, inspect, redrive,
//                                discard (scope admin; api/dead_letters.cpp)
//   GET  /healthz, /readyz, /metrics
//   GET  /openapi.json           the OpenAPI 3.1 document of all of it (api/openapi.hpp)
// All of it is one route table in router.cpp: dispatch, 405's Allow, the
// `route` label of metrics and logs and the scope each route needs (issue 12)
// are derived from it, never written twice. A route that needs a scope asks
// ctx.auth for the principal first: 401 (WWW-Authenticate) without a valid
// credential, 403 naming the missing scope without the scope.

#include <string>
#include <string_view>
#include <vector>

#include "api/context.hpp"
#include "config/config.hpp"
#include "http/server.hpp"

namespace sluice::api {

// The returned handler refers to `ctx`, which must outlive it. It builds the
// OpenAPI document of ctx.cfg once, here.
http::handler make_handler(context& ctx);

// One route of the table as documents list it (api/openapi.cpp), with
// {resource} filled in for each configured resource, in table order.
struct route_info {
  std::string_view method;   // GET, POST, DELETE (a GET route serves HEAD too)
  std::string_view pattern;  // the table's template: "/v1/{resource}/{id}"
  std::string path;          // with {resource} filled in: "/v1/users/{id}"
  const config::resource_def* resource = nullptr;  // for {resource} routes
  std::string scope;                               // the scope it needs; "" = none
};
std::vector<route_info> route_table(const config::config& cfg);

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

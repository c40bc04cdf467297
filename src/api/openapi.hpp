#pragma once
// The OpenAPI 3.1 document of this API (GET /openapi.json, `sluice openapi`),
// generated from the configuration: one schema pair per resource (the record
// a POST takes, the row a GET answers) from its field rules, and one
// operation per route of the route table (api/router.cpp's route_table()),
// so a route cannot be served without being listed. The operations'
// parameters, bodies, responses (every problem+json one included), headers
// and security (from [auth]) come from openapi.cpp's description of each
// route; the shared parts (schemas, parameters, headers, responses) from
// openapi_parts.cpp. Same configuration, same bytes.

#include <boost/json/object.hpp>
#include <string>

#include "config/config.hpp"
#include "http/message.hpp"

namespace sluice::api {

// The document, serialised once (make_handler builds it at start).
struct openapi_document {
  std::string body;  // application/json
  std::string etag;  // a strong validator of `body`
};

boost::json::object openapi_json(const config::config& cfg);
openapi_document make_openapi_document(const config::config& cfg);

// GET /openapi.json: 200 with ETag, or 304 for a matching If-None-Match.
http::response openapi_response(const openapi_document& doc, const http::request& req);

// The routes of the table that openapi.cpp has no description for (empty
// when every route is described; tests hold it so).
std::vector<std::string> undescribed_routes(const config::config& cfg);

}  // namespace sluice::api

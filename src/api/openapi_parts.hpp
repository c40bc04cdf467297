#pragma once
// The shared parts of the OpenAPI document (api/openapi.hpp): component
// schemas (the resources' records and rows from their field rules, problem
// details, the JSON answers of the fixed routes), parameters, headers and
// the problem+json responses every operation may give. Internal to api/.

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace sluice::api::openapi_parts {

// {"$ref": "#/components/<kind>/<name>"}
boost::json::object ref(std::string_view kind, std::string_view name);

// Component names of a resource's schemas: "<resource>_record", "<resource>_row"
// (resource names are [a-z][a-z0-9_]*, so no two names collide).
std::string record_name(const config::resource_def& r);
std::string row_name(const config::resource_def& r);

// components.schemas: Problem, the fixed routes' bodies, and a record and a
// row schema per resource.
boost::json::object schemas(const config::config& cfg);
// components.parameters: the query and header parameters routes share.
boost::json::object parameters();
// GET /v1/{resource}'s `limit`: the resource's own default and maximum.
boost::json::object limit_parameter(const config::resource_def& r);
// components.headers: the response headers routes share.
boost::json::object headers();
// One of them inline, with `required: true` (a $ref can carry no siblings).
boost::json::object required_header(std::string_view name);

// A shared problem+json answer: its component name ("Problem404") and body.
std::string problem_response_name(unsigned status);
boost::json::object problem_response(unsigned status);

// {"application/problem+json": {"schema": Problem}}
boost::json::object problem_content();
// {"application/json": {"schema": schema}}
boost::json::object json_content(boost::json::object schema);

}  // namespace sluice::api::openapi_parts

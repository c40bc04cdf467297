#pragma once
// Parses the query string of GET /v1/{resource} into a store query:
//   limit=1..max_limit (default default_limit: the resource's, config.hpp),
//   order=id.asc|id.desc, after=<id>,
//   <field>=eq.<value> (PostgREST style; also id=eq.<n>), at most
//   max_filters of them (each filter shape is a statement a store prepares
//   and caches).
// Anything else is a 400 naming the parameter.

#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "http/problem.hpp"
#include "store/store.hpp"

namespace sluice::api {

constexpr std::size_t max_filters = 16;

struct list_query {
  store::page_query query;
  std::string filter_params;  // the filters and order, re-encoded for the next-page link
};

// The cache key of a query: equal for queries that must give the same page
// (filters in any order, defaults spelt out or not).
std::string cache_key(std::string_view table, const store::page_query& q);

// On failure returns nullopt and sets `error` (pointer = the parameter name).
std::optional<list_query> parse_list_query(const config::resource_def& resource,
                                           std::string_view query_string,
                                           http::field_error& error);

}  // namespace sluice::api

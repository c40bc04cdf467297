#pragma once
// Parses the query string of GET /v1/{resource} (PostgREST's syntax where it
// has one) into a store query (store/query.hpp):
//   <field>=[not.]<op>.<value>  on any field or id; op: eq neq gt gte lt lte
//                               like ilike (`*` = any run), in.(a,b,"c,d"),
//                               is.null|not_null|true|false
//   or=(c1,c2,…) and=(…) not.or=(…) not.and=(…)   each c: <field>.[not.]<op>.<value>,
//                               a value with , ( ) or " in double quotes (\" \\ escape);
//                               one level deep
//   select=<column>,…           id, fields, message_id, received_at, stored_at
//   order=<column>[.asc|.desc][.nullsfirst|.nullslast]   id or an indexed field
//   limit=1..max_limit (default default_limit: the resource's, config.hpp)
//   after=<id> (id order) | cursor=<token> (the Link header's next or prev, any order)
// Values are typed as their field (id: an integer). At most max_filters
// conditions in all (each shape is a statement a store prepares and caches).
// Anything else is a 400 naming the parameter.

#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "http/problem.hpp"
#include "store/query.hpp"

namespace sluice::api {

constexpr std::size_t max_filters = 16;
constexpr std::size_t max_in_values = 100;  // values of one in.(…)

struct list_query {
  store::page_query query;
  // Every parameter but limit, after and cursor, as sent: the next page's
  // link repeats them.
  std::string filter_params;
  // A prev link's cursor: the page is the last query.limit rows before
  // query.after (store/page_before.hpp), not the rows past it.
  bool before = false;
};

// The cache key of a query: equal for queries that must give the same page
// (conditions and groups in any order, defaults spelt out or not), different
// whenever the pages may differ (conditions, groups, order, position,
// selected columns, limit).
// `before`: the page before q.after (list_query::before).
std::string cache_key(std::string_view table, const store::page_query& q, bool before = false);

// On failure returns nullopt and sets `error` (pointer = the parameter name).
std::optional<list_query> parse_list_query(const config::resource_def& resource,
                                           std::string_view query_string,
                                           http::field_error& error);

// The target of the page past `last` (Link: rel="next"): limit, then after=
// (id order) or a signed cursor= (field order), then filter_params.
std::string next_page_target(std::string_view table, const list_query& q,
                             const store::keyset& last);

// The target of the page before `first` (Link: rel="prev"): limit, a signed
// cursor= of `first` marked as a prev position (whatever the order, id too),
// then filter_params.
std::string prev_page_target(std::string_view table, const list_query& q,
                             const store::keyset& first);

}  // namespace sluice::api

#pragma once
// The SQL of a page query (store/query.hpp), written once for every SQL
// store: WHERE from the conditions and groups, ORDER BY, the keyset
// predicate, LIMIT. A store says only how its dialect spells placeholders,
// bytewise text comparison, pattern matching and row objects; every value is
// a bound parameter, so the SQL text depends only on the query's shape (the
// stores' bounded statement caches key on it).
//
// Order on a field f (an indexed field: its index is (f, id)) is run as up to
// two statements, one per segment of the order: the rows whose f is NULL
// (ordered by id) and the rest (ordered by (f, id)). Each is a range of that
// one index on SQLite and PostgreSQL alike, whatever the database's own
// place for NULLs; nullsfirst/nullslast only choose which segment comes
// first. A keyset position is "past (v, id)" inside its segment, then the
// whole of the next one. No OFFSET anywhere.

#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "config/config.hpp"
#include "core/result.hpp"
#include "store/query.hpp"

namespace sluice::store {

struct query_dialect {
  // Parameter n (from 1) holding a value of `field`'s type (nullptr: an
  // integer — the id, the limit): SQLite "?3", PostgreSQL "$3::bigint".
  std::string (*placeholder)(int n, const config::field_def* field) = nullptr;
  // Follows a text column wherever it is compared or ordered, so that text
  // compares bytewise as SQLite's BINARY does (PostgreSQL: ` COLLATE "C"`,
  // which its (f, id) indexes on text fields are built with).
  const char* text_collation = "";
  // like/ilike as GLOB (SQLite: its LIKE ignores ASCII case) rather than
  // LIKE … ESCAPE '\'.
  bool glob = false;
  // The order field's value, the statement's second column (PostgreSQL:
  // timestamps as the RFC 3339 text SQLite stores).
  std::string (*sort_value)(const config::field_def& field) = nullptr;
  // A row object with `columns` (store/query.hpp: page_query::select; empty
  // = all), the statement's third column.
  std::string (*row_json)(const config::resource_def& r,
                          const std::vector<std::string>& columns) = nullptr;
};

// One statement of a page: `SELECT id, <order value>, <row object> … LIMIT
// <last placeholder>`. `params` are bound first, then the limit.
struct page_statement {
  std::string sql;
  std::vector<model::value> params;
};

struct page_plan {
  std::vector<page_statement> segments;  // run in order until the page is full
  // The order field (its value is column 1), nullptr for id order (column 1 is NULL).
  const config::field_def* order_field = nullptr;
};

// errc::bad_query when a field, the order or a selected column is not the
// resource's, or a condition does not fit its operator.
result<page_plan> plan_page(const query_dialect& d, std::string_view table,
                            const config::resource_def& r, const page_query& q);

// Runs `plan` through `run` (which binds a statement's params and `limit`,
// appends each row's object to page.json after a ',' when page.count > 0,
// counts it and sets page.last) until q.limit rows; the result is a JSON array.
using run_statement =
    std::function<std::error_code(const page_statement& s, std::size_t limit, page& out)>;
result<page> run_page(const page_plan& plan, std::size_t limit, const run_statement& run);

// The parts of a count (store.hpp count()): `where`, q's conditions and
// groups as " WHERE …" (or ""), placeholders from 1, then `before` (set
// when q.after is), a predicate true for the rows at or before q.after in
// q's order, placeholders following. `params` in that order; the first
// `where_params` are `where`'s. `order_column` is the order field ("" for id).
struct count_parts {
  std::string where;
  std::string before;
  std::vector<model::value> params;
  std::size_t where_params = 0;
  std::string order_column;
};
result<count_parts> plan_count(const query_dialect& d, const config::resource_def& r,
                               const page_query& q);

// The pattern of like/ilike (`*` = any run) as the dialect's LIKE (`%`, with
// `%`, `_` and `\` escaped by `\`) or GLOB (`*`, with `?` and `[` bracketed)
// pattern; ilike's with ASCII letters lowered. Exposed for tests.
std::string match_pattern(std::string_view pattern, bool glob, bool fold_case);

// The member names of a row object, in the order both SQL stores write them
// (their row_json_sql with no columns): "id", the fields, then message_id,
// received_at, stored_at.
std::vector<std::string> row_object_columns(const config::resource_def& r);
// True when `column` is one of row_object_columns(r).
bool is_row_column(const config::resource_def& r, std::string_view column);

}  // namespace sluice::store

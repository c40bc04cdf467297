#pragma once
// The store-neutral query of GET /v1/{resource}: conditions with PostgREST's
// operators, or/and groups one level deep, the order with its keyset
// position, the columns each row object holds. api/list_query builds it from
// the query string; store/query_sql turns it into SQL once for every SQL
// store. Field names in it are a resource's fields or "id" (stores refuse
// anything else with errc::bad_query).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/record.hpp"

namespace sluice::store {

enum class op {
  eq,
  neq,
  gt,
  gte,
  lt,
  lte,
  like,   // text fields: `*` matches any run of characters, everything else itself
  ilike,  // like, with ASCII letters folded to lower case on both sides (nothing else folds)
  in,     // one of `values`
  is_null,
  is_true,   // boolean fields
  is_false,  // boolean fields
};
std::string_view to_string(op o);

// `field op values`, or NOT (that) when negated (SQL's three-valued logic: a
// NULL never satisfies a comparison, nor its negation; `is` decides NULLs).
struct condition {
  std::string field;  // a field name, or "id"
  op o = op::eq;
  bool negated = false;
  // One for comparisons and like/ilike (the pattern as written, `*` = any
  // run), one or more for `in`, none for the is_* operators. Typed as the
  // field (model::value's mapping; "id" is an integer).
  std::vector<model::value> values;
};

// An equality condition (the common case).
inline condition equals(std::string field, model::value v) {
  return {std::move(field), op::eq, false, {std::move(v)}};
}

// or=(…) (any) or and=(…) (all), NOT (that) when negated.
struct group {
  bool any = false;
  bool negated = false;
  std::vector<condition> conditions;
};

// The page's order: by `field` (id or an indexed field), then by id in the
// same direction. NULLs sort as PostgreSQL's default puts them unless asked
// otherwise: last ascending, first descending.
struct order_by {
  std::string field = "id";
  bool descending = false;
  bool nulls_first = false;
};

// A position in the order: the last row of the previous page. For id order
// only `id` counts.
struct keyset {
  model::value value;  // the order field's value; monostate = NULL
  std::int64_t id = 0;
};

struct page_query {
  std::vector<condition> filters;  // all hold
  std::vector<group> groups;       // each holds
  order_by order;
  std::optional<keyset> after;  // rows past this position in the order
  // The members of each row object, in this order ("id", fields,
  // "message_id", "received_at", "stored_at"); empty = all of them.
  std::vector<std::string> select;
  std::size_t limit = 100;
  // The page must reflect at least this version() of the table: a store
  // that reads from a replica (replica_store.hpp) uses the replica only once
  // it has replayed it. 0 = any.
  std::int64_t min_version = 0;
};

struct page {
  std::string json;  // a JSON array of row objects
  std::size_t count = 0;
  std::optional<std::int64_t> last_id;
  // The first row's position (the previous page's `after`, read backwards:
  // store/page_before.hpp).
  std::optional<keyset> first;
  // The last row's position (its order value and id): the next page's `after`.
  std::optional<keyset> last;
};

}  // namespace sluice::store

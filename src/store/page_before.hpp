#pragma once
// The page before a keyset position (GET /v1/{resource}'s Link: rel="prev"),
// for any store: the last q.limit rows before q.after in q's order, returned
// in q's order. Read as the forward page of the reversed order (field and id
// directions flipped, NULLs' place flipped) from the same position, so it is
// the same index range the next pages use, with no OFFSET; then the rows are
// put back in q's order.

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/query.hpp"
#include "store/store.hpp"

namespace sluice::store {

// `o` read the other way: the rows of o after a position, reversed, are the
// rows of reversed(o) before it.
order_by reversed(const order_by& o);

// The elements of a JSON array (of objects, as page::json holds) in reverse
// order. `json` must be a well-formed array.
std::string reversed_array(std::string_view json);

struct before_page {
  page rows;                 // in q's order; first/last/last_id as a forward page's
  bool more_before = false;  // a row precedes rows.first (the page has a prev)
};

// q.after must be set (the first row of the page that follows, as a cursor
// holds it). Two statements at most: the page, and when it is full, a
// one-row probe for a row before it.
result<before_page> query_before(store& s, std::string_view table, const page_query& q);

}  // namespace sluice::store

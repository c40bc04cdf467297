#pragma once
// count() on PostgreSQL (store.hpp): the statements, and the planner's
// estimate read from EXPLAIN (FORMAT JSON) — the row estimate of the plan's
// top node, which PostgreSQL derives from pg_class.reltuples (scaled to the
// table's current size) and the columns' statistics, as PostgREST's
// count=planned does.

#include <optional>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace sluice::store::pg {

// "SELECT count(*), <rows before the position> FROM <source>": `before` is
// store/query_sql's count_parts::before (empty: no position, the second
// column is 0).
std::string count_sql(const std::string& before, const std::string& source);

// The "Plan Rows" of the first (top) plan node of EXPLAIN (FORMAT JSON)'s
// output; nullopt when there is none.
std::optional<double> plan_rows(std::string_view explain_json);

}  // namespace sluice::store::pg

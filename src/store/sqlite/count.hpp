#pragma once
// count() on the SQLite store (store.hpp): exact counts with count(*), and
// estimates from what ANALYZE leaves in sqlite_stat1 (SQLite's planner has no
// row estimate to ask for):
//   - the table's rows: the row count sqlite_stat1 holds for the table; when
//     the table was never analyzed, max(id), which is at least the count
//     (ids only grow and rows are never deleted);
//   - an equality filter on an indexed field narrows it by the index's
//     "rows per value" (sqlite_stat1's second number), the id's to one row;
//     other filters are not estimated (the estimate stays an upper bound);
//   - the rows before a cursor: the share of the id range up to it.

#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "core/result.hpp"
#include "sqlite/database.hpp"
#include "store/store.hpp"

namespace sluice::store::sqlite {

// errc::bad_query when a condition names no field of `r`.
result<row_count> count_rows(sluice::sqlite::connection& c, const std::string& table,
                             const config::resource_def& r, const page_query& q, count_mode mode,
                             std::uint64_t exact_max);

}  // namespace sluice::store::sqlite

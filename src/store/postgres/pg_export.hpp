#pragma once
// sluice export on PostgreSQL (store.hpp export_rows): one
// COPY (SELECT …) TO STDOUT read row by row through libpq's COPY API
// (PQgetCopyData), so the server formats the CSV and memory stays constant.

#include <string>

#include "config/config.hpp"
#include "core/result.hpp"
#include "store/postgres/pg_conn.hpp"
#include "store/store.hpp"

namespace sluice::store::pg {

// The COPY statement of `q` (literals spliced: COPY takes no parameters; they
// are formatted here from integers, never from client text).
std::string export_sql(const std::string& table, const config::resource_def& r,
                       const std::string& row_json, const export_query& q);

// Runs `sql` (a COPY … TO STDOUT) on `c` and hands each row to `sink`;
// `ndjson` undoes COPY's text-format escapes of the one JSON column.
// REQUIRES: `c` idle; on failure the caller discards it.
result<export_result> copy_out(connection& c, const std::string& sql, bool ndjson,
                               const export_sink& sink);

}  // namespace sluice::store::pg

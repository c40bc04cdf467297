#pragma once
// The sink's write path on PostgreSQL: one batch, one transaction, normally
// one round trip (pipeline: BEGIN, multi-row INSERT … ON CONFLICT DO NOTHING
// RETURNING, dead letters, COMMIT, Sync). When the database refuses the
// multi-row insert (a constraint or data error), the batch is retried row by
// row in the same new transaction, each row in its own savepoint, pipelined,
// so the refused rows become dead letters and the rest are stored.

#include <string>

#include "store/postgres/pg_conn.hpp"
#include "store/store.hpp"

namespace sluice::store::pg {

struct write_statements {
  const config::resource_def* resource = nullptr;
  std::string insert_sql;       // pg_schema insert_sql()
  std::string dead_letter_sql;  // pg_schema dead_letter_sql()
  std::string table;            // whose version a batch with rows raises
};

// Writes `b` on `c`. errc::unavailable when the connection or the server
// fails (the transaction is then rolled back by the server; a failed
// connection is marked so the pool drops it).
// REQUIRES: `c` is idle and not in pipeline mode.
result<batch_result> write_batch(connection& c, const write_statements& s, const batch& b,
                                 clock::time_point deadline);

}  // namespace sluice::store::pg

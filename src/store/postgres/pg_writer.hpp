#pragma once
// The sink's write path on PostgreSQL: one batch, one transaction, normally
// one round trip (pipeline: BEGIN, multi-row INSERT … ON CONFLICT DO NOTHING
// RETURNING, dead letters, COMMIT, Sync). When the multi-row insert fails
// while the server still answers (an error result on a live connection), the
// batch is redone row by row in a new transaction, each row in its own
// savepoint, pipelined, so the failing rows are isolated:
//   - a row error (classes 22, 23, 54, P0, 2F, 38, 39) makes that row a dead letter with the database's message, and
//     the rest of the batch commits;
//   - any other error releases the whole batch (errc::unavailable, the
//     subscriber does not count an attempt) — unless the same row has been
//     refused with the same SQLSTATE and message refusal_memory::limit times
//     in a row, which makes it a row error whatever its class (so a row that
//     always hits statement_timeout, 57014, is dead-lettered on its third try);
//   - a lost connection or a timeout on the client releases the batch.

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "store/postgres/pg_conn.hpp"
#include "store/store.hpp"

namespace sluice::store::pg {

struct write_statements {
  const config::resource_def* resource = nullptr;
  std::string insert_sql;       // pg_schema insert_sql()
  std::string dead_letter_sql;  // pg_schema dead_letter_sql()
  std::string table;            // whose version a batch with rows raises
};

// Per store: how many times in a row each message's row was refused the same
// way with an error outside the row classes. Bounded (cleared when full: at
// worst a row takes `limit` more tries). Thread safe.
class refusal_memory {
 public:
  static constexpr unsigned limit = 3;
  // Records one more refusal of `message_id` with `signature` (SQLSTATE and
  // message); true when it is the limit-th identical one in a row.
  bool refused_again(const std::string& message_id, const std::string& signature);
  void forget(const std::string& message_id);

 private:
  static constexpr std::size_t k_capacity = 10'000;
  struct entry {
    std::string signature;
    unsigned count = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, entry> seen_;  // guarded by mu_
};

// Writes `b` on `c`. errc::unavailable when the connection or the server
// fails (the transaction is then rolled back by the server; a failed
// connection is marked so the pool drops it).
// REQUIRES: `c` is idle and not in pipeline mode.
result<batch_result> write_batch(connection& c, const write_statements& s, const batch& b,
                                 refusal_memory& memory, clock::time_point deadline);

}  // namespace sluice::store::pg

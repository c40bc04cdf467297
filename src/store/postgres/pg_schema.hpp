#pragma once
// SQL text for a resource's table on PostgreSQL: DDL from the resource
// definition and the statements the store prepares. Identifiers are safe to
// splice: the config admits only [a-z][a-z0-9_]* names.

#include <string>
#include <vector>

#include "config/config.hpp"
#include "store/ddl.hpp"
#include "store/query_sql.hpp"
#include "model/record.hpp"

namespace sluice::store::pg {

// The store-wide tables (migration record, dead letters), in order.
extern const char* const migrations_ddl;
extern const char* const dead_letters_ddl;
// dead_letters_ddl and what dead-letter operations added since (state,
// redrives, the events table): the dead letters' migration.
const std::vector<std::string>& dead_letters_upgrade();
// Per-table versions for the read cache (store.hpp version()).
extern const char* const versions_ddl;
// Raises a table's version ($1 = table) and returns it; run inside the
// batch's transaction, before COMMIT.
extern const char* const version_bump_sql;
extern const char* const version_read_sql;
// The key of the transaction-scoped advisory lock that serialises migrations
// across processes.
extern const char* const migrate_lock_sql;
// Takes one transaction-scoped advisory lock per outcome key ($1 = text[] of
// "subscription/message_id"), in a fixed order (no deadlock between batches
// that share messages). A batch holds them until it commits, so a row insert
// and a dead letter of the same message in two transactions (a lease that
// expired under worker A while worker B dead-letters) run one after the
// other, and the second one's NOT EXISTS guard sees the first one's outcome.
// Two-int keys: a key space apart from migrate_lock_sql's one-bigint key.
extern const char* const outcome_lock_sql;

// How this store's SQL spells a resource's table: store/ddl.hpp writes the
// CREATE TABLE, CREATE INDEX and ADD COLUMN statements from it.
const sluice::store::sql_dialect& dialect();

// Multi-row insert of a batch from one array parameter per column (one
// prepared statement serves any batch size):
//   $1 uuid[] message ids, $2 bigint[] received_at (µs since the epoch),
//   $3 text subscription (for the dead-letter guard), $4 text[] trace ids
//   (NULL elements when unknown), then one array per field from $5. RETURNING message_id::text of the rows inserted.
std::string insert_sql(const std::string& table, const config::resource_def& r);
// Dead letter unless the message has a row in `table`: $1 message id (text),
// $2 subscription, $3 topic, $4 reason, $5 attempts, $6 body, $7 message id as
// uuid (NULL when it is not one, so it matches no row), $8 trace id (NULL when
// unknown; a dead letter written again keeps its first).
std::string dead_letter_sql(const std::string& table);
// An expression producing one row as compact JSON text, byte for byte what
// the SQLite store serves (timestamps RFC 3339 UTC with microseconds).
// Every column (store/query_sql.hpp: row_object_columns), or only
// `columns`, in their order.
std::string row_json_sql(const config::resource_def& r);
std::string row_json_sql(const config::resource_def& r, const std::vector<std::string>& columns);
// How this store spells a page query (store/query_sql.hpp).
const sluice::store::query_dialect& query_dialect();

// Appends one element of a PostgreSQL array literal ("{…}") for `v`.
void append_array_element(std::string& out, const model::value& v);
// A value as a text parameter (nullopt-free: monostate gives "").
std::string param_text(const model::value& v);
// True for the 8-4-4-4-12 hex form PostgreSQL's uuid type accepts from us.
bool looks_like_uuid(const std::string& s);

}  // namespace sluice::store::pg

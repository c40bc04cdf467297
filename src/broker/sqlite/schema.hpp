#pragma once
// The queue file's schema and connection settings. Private to src/broker/sqlite/.
//
//   messages       one row per published message; `seq` orders the topic;
//                  `fingerprint` is message::fingerprint ('' when none).
//   subscriptions  name → topic.
//   deliveries     one row per (subscription, message) not yet acked: the
//                  subscription's queue. `lease` is NULL or the token of the
//                  current lease; `visible_at_us` is when it may be leased again.
//
// A message row is deleted once no delivery refers to it (see queue_sql.hpp).

#include <system_error>

#include "sqlite/database.hpp"

namespace sluice::broker::sqlite {

// The shared SQLite wrapper (src/sqlite/), under this folder's names.
using sluice::sqlite::connection;
using sluice::sqlite::make_sqlite_error;
using sluice::sqlite::statement;

// 2: messages.fingerprint. A version-1 file is migrated in place when opened.
inline constexpr int k_schema_version = 2;

// For the connection that writes: WAL, synchronous=FULL, then creates or
// checks the schema in one IMMEDIATE transaction so that processes opening the
// file together do not race. Fails if the file has a newer schema version.
std::error_code prepare_writer(connection& db);

// For a connection that only reads: refuses writes (PRAGMA query_only).
std::error_code prepare_reader(connection& db);

}  // namespace sluice::broker::sqlite

#include "broker/sqlite/schema.hpp"

#include <sqlite3.h>

namespace sluice::broker::sqlite {
namespace {

constexpr const char* k_create = R"sql(
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  topic TEXT NOT NULL,
  body BLOB NOT NULL,
  headers TEXT NOT NULL,
  accepted_at_us INTEGER NOT NULL,
  keep_until_us INTEGER NOT NULL DEFAULT 0,  -- idempotent ids: kept after the last ack until then
  fingerprint BLOB NOT NULL DEFAULT x''  -- the request's digest: dedup identity with id (v2)
);
CREATE INDEX IF NOT EXISTS messages_keep_until ON messages (keep_until_us) WHERE keep_until_us > 0;
CREATE TABLE IF NOT EXISTS subscriptions (
  name TEXT PRIMARY KEY,
  topic TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
  subscription TEXT NOT NULL,
  seq INTEGER NOT NULL,
  visible_at_us INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  lease INTEGER,
  PRIMARY KEY (subscription, seq)
) WITHOUT ROWID;
PRAGMA user_version = 2;
)sql";

// v1 → v2: the request fingerprint (message::fingerprint). Rows written by v1
// get '' and are compared by body, as v1 did. ADD COLUMN with a constant
// default rewrites nothing, so it is instant on a large queue file.
constexpr const char* k_migrate_v1_v2 = R"sql(
ALTER TABLE messages ADD COLUMN fingerprint BLOB NOT NULL DEFAULT x'';
PRAGMA user_version = 2;
)sql";

result<std::int64_t> user_version(connection& db) {
  auto stmt = db.prepare("PRAGMA user_version");
  if (!stmt) return stmt.error();
  auto row = stmt->step();
  if (!row) return row.error();
  return *row ? stmt->int64_at(0) : 0;
}

std::error_code create_or_check(connection& db) {
  auto version = user_version(db);
  if (!version) return version.error();
  if (*version == 0) return db.exec(k_create);
  if (*version == 1) return db.exec(k_migrate_v1_v2);
  // A newer sluice wrote this file; guessing at its layout could lose messages.
  if (*version != k_schema_version) return make_sqlite_error(SQLITE_MISMATCH);
  return {};
}

// Incremental auto-vacuum lets a draining queue give freed pages back to the
// filesystem (see storage_guard.hpp). A file made before it is converted
// once by a VACUUM; when that fails (e.g. no room for the copy) the file
// works as before, it only keeps its size.
void make_vacuumable(connection& db) {
  {
    auto stmt = db.prepare("PRAGMA auto_vacuum");
    if (!stmt) return;
    auto row = stmt->step();
    if (!row || !*row || stmt->int64_at(0) == 2) return;  // 2: incremental
  }  // reset before the VACUUM, which needs no statement of ours running
  if (db.exec("PRAGMA auto_vacuum = INCREMENTAL")) return;
  static_cast<void>(db.exec("VACUUM"));
}

}  // namespace

std::error_code prepare_writer(connection& db) {
  // Only takes effect on a new file, before anything is written to it.
  if (auto ec = db.exec("PRAGMA auto_vacuum = INCREMENTAL")) return ec;
  // journal_mode is persistent in the file; ":memory:" answers "memory", which
  // is fine for tests. The write lock it may need is covered by busy_timeout.
  if (auto ec = db.exec("PRAGMA journal_mode = WAL")) return ec;
  if (auto ec = db.exec("PRAGMA synchronous = FULL")) return ec;
  if (auto ec = db.exec("BEGIN IMMEDIATE")) return ec;
  auto ec = create_or_check(db);
  if (!ec) ec = db.exec("COMMIT");
  if (ec && db.in_transaction()) db.exec("ROLLBACK");
  if (!ec) make_vacuumable(db);
  return ec;
}

std::error_code prepare_reader(connection& db) {
  return db.exec("PRAGMA query_only = 1");
}

}  // namespace sluice::broker::sqlite

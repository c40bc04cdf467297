#pragma once
// RAII ownership of SQLite handles for the queue broker; private to
// src/broker/sqlite/ (no SQLite type leaves this folder).
//
// Errors are std::error_codes of sqlite_category(), whose values are SQLite
// extended result codes; the broker maps them to errc::unavailable at its
// interface.
//
// Thread safety: none. A connection (and every statement borrowed from it) is
// used by one thread at a time; the owner provides the mutex or the thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>

#include "core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace sluice::broker::sqlite {

const std::error_category& sqlite_category();
std::error_code make_sqlite_error(int code);

struct connection_deleter {
  void operator()(sqlite3* db) const noexcept;
};
struct statement_deleter {
  void operator()(sqlite3_stmt* stmt) const noexcept;
};
using connection_ptr = std::unique_ptr<sqlite3, connection_deleter>;
using statement_ptr = std::unique_ptr<sqlite3_stmt, statement_deleter>;

// One use of a prepared statement owned by a connection's cache. Resets the
// statement (and clears its bindings) on destruction, so that a SELECT read
// only partly never keeps a WAL snapshot open (which would stall checkpoints).
// REQUIRES: at most one live `statement` per SQL text at a time.
class statement {
 public:
  explicit statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  statement(statement&& other) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement& operator=(statement&&) = delete;
  ~statement();

  // Parameter indexes are 1-based. A failed bind is reported by the next step().
  statement& bind(int index, std::int64_t value);
  statement& bind_text(int index, std::string_view value);
  statement& bind_blob(int index, std::string_view value);

  // true: a row is available; false: the statement is done.
  result<bool> step();
  // Steps to completion; for statements whose rows (if any) are not wanted.
  std::error_code run();

  // Column indexes are 0-based. REQUIRES: the last step() returned a row.
  std::int64_t int64_at(int column) const;
  std::string text_at(int column) const;
  std::string blob_at(int column) const;

 private:
  sqlite3_stmt* stmt_;
  int bind_error_ = 0;  // first failed bind, SQLite result code
};

class connection {
 public:
  // Opens (creating if needed) the database at `path` with extended result
  // codes and the given busy timeout. Does not touch the schema.
  static result<connection> open(const std::string& path, std::chrono::milliseconds busy_timeout);

  connection(connection&&) noexcept = default;
  connection& operator=(connection&&) noexcept = default;

  // Runs one or more statements that return no rows of interest (set-up only:
  // this parses the SQL every time; use prepare() on hot paths).
  std::error_code exec(const char* sql);

  // A statement prepared once per connection and reused.
  result<statement> prepare(const std::string& sql);

  // False after a failed statement made SQLite roll the whole transaction back
  // (SQLITE_FULL, SQLITE_IOERR, …), or when no transaction was begun.
  bool in_transaction() const;
  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;

 private:
  explicit connection(connection_ptr db) : db_(std::move(db)) {}

  connection_ptr db_;
  // Declared after db_ so that statements are finalized before the close.
  std::unordered_map<std::string, statement_ptr> cache_;
};

}  // namespace sluice::broker::sqlite

#pragma once
// The one RAII layer over the SQLite C API, shared by the queue broker
// (src/broker/sqlite/) and the store (src/store/sqlite/). No SQLite type
// appears in this header: callers see connections, statements and
// std::error_codes of sqlite_category().
//
// Errors: the error_code value is SQLite's extended result code (e.g.
// SQLITE_CONSTRAINT_CHECK); the category's message() is SQLite's text for that
// code, and connection::error_message() the detailed message of the last
// failed call on that connection (which constraint, which column).
//
// Thread safety: none. A connection (and every statement borrowed from it) is
// used by one thread at a time; the owner provides the mutex or the thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "core/result.hpp"
#include "sqlite/statement_cache.hpp"

struct sqlite3;

namespace sluice::sqlite {

const std::error_category& sqlite_category();
std::error_code make_sqlite_error(int code);
// The primary result code (the low byte) of an sqlite_category() error, e.g.
// SQLITE_CONSTRAINT for SQLITE_CONSTRAINT_CHECK; 0 for other categories.
int primary_code(std::error_code ec);
// SQLITE_CONSTRAINT: the database refuses this row for good.
bool is_constraint(std::error_code ec);

// One use of a prepared statement owned by a connection's cache. Resets the
// statement (and clears its bindings) on destruction, so that a SELECT read
// only partly never keeps a WAL snapshot open (which would stall checkpoints),
// and returns it to the cache (a statement in use is never evicted).
// REQUIRES: at most one live `statement` per SQL text at a time; it does not
// outlive its connection.
class statement {
 public:
  explicit statement(statement_cache::entry* entry);
  statement(statement&& other) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement& operator=(statement&&) = delete;
  ~statement();

  // Parameter indexes are 1-based. A failed bind (including a text or blob
  // longer than SQLite's int lengths: SQLITE_TOOBIG) is reported by step().
  statement& bind(int index, std::int64_t value);
  statement& bind_double(int index, double value);
  statement& bind_null(int index);
  statement& bind_text(int index, std::string_view value);
  statement& bind_blob(int index, std::string_view value);

  // true: a row is available; false: the statement is done.
  result<bool> step();
  // Steps to completion; for statements whose rows (if any) are not wanted.
  std::error_code run();

  // Column indexes are 0-based. REQUIRES: the last step() returned a row.
  bool is_null_at(int column) const;
  std::int64_t int64_at(int column) const;
  double double_at(int column) const;
  std::string text_at(int column) const;
  // Valid until the next step() or the end of this statement.
  std::string_view text_view_at(int column) const;
  std::string blob_at(int column) const;

 private:
  statement_cache::entry* entry_;
  sqlite3_stmt* stmt_;
  int bind_error_ = 0;  // first failed bind, SQLite result code
};

struct open_options {
  std::chrono::milliseconds busy_timeout{5000};
  bool read_only = false;  // else read-write, created if missing
  // Prepared statements kept per connection (least recently used evicted).
  std::size_t statement_cache_capacity = 256;
};

class connection {
 public:
  // Opens the database at `path` with extended result codes and the busy
  // timeout. Does not touch the schema or the journal mode. A failure carries
  // SQLite's message and the path (result::message()).
  static result<connection> open(const std::string& path, const open_options& options = {});

  connection(connection&&) noexcept = default;
  connection& operator=(connection&&) noexcept = default;

  // Runs one or more statements that return no rows of interest (set-up only:
  // this parses the SQL every time; use prepare() on hot paths).
  std::error_code exec(const char* sql);
  std::error_code exec(const std::string& sql) { return exec(sql.c_str()); }

  // A statement prepared once and reused while it stays in the cache.
  result<statement> prepare(const std::string& sql);

  // Defines the deterministic SQL function `name(x)`: NULL for NULL, else
  // `format(x as double)` as text. For rendering REALs the way SQLite's own
  // printf does not (see store/sqlite/schema.cpp).
  std::error_code define_real_formatter(const char* name, std::string (*format)(double));

  // False after a failed statement made SQLite roll the whole transaction back
  // (SQLITE_FULL, SQLITE_IOERR, …), or when no transaction was begun.
  bool in_transaction() const;
  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;
  // SQLite's message for the last failed call on this connection.
  std::string error_message() const;
  // The OS errno behind the last failed call (e.g. ENOSPC under an
  // SQLITE_IOERR_FSYNC), 0 when there was none.
  int system_errno() const;

  std::size_t cached_statements() const { return cache_.size(); }
  bool is_cached(std::string_view sql) const { return cache_.contains(sql); }

 private:
  struct close_deleter {
    void operator()(sqlite3* db) const noexcept;
  };
  using handle = std::unique_ptr<sqlite3, close_deleter>;

  connection(handle db, std::size_t cache_capacity)
      : db_(std::move(db)), cache_(cache_capacity) {}

  handle db_;
  // Declared after db_ so that statements are finalized before the close.
  statement_cache cache_;
};

// `ec`, a failed call's code, with `db`'s message for it and what it was
// about, for a person to read: "unable to open database file (/x/queue.db)".
failure failure_of(const connection& db, std::error_code ec, std::string_view about);

// BEGIN IMMEDIATE … COMMIT; rolls back on destruction unless committed, so a
// failed batch never leaves a transaction open.
class transaction {
 public:
  explicit transaction(connection& c) : c_(c) {}
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();

  std::error_code begin();
  std::error_code commit();

 private:
  connection& c_;
  bool open_ = false;
};

}  // namespace sluice::sqlite

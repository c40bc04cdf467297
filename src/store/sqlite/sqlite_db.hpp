#pragma once
// A small RAII layer over the SQLite C API for the store: one connection, a
// cache of prepared statements, typed binds. Private to src/store/sqlite/.
// Thread safety: none; callers guard a connection with a mutex.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "model/record.hpp"

namespace sluice::store::sqlite {

struct db_deleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct stmt_deleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

// A prepared statement borrowed from a connection's cache; reset and cleared
// of bindings when the guard goes out of scope.
class statement {
 public:
  explicit statement(sqlite3_stmt* s) : s_(s) {}
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  void bind(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, const std::string& v) { bind(i, std::string_view(v)); }
  void bind(int i, const char* v) { bind(i, std::string_view(v)); }
  void bind(int i, const model::value& v);

  int step() { return sqlite3_step(s_); }  // SQLITE_ROW, SQLITE_DONE or an error
  std::int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
  std::string_view text(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  sqlite3_stmt* s_;
};

class connection {
 public:
  // Opens `path` (creating it), WAL, synchronous=FULL, busy timeout.
  // Returns nullptr and sets `error` on failure.
  static std::unique_ptr<connection> open(const std::string& path, bool read_only,
                                          std::string& error);

  // Runs SQL with no results; returns an SQLite result code.
  int exec(const char* sql);
  // A cached prepared statement; nullptr (with errmsg()) when SQL is invalid.
  std::unique_ptr<statement> prepare(const std::string& sql);
  std::string errmsg() const { return sqlite3_errmsg(db_.get()); }
  int changes() const { return sqlite3_changes(db_.get()); }
  sqlite3* raw() const { return db_.get(); }

 private:
  explicit connection(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, db_deleter> db_;
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, stmt_deleter>> cache_;
};

// Rolls back unless committed: keeps a failed batch from leaving a transaction open.
class transaction {
 public:
  explicit transaction(connection& c) : c_(c) {}
  ~transaction() {
    if (open_) c_.exec("ROLLBACK");
  }
  int begin() {
    int rc = c_.exec("BEGIN IMMEDIATE");
    open_ = rc == SQLITE_OK;
    return rc;
  }
  int commit() {
    int rc = c_.exec("COMMIT");
    if (rc == SQLITE_OK) open_ = false;
    return rc;
  }

 private:
  connection& c_;
  bool open_ = false;
};

}  // namespace sluice::store::sqlite

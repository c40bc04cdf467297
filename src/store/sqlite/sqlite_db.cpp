#include "store/sqlite/sqlite_db.hpp"

namespace sluice::store::sqlite {

void statement::bind(int i, const model::value& v) {
  struct visitor {
    statement& s;
    int i;
    void operator()(std::monostate) const { sqlite3_bind_null(s.s_, i); }
    void operator()(std::int64_t x) const { sqlite3_bind_int64(s.s_, i, x); }
    void operator()(double x) const { sqlite3_bind_double(s.s_, i, x); }
    void operator()(bool x) const { sqlite3_bind_int(s.s_, i, x ? 1 : 0); }
    void operator()(const std::string& x) const { s.bind(i, std::string_view(x)); }
  };
  std::visit(visitor{*this, i}, v);
}

std::string_view statement::text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  if (p == nullptr) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))};
}

std::unique_ptr<connection> connection::open(const std::string& path, bool read_only,
                                             std::string& error) {
  sqlite3* raw = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;  // we guard each connection ourselves
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<connection> c(new connection(raw));
  if (rc != SQLITE_OK) {
    error = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return nullptr;
  }
  sqlite3_busy_timeout(raw, 5000);
  // WAL lets readers run beside the writer; FULL makes every commit durable
  // (the subscriber acks the broker right after, so a lost commit is a lost row).
  if (!read_only) {
    if (c->exec("PRAGMA journal_mode=WAL") != SQLITE_OK ||
        c->exec("PRAGMA synchronous=FULL") != SQLITE_OK) {
      error = c->errmsg();
      return nullptr;
    }
  }
  return c;
}

int connection::exec(const char* sql) {
  return sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
}

std::unique_ptr<statement> connection::prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
      return nullptr;
    }
    it = cache_.emplace(sql, std::unique_ptr<sqlite3_stmt, stmt_deleter>(s)).first;
  }
  return std::make_unique<statement>(it->second.get());
}

}  // namespace sluice::store::sqlite

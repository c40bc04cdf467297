#include "broker/sqlite/sqlite_db.hpp"

#include <sqlite3.h>

#include <climits>
#include <utility>

namespace sluice::broker::sqlite {
namespace {

class sqlite_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sqlite"; }
  std::string message(int code) const override { return sqlite3_errstr(code); }
};

int checked_length(std::string_view value) {
  // SQLite takes int lengths; anything larger is refused (SQLITE_TOOBIG) by
  // the bind, which a negative length would not do.
  return value.size() > static_cast<std::size_t>(INT_MAX) ? -1 : static_cast<int>(value.size());
}

}  // namespace

const std::error_category& sqlite_category() {
  static const sqlite_error_category c;
  return c;
}

std::error_code make_sqlite_error(int code) {
  return {code, sqlite_category()};
}

void connection_deleter::operator()(sqlite3* db) const noexcept {
  sqlite3_close_v2(db);
}
void statement_deleter::operator()(sqlite3_stmt* stmt) const noexcept {
  sqlite3_finalize(stmt);
}

statement::statement(statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), bind_error_(other.bind_error_) {}

statement::~statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

statement& statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

statement& statement::bind_text(int index, std::string_view value) {
  const int length = checked_length(value);
  const int rc = length < 0
                     ? SQLITE_TOOBIG
                     : sqlite3_bind_text(stmt_, index, value.data(), length, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

statement& statement::bind_blob(int index, std::string_view value) {
  const int length = checked_length(value);
  // A zero-length blob with a null pointer would bind NULL and violate NOT NULL.
  const int rc = length < 0 ? SQLITE_TOOBIG
                            : sqlite3_bind_blob(stmt_, index, value.empty() ? "" : value.data(),
                                                length, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

result<bool> statement::step() {
  if (bind_error_ != 0) return make_sqlite_error(bind_error_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return make_sqlite_error(rc);
}

std::error_code statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return row.error();
    if (!*row) return {};
  }
}

std::int64_t statement::int64_at(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string statement::text_at(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);  // after the pointer: see sqlite docs
  return text == nullptr ? std::string() : std::string(text, static_cast<std::size_t>(size));
}

std::string statement::blob_at(int column) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return data == nullptr ? std::string() : std::string(data, static_cast<std::size_t>(size));
}

result<connection> connection::open(const std::string& path,
                                    std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  // NOMUTEX: each connection is confined to one thread at a time by its owner.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  connection_ptr db(raw);  // a handle is returned even on failure and must be closed
  if (rc != SQLITE_OK) return make_sqlite_error(rc);
  sqlite3_extended_result_codes(db.get(), 1);
  const auto ms = busy_timeout.count();
  sqlite3_busy_timeout(db.get(), ms > INT_MAX ? INT_MAX : static_cast<int>(ms));
  return connection(std::move(db));
}

std::error_code connection::exec(const char* sql) {
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? std::error_code() : make_sqlite_error(rc);
}

result<statement> connection::prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    statement_ptr stmt(raw);
    if (rc != SQLITE_OK) return make_sqlite_error(rc);
    it = cache_.emplace(sql, std::move(stmt)).first;
  }
  return statement(it->second.get());
}

bool connection::in_transaction() const {
  return sqlite3_get_autocommit(db_.get()) == 0;
}
std::int64_t connection::changes() const {
  return sqlite3_changes64(db_.get());
}
std::int64_t connection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_.get());
}

}  // namespace sluice::broker::sqlite

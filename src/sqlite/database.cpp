#include "sqlite/database.hpp"

#include <sqlite3.h>

#include <climits>
#include <utility>

namespace sluice::sqlite {
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

struct real_format {
  std::string (*fn)(double);
};

void destroy_real_format(void* p) {
  delete static_cast<real_format*>(p);
}

void format_real(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  const auto* format = static_cast<const real_format*>(sqlite3_user_data(ctx));
  const std::string text = format->fn(sqlite3_value_double(argv[0]));
  sqlite3_result_text(ctx, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

}  // namespace

const std::error_category& sqlite_category() {
  static const sqlite_error_category c;
  return c;
}

std::error_code make_sqlite_error(int code) {
  return {code, sqlite_category()};
}

int primary_code(std::error_code ec) {
  return ec.category() == sqlite_category() ? (ec.value() & 0xff) : 0;
}

bool is_constraint(std::error_code ec) {
  return primary_code(ec) == SQLITE_CONSTRAINT;
}

statement::statement(statement_cache::entry* entry) : entry_(entry), stmt_(entry->stmt.get()) {
  entry_->in_use = true;
}

statement::statement(statement&& other) noexcept
    : entry_(std::exchange(other.entry_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bind_error_(other.bind_error_) {}

statement::~statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  entry_->in_use = false;
}

namespace {
void note(int rc, int& first_error) {
  if (rc != SQLITE_OK && first_error == 0) first_error = rc;
}
}  // namespace

statement& statement::bind(int index, std::int64_t value) {
  note(sqlite3_bind_int64(stmt_, index, value), bind_error_);
  return *this;
}

statement& statement::bind_double(int index, double value) {
  note(sqlite3_bind_double(stmt_, index, value), bind_error_);
  return *this;
}

statement& statement::bind_null(int index) {
  note(sqlite3_bind_null(stmt_, index), bind_error_);
  return *this;
}

namespace {
// sqlite3_bind_text or sqlite3_bind_blob with a checked length. A zero-length
// value with a null pointer would bind NULL (and violate NOT NULL): bind "".
template <class Bind>
int bind_bytes(Bind bind, sqlite3_stmt* stmt, int index, std::string_view value) {
  const int length = checked_length(value);
  if (length < 0) return SQLITE_TOOBIG;
  return bind(stmt, index, value.empty() ? "" : value.data(), length, SQLITE_TRANSIENT);
}
}  // namespace

statement& statement::bind_text(int index, std::string_view value) {
  note(bind_bytes(sqlite3_bind_text, stmt_, index, value), bind_error_);
  return *this;
}

statement& statement::bind_blob(int index, std::string_view value) {
  note(bind_bytes(sqlite3_bind_blob, stmt_, index, value), bind_error_);
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

bool statement::is_null_at(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t statement::int64_at(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double statement::double_at(int column) const {
  return sqlite3_column_double(stmt_, column);
}

std::string_view statement::text_view_at(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);  // after the pointer: see sqlite docs
  return text == nullptr ? std::string_view() : std::string_view(text, static_cast<std::size_t>(size));
}

std::string statement::text_at(int column) const {
  return std::string(text_view_at(column));
}

std::string statement::blob_at(int column) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return data == nullptr ? std::string() : std::string(data, static_cast<std::size_t>(size));
}

void connection::close_deleter::operator()(sqlite3* db) const noexcept {
  sqlite3_close_v2(db);
}

result<connection> connection::open(const std::string& path, const open_options& options) {
  sqlite3* raw = nullptr;
  // NOMUTEX: each connection is confined to one thread at a time by its owner.
  const int flags = (options.read_only ? SQLITE_OPEN_READONLY
                                       : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  handle db(raw);  // a handle is returned even on failure and must be closed
  if (rc != SQLITE_OK) {
    // sqlite3_errmsg copes with a null handle (out of memory).
    return result<connection>(make_sqlite_error(rc),
                              std::string(sqlite3_errmsg(db.get())) + " (" + path + ")");
  }
  sqlite3_extended_result_codes(db.get(), 1);
  const auto ms = options.busy_timeout.count();
  sqlite3_busy_timeout(db.get(), ms > INT_MAX ? INT_MAX : static_cast<int>(ms));
  return connection(std::move(db), options.statement_cache_capacity);
}

failure failure_of(const connection& db, std::error_code ec, std::string_view about) {
  auto words = db.error_message();
  if (words.empty() || words == "not an error") words = ec.message();
  return {ec, words + " (" + std::string(about) + ")"};
}

std::error_code connection::exec(const char* sql) {
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? std::error_code() : make_sqlite_error(rc);
}

result<statement> connection::prepare(const std::string& sql) {
  statement_cache::entry* entry = cache_.find(sql);
  if (entry == nullptr) {
    sqlite3_stmt* raw = nullptr;
    const int length = checked_length(sql);
    if (length < 0) return make_sqlite_error(SQLITE_TOOBIG);
    const int rc =
        sqlite3_prepare_v3(db_.get(), sql.c_str(), length, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    statement_ptr stmt(raw);
    if (rc != SQLITE_OK) return make_sqlite_error(rc);
    entry = cache_.insert(sql, std::move(stmt));
  }
  return statement(entry);
}

std::error_code connection::define_real_formatter(const char* name,
                                                  std::string (*format)(double)) {
  const int rc = sqlite3_create_function_v2(
      db_.get(), name, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
      new real_format{format}, format_real, nullptr, nullptr, destroy_real_format);
  return rc == SQLITE_OK ? std::error_code() : make_sqlite_error(rc);
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
std::string connection::error_message() const {
  return sqlite3_errmsg(db_.get());
}
int connection::system_errno() const {
  return sqlite3_system_errno(db_.get());
}

transaction::~transaction() {
  if (open_ && c_.in_transaction()) static_cast<void>(c_.exec("ROLLBACK"));
}

std::error_code transaction::begin() {
  auto ec = c_.exec("BEGIN IMMEDIATE");
  open_ = !ec;
  return ec;
}

std::error_code transaction::commit() {
  auto ec = c_.exec("COMMIT");
  if (!ec) open_ = false;
  return ec;
}

}  // namespace sluice::sqlite

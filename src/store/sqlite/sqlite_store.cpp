#include "store/sqlite/sqlite_store.hpp"

#include <fmt/format.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <set>

#include "core/clock.hpp"
#include "sqlite/database.hpp"
#include "store/sqlite/bind.hpp"
#include "store/sqlite/count.hpp"
#include "store/sqlite/dead_letters.hpp"
#include "store/sqlite/export.hpp"
#include "store/query_sql.hpp"
#include "store/sqlite/schema.hpp"

namespace sluice::store {
namespace {

using sluice::sqlite::connection;
using sluice::sqlite::statement;
using sluice::store::sqlite::bind_value;
namespace db = sluice::sqlite;

// Prepared statements kept per connection (one per filter shape on readers).
constexpr std::size_t k_statement_cache = 256;

// Column 1 of a page statement: the order field's value, typed as the field.
model::value order_value(const statement& s, const config::field_def* f) {
  if (f == nullptr || s.is_null_at(1)) return {};
  switch (f->type) {
    case config::field_type::integer:
      return s.int64_at(1);
    case config::field_type::boolean:
      return s.int64_at(1) != 0;
    case config::field_type::number:
      return s.double_at(1);
    default:
      return s.text_at(1);
  }
}

// Runs `sql` with ?1 = `key` and calls `read` on its first row, if any.
// Returns whether there was a row; errc::unavailable for any SQLite error.
template <class Read>
result<bool> first_row(connection& c, const std::string& sql, const model::value& key,
                       Read&& read) {
  auto s = c.prepare(sql);
  if (!s) return errc::unavailable;
  bind_value(*s, 1, key);
  auto row = s->step();
  if (!row) return errc::unavailable;
  if (*row) read(*s);
  return *row;
}

// A trace id, or NULL when unknown ("").
void bind_trace_id(statement& s, int i, const std::string& trace_id) {
  if (trace_id.empty()) {
    s.bind_null(i);
  } else {
    s.bind_text(i, trace_id);
  }
}

// A connection and the mutex that guards it.
struct guarded {
  std::mutex mu;
  std::optional<connection> conn;
};

struct table_info {
  std::string table;
  const config::resource_def* resource;
  std::string insert_sql;
  std::string row_json;
  std::string status_sql;  // the row id of a message id
};

class sqlite_store final : public store {
 public:
  sqlite_store(connection writer, std::vector<std::unique_ptr<guarded>> readers)
      : readers_(std::move(readers)) {
    writer_.conn.emplace(std::move(writer));
  }

  std::error_code migrate(std::span<const table_def> tables) override {
    std::lock_guard lock(writer_.mu);
    connection& c = *writer_.conn;
    db::transaction tx(c);
    if (tx.begin() || c.exec(sqlite::dead_letters_ddl) || c.exec(sqlite::versions_ddl) ||
        sqlite::migrate_dead_letters(c)) {
      return errc::unavailable;
    }
    for (const auto& t : tables) {
      for (const auto& ddl : sluice::store::create_table_sql(sqlite::dialect(), t.table, *t.resource)) {
        if (c.exec(ddl)) return errc::unavailable;
      }
      if (auto ec = add_missing_columns(c, t)) return ec;
    }
    if (tx.commit()) return errc::unavailable;
    return attach(tables);
  }

  std::error_code attach(std::span<const table_def> tables) override {
    std::vector<table_info> infos;
    for (const auto& t : tables) {
      infos.push_back({t.table, t.resource, sqlite::insert_sql(t.table, *t.resource),
                       sqlite::row_json_sql(*t.resource),
                       fmt::format("SELECT id, trace_id FROM {} WHERE message_id = ?1", t.table)});
    }
    std::lock_guard tl(tables_mu_);
    tables_ = std::move(infos);
    return {};
  }

  result<batch_result> write(const batch& b) override {
    const table_info* t = find(b.table);
    if (t == nullptr) return errc::unknown_table;
    std::lock_guard lock(writer_.mu);
    connection& c = *writer_.conn;
    db::transaction tx(c);
    if (tx.begin()) return errc::unavailable;
    batch_result out;
    out.rows.reserve(b.rows.size());
    std::string received_at;
    const std::string stored_at = format_rfc3339_us(now_us());
    for (const auto& row : b.rows) {
      std::error_code ec;
      {
        auto s = c.prepare(t->insert_sql);
        if (!s) return errc::unavailable;
        s->bind_text(1, row.message_id);
        received_at = format_rfc3339_us(row.accepted_at_us);
        s->bind_text(2, received_at);
        s->bind_text(3, b.subscription);
        s->bind_text(4, stored_at);
        bind_trace_id(*s, 5, row.trace_id);
        for (std::size_t i = 0; i < row.values.values.size(); ++i) {
          bind_value(*s, static_cast<int>(i + 6), row.values.values[i]);
        }
        ec = s->run();
      }
      if (!ec) {
        out.rows.push_back({c.changes() == 1 ? outcome::stored : outcome::duplicate, {}});
      } else if (db::is_constraint(ec)) {
        // The database refuses this row for good: it becomes a dead letter in
        // this same transaction, and the rest of the batch goes on.
        std::string reason = "rejected by the store: " + c.error_message();
        if (auto ec = insert_dead_letter(
                c, *t, {row.message_id, b.subscription, b.topic, reason, row.attempt, row.body,
                        row.trace_id})) {
          return ec;
        }
        out.rows.push_back({outcome::dead_lettered, std::move(reason)});
      } else {
        return errc::unavailable;
      }
    }
    for (const auto& dl : b.dead_letters) {
      if (auto ec = insert_dead_letter(c, *t, dl)) return ec;
    }
    bool stored = false;
    for (const auto& r : out.rows) stored = stored || r.result == outcome::stored;
    auto v = stored ? bump_version(c, t->table) : read_version(c, t->table);
    if (!v) return v.error();
    out.version = *v;
    if (tx.commit()) return errc::unavailable;
    return out;
  }

  result<page> query(std::string_view table, const page_query& q) override {
    const table_info* t = find(table);
    if (t == nullptr) return errc::unknown_table;
    auto plan = plan_page(sqlite::query_dialect(), t->table, *t->resource, q);
    if (!plan) return plan.error();
    const config::field_def* order_field = plan->order_field;
    return with_reader([&](connection& c) -> result<page> {
      return run_page(*plan, q.limit, [&](const page_statement& st, std::size_t limit, page& p) {
        auto s = c.prepare(st.sql);
        if (!s) return make_error_code(errc::unavailable);
        int i = 1;
        for (const auto& v : st.params) bind_value(*s, i++, v);
        s->bind(i, static_cast<std::int64_t>(limit));
        for (;;) {
          auto more = s->step();
          if (!more) return make_error_code(errc::unavailable);
          if (!*more) break;
          if (p.count++ > 0) p.json += ',';
          p.last = keyset{order_value(*s, order_field), s->int64_at(0)};
          if (!p.first) p.first = p.last;
          p.json += s->text_view_at(2);
        }
        return std::error_code{};
      });
    });
  }

  // Counts (store/sqlite/count.cpp), on a reader.
  result<row_count> count(std::string_view table, const page_query& q, count_mode mode,
                          std::uint64_t exact_max) override {
    const table_info* t = find(table);
    if (t == nullptr) return errc::unknown_table;
    return with_reader([&](connection& c) {
      return sqlite::count_rows(c, t->table, *t->resource, q, mode, exact_max);
    });
  }

  result<std::optional<std::string>> get(std::string_view table, std::int64_t id) override {
    const table_info* t = find(table);
    if (t == nullptr) return errc::unknown_table;
    std::string sql = fmt::format("SELECT {} FROM {} WHERE id = ?1", t->row_json, t->table);
    return with_reader([&](connection& c) -> result<std::optional<std::string>> {
      std::optional<std::string> out;
      auto found = first_row(c, sql, id, [&](statement& s) { out = s.text_at(0); });
      if (!found) return found.error();
      return out;
    });
  }

  result<message_status> status(std::string_view message_id) override {
    // tables_ is replaced only by migrate()/attach() at start-up (as find() assumes).
    const std::vector<table_info>* tables;
    {
      std::lock_guard tl(tables_mu_);
      tables = &tables_;
    }
    return with_reader([&](connection& c) -> result<message_status> {
      message_status st;
      const model::value key{std::string(message_id)};
      for (const auto& t : *tables) {
        auto stored = first_row(c, t.status_sql, key, [&](statement& s) {
          st.status = message_status::state::stored;
          st.table = t.table;
          st.row_id = s.int64_at(0);
          if (!s.is_null_at(1)) st.trace_id = s.text_at(1);
        });
        if (!stored) return stored.error();
        if (*stored) return st;
      }
      // A dead one first, then a redriven one (pending again), then discarded.
      static const std::string dead_sql =
          "SELECT subscription, reason, attempts, state, trace_id FROM sluice_dead_letters "
          "WHERE message_id = ?1 ORDER BY CASE state WHEN 'dead' THEN 0 WHEN 'redriven' "
          "THEN 1 ELSE 2 END, subscription LIMIT 1";
      auto dead = first_row(c, dead_sql, key, [&](statement& s) {
        const auto state = s.text_view_at(3);
        st.status = state == "dead"       ? message_status::state::dead_lettered
                    : state == "redriven" ? message_status::state::redriven
                                          : message_status::state::discarded;
        st.subscription = s.text_at(0);
        st.reason = s.text_at(1);
        st.attempts = static_cast<std::uint32_t>(s.int64_at(2));
        if (!s.is_null_at(4)) st.trace_id = s.text_at(4);
      });
      if (!dead) return dead.error();
      return st;
    });
  }

  std::error_code ping() override {
    auto r = with_reader([](connection& c) -> result<bool> {
      auto s = c.prepare("SELECT 1");
      if (!s) return errc::unavailable;
      auto row = s->step();
      if (!row || !*row) return errc::unavailable;
      return true;
    });
    return r ? std::error_code{} : r.error();
  }

  result<std::int64_t> version(std::string_view table) override {
    return with_reader([&](connection& c) { return read_version(c, table); });
  }

  // sluice export: a stepping cursor on one reader, held for the export.
  result<export_result> export_rows(const export_query& q, const export_sink& sink) override {
    const table_info* t = find(q.table);
    if (t == nullptr) return errc::unknown_table;
    return with_reader([&](connection& c) {
      return sqlite::export_rows(c, t->table, *t->resource, t->row_json, q, sink);
    });
  }

  // Dead letters (store/sqlite/dead_letters.cpp): changes on the writer.
  result<dead_letter_page> dead_letters(const dead_letter_query& q) override {
    return with_reader([&](connection& c) { return sqlite::list_dead_letters(c, q); });
  }
  result<std::vector<dead_letter_entry>> dead_letters_of(std::string_view message_id) override {
    return with_reader([&](connection& c) { return sqlite::dead_letters_of(c, message_id); });
  }
  result<std::vector<dead_letter_entry>> mark_redriven(
      std::string_view message_id, const std::optional<std::string>& subscription) override {
    std::lock_guard lock(writer_.mu);
    return sqlite::mark_redriven(*writer_.conn, message_id, subscription);
  }
  result<std::vector<dead_letter_entry>> mark_redriven_matching(
      const dead_letter_query& q) override {
    std::lock_guard lock(writer_.mu);
    return sqlite::mark_redriven_matching(*writer_.conn, q);
  }
  std::error_code unmark_redriven(std::string_view message_id,
                                  std::string_view subscription) override {
    std::lock_guard lock(writer_.mu);
    return sqlite::unmark_redriven(*writer_.conn, message_id, subscription);
  }
  result<std::vector<dead_letter_entry>> discard(
      std::string_view message_id, const std::optional<std::string>& subscription) override {
    std::lock_guard lock(writer_.mu);
    return sqlite::discard(*writer_.conn, message_id, subscription);
  }
  result<std::vector<message_event>> history(std::string_view message_id) override {
    std::vector<std::string> names;
    {
      std::lock_guard tl(tables_mu_);
      for (const auto& t : tables_) names.push_back(t.table);
    }
    return with_reader([&](connection& c) { return sqlite::history(c, message_id, names); });
  }
  result<std::vector<std::pair<std::string, std::uint64_t>>> dead_letter_counts() override {
    return with_reader([](connection& c) { return sqlite::dead_letter_counts(c); });
  }

 private:
  static result<std::int64_t> read_version(connection& c, std::string_view table) {
    static const std::string sql = "SELECT version FROM sluice_versions WHERE tbl = ?1";
    std::int64_t version = 0;
    auto found =
        first_row(c, sql, std::string(table), [&](statement& s) { version = s.int64_at(0); });
    if (!found) return found.error();
    return version;
  }

  static result<std::int64_t> bump_version(connection& c, std::string_view table) {
    static const std::string sql =
        "INSERT INTO sluice_versions (tbl, version) VALUES (?1, 1) "
        "ON CONFLICT (tbl) DO UPDATE SET version = version + 1 RETURNING version";
    std::int64_t version = 0;
    auto bumped =
        first_row(c, sql, std::string(table), [&](statement& s) { version = s.int64_at(0); });
    if (!bumped || !*bumped) return errc::unavailable;
    return version;
  }

  const table_info* find(std::string_view table) const {
    std::lock_guard tl(tables_mu_);
    for (const auto& t : tables_) {
      if (t.table == table) return &t;  // tables_ is only replaced by migrate()
    }
    return nullptr;
  }

  // Runs `fn` on a free reader connection (round robin; waits if all are busy).
  template <class Fn>
  std::invoke_result_t<Fn, connection&> with_reader(Fn&& fn) {
    auto& g = *readers_[next_reader_++ % readers_.size()];
    std::lock_guard lock(g.mu);
    return fn(*g.conn);
  }

  static std::error_code add_missing_columns(connection& c, const table_def& t) {
    std::set<std::string, std::less<>> have;
    {
      auto s = c.prepare(fmt::format("SELECT name FROM pragma_table_info('{}')", t.table));
      if (!s) return errc::unavailable;
      for (;;) {
        auto row = s->step();
        if (!row) return errc::unavailable;
        if (!*row) break;
        have.emplace(s->text_view_at(0));
      }
    }
    // trace_id came with issue 18: tables created before it get it, NULL in old rows.
    if (!have.count("trace_id") &&
        c.exec(fmt::format("ALTER TABLE {} ADD COLUMN trace_id TEXT", t.table))) {
      return errc::unavailable;
    }
    for (const auto& f : t.resource->fields) {
      if (have.count(f.name)) continue;
      auto sql = fmt::format("ALTER TABLE {} ADD COLUMN {}", t.table,
                             sluice::store::column_sql(sqlite::dialect(), f, true));
      if (c.exec(sql)) return errc::unavailable;
    }
    return {};
  }

  // Inserts a dead letter unless the message already has a row in this table;
  // a redriven entry that failed again becomes dead again (a new last failure).
  static std::error_code insert_dead_letter(connection& c, const table_info& t,
                                            const dead_letter& dl) {
    auto s = c.prepare(fmt::format(
        "INSERT INTO sluice_dead_letters (message_id, subscription, topic, reason, attempts, body, "
        "dead_at, trace_id) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 "
        "WHERE NOT EXISTS (SELECT 1 FROM {} WHERE message_id = ?1) "
        "ON CONFLICT (message_id, subscription) DO UPDATE SET state = 'dead', "
        "reason = excluded.reason, attempts = excluded.attempts, body = excluded.body, "
        "dead_at = excluded.dead_at, trace_id = coalesce(sluice_dead_letters.trace_id, "
        "excluded.trace_id) "
        "WHERE sluice_dead_letters.state = 'redriven'",
        t.table));
    if (!s) return errc::unavailable;
    s->bind_text(1, dl.message_id);
    s->bind_text(2, dl.subscription);
    s->bind_text(3, dl.topic);
    s->bind_text(4, dl.reason);
    s->bind(5, static_cast<std::int64_t>(dl.attempts));
    s->bind_text(6, dl.body);
    // Microseconds, as the history's events: a failure right after a
    // redrive sorts after it.
    s->bind_text(7, format_rfc3339_us(now_us()));
    bind_trace_id(*s, 8, dl.trace_id);
    return s->run() ? make_error_code(errc::unavailable) : std::error_code{};
  }

  guarded writer_;
  std::vector<std::unique_ptr<guarded>> readers_;
  std::atomic<std::size_t> next_reader_{0};
  mutable std::mutex tables_mu_;
  std::vector<table_info> tables_;
};

}  // namespace

namespace {

// The store's connection settings: WAL lets readers run beside the writer;
// FULL makes every commit durable (the subscriber acks the broker right after,
// so a lost commit is a lost row).
result<connection> open_connection(const std::string& path) {
  db::open_options o;
  o.statement_cache_capacity = k_statement_cache;
  auto c = connection::open(path, o);
  if (!c) return c.why();
  // The first statements are where a file that is not a database says so.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"}) {
    if (auto ec = c->exec(pragma)) return db::failure_of(*c, ec, path);
  }
  if (auto ec = sqlite::define_functions(*c)) return db::failure_of(*c, ec, path);
  return c;
}

}  // namespace

result<std::unique_ptr<store>> make_sqlite_store(const sqlite_store_options& options) {
  auto writer = open_connection(options.path);
  if (!writer) return writer.why();  // SQLite's code and words, and the path
  std::vector<std::unique_ptr<guarded>> readers;
  for (unsigned i = 0; i < std::max(1u, options.readers); ++i) {
    auto g = std::make_unique<guarded>();
    auto c = open_connection(options.path);
    if (!c) return c.why();
    g->conn.emplace(std::move(*c));
    readers.push_back(std::move(g));
  }
  return std::unique_ptr<store>(new sqlite_store(std::move(*writer), std::move(readers)));
}

}  // namespace sluice::store

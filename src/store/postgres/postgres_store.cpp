#include "store/postgres/postgres_store.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <mutex>
#include <set>

#include "store/postgres/pg_count.hpp"
#include "store/postgres/pg_dead_letters.hpp"
#include "store/postgres/pg_export.hpp"
#include "store/postgres/pg_pool.hpp"
#include "store/postgres/pg_schema.hpp"
#include "store/postgres/pg_writer.hpp"
#include "store/query_sql.hpp"

namespace sluice::store {
namespace {

using pg::clock;
using pg::connection;
using pg::ok;

struct table_info {
  std::string table;
  const config::resource_def* resource;
  pg::write_statements write;
  std::string row_json;
};

struct catalog {
  std::vector<table_info> tables;
  std::string status_sql;  // the row of a message id across all tables, first table first
  const table_info* find(std::string_view name) const {
    for (const auto& t : tables) {
      if (t.table == name) return &t;
    }
    return nullptr;
  }
};

// Column 1 of a page statement's row: the order field's value (as text:
// float8 output is the shortest exact text, timestamps are RFC 3339 by the
// statement's to_char), typed as the field.
model::value order_value(const PGresult* r, int row, const config::field_def* f) {
  if (f == nullptr || PQgetisnull(r, row, 1) == 1) return {};
  const char* text = PQgetvalue(r, row, 1);
  switch (f->type) {
    case config::field_type::integer:
      return static_cast<std::int64_t>(std::stoll(text));
    case config::field_type::number:
      return std::strtod(text, nullptr);
    case config::field_type::boolean:
      return text[0] == 't';
    default:
      return std::string(text);
  }
}

// Data errors in a query (a filter value PostgreSQL cannot read as the
// column's type) are the caller's fault; anything else is an outage.
std::error_code query_error(const pg::result_ptr& r) {
  auto s = pg::sqlstate(r.get());
  if (s.size() == 5 && s[0] == '2' && s[1] == '2') return errc::bad_query;
  return errc::unavailable;
}

class postgres_store final : public store {
 public:
  postgres_store(pg::pool_options po, std::chrono::milliseconds call_budget)
      : pool_(std::move(po)), budget_(call_budget), catalog_(std::make_shared<catalog>()) {}

  std::error_code migrate(std::span<const table_def> tables) override {
    auto r = run([&](connection& c, clock::time_point deadline) -> result<bool> {
      // One transaction under an advisory lock: processes starting together
      // migrate one after the other, and a failure leaves nothing half done.
      if (!ok(c.exec("BEGIN", deadline).get()) ||
          !ok(c.exec(pg::migrate_lock_sql, deadline).get()) ||
          !ok(c.exec(pg::migrations_ddl, deadline).get())) {
        return errc::unavailable;
      }
      if (auto ec = apply(c, deadline, "sluice", "sluice_dead_letters", pg::dead_letters_upgrade())) {
        return ec;
      }
      if (auto ec = apply(c, deadline, "sluice_versions", "sluice_versions", {pg::versions_ddl})) {
        return ec;
      }
      for (const auto& t : tables) {
        if (auto ec =
                apply(c, deadline, t.table, t.table,
                      sluice::store::create_table_sql(pg::dialect(), t.table, *t.resource), t.resource)) {
          return ec;
        }
      }
      if (!ok(c.exec("COMMIT", deadline).get())) return errc::unavailable;
      return true;
    });
    if (!r) return r.error();
    return attach(tables);
  }

  std::error_code attach(std::span<const table_def> tables) override {
    auto next = std::make_shared<catalog>();
    std::string status_union;
    int order = 0;
    for (const auto& t : tables) {
      next->tables.push_back({t.table,
                              t.resource,
                              {t.resource, pg::insert_sql(t.table, *t.resource),
                               pg::dead_letter_sql(t.table), t.table},
                              pg::row_json_sql(*t.resource)});
      status_union +=
          fmt::format("{}SELECT {} AS o, '{}' AS t, id, trace_id FROM {} WHERE message_id = $1::uuid",
                      order == 0 ? "" : " UNION ALL ", order, t.table, t.table);
      ++order;
    }
    if (!status_union.empty()) {
      next->status_sql = "SELECT t, id, trace_id FROM (" + status_union + ") s ORDER BY o LIMIT 1";
    }
    std::lock_guard lock(catalog_mu_);
    catalog_ = std::move(next);
    return {};
  }

  result<batch_result> write(const batch& b) override {
    auto cat = snapshot();
    const table_info* t = cat->find(b.table);
    if (t == nullptr) return errc::unknown_table;
    return run([&](connection& c, clock::time_point deadline) {
      return pg::write_batch(c, t->write, b, refusals_, deadline);
    });
  }

  result<page> query(std::string_view table, const page_query& q) override {
    auto cat = snapshot();
    const table_info* t = cat->find(table);
    if (t == nullptr) return errc::unknown_table;
    auto plan = plan_page(pg::query_dialect(), t->table, *t->resource, q);
    if (!plan) return plan.error();
    const config::field_def* order_field = plan->order_field;
    return run([&](connection& c, clock::time_point deadline) -> result<page> {
      return run_page(*plan, q.limit, [&](const page_statement& st, std::size_t limit, page& out) {
        pg::params p;
        for (const auto& v : st.params) p.add(pg::param_text(v));
        p.add(std::to_string(limit));
        auto r = c.exec_prepared(st.sql, p, deadline);
        if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return query_error(r);
        const int rows = PQntuples(r.get());
        std::size_t bytes = out.json.size() + 2;
        for (int i = 0; i < rows; ++i)
          bytes += static_cast<std::size_t>(PQgetlength(r.get(), i, 2)) + 1;
        out.json.reserve(bytes);
        for (int i = 0; i < rows; ++i) {
          if (out.count++ > 0) out.json += ',';
          out.json.append(PQgetvalue(r.get(), i, 2),
                          static_cast<std::size_t>(PQgetlength(r.get(), i, 2)));
        }
        if (rows > 0) {
          if (!out.first) {
            out.first = keyset{order_value(r.get(), 0, order_field),
                               std::stoll(PQgetvalue(r.get(), 0, 0))};
          }
          const int last = rows - 1;
          out.last = keyset{order_value(r.get(), last, order_field),
                            std::stoll(PQgetvalue(r.get(), last, 0))};
        }
        return std::error_code{};
      });
    });
  }

  // Counts (pg_count.hpp): exact, bounded then planned, or planned.
  result<row_count> count(std::string_view table, const page_query& q, count_mode mode,
                          std::uint64_t exact_max) override {
    auto cat = snapshot();
    const table_info* t = cat->find(table);
    if (t == nullptr) return errc::unknown_table;
    auto parts = plan_count(pg::query_dialect(), *t->resource, q);
    if (!parts) return parts.error();
    const std::string& where = parts->where;
    pg::params p, all;  // the conditions' parameters; those and the position's
    for (std::size_t i = 0; i < parts->params.size(); ++i) {
      if (i < parts->where_params) p.add(pg::param_text(parts->params[i]));
      all.add(pg::param_text(parts->params[i]));
    }
    const int n = static_cast<int>(parts->params.size()) + 1;
    const bool bounded = mode == count_mode::estimated;
    const auto bound = std::min<std::uint64_t>(exact_max, INT64_MAX - 1);
    return run([&](connection& c, clock::time_point deadline) -> result<row_count> {
      auto two_ints = [&](const std::string& sql,
                          const pg::params& args) -> result<std::pair<std::uint64_t, std::uint64_t>> {
        auto r = c.exec_prepared(sql, args, deadline);
        if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return query_error(r);
        return std::pair{static_cast<std::uint64_t>(std::stoull(PQgetvalue(r.get(), 0, 0))),
                         static_cast<std::uint64_t>(std::stoull(PQgetvalue(r.get(), 0, 1)))};
      };
      if (mode == count_mode::exact) {
        auto counted = two_ints(pg::count_sql(parts->before, t->table + where), all);
        if (!counted) return counted.error();
        return row_count{counted->first, counted->second, true};
      }
      if (bounded) {
        // Exact while the rows are few: a count that stops after exact_max + 1.
        pg::params args = all;
        args.add(std::to_string(bound + 1));
        const std::string columns =
            parts->order_column.empty() ? "id" : "id, " + parts->order_column;
        auto counted = two_ints(
            pg::count_sql(parts->before, fmt::format("(SELECT {} FROM {}{} LIMIT ${}::bigint) s",
                                                     columns, t->table, where, n)),
            args);
        if (!counted) return counted.error();
        if (counted->first <= bound) return row_count{counted->first, counted->second, true};
      }
      auto planned = [&](const std::string& condition, const pg::params& args) -> result<double> {
        auto r = c.exec_prepared("EXPLAIN (FORMAT JSON) SELECT 1 FROM " + t->table + condition,
                                 args, deadline);
        if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return query_error(r);
        auto rows = pg::plan_rows(PQgetvalue(r.get(), 0, 0));
        if (!rows) return errc::unavailable;
        return *rows;
      };
      auto total = planned(where, p);
      if (!total) return total.error();
      row_count out{static_cast<std::uint64_t>(*total), 0, false};
      if (q.after) {
        auto before = planned(
            fmt::format("{} {}", where.empty() ? " WHERE" : where + " AND", parts->before), all);
        if (!before) return before.error();
        out.before = static_cast<std::uint64_t>(*before);
      }
      // More than exact_max rows are known to be there.
      if (bounded) out.total = std::max<std::uint64_t>(out.total, bound + 1);
      out.before = std::min(out.before, out.total);
      return out;
    });
  }

  result<std::optional<std::string>> get(std::string_view table, std::int64_t id) override {
    auto cat = snapshot();
    const table_info* t = cat->find(table);
    if (t == nullptr) return errc::unknown_table;
    std::string sql = fmt::format("SELECT {} FROM {} WHERE id = $1", t->row_json, t->table);
    pg::params p;
    p.add(std::to_string(id));
    return run(
        [&](connection& c, clock::time_point deadline) -> result<std::optional<std::string>> {
          auto r = c.exec_prepared(sql, p, deadline);
          if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return query_error(r);
          if (PQntuples(r.get()) == 0) return std::optional<std::string>();
          return std::optional<std::string>(std::string(PQgetvalue(r.get(), 0, 0)));
        });
  }

  result<message_status> status(std::string_view message_id) override {
    auto cat = snapshot();
    std::string id(message_id);
    return run([&](connection& c, clock::time_point deadline) -> result<message_status> {
      message_status st;
      // A text that is no uuid cannot be a stored row's id (the column is a
      // uuid); it may still name a dead letter.
      if (!cat->status_sql.empty() && pg::looks_like_uuid(id)) {
        pg::params p;
        p.add(id);
        auto r = c.exec_prepared(cat->status_sql, p, deadline);
        if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return errc::unavailable;
        if (PQntuples(r.get()) == 1) {
          st.status = message_status::state::stored;
          st.table = PQgetvalue(r.get(), 0, 0);
          st.row_id = std::stoll(PQgetvalue(r.get(), 0, 1));
          if (PQgetisnull(r.get(), 0, 2) == 0) st.trace_id = PQgetvalue(r.get(), 0, 2);
          return st;
        }
      }
      pg::params p;
      p.add(pg::looks_like_uuid(id) ? lower(id) : id);
      // A dead one first, then a redriven one (pending again), then discarded.
      auto r = c.exec_prepared(
          "SELECT subscription, reason, attempts, state, trace_id FROM sluice_dead_letters "
          "WHERE message_id = $1 ORDER BY CASE state WHEN 'dead' THEN 0 WHEN 'redriven' "
          "THEN 1 ELSE 2 END, subscription LIMIT 1",
          p, deadline);
      if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return errc::unavailable;
      if (PQntuples(r.get()) == 1) {
        const std::string_view state = PQgetvalue(r.get(), 0, 3);
        st.status = state == "dead"       ? message_status::state::dead_lettered
                    : state == "redriven" ? message_status::state::redriven
                                          : message_status::state::discarded;
        st.subscription = PQgetvalue(r.get(), 0, 0);
        st.reason = PQgetvalue(r.get(), 0, 1);
        st.attempts = static_cast<std::uint32_t>(std::stoul(PQgetvalue(r.get(), 0, 2)));
        if (PQgetisnull(r.get(), 0, 4) == 0) st.trace_id = PQgetvalue(r.get(), 0, 4);
      }
      return st;
    });
  }

  result<std::int64_t> version(std::string_view table) override {
    pg::params p;
    p.add(std::string(table));
    return run([&](connection& c, clock::time_point deadline) -> result<std::int64_t> {
      auto r = c.exec_prepared(pg::version_read_sql, p, deadline);
      if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return errc::unavailable;
      if (PQntuples(r.get()) == 0) return std::int64_t{0};
      return static_cast<std::int64_t>(std::stoll(PQgetvalue(r.get(), 0, 0)));
    });
  }

  // sluice export: one COPY on a connection of its own, without the
  // statement timeout (an export takes as long as its rows), discarded after
  // (it leaves the session changed). Never retried: rows may have been
  // written already.
  result<export_result> export_rows(const export_query& q, const export_sink& sink) override {
    auto cat = snapshot();
    const table_info* t = cat->find(q.table);
    if (t == nullptr) return errc::unknown_table;
    std::string why;
    auto lease = pool_.acquire(why);
    if (lease == nullptr) return errc::unavailable;
    connection& c = **lease;
    result<export_result> r = errc::unavailable;
    if (ok(c.exec("SET statement_timeout = 0", clock::now() + budget_).get())) {
      r = pg::copy_out(c, pg::export_sql(t->table, *t->resource, t->row_json, q),
                       q.format == export_format::ndjson, sink);
    }
    c.discard();
    return r;
  }

  // Dead letters (store/postgres/pg_dead_letters.cpp).
  result<dead_letter_page> dead_letters(const dead_letter_query& q) override {
    return run([&](connection& c, clock::time_point d) { return pg::list_dead_letters(c, q, d); });
  }
  result<std::vector<dead_letter_entry>> dead_letters_of(std::string_view message_id) override {
    return run(
        [&](connection& c, clock::time_point d) { return pg::dead_letters_of(c, message_id, d); });
  }
  result<std::vector<dead_letter_entry>> mark_redriven(
      std::string_view message_id, const std::optional<std::string>& subscription) override {
    return run([&](connection& c, clock::time_point d) {
      return pg::mark_redriven(c, message_id, subscription, d);
    });
  }
  result<std::vector<dead_letter_entry>> mark_redriven_matching(
      const dead_letter_query& q) override {
    return run(
        [&](connection& c, clock::time_point d) { return pg::mark_redriven_matching(c, q, d); });
  }
  std::error_code unmark_redriven(std::string_view message_id,
                                  std::string_view subscription) override {
    auto r = run([&](connection& c, clock::time_point d) {
      return pg::unmark_redriven(c, message_id, subscription, d);
    });
    return r ? std::error_code{} : r.error();
  }
  result<std::vector<dead_letter_entry>> discard(
      std::string_view message_id, const std::optional<std::string>& subscription) override {
    return run([&](connection& c, clock::time_point d) {
      return pg::discard(c, message_id, subscription, d);
    });
  }
  result<std::vector<message_event>> history(std::string_view message_id) override {
    auto cat = snapshot();
    std::vector<std::string> names;
    for (const auto& t : cat->tables) names.push_back(t.table);
    return run([&](connection& c, clock::time_point d) {
      return pg::history(c, message_id, names, d);
    });
  }
  result<std::vector<std::pair<std::string, std::uint64_t>>> dead_letter_counts() override {
    return run([](connection& c, clock::time_point d) { return pg::dead_letter_counts(c, d); });
  }

  std::error_code ping() override {
    auto r = run([](connection& c, clock::time_point deadline) -> result<bool> {
      if (!ok(c.exec("SELECT 1", deadline).get())) return errc::unavailable;
      return true;
    });
    return r ? std::error_code{} : r.error();
  }

 private:
  static std::string lower(std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  }

  std::shared_ptr<const catalog> snapshot() const {
    std::lock_guard lock(catalog_mu_);
    return catalog_;
  }

  // Runs `fn` on a pooled connection. A pooled connection can be stale (the
  // server restarted since it was last used): then the call is tried once
  // more on a fresh one. Every store call is idempotent, so that is safe.
  template <class Fn>
  std::invoke_result_t<Fn, connection&, clock::time_point> run(Fn&& fn) {
    for (int attempt = 0;; ++attempt) {
      std::string why;
      auto lease = pool_.acquire(why);
      if (lease == nullptr) return errc::unavailable;
      auto r = fn(**lease, clock::now() + budget_);
      if (r || !(*lease)->failed() || lease->fresh() || attempt > 0) return r;
    }
  }

  // Creates or upgrades one table unless this exact definition was applied
  // already (the migration record); adds the columns an older definition
  // lacked. REQUIRES: inside the migration transaction.
  std::error_code apply(connection& c, clock::time_point deadline, const std::string& scope,
                        const std::string& table, const std::vector<std::string>& ddl,
                        const config::resource_def* resource = nullptr) {
    std::string definition;
    for (const auto& s : ddl) definition += s + ";\n";
    for (const auto& f : resource ? resource->fields : std::vector<config::field_def>{}) {
      definition += "-- column " + sluice::store::column_sql(pg::dialect(), f, true) + "\n";
    }
    pg::params key, record;
    key.add(scope);
    key.add(definition);
    key.add(table);
    record.add(scope);
    record.add(definition);
    auto done = c.exec_prepared(
        "SELECT EXISTS (SELECT 1 FROM sluice_schema_migrations WHERE scope = $1::text "
        "AND checksum = md5($2::text)) AND to_regclass($3::text) IS NOT NULL",
        key, deadline);
    if (PQresultStatus(done.get()) != PGRES_TUPLES_OK) return errc::unavailable;
    if (std::string_view(PQgetvalue(done.get(), 0, 0)) == "t") return {};
    for (const auto& s : ddl) {
      if (!ok(c.exec(s, deadline).get())) return errc::unavailable;
    }
    if (resource != nullptr) {
      if (auto ec = add_missing_columns(c, deadline, table, *resource)) return ec;
    }
    auto rec = c.exec_prepared(
        "INSERT INTO sluice_schema_migrations (scope, checksum, definition) "
        "VALUES ($1::text, md5($2::text), $2::text) ON CONFLICT DO NOTHING",
        record, deadline);
    return ok(rec.get()) ? std::error_code{} : make_error_code(errc::unavailable);
  }

  static std::error_code add_missing_columns(connection& c, clock::time_point deadline,
                                             const std::string& table,
                                             const config::resource_def& r) {
    pg::params p;
    p.add(table);
    auto cols = c.exec_prepared(
        "SELECT column_name::text FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = $1::text",
        p, deadline);
    if (PQresultStatus(cols.get()) != PGRES_TUPLES_OK) return errc::unavailable;
    std::set<std::string, std::less<>> have;
    for (int i = 0; i < PQntuples(cols.get()); ++i) have.emplace(PQgetvalue(cols.get(), i, 0));
    // trace_id came with issue 18: tables created before it get it, NULL in old rows.
    if (!have.count("trace_id") &&
        !ok(c.exec(fmt::format("ALTER TABLE {} ADD COLUMN trace_id text", table), deadline).get())) {
      return errc::unavailable;
    }
    for (const auto& f : r.fields) {
      if (have.count(f.name)) continue;
      auto sql = fmt::format("ALTER TABLE {} ADD COLUMN {}", table,
                             sluice::store::column_sql(pg::dialect(), f, true));
      if (!ok(c.exec(sql, deadline).get())) return errc::unavailable;
    }
    return {};
  }

  pg::pool pool_;
  pg::refusal_memory refusals_;  // rows refused the same way, across batches
  std::chrono::milliseconds budget_;
  mutable std::mutex catalog_mu_;
  std::shared_ptr<const catalog> catalog_;  // guarded by catalog_mu_; replaced whole
};

}  // namespace

result<std::unique_ptr<store>> make_postgres_store(const postgres_store_options& o) {
  char* err = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(o.url.c_str(), &err);
  if (parsed == nullptr) {
    // libpq's words, e.g. invalid URI query parameter: "x".
    std::string why = err != nullptr ? err : "out of memory parsing the URL";
    PQfreemem(err);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return {errc::unavailable, why};
  }
  PQconninfoFree(parsed);
  pg::pool_options po;
  po.keys = {"dbname", "connect_timeout", "options", "application_name"};
  // libpq's connect_timeout is in whole seconds (and at least 2).
  auto connect_s = std::max<long long>(2, (o.connect_timeout.count() + 999) / 1000);
  po.values = {o.url, std::to_string(connect_s),
               fmt::format("-c statement_timeout={}", o.statement_timeout.count()),
               o.application_name};
  if (!o.password.empty()) {
    po.keys.emplace_back("password");
    po.values.push_back(o.password);
  }
  po.size = o.pool_size;
  po.wait = o.connect_timeout;
  // The client-side bound of one call: the server gives up on a statement at
  // statement_timeout; the slack covers connecting and the round trips.
  auto budget = o.statement_timeout + o.connect_timeout + std::chrono::milliseconds(2000);
  return std::unique_ptr<store>(new postgres_store(std::move(po), budget));
}

}  // namespace sluice::store

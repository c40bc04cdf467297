#include "store/postgres/pg_dead_letters.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>

#include "core/clock.hpp"
#include "store/postgres/pg_schema.hpp"

namespace sluice::store::pg {
namespace {

// RFC 3339 UTC with microseconds, as the SQLite store and the rows spell it.
std::string ts(std::string_view col) {
  return fmt::format("to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')", col);
}

const std::string& columns() {
  static const std::string c = fmt::format(
      "d.message_id, d.subscription, d.topic, d.reason, d.attempts, d.body, d.state, {}, "
      "d.redrives, (SELECT {} FROM sluice_message_events e WHERE e.message_id = d.message_id "
      "AND e.subscription = d.subscription AND e.event = 'dead_lettered' ORDER BY e.at LIMIT 1)",
      ts("d.dead_at"), ts("e.at"));
  return c;
}

// Dead letters of a uuid message id are stored in lower case (pg_writer's
// canonical_id); any other id as it came.
std::string canonical(std::string_view id) {
  std::string s(id);
  if (looks_like_uuid(s)) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return s;
}

dead_letter_state state_of(std::string_view s) {
  if (s == "redriven") return dead_letter_state::redriven;
  if (s == "discarded") return dead_letter_state::discarded;
  return dead_letter_state::dead;
}

std::vector<dead_letter_entry> read_entries(const PGresult* r) {
  std::vector<dead_letter_entry> out;
  out.reserve(static_cast<std::size_t>(PQntuples(r)));
  for (int i = 0; i < PQntuples(r); ++i) {
    dead_letter_entry e;
    e.message_id = PQgetvalue(r, i, 0);
    e.subscription = PQgetvalue(r, i, 1);
    e.topic = PQgetvalue(r, i, 2);
    e.reason = PQgetvalue(r, i, 3);
    e.attempts = static_cast<std::uint32_t>(std::stoul(PQgetvalue(r, i, 4)));
    e.body = PQgetvalue(r, i, 5);
    e.state = state_of(PQgetvalue(r, i, 6));
    e.last_failed_at = PQgetvalue(r, i, 7);
    e.redrives = static_cast<std::uint32_t>(std::stoul(PQgetvalue(r, i, 8)));
    e.first_failed_at = PQgetisnull(r, i, 9)
                            ? e.last_failed_at
                            : std::min<std::string>(PQgetvalue(r, i, 9), e.last_failed_at);
    out.push_back(std::move(e));
  }
  return out;
}

void add_optional(params& p, const std::optional<std::string>& v) {
  if (v) {
    p.add(*v);
  } else {
    p.add_null();
  }
}

result<std::vector<dead_letter_entry>> select(connection& c, const std::string& sql,
                                              const params& p, clock::time_point deadline) {
  auto r = c.exec_prepared(sql, p, deadline);
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return errc::unavailable;
  return read_entries(r.get());
}

bool record(connection& c, const dead_letter_entry& e, std::string_view event,
            const std::string& at, bool with_reason, clock::time_point deadline) {
  params p;
  p.add(e.message_id);
  p.add(e.subscription);
  p.add(std::string(event));
  p.add(at);
  p.add(with_reason ? e.reason : std::string());
  p.add(std::to_string(with_reason ? e.attempts : 0));
  auto r = c.exec_prepared(
      "INSERT INTO sluice_message_events (message_id, subscription, event, at, reason, attempts) "
      "VALUES ($1::text, $2::text, $3::text, $4::timestamptz, $5::text, $6::integer)",
      p, deadline);
  return ok(r.get());
}

bool set_state(connection& c, const dead_letter_entry& e, std::string_view state,
               bool count_redrive, clock::time_point deadline) {
  params p;
  p.add(e.message_id);
  p.add(e.subscription);
  p.add(std::string(state));
  p.add(count_redrive ? "1" : "0");
  auto r = c.exec_prepared(
      "UPDATE sluice_dead_letters SET state = $3::text, redrives = redrives + $4::integer "
      "WHERE message_id = $1::text AND subscription = $2::text",
      p, deadline);
  return ok(r.get());
}

// One transaction: BEGIN at construction, ROLLBACK at destruction unless
// commit() succeeded, so no path leaves the pooled connection inside a
// transaction (an aborted one would refuse every later statement).
class transaction {
 public:
  transaction(connection& c, clock::time_point deadline)
      : c_(c), deadline_(deadline), open_(ok(c.exec("BEGIN", deadline).get())) {}
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction() {
    if (open_) c_.exec("ROLLBACK", deadline_);
  }
  [[nodiscard]] bool begun() const { return open_; }
  [[nodiscard]] bool commit() {
    const bool done = ok(c_.exec("COMMIT", deadline_).get());
    open_ = false;  // a failed COMMIT has ended the transaction too
    return done;
  }

 private:
  connection& c_;
  clock::time_point deadline_;
  bool open_;
};

using entry_list = std::vector<dead_letter_entry>;

// The SELECT … FOR UPDATE of one message's dead letters (all its
// subscriptions, or one) whose state matches `state`, an SQL predicate on
// d.state ("= 'dead'"): $1 = message id, $2 = subscription or NULL.
std::string lock_sql(std::string_view state) {
  return fmt::format(
      "SELECT {} FROM sluice_dead_letters d WHERE d.message_id = $1::text "
      "AND ($2::text IS NULL OR d.subscription = $2::text) AND d.state {} "
      "ORDER BY d.subscription FOR UPDATE",
      columns(), state);
}

// The dead letters of one message (all its subscriptions, or one), locked
// FOR UPDATE by `sql` (lock_sql). REQUIRES: in a transaction.
result<std::vector<dead_letter_entry>> lock_entries(connection& c, const std::string& sql,
                                                    std::string_view message_id,
                                                    const std::optional<std::string>& subscription,
                                                    clock::time_point deadline) {
  params p;
  p.add(canonical(message_id));
  add_optional(p, subscription);
  return select(c, sql, p, deadline);
}

// See the SQLite store's redrive_all. REQUIRES: in a transaction.
bool redrive_all(connection& c, const std::vector<dead_letter_entry>& entries,
                 clock::time_point deadline) {
  const std::string now = format_rfc3339_us(now_us());
  for (const auto& e : entries) {
    if (e.state == dead_letter_state::dead &&
        !record(c, e, "dead_lettered", e.last_failed_at, true, deadline)) {
      return false;
    }
    if (!record(c, e, "redriven", now, false, deadline) ||
        !set_state(c, e, "redriven", true, deadline)) {
      return false;
    }
  }
  return true;
}

// Every change of dead letters, in one transaction: `find` selects and locks
// the entries (FOR UPDATE), `change` changes them (false: it failed). Commits
// only when both succeeded (the transaction rolls back otherwise); returns
// the entries as `find` read them.
result<entry_list> change_locked(connection& c, clock::time_point deadline,
                                 const std::function<result<entry_list>()>& find,
                                 const std::function<bool(const entry_list&)>& change) {
  transaction tx(c, deadline);
  if (!tx.begun()) return errc::unavailable;
  auto found = find();
  if (!found) return found.error();
  if (!change(*found) || !tx.commit()) return errc::unavailable;
  return found;
}

const std::string& list_sql(bool lock) {
  static const std::string base = fmt::format(
      "SELECT {} FROM sluice_dead_letters d WHERE d.state = 'dead' "
      "AND ($1::text IS NULL OR d.subscription = $1::text) "
      "AND ($2::text IS NULL OR d.topic = $2::text) "
      "AND ($3::timestamptz IS NULL OR d.dead_at >= $3::timestamptz) "
      "AND ($4::text IS NULL OR (d.message_id, d.subscription) > ($4::text, $5::text)) "
      // lower() of the C collation: ASCII letters only, as SQLite's lower().
      "AND ($7::text IS NULL OR "
      "strpos(lower(d.reason COLLATE \"C\"), lower($7::text COLLATE \"C\")) > 0) "
      "ORDER BY d.message_id, d.subscription LIMIT $6::bigint",
      columns());
  static const std::string locked = base + " FOR UPDATE";
  return lock ? locked : base;
}

params list_params(const dead_letter_query& q) {
  params p;
  add_optional(p, q.subscription);
  add_optional(p, q.topic);
  add_optional(p, q.since_us ? std::optional(format_rfc3339_us(*q.since_us)) : std::nullopt);
  add_optional(p, q.after ? std::optional(q.after->first) : std::nullopt);
  add_optional(p, q.after ? std::optional(q.after->second) : std::nullopt);
  p.add(std::to_string(q.limit));
  add_optional(p, q.reason);
  return p;
}

}  // namespace

result<dead_letter_page> list_dead_letters(connection& c, const dead_letter_query& q,
                                           clock::time_point deadline) {
  auto entries = select(c, list_sql(false), list_params(q), deadline);
  if (!entries) return entries.error();
  return dead_letter_page{std::move(*entries)};
}

result<std::vector<dead_letter_entry>> dead_letters_of(connection& c, std::string_view message_id,
                                                       clock::time_point deadline) {
  static const std::string sql = fmt::format(
      "SELECT {} FROM sluice_dead_letters d WHERE d.message_id = $1::text ORDER BY d.subscription",
      columns());
  params p;
  p.add(canonical(message_id));
  return select(c, sql, p, deadline);
}

result<std::vector<dead_letter_entry>> mark_redriven(connection& c, std::string_view message_id,
                                                     const std::optional<std::string>& subscription,
                                                     clock::time_point deadline) {
  static const std::string sql = lock_sql("IN ('dead', 'redriven')");
  return change_locked(
      c, deadline, [&] { return lock_entries(c, sql, message_id, subscription, deadline); },
      [&](const entry_list& found) { return redrive_all(c, found, deadline); });
}

result<std::vector<dead_letter_entry>> mark_redriven_matching(connection& c,
                                                              const dead_letter_query& q,
                                                              clock::time_point deadline) {
  return change_locked(
      c, deadline, [&] { return select(c, list_sql(true), list_params(q), deadline); },
      [&](const entry_list& found) { return redrive_all(c, found, deadline); });
}

result<bool> unmark_redriven(connection& c, std::string_view message_id,
                             std::string_view subscription, clock::time_point deadline) {
  transaction tx(c, deadline);
  if (!tx.begun()) return errc::unavailable;
  params p;
  p.add(canonical(message_id));
  p.add(std::string(subscription));
  auto r = c.exec_prepared(
      "UPDATE sluice_dead_letters SET state = 'dead' WHERE message_id = $1::text "
      "AND subscription = $2::text AND state = 'redriven'",
      p, deadline);
  if (!ok(r.get())) return errc::unavailable;
  const bool changed = std::string_view(PQcmdTuples(r.get())) != "0";
  dead_letter_entry e;
  e.message_id = canonical(message_id);
  e.subscription = subscription;
  if (changed && !record(c, e, "redrive_failed", format_rfc3339_us(now_us()), false, deadline)) {
    return errc::unavailable;
  }
  if (!tx.commit()) return errc::unavailable;
  return changed;
}

result<std::vector<dead_letter_entry>> discard(connection& c, std::string_view message_id,
                                               const std::optional<std::string>& subscription,
                                               clock::time_point deadline) {
  static const std::string sql = lock_sql("= 'dead'");
  return change_locked(
      c, deadline, [&] { return lock_entries(c, sql, message_id, subscription, deadline); },
      [&](const entry_list& found) {
        const std::string now = format_rfc3339_us(now_us());
        for (const auto& e : found) {
          if (!record(c, e, "dead_lettered", e.last_failed_at, true, deadline) ||
              !record(c, e, "discarded", now, false, deadline) ||
              !set_state(c, e, "discarded", false, deadline)) {
            return false;
          }
        }
        return true;
      });
}

result<std::vector<message_event>> history(connection& c, std::string_view message_id,
                                           const std::vector<std::string>& tables,
                                           clock::time_point deadline) {
  const std::string id = canonical(message_id);
  std::vector<message_event> out;
  {
    static const std::string sql = fmt::format(
        "SELECT {}, event, subscription, reason, attempts FROM sluice_message_events "
        "WHERE message_id = $1::text ORDER BY seq",
        ts("at"));
    params p;
    p.add(id);
    auto r = c.exec_prepared(sql, p, deadline);
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return errc::unavailable;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      out.push_back({PQgetvalue(r.get(), i, 0),
                     PQgetvalue(r.get(), i, 1),
                     PQgetvalue(r.get(), i, 2),
                     {},
                     PQgetvalue(r.get(), i, 3),
                     static_cast<std::uint32_t>(std::stoul(PQgetvalue(r.get(), i, 4)))});
    }
  }
  auto current = dead_letters_of(c, id, deadline);
  if (!current) return current.error();
  for (const auto& e : *current) {
    if (e.state != dead_letter_state::dead) continue;  // recorded with its action
    out.push_back({e.last_failed_at, "dead_lettered", e.subscription, {}, e.reason, e.attempts});
  }
  if (looks_like_uuid(id)) {
    for (const auto& t : tables) {
      params p;
      p.add(id);
      auto r = c.exec_prepared(
          fmt::format("SELECT {} FROM {} WHERE message_id = $1::uuid", ts("stored_at"), t), p,
          deadline);
      if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return errc::unavailable;
      if (PQntuples(r.get()) == 1)
        out.push_back({PQgetvalue(r.get(), 0, 0), "stored", {}, t, {}, 0});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const message_event& a, const message_event& b) { return a.at < b.at; });
  return out;
}

result<std::vector<std::pair<std::string, std::uint64_t>>> dead_letter_counts(
    connection& c, clock::time_point deadline) {
  auto r = c.exec(
      "SELECT subscription, count(*) FROM sluice_dead_letters WHERE state = 'dead' "
      "GROUP BY subscription ORDER BY subscription",
      deadline);
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return errc::unavailable;
  std::vector<std::pair<std::string, std::uint64_t>> out;
  out.reserve(static_cast<std::size_t>(PQntuples(r.get())));
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    out.emplace_back(PQgetvalue(r.get(), i, 0), std::stoull(PQgetvalue(r.get(), i, 1)));
  }
  return out;
}

}  // namespace sluice::store::pg

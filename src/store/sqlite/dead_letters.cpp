#include "store/sqlite/dead_letters.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

#include "core/clock.hpp"

namespace sluice::store::sqlite {
namespace {

using sluice::sqlite::connection;
using sluice::sqlite::statement;
namespace db = sluice::sqlite;

// dead_at has microseconds; rows written before it did have milliseconds
// (SQLite's strftime('%f')). Everything served has microseconds
// ("…55.123Z" → "…55.123000Z"), so that texts compare in time order.
std::string micros(std::string at) {
  if (at.size() == 24 && at.back() == 'Z') at.insert(23, "000");
  return at;
}

// The columns every entry is read with, in read_entry's order.
constexpr const char* k_columns =
    "d.message_id, d.subscription, d.topic, d.reason, d.attempts, d.body, d.state, d.dead_at, "
    "d.redrives, (SELECT min(e.at) FROM sluice_message_events e WHERE e.message_id = "
    "d.message_id AND e.subscription = d.subscription AND e.event = 'dead_lettered')";

dead_letter_state state_of(std::string_view s) {
  if (s == "redriven") return dead_letter_state::redriven;
  if (s == "discarded") return dead_letter_state::discarded;
  return dead_letter_state::dead;
}

dead_letter_entry read_entry(const statement& s) {
  dead_letter_entry e;
  e.message_id = s.text_at(0);
  e.subscription = s.text_at(1);
  e.topic = s.text_at(2);
  e.reason = s.text_at(3);
  e.attempts = static_cast<std::uint32_t>(s.int64_at(4));
  e.body = s.text_at(5);
  e.state = state_of(s.text_view_at(6));
  e.last_failed_at = micros(s.text_at(7));
  e.redrives = static_cast<std::uint32_t>(s.int64_at(8));
  e.first_failed_at = s.is_null_at(9) ? e.last_failed_at : std::min(s.text_at(9), e.last_failed_at);
  return e;
}

template <class Bind>
result<std::vector<dead_letter_entry>> select_entries(connection& c, const std::string& sql,
                                                      Bind&& bind) {
  auto s = c.prepare(sql);
  if (!s) return errc::unavailable;
  bind(*s);
  std::vector<dead_letter_entry> out;
  for (;;) {
    auto row = s->step();
    if (!row) return errc::unavailable;
    if (!*row) break;
    out.push_back(read_entry(*s));
  }
  return out;
}

void bind_optional(statement& s, int i, const std::optional<std::string>& v) {
  if (v) {
    s.bind_text(i, *v);
  } else {
    s.bind_null(i);
  }
}

std::error_code record(connection& c, const dead_letter_entry& e, std::string_view event,
                       const std::string& at, bool with_reason) {
  auto s = c.prepare(
      "INSERT INTO sluice_message_events (message_id, subscription, event, at, reason, attempts) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!s) return errc::unavailable;
  s->bind_text(1, e.message_id).bind_text(2, e.subscription).bind_text(3, event).bind_text(4, at);
  s->bind_text(5, with_reason ? e.reason : std::string());
  s->bind(6, static_cast<std::int64_t>(with_reason ? e.attempts : 0));
  return s->run() ? make_error_code(errc::unavailable) : std::error_code{};
}

std::error_code set_state(connection& c, const dead_letter_entry& e, std::string_view state,
                          bool count_redrive) {
  auto s = c.prepare(
      "UPDATE sluice_dead_letters SET state = ?3, redrives = redrives + ?4 "
      "WHERE message_id = ?1 AND subscription = ?2");
  if (!s) return errc::unavailable;
  s->bind_text(1, e.message_id).bind_text(2, e.subscription).bind_text(3, state);
  s->bind(4, std::int64_t{count_redrive ? 1 : 0});
  return s->run() ? make_error_code(errc::unavailable) : std::error_code{};
}

// Marks `entries` redriven and records it: the dead letter as it was (when it
// was `dead`: a `redriven` one's was recorded at its first redrive), then the
// redrive. REQUIRES: in the writer's transaction.
std::error_code redrive_all(connection& c, const std::vector<dead_letter_entry>& entries) {
  const std::string now = format_rfc3339_us(now_us());
  for (const auto& e : entries) {
    if (e.state == dead_letter_state::dead) {
      if (auto ec = record(c, e, "dead_lettered", e.last_failed_at, true)) return ec;
    }
    if (auto ec = record(c, e, "redriven", now, false)) return ec;
    if (auto ec = set_state(c, e, "redriven", true)) return ec;
  }
  return {};
}

bool has_column(connection& c, const char* table, std::string_view column, std::error_code& ec) {
  auto s = c.prepare(fmt::format("SELECT 1 FROM pragma_table_info('{}') WHERE name = ?1", table));
  if (!s) {
    ec = errc::unavailable;
    return false;
  }
  s->bind_text(1, column);
  auto row = s->step();
  if (!row) {
    ec = errc::unavailable;
    return false;
  }
  return *row;
}

}  // namespace

std::error_code migrate_dead_letters(connection& c) {
  std::error_code ec;
  static constexpr std::pair<const char*, const char*> added[] = {
      {"state", "state TEXT NOT NULL DEFAULT 'dead'"},
      {"redrives", "redrives INTEGER NOT NULL DEFAULT 0"},
      {"trace_id", "trace_id TEXT"},  // issue 18; NULL for dead letters written before it
  };
  for (const auto& [name, column] : added) {
    if (has_column(c, "sluice_dead_letters", name, ec)) continue;
    if (ec) return ec;
    if (c.exec(fmt::format("ALTER TABLE sluice_dead_letters ADD COLUMN {}", column))) {
      return errc::unavailable;
    }
  }
  if (c.exec("CREATE TABLE IF NOT EXISTS sluice_message_events ("
             " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
             " message_id TEXT NOT NULL,"
             " subscription TEXT NOT NULL,"
             " event TEXT NOT NULL,"
             " at TEXT NOT NULL,"
             " reason TEXT NOT NULL DEFAULT '',"
             " attempts INTEGER NOT NULL DEFAULT 0)") ||
      c.exec("CREATE INDEX IF NOT EXISTS sluice_message_events_message "
             "ON sluice_message_events (message_id, seq)") ||
      c.exec("CREATE INDEX IF NOT EXISTS sluice_dead_letters_subscription "
             "ON sluice_dead_letters (subscription, state)")) {
    return errc::unavailable;
  }
  return {};
}

result<dead_letter_page> list_dead_letters(connection& c, const dead_letter_query& q) {
  static const std::string sql = fmt::format(
      "SELECT {} FROM sluice_dead_letters d WHERE d.state = 'dead' "
      "AND (?1 IS NULL OR d.subscription = ?1) AND (?2 IS NULL OR d.topic = ?2) "
      "AND (?3 IS NULL OR d.dead_at >= ?3) "
      "AND (?4 IS NULL OR (d.message_id, d.subscription) > (?4, ?5)) "
      "AND (?7 IS NULL OR instr(lower(d.reason), lower(?7)) > 0) "
      "ORDER BY d.message_id, d.subscription LIMIT ?6",
      k_columns);
  auto entries = select_entries(c, sql, [&](statement& s) {
    bind_optional(s, 1, q.subscription);
    bind_optional(s, 2, q.topic);
    bind_optional(s, 3, q.since_us ? std::optional(format_rfc3339_us(*q.since_us)) : std::nullopt);
    bind_optional(s, 4, q.after ? std::optional(q.after->first) : std::nullopt);
    bind_optional(s, 5, q.after ? std::optional(q.after->second) : std::nullopt);
    s.bind(6, static_cast<std::int64_t>(q.limit));
    bind_optional(s, 7, q.reason);
  });
  if (!entries) return entries.error();
  return dead_letter_page{std::move(*entries)};
}

result<std::vector<dead_letter_entry>> dead_letters_of(connection& c, std::string_view message_id) {
  static const std::string sql = fmt::format(
      "SELECT {} FROM sluice_dead_letters d WHERE d.message_id = ?1 ORDER BY d.subscription",
      k_columns);
  return select_entries(c, sql, [&](statement& s) { s.bind_text(1, message_id); });
}

namespace {

using entry_list = std::vector<dead_letter_entry>;

// The SELECT of one message's dead letters (all its subscriptions, or one)
// whose state matches `state`, an SQL predicate on d.state ("= 'dead'"):
// ?1 = message id, ?2 = subscription or NULL.
std::string entries_sql(std::string_view state) {
  return fmt::format(
      "SELECT {} FROM sluice_dead_letters d WHERE d.message_id = ?1 "
      "AND (?2 IS NULL OR d.subscription = ?2) AND d.state {} ORDER BY d.subscription",
      k_columns, state);
}

// The dead letters of one message (all its subscriptions, or one) chosen by
// `sql` (entries_sql).
result<std::vector<dead_letter_entry>> entries_of(connection& c, const std::string& sql,
                                                  std::string_view message_id,
                                                  const std::optional<std::string>& subscription) {
  return select_entries(c, sql, [&](statement& s) {
    s.bind_text(1, message_id);
    bind_optional(s, 2, subscription);
  });
}

// Every change of dead letters, in one transaction (BEGIN IMMEDIATE: nothing
// else writes between `find` and the commit): `find` selects the entries,
// `change` changes them. Commits only when both succeeded (the transaction
// rolls back otherwise); returns the entries as `find` read them.
result<entry_list> change_in_transaction(
    connection& c, const std::function<result<entry_list>()>& find,
    const std::function<std::error_code(const entry_list&)>& change) {
  db::transaction tx(c);
  if (tx.begin()) return errc::unavailable;
  auto found = find();
  if (!found) return found.error();
  if (auto ec = change(*found)) return ec;
  if (tx.commit()) return errc::unavailable;
  return found;
}

}  // namespace

result<std::vector<dead_letter_entry>> mark_redriven(
    connection& c, std::string_view message_id, const std::optional<std::string>& subscription) {
  static const std::string sql = entries_sql("IN ('dead', 'redriven')");
  return change_in_transaction(
      c, [&] { return entries_of(c, sql, message_id, subscription); },
      [&](const entry_list& found) { return redrive_all(c, found); });
}

result<std::vector<dead_letter_entry>> mark_redriven_matching(connection& c,
                                                              const dead_letter_query& q) {
  return change_in_transaction(
      c,
      [&]() -> result<entry_list> {
        auto page = list_dead_letters(c, q);
        if (!page) return page.error();
        return std::move(page->entries);
      },
      [&](const entry_list& found) { return redrive_all(c, found); });
}

std::error_code unmark_redriven(connection& c, std::string_view message_id,
                                std::string_view subscription) {
  db::transaction tx(c);
  if (tx.begin()) return errc::unavailable;
  dead_letter_entry e;
  e.message_id = message_id;
  e.subscription = subscription;
  // Only while still redriven: an outcome that arrived meanwhile stands.
  auto s = c.prepare(
      "UPDATE sluice_dead_letters SET state = 'dead' "
      "WHERE message_id = ?1 AND subscription = ?2 AND state = 'redriven'");
  if (!s) return errc::unavailable;
  s->bind_text(1, message_id).bind_text(2, subscription);
  if (s->run()) return errc::unavailable;
  if (c.changes() > 0) {
    if (auto ec = record(c, e, "redrive_failed", format_rfc3339_us(now_us()), false)) return ec;
  }
  return tx.commit() ? make_error_code(errc::unavailable) : std::error_code{};
}

result<std::vector<dead_letter_entry>> discard(connection& c, std::string_view message_id,
                                               const std::optional<std::string>& subscription) {
  static const std::string sql = entries_sql("= 'dead'");
  return change_in_transaction(
      c, [&] { return entries_of(c, sql, message_id, subscription); },
      [&](const entry_list& found) -> std::error_code {
        const std::string now = format_rfc3339_us(now_us());
        for (const auto& e : found) {
          if (auto ec = record(c, e, "dead_lettered", e.last_failed_at, true)) return ec;
          if (auto ec = record(c, e, "discarded", now, false)) return ec;
          if (auto ec = set_state(c, e, "discarded", false)) return ec;
        }
        return {};
      });
}

result<std::vector<message_event>> history(connection& c, std::string_view message_id,
                                           const std::vector<std::string>& tables) {
  std::vector<message_event> out;
  {
    auto s = c.prepare(
        "SELECT at, event, subscription, reason, attempts FROM sluice_message_events "
        "WHERE message_id = ?1 ORDER BY seq");
    if (!s) return errc::unavailable;
    s->bind_text(1, message_id);
    for (;;) {
      auto row = s->step();
      if (!row) return errc::unavailable;
      if (!*row) break;
      out.push_back({s->text_at(0),
                     s->text_at(1),
                     s->text_at(2),
                     {},
                     s->text_at(3),
                     static_cast<std::uint32_t>(s->int64_at(4))});
    }
  }
  auto current = dead_letters_of(c, message_id);
  if (!current) return current.error();
  for (const auto& e : *current) {
    if (e.state != dead_letter_state::dead) continue;  // recorded with its action
    out.push_back({e.last_failed_at, "dead_lettered", e.subscription, {}, e.reason, e.attempts});
  }
  for (const auto& t : tables) {
    auto s = c.prepare(fmt::format("SELECT stored_at FROM {} WHERE message_id = ?1", t));
    if (!s) return errc::unavailable;
    s->bind_text(1, message_id);
    auto row = s->step();
    if (!row) return errc::unavailable;
    if (*row) out.push_back({s->text_at(0), "stored", {}, t, {}, 0});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const message_event& a, const message_event& b) { return a.at < b.at; });
  return out;
}

result<std::vector<std::pair<std::string, std::uint64_t>>> dead_letter_counts(connection& c) {
  auto s = c.prepare(
      "SELECT subscription, count(*) FROM sluice_dead_letters WHERE state = 'dead' "
      "GROUP BY subscription ORDER BY subscription");
  if (!s) return errc::unavailable;
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (;;) {
    auto row = s->step();
    if (!row) return errc::unavailable;
    if (!*row) break;
    out.emplace_back(s->text_at(0), static_cast<std::uint64_t>(s->int64_at(1)));
  }
  return out;
}

}  // namespace sluice::store::sqlite

#include "broker/sqlite/queue_sql.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <limits>

namespace sluice::broker::sqlite {
namespace {

// Runs a query whose single row has one integer column.
result<std::int64_t> query_int(connection& db, const std::string& sql, std::string_view arg) {
  auto stmt = db.prepare(sql);
  if (!stmt) return stmt.error();
  stmt->bind_text(1, arg);
  auto row = stmt->step();
  if (!row) return row.error();
  if (!*row) return make_sqlite_error(SQLITE_INTERNAL);
  return stmt->int64_at(0);
}

// errc::conflict when `id` is held as a different message; true when it is
// held as this one; false when it is not held. The identity is (id, topic,
// fingerprint), or (id, topic, body) when neither side has a fingerprint: the
// same record carried by another request is another message (issue 11 #9).
result<bool> held_as(connection& db, const message& msg) {
  auto stmt = db.prepare("SELECT topic, body, fingerprint FROM messages WHERE id = ?1");
  if (!stmt) return stmt.error();
  stmt->bind_text(1, msg.id);
  auto row = stmt->step();
  if (!row) return row.error();
  if (!*row) return false;
  if (stmt->text_at(0) != msg.topic || stmt->blob_at(2) != msg.fingerprint) return errc::conflict;
  if (msg.fingerprint.empty() && stmt->blob_at(1) != msg.body) return errc::conflict;
  return true;
}

result<delivery> load_delivery(connection& db, std::string_view subscription, std::int64_t seq,
                               std::int64_t attempts, std::int64_t lease) {
  auto stmt =
      db.prepare("SELECT id, topic, body, headers, accepted_at_us FROM messages WHERE seq = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, seq);
  auto row = stmt->step();
  if (!row) return row.error();
  // A delivery always has its message (both are written and deleted in one
  // transaction); a miss means the file was edited or damaged.
  if (!*row) return make_sqlite_error(SQLITE_CORRUPT);
  auto headers = decode_headers(stmt->text_at(3));
  if (!headers) return make_sqlite_error(SQLITE_CORRUPT);
  delivery d;
  d.msg.id = stmt->text_at(0);
  d.msg.topic = stmt->text_at(1);
  d.msg.body = stmt->blob_at(2);
  d.msg.headers = std::move(*headers);
  d.msg.accepted_at_us = stmt->int64_at(4);
  d.subscription = std::string(subscription);
  d.attempt = static_cast<std::uint32_t>(std::clamp<std::int64_t>(attempts, 1, UINT32_MAX));
  d.receipt = encode_receipt(seq, lease);
  return d;
}

}  // namespace

std::error_code insert_messages(connection& db, std::span<const message> messages,
                                std::int64_t now_us, std::int64_t dedup_window_us) {
  for (const auto& msg : messages) {
    auto held = held_as(db, msg);
    if (!held) return held.error();
    if (*held) continue;

    auto insert = db.prepare(
        "INSERT INTO messages (id, topic, body, headers, accepted_at_us, keep_until_us, "
        "fingerprint) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!insert) return insert.error();
    insert->bind_text(1, msg.id)
        .bind_text(2, msg.topic)
        .bind_blob(3, msg.body)
        .bind_text(4, encode_headers(msg.headers))
        .bind(5, msg.accepted_at_us != 0 ? msg.accepted_at_us : now_us)
        .bind(6, msg.deduplicate ? now_us + dedup_window_us : std::int64_t{0})
        .bind_blob(7, msg.fingerprint);
    if (auto ec = insert->run()) return ec;
    const std::int64_t seq = db.last_insert_rowid();

    auto fan_out = db.prepare(
        "INSERT INTO deliveries (subscription, seq, visible_at_us, attempts, lease) "
        "SELECT name, ?1, ?2, 0, NULL FROM subscriptions WHERE topic = ?3");
    if (!fan_out) return fan_out.error();
    // Visible at once (0, not now_us): another process whose clock is behind
    // this one's still sees it.
    fan_out->bind(1, seq).bind(2, std::int64_t{0}).bind_text(3, msg.topic);
    if (auto ec = fan_out->run()) return ec;
    if (db.changes() == 0 && !msg.deduplicate) {
      // No subscriber: keeping the row would leave it for no one to collect.
      auto drop = db.prepare("DELETE FROM messages WHERE seq = ?1");
      if (!drop) return drop.error();
      drop->bind(1, seq);
      if (auto ec = drop->run()) return ec;
    }
  }
  return {};
}

std::error_code expire_kept(connection& db, std::int64_t now_us) {
  auto gc = db.prepare(
      "DELETE FROM messages WHERE keep_until_us > 0 AND keep_until_us <= ?1 AND NOT EXISTS ("
      "SELECT 1 FROM subscriptions s CROSS JOIN deliveries d "
      "ON d.subscription = s.name AND d.seq = messages.seq)");
  if (!gc) return gc.error();
  gc->bind(1, now_us);
  return gc->run();
}

std::error_code insert_subscriptions(connection& db, std::span<const topology> subscriptions) {
  for (const auto& t : subscriptions) {
    auto stmt = db.prepare("INSERT OR IGNORE INTO subscriptions (name, topic) VALUES (?1, ?2)");
    if (!stmt) return stmt.error();
    stmt->bind_text(1, t.subscription).bind_text(2, t.topic);
    if (auto ec = stmt->run()) return ec;
  }
  return {};
}

std::error_code delete_deliveries(connection& db, std::span<const lease_ref> leases,
                                  std::int64_t now_us) {
  for (const auto& ref : leases) {
    auto del =
        db.prepare("DELETE FROM deliveries WHERE subscription = ?1 AND seq = ?2 AND lease = ?3");
    if (!del) return del.error();
    del->bind_text(1, ref.subscription).bind(2, ref.seq).bind(3, ref.lease);
    if (auto ec = del->run()) return ec;
    if (db.changes() == 0) continue;  // the lease expired and was taken again

    // Collect the message now that one more subscription is done with it.
    // CROSS JOIN fixes the loop order (SQLite honours it): one primary-key probe
    // of deliveries per subscription (there are few). Left to the planner,
    // without statistics it scans all of deliveries instead.
    auto gc = db.prepare(
        "DELETE FROM messages WHERE seq = ?1 AND keep_until_us <= ?2 AND NOT EXISTS ("
        "SELECT 1 FROM subscriptions s CROSS JOIN deliveries d "
        "ON d.subscription = s.name AND d.seq = ?1)");
    if (!gc) return gc.error();
    gc->bind(1, ref.seq).bind(2, now_us);
    if (auto ec = gc->run()) return ec;
  }
  return {};
}

std::error_code release_deliveries(connection& db, std::span<const lease_ref> leases,
                                   std::int64_t visible_at_us, bool count_attempt) {
  for (const auto& ref : leases) {
    auto stmt = db.prepare(
        "UPDATE deliveries SET visible_at_us = ?4, lease = NULL, "
        "attempts = max(attempts - ?5, 0) "
        "WHERE subscription = ?1 AND seq = ?2 AND lease = ?3");
    if (!stmt) return stmt.error();
    stmt->bind_text(1, ref.subscription)
        .bind(2, ref.seq)
        .bind(3, ref.lease)
        .bind(4, visible_at_us)
        .bind(5, count_attempt ? 0 : 1);
    if (auto ec = stmt->run()) return ec;
  }
  return {};
}

result<std::vector<delivery>> lease_deliveries(connection& db, std::string_view subscription,
                                               std::size_t max, std::int64_t now_us,
                                               std::int64_t visible_until_us, std::int64_t lease) {
  std::vector<std::pair<std::int64_t, std::int64_t>> leased;  // seq, attempts
  {
    auto stmt = db.prepare(
        "UPDATE deliveries SET visible_at_us = ?3, attempts = attempts + 1, lease = ?4 "
        "WHERE subscription = ?1 AND seq IN ("
        "SELECT seq FROM deliveries WHERE subscription = ?1 AND visible_at_us <= ?2 "
        "ORDER BY seq LIMIT ?5) "
        "RETURNING seq, attempts");
    if (!stmt) return stmt.error();
    const auto limit = static_cast<std::int64_t>(
        std::min<std::size_t>(max, std::numeric_limits<std::int64_t>::max()));
    stmt->bind_text(1, subscription)
        .bind(2, now_us)
        .bind(3, visible_until_us)
        .bind(4, lease)
        .bind(5, limit);
    for (;;) {
      auto row = stmt->step();
      if (!row) return row.error();
      if (!*row) break;
      leased.emplace_back(stmt->int64_at(0), stmt->int64_at(1));
    }
  }
  // RETURNING does not promise an order.
  std::sort(leased.begin(), leased.end());
  std::vector<delivery> out;
  out.reserve(leased.size());
  for (const auto& [seq, attempts] : leased) {
    auto d = load_delivery(db, subscription, seq, attempts, lease);
    if (!d) return d.error();
    out.push_back(std::move(*d));
  }
  return out;
}

result<bool> subscription_exists(connection& db, std::string_view subscription) {
  auto n =
      query_int(db, "SELECT EXISTS (SELECT 1 FROM subscriptions WHERE name = ?1)", subscription);
  if (!n) return n.error();
  return *n != 0;
}

result<bool> has_visible(connection& db, std::string_view subscription, std::int64_t now_us) {
  auto stmt = db.prepare(
      "SELECT EXISTS (SELECT 1 FROM deliveries WHERE subscription = ?1 AND visible_at_us <= ?2)");
  if (!stmt) return stmt.error();
  stmt->bind_text(1, subscription).bind(2, now_us);
  auto row = stmt->step();
  if (!row) return row.error();
  return *row && stmt->int64_at(0) != 0;
}

result<std::uint64_t> count_deliveries(connection& db, std::string_view subscription) {
  auto n = query_int(db, "SELECT count(*) FROM deliveries WHERE subscription = ?1", subscription);
  if (!n) return n.error();
  return static_cast<std::uint64_t>(*n);
}

result<bool> message_exists(connection& db, std::string_view id) {
  auto n = query_int(db, "SELECT EXISTS (SELECT 1 FROM messages WHERE id = ?1)", id);
  if (!n) return n.error();
  return *n != 0;
}

}  // namespace sluice::broker::sqlite

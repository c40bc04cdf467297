#pragma once
// The queue's operations as SQL on one connection (schema in schema.hpp).
// Private to src/broker/sqlite/. Errors are sqlite_category() codes, except
// errc::conflict from insert_messages.
//
// Functions marked "in a transaction" REQUIRE a write transaction (BEGIN
// IMMEDIATE) open on `db`; the caller commits. The others are single reads.

#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "broker/broker.hpp"
#include "broker/sqlite/codec.hpp"
#include "sqlite/database.hpp"

namespace sluice::broker::sqlite {

// The shared SQLite wrapper (src/sqlite/), under this folder's names.
using sluice::sqlite::connection;
using sluice::sqlite::make_sqlite_error;
using sluice::sqlite::statement;

// In a transaction. Appends `messages` and one delivery per subscription of
// each message's topic, visible at `now_us`. A message whose id is already
// held with the same topic and fingerprint (and body, when the fingerprint is
// empty) is skipped (an idempotent retry); the same id with another topic,
// fingerprint or body fails with errc::conflict, leaving partial
// work for the caller to roll back. Messages of a topic without subscriptions
// are not stored: nobody could receive them.
// Messages marked `deduplicate` are kept `dedup_window_us` after the last ack.
std::error_code insert_messages(connection& db, std::span<const message> messages,
                                std::int64_t now_us, std::int64_t dedup_window_us);

// In a transaction. Deletes kept messages whose duplicate window is over and
// that no delivery refers to.
std::error_code expire_kept(connection& db, std::int64_t now_us);

// In a transaction. Creates missing subscriptions; an existing name keeps its topic.
std::error_code insert_subscriptions(connection& db, std::span<const topology> subscriptions);

// In a transaction. Deletes the deliveries whose lease still matches, then
// every message that no delivery refers to any more (unless kept for its
// duplicate window past `now_us`).
std::error_code delete_deliveries(connection& db, std::span<const lease_ref> leases,
                                  std::int64_t now_us);

// In a transaction. Makes the deliveries whose lease still matches visible at
// `visible_at_us`, unleased; undoes the attempt their lease counted unless
// `count_attempt`.
std::error_code release_deliveries(connection& db, std::span<const lease_ref> leases,
                                   std::int64_t visible_at_us, bool count_attempt);

// In a transaction. Leases up to `max` deliveries of `subscription` visible at
// `now_us`, oldest first, until `visible_until_us`, under token `lease`.
result<std::vector<delivery>> lease_deliveries(connection& db, std::string_view subscription,
                                               std::size_t max, std::int64_t now_us,
                                               std::int64_t visible_until_us, std::int64_t lease);

result<bool> subscription_exists(connection& db, std::string_view subscription);
// Whether `subscription` has a delivery visible at `now_us`: a read that lets
// idle polls skip the write lock.
result<bool> has_visible(connection& db, std::string_view subscription, std::int64_t now_us);
result<std::uint64_t> count_deliveries(connection& db, std::string_view subscription);
result<bool> message_exists(connection& db, std::string_view id);

}  // namespace sluice::broker::sqlite

#include "store/replica_store.hpp"

namespace sluice::store {

replica_routing_store::replica_routing_store(std::unique_ptr<store> primary,
                                             std::unique_ptr<store> replica)
    : primary_(std::move(primary)), replica_(std::move(replica)) {}

std::error_code replica_routing_store::migrate(std::span<const table_def> tables) {
  if (auto ec = primary_->migrate(tables)) return ec;
  // A replica is read-only: it gets the tables by replaying the migration.
  return replica_->attach(tables);
}

std::error_code replica_routing_store::attach(std::span<const table_def> tables) {
  if (auto ec = primary_->attach(tables)) return ec;
  return replica_->attach(tables);
}

result<batch_result> replica_routing_store::write(const batch& b) {
  return primary_->write(b);
}

result<page> replica_routing_store::query(std::string_view table, const page_query& q) {
  // The replica's version first, then its page: the replica only moves
  // forward, so the page reflects at least that version.
  auto replayed = replica_->version(table);
  if (replayed && *replayed >= q.min_version) {
    auto p = replica_->query(table, q);
    if (p || p.error() == errc::bad_query || p.error() == errc::unknown_table) {
      replica_pages_.fetch_add(1, std::memory_order_relaxed);
      return p;
    }
  }
  primary_pages_.fetch_add(1, std::memory_order_relaxed);
  return primary_->query(table, q);
}

result<row_count> replica_routing_store::count(std::string_view table, const page_query& q,
                                               count_mode mode, std::uint64_t exact_max) {
  auto replayed = replica_->version(table);
  if (replayed && *replayed >= q.min_version) {
    auto c = replica_->count(table, q, mode, exact_max);
    if (c || c.error() == errc::bad_query || c.error() == errc::unknown_table ||
        c.error() == errc::unsupported) {
      return c;
    }
  }
  return primary_->count(table, q, mode, exact_max);
}

// Single rows, statuses and versions come from the primary: a row read right
// after its 201 or its "stored" status must exist, and the versions are what
// min_version is compared with.
result<std::optional<std::string>> replica_routing_store::get(std::string_view table,
                                                              std::int64_t id) {
  return primary_->get(table, id);
}

result<message_status> replica_routing_store::status(std::string_view message_id) {
  return primary_->status(message_id);
}

result<std::vector<message_status>> replica_routing_store::statuses(
    std::span<const std::string> message_ids) {
  return primary_->statuses(message_ids);
}

std::error_code replica_routing_store::ping() {
  return primary_->ping();
}

result<std::int64_t> replica_routing_store::version(std::string_view table) {
  return primary_->version(table);
}

replica_stats replica_routing_store::stats() const {
  return {replica_pages_.load(std::memory_order_relaxed),
          primary_pages_.load(std::memory_order_relaxed)};
}

}  // namespace sluice::store

#pragma once
// Reads from a replica (store.read_url: a PostgreSQL streaming replica, an
// Aurora reader endpoint) without ever serving a page older than asked for.
//
// Everything goes to the primary except query(): a page is read from the
// replica when the replica's version of the table (store::version(), raised
// in the same transaction as every batch, so replayed with it) is at least
// page_query::min_version, else from the primary. The API sets min_version
// from the version it keys the cache with and from the client's
// Sluice-Min-Version header (the Sluice-Version a 201 answer carried), so a
// client is never served a page older than its own write: from the replica
// once it has caught up, from the primary before. A replica that fails or
// does not answer costs a fall-back to the primary, never an error.

#include <atomic>
#include <memory>

#include "store/store.hpp"

namespace sluice::store {

struct replica_stats {
  std::uint64_t replica_pages = 0;  // pages the replica served
  std::uint64_t primary_pages = 0;  // pages the primary served (replica behind or failing)
};

class replica_routing_store : public store {
 public:
  replica_routing_store(std::unique_ptr<store> primary, std::unique_ptr<store> replica);

  std::error_code migrate(std::span<const table_def> tables) override;
  std::error_code attach(std::span<const table_def> tables) override;
  result<batch_result> write(const batch& b) override;
  result<page> query(std::string_view table, const page_query& q) override;
  result<std::optional<std::string>> get(std::string_view table, std::int64_t id) override;
  result<message_status> status(std::string_view message_id) override;
  result<std::vector<message_status>> statuses(std::span<const std::string> message_ids) override;
  std::error_code ping() override;
  result<std::int64_t> version(std::string_view table) override;

  replica_stats stats() const;

 private:
  std::unique_ptr<store> primary_;
  std::unique_ptr<store> replica_;
  std::atomic<std::uint64_t> replica_pages_{0};
  std::atomic<std::uint64_t> primary_pages_{0};
};

}  // namespace sluice::store

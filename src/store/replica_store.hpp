#pragma once
// Reads from a replica (store.read_url: a PostgreSQL streaming replica, an
// Aurora reader endpoint) without ever serving a page older than asked for.
//
// Everything goes to the primary except query() and count(): a page is read from the
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
  // As query(): the replica once it has replayed q.min_version, else the primary.
  result<row_count> count(std::string_view table, const page_query& q, count_mode mode,
                          std::uint64_t exact_max) override;
  result<std::optional<std::string>> get(std::string_view table, std::int64_t id) override;
  result<message_status> status(std::string_view message_id) override;
  result<std::vector<message_status>> statuses(std::span<const std::string> message_ids) override;
  std::error_code ping() override;
  result<std::int64_t> version(std::string_view table) override;
  // Dead letters and exports: always the primary (issue 14).
  result<dead_letter_page> dead_letters(const dead_letter_query& q) override {
    return primary_->dead_letters(q);
  }
  result<std::vector<dead_letter_entry>> dead_letters_of(std::string_view message_id) override {
    return primary_->dead_letters_of(message_id);
  }
  result<std::vector<dead_letter_entry>> mark_redriven(
      std::string_view message_id, const std::optional<std::string>& subscription) override {
    return primary_->mark_redriven(message_id, subscription);
  }
  result<std::vector<dead_letter_entry>> mark_redriven_matching(
      const dead_letter_query& q) override {
    return primary_->mark_redriven_matching(q);
  }
  std::error_code unmark_redriven(std::string_view message_id,
                                  std::string_view subscription) override {
    return primary_->unmark_redriven(message_id, subscription);
  }
  result<std::vector<dead_letter_entry>> discard(
      std::string_view message_id, const std::optional<std::string>& subscription) override {
    return primary_->discard(message_id, subscription);
  }
  result<std::vector<message_event>> history(std::string_view message_id) override {
    return primary_->history(message_id);
  }
  result<std::vector<std::pair<std::string, std::uint64_t>>> dead_letter_counts() override {
    return primary_->dead_letter_counts();
  }
  result<export_result> export_rows(const export_query& q, const export_sink& sink) override {
    return primary_->export_rows(q, sink);
  }

  replica_stats stats() const;

 private:
  std::unique_ptr<store> primary_;
  std::unique_ptr<store> replica_;
  std::atomic<std::uint64_t> replica_pages_{0};
  std::atomic<std::uint64_t> primary_pages_{0};
};

}  // namespace sluice::store

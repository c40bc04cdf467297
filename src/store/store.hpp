#pragma once
// The store: the relational database rows are written to and read from.
// Writes are batched, one transaction per batch, idempotent on the message id;
// a row the database refuses becomes a dead letter in the same transaction,
// so every message has exactly one outcome.
//
// Calls block: run them on worker threads, never on an io thread.
// Thread safety: all methods may be called concurrently.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "config/config.hpp"
#include "core/result.hpp"
#include "model/record.hpp"

namespace sluice::store {

enum class errc {
  unavailable = 1,  // cannot reach or write the database; retry later
  unknown_table,
  bad_query,
  unsupported,  // the backend does not offer this
  // The call did not answer within its client-side deadline
  // (store.read_timeout_ms); it may still be running. Retry later.
  timed_out,
};
const std::error_category& category();
std::error_code make_error_code(errc e);

}  // namespace sluice::store

template <>
struct std::is_error_code_enum<sluice::store::errc> : std::true_type {};

namespace sluice::store {

// A table and the resource that shapes its columns.
struct table_def {
  std::string table;
  const config::resource_def* resource = nullptr;
};

struct row_write {
  std::string message_id;
  std::int64_t accepted_at_us = 0;
  model::record values;
  std::string body;  // the message body, kept if the row becomes a dead letter
  // The delivery this row comes from (broker::delivery::attempt): recorded
  // as the dead letter's attempts if the database refuses the row. 0 = unknown.
  std::uint32_t attempt = 0;
};

struct dead_letter {
  std::string message_id;
  std::string subscription;
  std::string topic;
  std::string reason;
  std::uint32_t attempts = 0;
  std::string body;
};

struct batch {
  std::string table;
  std::string subscription;
  std::string topic;
  std::vector<row_write> rows;
  std::vector<dead_letter> dead_letters;  // decided by the subscriber
};

enum class outcome { stored, duplicate, dead_lettered };

struct row_outcome {
  outcome result = outcome::stored;
  std::string reason;  // why it was dead-lettered
};

struct batch_result {
  std::vector<row_outcome> rows;  // one per batch::rows, in order
  std::int64_t version = 0;       // the table's version after this batch (see version())
};

// Equality filter on a field (?email=eq.a@b.c) or on the id.
struct filter {
  std::string field;  // a field name, or "id"
  model::value value;
};

struct page_query {
  std::vector<filter> filters;
  bool descending = false;            // order=id.desc
  std::optional<std::int64_t> after;  // keyset cursor: rows past this id
  std::size_t limit = 100;
  // The page must reflect at least this version() of the table: a store
  // that reads from a replica (replica_store.hpp) uses the replica only once
  // it has replayed it. 0 = any.
  std::int64_t min_version = 0;
};

struct page {
  std::string json;  // a JSON array of row objects
  std::size_t count = 0;
  std::optional<std::int64_t> last_id;
};

struct message_status {
  enum class state { unknown, stored, dead_lettered } status = state::unknown;
  std::string table;        // stored: where the row is
  std::int64_t row_id = 0;  // stored
  std::string subscription; // dead_lettered
  std::string reason;       // dead_lettered
  std::uint32_t attempts = 0;
};

class store {
 public:
  virtual ~store() = default;

  // Creates or upgrades the tables (and the dead-letter table). Idempotent;
  // safe to run from several processes. Remembers `tables` for the calls below.
  virtual std::error_code migrate(std::span<const table_def> tables) = 0;

  // Uses `tables` as they are, without creating or altering anything (for
  // processes started with migrations disabled).
  virtual std::error_code attach(std::span<const table_def> tables) = 0;

  // Writes one batch in one transaction: rows inserted unless their message id
  // is already there (duplicate), rows the database refuses dead-lettered,
  // then `dead_letters` written — unless the message already has a row.
  virtual result<batch_result> write(const batch& b) = 0;

  // Rows as JSON, keyset-paginated by id.
  virtual result<page> query(std::string_view table, const page_query& q) = 0;

  // One row as a JSON object, or nullopt.
  virtual result<std::optional<std::string>> get(std::string_view table, std::int64_t id) = 0;

  // Where a message ended up, looking across all migrated tables.
  virtual result<message_status> status(std::string_view message_id) = 0;

  // status() of each id, in order, in one call (a waiter's one round). This
  // default asks one by one; a backend may answer with one query.
  virtual result<std::vector<message_status>> statuses(std::span<const std::string> message_ids) {
    std::vector<message_status> out;
    out.reserve(message_ids.size());
    for (const auto& id : message_ids) {
      auto st = status(id);
      if (!st) return st.error();
      out.push_back(std::move(*st));
    }
    return out;
  }

  // {} when the database answers.
  virtual std::error_code ping() = 0;

  // The table's version: raised in the same transaction as every batch that
  // stores rows in it, so a page built after reading version v reflects at
  // least every commit up to v. A cheap primary-key read (the read cache asks
  // for it on every GET).
  // A backend without versions answers errc::unsupported: pages are then
  // served uncached.
  virtual result<std::int64_t> version(std::string_view /*table*/) { return errc::unsupported; }
};

}  // namespace sluice::store

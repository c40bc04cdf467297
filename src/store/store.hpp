#pragma once
// The store: the relational database rows are written to and read from.
// Writes are batched, one transaction per batch, idempotent on the message id;
// a row the database refuses becomes a dead letter in the same transaction,
// so every message has exactly one outcome.
//
// Calls block: run them on worker threads, never on an io thread.
// Thread safety: all methods may be called concurrently.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "core/result.hpp"
#include "model/record.hpp"
#include "store/query.hpp"

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
  // The W3C trace id (32 lowercase hex) of the request that accepted the
  // message, from its traceparent header; "" = unknown (stored as NULL).
  std::string trace_id;
};

struct dead_letter {
  std::string message_id;
  std::string subscription;
  std::string topic;
  std::string reason;
  std::uint32_t attempts = 0;
  std::string body;
  std::string trace_id;  // as row_write::trace_id; a dead letter written again keeps its first
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

// How count() counts (GET's Prefer: count=…, PostgREST's three):
//   exact     — count(*) of the rows the filters select;
//   planned   — the database's estimate only (PostgreSQL: the planner's row
//               estimate, EXPLAIN; SQLite: sqlite_stat1, see the stores);
//   estimated — exact up to `exact_max` rows (a count bounded by LIMIT
//               exact_max + 1), past it the planned estimate, never less
//               than exact_max + 1.
enum class count_mode { exact, planned, estimated };

struct row_count {
  std::uint64_t total = 0;  // rows the filters select (the cursor aside)
  // Of those, the rows before the page: the ones page_query::after skipped
  // (at or before its position in the order); 0 without a position.
  std::uint64_t before = 0;
  bool exact = true;  // false when total and before are estimates
};

struct message_status {
  // redriven: an operator re-published its dead letter and no new outcome is
  // in yet (it reads as pending); discarded: an operator dropped the dead
  // letter for good.
  enum class state { unknown, stored, dead_lettered, redriven, discarded } status = state::unknown;
  std::string table;         // stored: where the row is
  std::int64_t row_id = 0;   // stored
  std::string subscription;  // dead_lettered
  std::string reason;        // dead_lettered
  std::uint32_t attempts = 0;
  std::string trace_id;  // the row's or the dead letter's (row_write::trace_id); "" = unknown
};

// Dead letters as operators see them (GET /v1/dead-letters). One entry per
// (message, subscription). Its state:
//   dead      — the outcome of the message in that subscription;
//   redriven  — re-published; the subscriber's next outcome (a row, or a
//               dead letter again, which makes the entry `dead` once more)
//               replaces it;
//   discarded — dropped by an operator; the message's final outcome.
// Only a `redriven` entry lets a row in: a `dead` or `discarded` one keeps
// every redelivery out, so a message has one outcome in each subscription.
enum class dead_letter_state { dead, redriven, discarded };
std::string_view to_string(dead_letter_state s);

struct dead_letter_entry {
  std::string message_id;
  std::string subscription;
  std::string topic;
  std::string reason;
  std::uint32_t attempts = 0;
  std::string body;
  dead_letter_state state = dead_letter_state::dead;
  std::string first_failed_at;  // RFC 3339, UTC: the first time it was dead-lettered
  std::string last_failed_at;   // the latest time
  std::uint32_t redrives = 0;   // how often it was redriven
};

// Which dead letters: every set field must match. Only `dead` entries are
// listed. Keyset pages by (message_id, subscription).
struct dead_letter_query {
  std::optional<std::string> subscription;
  std::optional<std::string> topic;
  std::optional<std::int64_t> since_us;  // last failure at or after
  // The reason contains this text, ASCII letters compared without case
  // ("max deliveries" finds "exceeded max deliveries (5)").
  std::optional<std::string> reason;
  // Past this entry (the cursor of the previous page's last entry).
  std::optional<std::pair<std::string, std::string>> after;
  std::size_t limit = 100;
};

struct dead_letter_page {
  std::vector<dead_letter_entry> entries;
};

// One step of a message's story (GET /v1/messages/{id}), oldest first.
struct message_event {
  std::string at;            // RFC 3339, UTC
  std::string event;         // dead_lettered | redriven | discarded | stored
  std::string subscription;  // dead letters and operator actions
  std::string table;         // stored
  std::string reason;        // dead_lettered
  std::uint32_t attempts = 0;
};

// A warehouse export (sluice export): rows whose received_at is in
// [since, until), past `after`, in id order.
enum class export_format { csv, ndjson };
struct export_query {
  std::string table;
  std::int64_t since_us = 0;
  std::int64_t until_us = 0;
  std::optional<std::int64_t> after;  // resume: only ids above it
  export_format format = export_format::csv;
};
struct export_result {
  std::uint64_t rows = 0;
  std::optional<std::int64_t> last_id;  // the id of the last row written
};
// Takes a chunk of whole lines; false stops the export (the sink's write failed).
using export_sink = std::function<bool(std::string_view)>;

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

  // A page of rows as JSON: q's conditions, order and keyset position
  // (store/query.hpp). errc::bad_query for a field the table does not have.
  virtual result<page> query(std::string_view table, const page_query& q) = 0;

  // How many rows q's conditions and groups select, and how many of them q.after skips,
  // counted as `mode` says (q.limit is ignored). A backend without counts
  // answers errc::unsupported (pages are then served without Content-Range).
  virtual result<row_count> count(std::string_view /*table*/, const page_query& /*q*/,
                                  count_mode /*mode*/, std::uint64_t /*exact_max*/) {
    return errc::unsupported;
  }

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

  // Streams the rows `q` selects to `sink` with constant memory, in id
  // order. CSV (RFC 4180, what PostgreSQL's COPY FROM … (FORMAT csv, HEADER)
  // loads): a header line of the column names (id, message_id, received_at,
  // stored_at, then the fields), CRLF-free values quoted when they hold a
  // comma, quote or line break, "" for an empty text and nothing for NULL,
  // timestamps RFC 3339 UTC with microseconds, booleans true/false. NDJSON:
  // one row object per line, as GET serves it. Blocking, unbounded in time
  // (no store deadline): for the CLI, not for requests.
  virtual result<export_result> export_rows(const export_query& /*q*/,
                                            const export_sink& /*sink*/) {
    return errc::unsupported;
  }

  // ---- Dead letters (operators, scope admin). A backend without them
  // answers errc::unsupported.

  // A page of `dead` entries matching `q`.
  virtual result<dead_letter_page> dead_letters(const dead_letter_query& /*q*/) {
    return errc::unsupported;
  }

  // Every entry of a message (any state), by subscription.
  virtual result<std::vector<dead_letter_entry>> dead_letters_of(std::string_view /*message_id*/) {
    return errc::unsupported;
  }

  // Marks the message's `dead` and `redriven` entries (of `subscription`
  // only, when set) redriven, in one transaction that records the history
  // ("dead_lettered" as it was, then "redriven"), and returns them as they
  // were (state, body and topic: what to re-publish). Marking a `redriven`
  // entry again is allowed: its re-publish may have been lost; the row stays
  // one, since rows are unique by message id. `discarded` entries are left.
  virtual result<std::vector<dead_letter_entry>> mark_redriven(
      std::string_view /*message_id*/, const std::optional<std::string>& /*subscription*/) {
    return errc::unsupported;
  }

  // mark_redriven of up to q.limit `dead` entries matching `q`.
  virtual result<std::vector<dead_letter_entry>> mark_redriven_matching(
      const dead_letter_query& /*q*/) {
    return errc::unsupported;
  }

  // Undoes mark_redriven of one entry whose re-publish failed: `redriven` →
  // `dead` again (unless an outcome arrived meanwhile), recorded as
  // "redrive_failed".
  virtual std::error_code unmark_redriven(std::string_view /*message_id*/,
                                          std::string_view /*subscription*/) {
    return errc::unsupported;
  }

  // Marks the message's `dead` entries (of `subscription` only, when set)
  // discarded, recorded in the history; returns the entries changed.
  virtual result<std::vector<dead_letter_entry>> discard(
      std::string_view /*message_id*/, const std::optional<std::string>& /*subscription*/) {
    return errc::unsupported;
  }

  // The message's history, oldest first: recorded operator actions, the
  // current dead letters and the row, if any.
  virtual result<std::vector<message_event>> history(std::string_view /*message_id*/) {
    return errc::unsupported;
  }

  // The number of `dead` entries per subscription (sluice_dead_letters).
  virtual result<std::vector<std::pair<std::string, std::uint64_t>>> dead_letter_counts() {
    return errc::unsupported;
  }
};

}  // namespace sluice::store

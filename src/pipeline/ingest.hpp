#pragma once
// Ingest: the one way records enter the pipeline, whatever the entry point
// (the HTTP POST handler today; a dead-letter redrive, a batch import or a
// queue-triggered intake later). One call takes parsed records for a
// resource and answers with message ids or a domain refusal:
//   validate strictly → build messages (ids from the Idempotency-Key or
//   UUIDv7) → publish durably → optionally wait for the rows.
// It also answers the two other questions handlers have for the broker:
// where a message is (store first, then the broker) and whether the broker is
// up — so nothing under api/ names the broker.
//
// Thread safety: all methods may be called concurrently.

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "config/config.hpp"
#include "model/validate.hpp"
#include "pipeline/outcome_waits.hpp"
#include "store/store.hpp"

namespace boost::asio {
class thread_pool;
}

namespace sluice::broker {
class broker;
}
namespace sluice::observe {
class metrics;
}

namespace sluice::pipeline {

// Why ingest refused or could not finish a request. Every kind but
// outcome_unknown guarantees that nothing was accepted.
enum class refusal_kind {
  invalid,          // records failed validation (problems says where)
  empty,            // no records
  too_many,         // more than http.max_batch records
  too_large,        // a record over the broker's max_record_bytes (problems says which)
  conflict,         // the Idempotency-Key was used with another request
  overloaded,       // the publish queue is full
  closed,           // shutting down
  storage_full,     // the broker's disk is full
  unavailable,      // the broker refused or could not be reached
  outcome_unknown,  // sent, never confirmed: `ids` may or may not be durable
};

struct refusal {
  refusal_kind kind = refusal_kind::unavailable;
  std::vector<model::problem> problems;  // invalid: at most max_reported_problems
  std::vector<std::string> ids;          // outcome_unknown: the ids a status lookup resolves
  std::error_code cause;                 // the broker's error, for logs
};

struct stored_row {
  std::int64_t id = 0;
  std::string json;  // the row as a JSON object
};

struct ingest_request {
  const config::resource_def* resource = nullptr;
  std::vector<boost::json::value> records;
  bool single = true;              // one object (not an array or NDJSON stream)
  std::string idempotency_key;     // "" when the client sent none
  // Scopes the key (auth::principal::id): the same key from two principals
  // names two sets of messages. "" in auth mode none.
  std::string principal_id;
  std::string traceparent;         // W3C, carried by every message
  std::string trace_id;            // the same trace, for log lines
  std::optional<unsigned> wait;    // Prefer: wait=N seconds (already clamped)
};

struct ingest_result {
  std::optional<refusal> refused;  // set: nothing else is
  std::vector<std::string> ids;    // one per record, in order
  // The rows, in record order, when a wait was asked and every record was
  // stored within it; nullopt otherwise (the answer is then "accepted").
  std::optional<std::vector<stored_row>> rows;
};

// Where a message is (GET /v1/messages/{id}).
struct message_lookup {
  store::message_status status;
  bool unknown = false;  // neither the store nor the broker knows the id
};

inline constexpr std::size_t max_reported_problems = 100;

// The header a redrive's message carries: the id of the message it
// re-publishes (the subscriber writes the row or dead letter under it).
inline constexpr std::string_view redrive_header = "sluice-redrive-of";

// One dead letter to publish again (its message id, topic and body).
struct republish_item {
  std::string message_id;
  std::string topic;
  std::string body;
};

class ingest {
 public:
  // The references must outlive the ingest.
  ingest(const config::config& cfg, broker::broker& broker, store::store& store,
         observe::metrics& metrics, boost::asio::thread_pool& blocking);

  boost::asio::awaitable<ingest_result> accept(ingest_request req);

  // Blocking (store and broker calls): run it on the blocking pool.
  result<message_lookup> locate(const std::string& message_id);

  // Publishes dead letters again, durably, each under a fresh broker id with
  // redrive_header naming its message id: a new delivery (attempt 1) that no
  // broker's duplicate window mistakes for the original. {} once durable.
  boost::asio::awaitable<std::error_code> republish(std::vector<republish_item> items,
                                                    std::string traceparent);

  // Blocking. {} when the broker is reachable and writable.
  std::error_code broker_health();

  // A subscriber of this process committed rows into `table`: waiters look
  // again now instead of at their next poll. Thread-safe, never blocks.
  void committed(const std::string& table);

 private:
  const config::config& cfg_;
  broker::broker& broker_;
  store::store& store_;
  observe::metrics& metrics_;
  boost::asio::thread_pool& blocking_;
  outcome_waits waits_;
};

}  // namespace sluice::pipeline

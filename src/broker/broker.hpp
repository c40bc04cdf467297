#pragma once
// The broker: durable topics with fan-out to subscriptions (SNS→SQS
// semantics). Every backend honours the contract in ../shared/DESIGN.md:
//  - publish() reports success only once the messages are durable;
//  - each subscription receives every message published to its topic;
//  - delivery is at-least-once: a pulled message not acked within the
//    visibility timeout is delivered again, with its attempt count raised.
// Dead-lettering is decided by the subscriber from `delivery::attempt`.

#include <chrono>
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

#include "core/result.hpp"

namespace sluice::broker {

enum class errc {
  unavailable = 1,  // the broker cannot be reached or failed to persist
  overloaded,       // too many publishes waiting; retry later
  conflict,         // a message id was reused by another message (see message::fingerprint)
  closed,           // the broker is shutting down
  unknown_subscription,
  storage_full,  // the broker's disk is full: publishes are refused until it drains
  // The publish was sent but its confirmation never came (connection lost,
  // confirm timed out): the messages may or may not be durable. The caller
  // must say so; a retry with the same ids (Idempotency-Key) resolves it.
  outcome_unknown,
  // The broker (or the configuration) refuses this client for good: bad
  // credentials or permissions, a certificate that fails verification, a
  // topology the server rejects, an unusable URL. Retrying without an
  // operator's change does not help; unavailable is the transient kind.
  refused,
};
const std::error_category& category();
std::error_code make_error_code(errc e);

using header = std::pair<std::string, std::string>;

struct message {
  std::string id;     // UUID; publishing an id twice with the same body is a no-op
  std::string topic;  // the resource name
  std::string body;   // canonical JSON of one record
  std::vector<header> headers;        // traceparent, idempotency-key, content-type…
  std::int64_t accepted_at_us = 0;    // wall clock, microseconds since epoch
  // The id comes from a client's Idempotency-Key: the broker recognises a
  // republish of it for its duplicate window even after every subscription
  // acked it (the same fingerprint — or body, without one — is a no-op;
  // another is errc::conflict, on every backend; see each backend's header
  // for what it cannot compare).
  bool deduplicate = false;
  // For deduplicated messages: a digest of the whole request that carried
  // them (count, order and content of every record). The dedup identity is
  // (id, fingerprint): a republish of the id with another fingerprint is
  // errc::conflict even when this message's own body is the same. Empty: the
  // body alone is compared.
  std::string fingerprint;
};

struct delivery {
  message msg;
  std::string subscription;
  std::uint32_t attempt = 1;  // 1 on first delivery
  std::string receipt;        // opaque lease handle for ack/release
};

struct topology {
  std::string subscription;
  std::string topic;
};

// Called exactly once: from a broker-owned thread, or at once on the caller's
// thread when the publish is refused outright (overloaded, closed). Must not
// block, throw, or destroy the broker.
using publish_callback = std::function<void(std::error_code)>;

// Thread safety: all methods may be called from any thread concurrently.
class broker {
 public:
  virtual ~broker() = default;

  // Creates topics and subscriptions if missing (idempotent). A subscription
  // created now receives messages published from now on.
  virtual std::error_code declare(std::span<const topology> subscriptions) = 0;

  // Durably appends all `messages` (all or none) to their topics, fanning out
  // to every subscription of each topic. Never blocks: `done` is called later
  // with {} once durable, or an errc.
  virtual void publish(std::vector<message> messages, publish_callback done) = 0;

  // Leases up to `max` visible messages of `subscription`, oldest first,
  // waiting up to `wait` for one to arrive. Blocks: call from a worker thread.
  virtual result<std::vector<delivery>> pull(std::string_view subscription, std::size_t max,
                                             std::chrono::milliseconds wait) = 0;

  // Removes delivered messages from their subscription. Acking a delivery whose
  // lease expired and was re-leased is a no-op.
  virtual std::error_code ack(std::span<const delivery> deliveries) = 0;

  // Returns deliveries to their subscription, visible again after `delay`.
  // With count_attempt = false the attempt is not counted (the failure was
  // ours, e.g. the store was down, not the message's).
  virtual std::error_code release(std::span<const delivery> deliveries,
                                  std::chrono::milliseconds delay, bool count_attempt) = 0;

  // Messages waiting (leased or not) in a subscription.
  virtual result<std::uint64_t> depth(std::string_view subscription) = 0;

  // Whether the broker still holds a message with this id: true/false where
  // the backend can tell, nullopt where it cannot.
  virtual result<std::optional<bool>> holds(std::string_view message_id) = 0;

  // {} when the broker is reachable and writable.
  virtual std::error_code ping() = 0;

  // The largest record this broker takes in one message, counted as its
  // body plus its headers' names and values; 0: no limit of its own (the
  // API's http.body_limit still applies). Bigger records are refused with
  // 413 before anything is published.
  virtual std::size_t max_record_bytes() const { return 0; }

  // Completes publishes already accepted, then fails new calls with
  // errc::closed and wakes blocked pulls. Idempotent.
  virtual void close() = 0;
};

}  // namespace sluice::broker

template <>
struct std::is_error_code_enum<sluice::broker::errc> : std::true_type {};

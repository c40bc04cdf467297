#pragma once
// RabbitMQ (AMQP 0-9-1, librabbitmq) as Sluice's broker.
//
// Layout on the server, every name prefixed with `name_space` + ".":
//   topic T         → durable fanout exchange "<ns>.T"
//   subscription S  → durable queue "<ns>.S" (quorum by default) bound to it
// Publishing: persistent messages (delivery_mode 2), mandatory, on one
// connection in confirm mode owned by a publisher thread; publish() completes
// after the broker's basic.ack, i.e. once a quorum queue has the message on a
// majority of its replicas' disks (a classic queue: fsynced by that node).
// Consuming: basic.consume with manual acks and prefetch = the pull size, on
// a connection per concurrent pull (pooled per subscription).
//
// Deviations from the broker contract (SQS semantics), all forced by AMQP:
//  - Visibility timeout: RabbitMQ has no per-message lease timer. An unacked
//    delivery comes back when its consumer's connection closes (a worker that
//    dies, is killed, or loses the network: at once), or when the server's
//    `consumer_timeout` (rabbitmq.conf, default 30 min in 3.10) closes a
//    channel that holds a delivery too long. A live worker that hangs keeps
//    its leases until then: set consumer_timeout to the visibility timeout
//    you want on the server.
//  - release(delay): the delay is not honoured; the message is visible again
//    at once (the subscriber's own backoff paces retries).
//  - release(count_attempt = false): a requeue would raise x-delivery-count,
//    so the message is republished (confirmed) to its queue with the attempts
//    it had spent, then the original acked. It goes to the back of the queue.
//  - Attempts: x-delivery-count + 1 on quorum queues; on classic queues only
//    "redelivered" is known, so attempts stop at 2 (dead-lettering by
//    max_deliveries then needs quorum queues).
//  - deduplicate: no broker-side dedup; see broker/dedup_cache.hpp (this process,
//    for dedup_window) — the store's unique message id covers the rest.
//  - holds(): nullopt. depth(): ready messages + those leased by this process.

#include <chrono>
#include <memory>
#include <string>

#include "broker/broker.hpp"

namespace sluice::broker {

struct rabbitmq_broker_options {
  std::string url;  // amqp://user:pass@host:port/vhost ("%2f" = "/", the default)
  std::string password;  // when non-empty, replaces the URL's (keeps secrets out of config)
  std::string name_space = "sluice";
  std::string queue_type = "quorum";  // or "classic"
  std::size_t max_pending = 100'000;  // queued publishes before errc::overloaded
  std::size_t publish_window = 1000;  // unconfirmed messages in flight
  std::size_t max_prefetch = 1000;    // cap on a consumer's prefetch
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds retry_max{5000};  // reconnect backoff cap
  std::chrono::seconds heartbeat{10};         // publisher connection
  std::chrono::milliseconds confirm_timeout{10'000};  // then errc::outcome_unknown
  std::chrono::milliseconds dedup_window{24 * 3600 * 1000};
  std::size_t dedup_capacity = 100'000;
};

// Starts the publisher and waits up to connect_timeout for its connection
// (the broker is returned either way and keeps reconnecting; ping() tells).
// Fails only for a malformed URL (errc::unavailable).
result<std::unique_ptr<broker>> make_rabbitmq_broker(const rabbitmq_broker_options& options);

}  // namespace sluice::broker

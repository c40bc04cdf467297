#pragma once
// One consumer of one queue: its own connection and channel, with
// basic.consume (manual acks) and a prefetch limit. Private to
// src/broker/rabbitmq/.
//
// Thread safety: none inside; the broker locks mu() around every call. Each
// consumer is used by one pull at a time (the broker keeps a pool per
// subscription); acks and releases from other threads take the same lock.
//
// Delivery tags belong to a channel. A receipt names the consumer, the
// connection's epoch and the tag; after a reconnect the old epoch's tags are
// void (the server already requeued those messages), so settling them is a
// no-op, as the broker contract asks of an expired lease.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <set>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "broker/broker.hpp"
#include "broker/rabbitmq/amqp_session.hpp"

namespace sluice::broker::rabbitmq {

struct consumer_options {
  endpoint where;
  std::chrono::milliseconds connect_timeout{2000};
  std::size_t max_prefetch = 1000;
};

struct receipt {
  std::uint64_t consumer = 0;
  std::uint64_t epoch = 0;
  std::uint64_t tag = 0;
};
std::string format_receipt(const receipt& r);
bool parse_receipt(const std::string& text, receipt& out);

class consumer {
 public:
  consumer(std::uint64_t id, std::string subscription, std::string queue, consumer_options options);

  std::mutex& mu() { return mu_; }
  std::uint64_t id() const { return id_; }
  const std::string& subscription() const { return subscription_; }
  // Deliveries handed out and not yet settled (for depth()).
  std::uint64_t leased() const { return leased_.load(); }

  // Gathers up to `max` deliveries: waits up to `wait` for the first, then
  // takes only what has already arrived. Returns early (possibly empty) once
  // `stop` is set. Connects (and starts consuming) on first use and after a
  // loss; the prefetch is `max` (capped) as of that moment.
  result<std::vector<delivery>> pull(std::size_t max, std::chrono::milliseconds wait,
                                     const std::atomic<bool>& stop);
  // basic.ack / basic.nack(requeue) of this consumer's receipts; receipts of
  // an older epoch, or already settled, are skipped.
  std::error_code ack(std::span<const receipt> receipts);
  std::error_code requeue(std::span<const receipt> receipts);
  // Drops the connection; the server requeues every unacked delivery.
  void disconnect();

 private:
  std::error_code connect(std::size_t prefetch);
  std::error_code settle(std::span<const receipt> receipts, bool ack);

  std::mutex mu_;
  const std::uint64_t id_;
  const std::string subscription_;
  const std::string queue_;
  const consumer_options options_;
  session session_;
  std::uint64_t epoch_ = 0;
  std::set<std::uint64_t> outstanding_;  // delivery tags handed out, unsettled
  std::atomic<std::uint64_t> leased_{0};
};

}  // namespace sluice::broker::rabbitmq

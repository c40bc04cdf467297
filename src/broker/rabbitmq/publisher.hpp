#pragma once
// The publishing side of the RabbitMQ broker: the sender of the shared
// publish_queue (admission, grouping, exactly-once callbacks and draining are
// the queue's), owning one connection in confirm mode. Private to
// src/broker/rabbitmq/.
//
// A group is one pipeline: its messages are published back to back
// (persistent, mandatory), then the broker's basic.ack/nack frames are read
// (one ack with `multiple` set often settles hundreds). A message fails with
// errc::unavailable when nacked or when it could not be sent, and with
// errc::outcome_unknown when it was sent but its confirm did not come within
// confirm_timeout or the connection dropped first (it may or may not be
// stored; the client retries with the same ids). While the connection is
// down, submit() fails at once with errc::unavailable; the queue thread
// reconnects with capped exponential backoff and jitter.

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "broker/broker.hpp"
#include "broker/publish_queue.hpp"
#include "broker/rabbitmq/amqp_session.hpp"
#include "core/backoff.hpp"

namespace sluice::broker::rabbitmq {

struct outgoing {
  message msg;
  std::string exchange;     // "" = the default exchange, routing straight to a queue
  std::string routing_key;  // the queue name with the default exchange
  std::uint32_t attempts_before = 0;
};

struct publisher_options {
  endpoint where;
  std::size_t max_pending = 100'000;  // queued messages before errc::overloaded
  std::size_t window = 1000;          // messages in one group (unconfirmed at once)
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds retry_max{5000};
  std::chrono::milliseconds confirm_timeout{10'000};
  std::chrono::seconds heartbeat{10};
};

class publisher : private group_sender<outgoing> {
 public:
  explicit publisher(publisher_options options);
  ~publisher() override;
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  // Never blocks. `done` runs on the queue thread, or at once on the
  // caller's thread when refused (unavailable, overloaded, closed).
  void submit(std::vector<outgoing> batch, publish_callback done) {
    queue_.submit(std::move(batch), std::move(done));
  }
  bool connected() const { return connected_.load(); }
  // Waits up to `limit` for the first connection.
  bool wait_connected(std::chrono::milliseconds limit);
  // Completes what was accepted (bounded by the connection), then stops. Idempotent.
  void close();

 private:
  void send(std::span<outgoing> items, std::span<const std::size_t> calls,
            std::span<std::error_code> out) override;
  std::error_code refuse() override;
  std::optional<clock::time_point> wake_at() override;
  void on_wake() override;

  bool connect();
  bool declare_exchanges(std::span<outgoing> items);
  // Reads confirms for the group published from first_seq; false when lost.
  bool read_confirms(std::uint64_t first_seq, std::vector<bool>& settled, std::size_t& remaining,
                     std::span<std::error_code> out);
  void lost(const std::string& why);

  publisher_options options_;
  std::atomic<bool> connected_{false};

  // Queue thread only.
  session session_;
  std::vector<std::string> declared_;  // exchanges declared on this connection
  std::uint64_t next_seq_ = 1;
  backoff backoff_;
  clock::time_point next_try_{};  // next reconnect, or the next idle poll when connected

  publish_queue<outgoing> queue_;  // last: its thread starts after every member it uses exists
};

}  // namespace sluice::broker::rabbitmq

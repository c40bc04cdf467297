#pragma once
// The publishing side of the RabbitMQ broker: one thread that owns one
// connection in confirm mode. Private to src/broker/rabbitmq/.
//
// Callers queue batches; the thread publishes them back to back (persistent,
// mandatory), keeping up to `window` messages unconfirmed, and reads the
// broker's basic.ack/nack frames as they come: one ack with `multiple` set
// often settles hundreds of messages. A batch's callback runs once every
// message in it is confirmed ({}), or as soon as one is nacked or the
// connection drops (errc::unavailable: it may or may not be stored; the
// client retries). While the connection is down, submit() fails at once.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker.hpp"
#include "broker/rabbitmq/amqp_session.hpp"

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
  std::size_t window = 1000;          // unconfirmed messages in flight
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds retry_max{5000};
  std::chrono::seconds heartbeat{10};
};

class publisher {
 public:
  explicit publisher(publisher_options options);
  ~publisher();
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  // Never blocks. `done` runs on the publisher thread, or at once on the
  // caller's thread when refused (unavailable, overloaded, closed).
  void submit(std::vector<outgoing> batch, publish_callback done);
  bool connected() const { return connected_.load(); }
  // Waits up to `limit` for the first connection.
  bool wait_connected(std::chrono::milliseconds limit);
  // Completes what was accepted (bounded by the connection), then stops. Idempotent.
  void close();

 private:
  struct batch;
  void run();
  bool connect();
  void fail_all(std::error_code ec);
  bool send(batch& b);
  bool read_confirms(std::chrono::milliseconds wait);
  void settle(std::uint64_t tag, bool multiple, std::error_code ec);
  void lost(const std::string& why);

  publisher_options options_;
  std::mutex mu_;  // guards queue_, queued_msgs_, closing_
  std::condition_variable cv_;
  std::deque<batch> queue_;
  std::size_t queued_msgs_ = 0;
  bool closing_ = false;
  std::atomic<bool> connected_{false};

  // Publisher thread only.
  session session_;
  std::vector<std::string> declared_;  // exchanges declared on this connection
  std::deque<batch> inflight_;         // published, waiting for confirms, in seq order
  std::uint64_t next_seq_ = 1;
  std::size_t inflight_msgs_ = 0;

  std::thread thread_;
};

}  // namespace sluice::broker::rabbitmq

#pragma once
// The publisher thread: owns one connection and sends everything queued at
// that moment (up to max_group messages) as one pipeline — one XADD or one
// EVALSHA per publish call — then reads the replies and calls each callback
// with its outcome. Redis answers a pipeline after the AOF write (and fsync
// with appendfsync always) of the commands it read in one event-loop pass,
// so concurrent POSTs share the disk flush (group commit).
//
// Connection loss: an idle connection the server closed is replaced before
// sending. The unanswered part of a pipeline is sent once more on a new
// connection. If that fails too, those publishes fail with
// errc::outcome_unknown (they were sent: Redis may have run them) — or
// errc::unavailable when nothing was sent (no connection could be opened) —
// and the publisher is "down": new publishes fail at once with
// errc::unavailable, without queueing, until a reconnect (capped exponential
// backoff with jitter, tried by this thread) succeeds.
// Private to src/broker/redis/.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include "broker/broker.hpp"
#include "broker/publish_queue.hpp"
#include "broker/redis/codec.hpp"
#include "broker/redis/connection.hpp"
#include "core/backoff.hpp"

namespace sluice::broker::redis {

struct publisher_options {
  endpoint where;
  names keys;
  std::size_t max_pending = 100'000;
  std::size_t max_group = 4096;
  std::chrono::milliseconds dedup_window{24 * 3600 * 1000};
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds io_timeout{5000};
  std::chrono::milliseconds retry_min{50};
  std::chrono::milliseconds retry_max{2000};
  std::chrono::milliseconds trim_interval{1000};
};

// Admission, grouping, callbacks and draining are the shared publish_queue's;
// this class is its sender: one group as one pipeline.
class publisher : private group_sender<message> {
 public:
  explicit publisher(publisher_options options);
  ~publisher() override;
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  // Never blocks. `done` runs on the queue thread, or at once on the
  // caller's thread when refused (closed, overloaded, down).
  void submit(std::vector<message> messages, publish_callback done) {
    queue_.submit(std::move(messages), std::move(done));
  }

  // False while down (the last attempt to reach the server failed).
  bool reachable();

  // Completes the publishes already queued, then stops the thread. Idempotent.
  void close() { queue_.close(); }

 private:
  struct command;  // a publish call as Redis arguments

  void send(std::span<message> items, std::span<const std::size_t> calls,
            std::span<std::error_code> out) override;
  std::error_code refuse() override;
  std::optional<clock::time_point> wake_at() override;
  void on_wake() override;

  // Sends the commands of `todo` as one pipeline; returns those to send
  // again, marking in `unanswered` those sent without getting a reply.
  std::vector<std::size_t> send(std::vector<command>& cmds, const std::vector<std::size_t>& todo,
                                std::vector<std::error_code>& out, std::vector<bool>& unanswered);
  void trim(const std::vector<command>& cmds);
  bool connect();
  void mark_down();
  void mark_up();

  const publisher_options options_;

  std::mutex mu_;  // guards the members up to conn_
  bool down_ = false;
  std::chrono::steady_clock::time_point next_retry_{};
  backoff backoff_;

  // Queue thread only.
  std::unique_ptr<connection> conn_;
  std::map<std::string, std::chrono::steady_clock::time_point> next_trim_;

  publish_queue<message> queue_;  // last: its thread starts after every member it uses exists
};

}  // namespace sluice::broker::redis

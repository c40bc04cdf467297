#pragma once
// The publisher thread: owns one connection and sends everything queued at
// that moment (up to max_group messages) as one pipeline — one XADD or one
// EVALSHA per publish call — then reads the replies and calls each callback
// with its outcome. Redis answers a pipeline after the AOF write (and fsync
// with appendfsync always) of the commands it read in one event-loop pass,
// so concurrent POSTs share the disk flush (group commit).
//
// Connection loss: the unanswered part of a pipeline is sent once more on a
// new connection (a server restart leaves the old one stale). If that fails
// too, those publishes fail with errc::unavailable and the publisher is
// "down": new publishes fail at once, without queueing, until a reconnect
// (capped exponential backoff with jitter, tried by this thread) succeeds.
// Private to src/broker/redis/.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "broker/broker.hpp"
#include "broker/redis/codec.hpp"
#include "broker/redis/connection.hpp"

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

class publisher {
 public:
  explicit publisher(publisher_options options);
  ~publisher();
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  // Never blocks. `done` runs on the publisher thread, or at once on the
  // caller's thread when refused (closed, overloaded, down).
  void submit(std::vector<message> messages, publish_callback done);

  // False while down (the last attempt to reach the server failed).
  bool reachable();

  // Completes the publishes already queued, then stops the thread. Idempotent.
  void close();

 private:
  struct op {
    std::vector<message> messages;
    publish_callback done;
  };
  struct command;  // an op as Redis arguments

  void run();
  void deliver(std::vector<op>& batch);
  // Sends the commands of `todo` as one pipeline; returns those to send again.
  std::vector<std::size_t> send(std::vector<command>& cmds, const std::vector<std::size_t>& todo,
                                std::vector<std::error_code>& out);
  void trim(const std::vector<command>& cmds);
  bool connect();
  void mark_down();
  void mark_up();

  const publisher_options options_;

  std::mutex mu_;  // guards the members up to thread_
  std::condition_variable cv_;
  std::deque<op> queue_;
  std::size_t pending_ = 0;  // messages queued or in flight
  bool closing_ = false;
  bool down_ = false;
  std::chrono::steady_clock::time_point next_retry_{};
  std::chrono::milliseconds backoff_{0};

  // Publisher thread only.
  std::unique_ptr<connection> conn_;
  std::map<std::string, std::chrono::steady_clock::time_point> next_trim_;
  std::minstd_rand jitter_;

  std::once_flag joined_;
  std::thread thread_;  // last: starts after every member it uses exists
};

}  // namespace sluice::broker::redis

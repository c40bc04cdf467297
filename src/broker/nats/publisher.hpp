#pragma once
// The publish path: many messages in flight, each call completed once all of
// its messages have their PubAck. Private to src/broker/nats/.
//
// submit() only queues. The sender thread publishes each queued message to
// its stream's subject with a reply subject "<inbox>.<token>" (what
// js_PublishMsgAsync does, without handing libnats a callback into this
// object); the acker thread reads the PubAcks from the inbox, completes the
// calls, and fails messages whose PubAck did not come within the timeout.
// A lost connection fails everything in flight at once (errc::unavailable).
//
// Thread safety: submit() and fail_in_flight() from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker.hpp"
#include "broker/nats/handles.hpp"
#include "broker/nats/link.hpp"

namespace sluice::broker::nats {

struct publisher_options {
  std::string name_space;
  std::size_t max_pending = 100'000;
  std::chrono::milliseconds ack_timeout{5000};
};

class publisher {
 public:
  // Subscribes to its PubAck inbox; nullptr when that fails.
  static std::unique_ptr<publisher> start(link& l, const publisher_options& options);
  ~publisher();
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  // Never blocks. `done` runs once: at once on this thread when refused
  // (closed, overloaded, unavailable), else on the sender or acker thread.
  void submit(std::vector<message> messages, publish_callback done);
  // Fails every message awaiting its PubAck (the connection dropped).
  void fail_in_flight();
  // Publishes what is queued, waits for its PubAcks (or their timeout),
  // then stops the threads. New submits fail with errc::closed. Idempotent.
  void close();

 private:
  struct call {
    publish_callback done;
    std::size_t remaining = 0;
    bool finished = false;
  };
  struct job {
    std::vector<message> messages;
    std::shared_ptr<call> c;
  };
  struct in_flight {
    std::shared_ptr<call> c;
    std::chrono::steady_clock::time_point deadline;
  };
  using completion = std::pair<publish_callback, std::error_code>;

  publisher(link& l, const publisher_options& options) : link_(l), options_(options) {}
  void send_loop();
  void ack_loop();
  void send(job& j);
  // REQUIRES: mu_ held. Records one message's outcome; a finished call's
  // callback is appended to `out` to run after the lock is released.
  void settle(const std::shared_ptr<call>& c, std::error_code ec, std::vector<completion>& out);
  static void run(std::vector<completion>& out);

  link& link_;
  publisher_options options_;
  std::string inbox_;  // "<_INBOX.nuid>", replies go to inbox_ + "." + token
  handle<natsSubscription> acks_;

  std::mutex mu_;                 // guards everything below
  std::condition_variable wake_;  // sender: work queued or closing
  std::condition_variable idle_;  // close(): nothing queued or in flight
  std::deque<job> queue_;
  std::map<std::uint64_t, in_flight> in_flight_;  // token → message; tokens rise with time
  std::uint64_t next_token_ = 1;
  std::size_t pending_ = 0;  // messages queued or in flight
  bool sending_ = false;     // the sender holds jobs outside queue_
  bool closing_ = false;
  bool stop_ = false;
  std::thread sender_;
  std::thread acker_;
};

}  // namespace sluice::broker::nats

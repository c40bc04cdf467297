#pragma once
// The publish path's sender for the shared publish_queue (admission,
// grouping, exactly-once callbacks and draining are the queue's). Private to
// src/broker/nats/.
//
// A group is sent as one pipeline: every message is published to its
// stream's subject with a reply subject "<inbox>.<token>" (what
// js_PublishMsgAsync does, without handing libnats a callback into this
// object), then the PubAcks are read from the inbox until all arrived, the
// ack timeout passed, or the connection dropped. A message that could not be
// sent fails with errc::unavailable; one sent without a PubAck in time with
// errc::outcome_unknown; one the stream dropped as a duplicate is a no-op, or
// errc::conflict when the message it kept is another (duplicates.hpp).
//
// Thread safety: submit(), fail_in_flight() and close() from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "broker/broker.hpp"
#include "broker/nats/handles.hpp"
#include "broker/nats/link.hpp"
#include "broker/publish_queue.hpp"

namespace sluice::broker::nats {

struct publisher_options {
  std::string name_space;
  std::size_t max_pending = 100'000;
  std::size_t max_group = 4096;
  std::chrono::milliseconds ack_timeout{5000};
};

class publisher : private group_sender<message> {
 public:
  // Subscribes to its PubAck inbox; nullptr when that fails.
  static std::unique_ptr<publisher> start(link& l, const publisher_options& options);
  ~publisher() override;
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  // Never blocks. `done` runs once: at once on this thread when refused
  // (closed, overloaded, unavailable), else on the queue thread.
  void submit(std::vector<message> messages, publish_callback done) {
    queue_->submit(std::move(messages), std::move(done));
  }
  // Fails every message awaiting its PubAck (the connection dropped).
  void fail_in_flight() { dropped_.fetch_add(1); }
  // Publishes what is queued, waits for its PubAcks (or their timeout).
  // New submits fail with errc::closed. Idempotent.
  void close() {
    if (queue_) queue_->close();
  }

 private:
  publisher(link& l, const publisher_options& options) : link_(l), options_(options) {}
  void send(std::span<message> items, std::span<const std::size_t> calls,
            std::span<std::error_code> out) override;
  std::error_code refuse() override;

  link& link_;
  publisher_options options_;
  std::string inbox_;  // "<_INBOX.nuid>", replies go to inbox_ + "." + token
  handle<natsSubscription> acks_;
  std::uint64_t next_token_ = 1;        // queue thread only; tokens rise with time
  std::atomic<std::uint64_t> dropped_{0};  // connection drops seen so far
  std::unique_ptr<publish_queue<message>> queue_;  // last: its thread uses the rest
};

}  // namespace sluice::broker::nats

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
// Replay after a connection drop (issue 15, drill 2): nats-server 2.9.10
// stops its streams on SIGTERM before it closes client connections, and for
// those ~10 ms it still answers PubAcks for messages it no longer persists
// (seen in the server's -DV trace: PubAcks after "Initiating JetStream
// Shutdown", the sequences absent after the restart). A PubAck received just
// before a drop is therefore not proof of storage. The publisher keeps every
// message acknowledged within the last replay_window (at most replay_limit
// of them); after a drop, those acknowledged within replay_window before it
// are published again, same Nats-Msg-Id, before anything new once the
// connection is back (and retried until the server takes them). A message
// that was stored is dropped by the duplicate window; one that was stored,
// delivered and removed is delivered again, which the subscriber's
// idempotent write absorbs (one row, or one dead letter, per message id).
// Not covered: a publisher process that dies while the server is away.
//
// Thread safety: submit(), fail_in_flight() and close() from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
  std::chrono::milliseconds replay_window{2000};  // see "Replay after a connection drop"
  std::size_t replay_limit = 65'536;              // messages kept for a replay, newest first
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
  // Fails every message awaiting its PubAck (the connection dropped) and
  // schedules the replay of those acknowledged just before.
  void fail_in_flight() {
    last_drop_ns_.store(clock::now().time_since_epoch().count());
    dropped_.fetch_add(1);
    if (queue_) queue_->wake();
  }
  // Publishes what is queued, waits for its PubAcks (or their timeout).
  // New submits fail with errc::closed. Idempotent.
  void close() {
    if (queue_) queue_->close();
  }

 private:
  publisher(link& l, const publisher_options& options) : link_(l), options_(options) {}
  struct acked {
    clock::time_point at;
    message msg;
  };

  void send(std::span<message> items, std::span<const std::size_t> calls,
            std::span<std::error_code> out) override;
  std::error_code refuse() override;
  std::optional<clock::time_point> wake_at() override;
  void on_wake() override;

  // One pipeline of publishes and their PubAcks; out[i] is item i's result.
  // A duplicate is fetched and compared only when `judge_duplicates`.
  void publish_group(std::span<const message> items, std::span<std::error_code> out,
                     bool judge_duplicates);
  // Queue thread: after a drop, moves the messages acknowledged within
  // replay_window before it from recent_ to replay_; then publishes replay_
  // when connected, keeping what failed for the next try.
  void replay();
  // Queue thread: remembers `m`, acknowledged now, for a replay.
  void remember(message&& m, clock::time_point now);

  link& link_;
  publisher_options options_;
  std::string inbox_;  // "<_INBOX.nuid>", replies go to inbox_ + "." + token
  handle<natsSubscription> acks_;
  std::uint64_t next_token_ = 1;        // queue thread only; tokens rise with time
  std::atomic<std::uint64_t> dropped_{0};  // connection drops seen so far
  std::atomic<clock::rep> last_drop_ns_{0};  // when the latest drop was seen
  std::uint64_t replayed_drops_ = 0;         // queue thread: drops already taken into replay_
  std::deque<acked> recent_;                 // queue thread: acknowledged, oldest first
  std::vector<message> replay_;              // queue thread: to publish again
  std::unique_ptr<publish_queue<message>> queue_;  // last: its thread uses the rest
};

}  // namespace sluice::broker::nats

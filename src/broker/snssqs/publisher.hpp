#pragma once
// The publish path's sender for the shared publish_queue (admission,
// grouping, exactly-once callbacks and draining are the queue's). Private to
// src/broker/snssqs/.
//
// A group is split by topic into SNS PublishBatch calls of at most 10
// entries and 256 KiB, which all run at once (at most `max_in_flight`); an
// entry succeeds only when SNS returned a MessageId for it. An entry SNS
// lists as failed, or one whose call could not reach SNS or was throttled to
// the end of its retries, fails with errc::unavailable; one whose call was
// sent without a complete answer, or answered 5xx (SNS may have published
// it), with errc::outcome_unknown.
//
// Deduplicated messages (Idempotency-Key ids) are checked against this
// process's dedup_cache first: a republish of the same request is a no-op,
// another request's is errc::conflict (see broker/dedup_cache.hpp).
//
// Thread safety: submit() and close() from any thread.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "broker/dedup_cache.hpp"
#include "broker/publish_queue.hpp"
#include "broker/snssqs/link.hpp"

namespace sluice::broker::snssqs {

struct publisher_options {
  std::string name_space;
  bool fifo = false;
  std::string group_field;
  std::size_t max_pending = 100'000;
  std::size_t max_group = 4096;
  std::size_t max_in_flight = 64;             // PublishBatch calls at once
  std::chrono::milliseconds timeout{10'000};  // per PublishBatch call, retries included
  std::chrono::milliseconds dedup_window{24 * 3600 * 1000};
  std::size_t dedup_capacity = 100'000;
};

class publisher : private group_sender<message> {
 public:
  publisher(link& l, publisher_options o);
  ~publisher() override { close(); }
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  void submit(std::vector<message> messages, publish_callback done) {
    queue_->submit(std::move(messages), std::move(done));
  }
  void close() {
    if (queue_) queue_->close();
  }
  // The topic's ARN, created when first needed (CreateTopic is idempotent).
  result<std::string> topic_arn(const std::string& topic);
  // CreateTopic now (declare() and after an outage), the ARN cached.
  result<std::string> create_topic(const std::string& topic);
  // Called on the queue thread before each group is sent (the broker's
  // re-declaration after an outage). Set before the first submit().
  void before_send(std::function<void()> f) { before_send_ = std::move(f); }

 private:
  void send(std::span<message> items, std::span<const std::size_t> calls,
            std::span<std::error_code> out) override;
  std::error_code refuse() override;
  std::optional<clock::time_point> wake_at() override;
  void on_wake() override;

  link& link_;
  const publisher_options options_;
  dedup_cache dedup_;
  std::mutex mu_;                            // guards arns_
  std::map<std::string, std::string> arns_;  // topic → ARN
  std::function<void()> before_send_;
  std::unique_ptr<publish_queue<message>> queue_;  // last: its thread uses the rest
};

}  // namespace sluice::broker::snssqs

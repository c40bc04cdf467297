#pragma once
// Creating what Sluice needs on SNS/SQS, idempotently (every call may be
// repeated: AWS returns the existing topic, queue or subscription for the
// same name and attributes). Private to src/broker/snssqs/.
//
// Per topic: an SNS topic (FifoTopic=true for FIFO, content-based
// deduplication off: Sluice gives each message its id as
// MessageDeduplicationId). Per subscription: an SQS queue (FifoQueue=true for
// FIFO) whose VisibilityTimeout is the broker's, retention 14 days (AWS's
// maximum), a queue policy that lets only its topic send to it, no redrive
// policy (Sluice dead-letters into its store), subscribed to the topic with
// RawMessageDelivery=true.

#include <chrono>
#include <cstdint>
#include <string>

#include "broker/snssqs/link.hpp"

namespace sluice::broker::snssqs {

struct queue_ref {
  std::string url, arn;
};

result<std::string> ensure_topic(link& l, const std::string& name, bool fifo,
                                 std::chrono::milliseconds timeout);
result<queue_ref> ensure_queue(link& l, const std::string& name, bool fifo,
                               std::chrono::seconds visibility, std::chrono::milliseconds timeout);
// The queue policy (only `topic_arn` may send) and the raw-delivery
// subscription; a failure's code is {} on success.
failure ensure_subscription(link& l, const std::string& topic_arn, const queue_ref& q,
                            std::chrono::milliseconds timeout);
// An existing queue's URL (errc::unknown_subscription when there is none).
result<std::string> find_queue(link& l, const std::string& name, std::chrono::milliseconds timeout);
// ApproximateNumberOfMessages + …NotVisible + …Delayed.
result<std::uint64_t> queue_depth(link& l, const std::string& url,
                                  std::chrono::milliseconds timeout);

}  // namespace sluice::broker::snssqs

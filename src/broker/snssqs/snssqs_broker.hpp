#pragma once
// Amazon SNS + SQS as Sluice's broker: the reference design's own pub/sub.
//
// Layout on AWS (names.hpp; topology.hpp for the attributes):
//   topic T         → SNS topic "<namespace>-T" (FIFO: "….fifo")
//   subscription S  → SQS queue "<namespace>-S" (FIFO: "….fifo") subscribed
//                     to its topic with RawMessageDelivery=true, a queue
//                     policy letting only that topic send, VisibilityTimeout =
//                     visibility_timeout (whole seconds, rounded up), no
//                     redrive policy (Sluice dead-letters into its store).
// Publishing (publisher.hpp): SNS PublishBatch, ≤ 10 entries and ≤ 256 KiB
// per call, grouped by the shared publish queue; success only when SNS gave
// every entry a MessageId — SNS has then stored it redundantly and fans it
// out to every subscribed queue. Message attributes carry the id, accepted
// time, topic, fingerprint and headers (codec.hpp). FIFO: MessageGroupId =
// the record's `group_field` (default: the resource), MessageDeduplicationId
// = the message id.
// Consuming: ReceiveMessage with long polling (WaitTimeSeconds = the pull's
// wait in whole seconds, at least min_wait, ≤ 20), 10 messages per call; when the
// first call comes back full, up to `max_receives` more run at once to fill
// the pull; attempt = ApproximateReceiveCount (plus the attempts a copy
// carries, below); ack = DeleteMessageBatch; release = ChangeMessageVisibility
// Batch to the delay (whole seconds, rounded up).
//
// Deviations from the broker contract (SNS/SQS cannot do better):
//  - release(count_attempt = false): SQS raises ApproximateReceiveCount on
//    every receive and cannot lower it, so the delivery is replaced by a copy
//    sent to its queue (SendMessageBatch; the attributes sluice-spent = the
//    attempts it had spent, sluice-copy = which copy) and then the original
//    deleted. Whichever process receives the copy reports sluice-spent +
//    ApproximateReceiveCount, so a store outage spends no attempts anywhere.
//    A copy goes to the back of the queue (FIFO: of its group); on a
//    standard queue it is delayed by the release's delay (≤ 15 min, SQS's
//    DelaySeconds), on a FIFO queue it is visible at once (SQS takes no
//    per-message delay there; the subscriber's backoff paces it). If the copy
//    cannot be sent, the delivery is released normally (that delivery then
//    counts) and the error returned; if the original cannot be deleted after
//    its copy was sent, both are delivered (the store's message-id
//    uniqueness makes the second a duplicate, never a row).
//  - deduplicate: SNS/SQS standard topics have no duplicate window and FIFO's
//    is 5 minutes and silent (it cannot tell a conflict), so Idempotency-Key
//    ids are checked in this process for dedup_window (broker/dedup_cache.hpp):
//    the same request again is a no-op, another request's is errc::conflict.
//    A retry that reaches another process or comes after a restart is
//    published again — on FIFO within 5 minutes SNS drops it; otherwise the
//    store's unique message id makes it one row.
//  - Publish is not all-or-nothing: a call of several messages that fails
//    may have published some of them (a retry with the same ids is harmless).
//  - depth() = ApproximateNumberOfMessages + …NotVisible + …Delayed (AWS's
//    counts are approximate); holds() is always nullopt (SQS cannot look a
//    message up by id).
//  - The emulator used by the tests (fauxqs) keeps messages in memory: what
//    is tested is everything but durability across a broker crash.
// Outages: a call that cannot reach the endpoint marks it down; publish() then
// fails at once with errc::unavailable (POST 503) while a probe runs every
// second; any answer brings it back. pull() fails with errc::unavailable
// (the subscriber backs off); ping() says so to /readyz.

#include <chrono>
#include <memory>
#include <string>

#include "broker/broker.hpp"

namespace sluice::broker {

struct snssqs_broker_options {
  std::string url;       // sns+sqs://REGION
  std::string endpoint;  // broker.aws_endpoint: one endpoint for both (emulators, VPC endpoints)
  std::string ca_file;   // broker.aws_ca_file: trust only this CA (PEM)
  std::string name_space = "sluice";
  bool fifo = false;
  std::string group_field;  // FIFO MessageGroupId from this record field; empty: the resource
  std::chrono::milliseconds visibility_timeout{30'000};
  std::chrono::milliseconds dedup_window{24 * 3600 * 1000};
  std::size_t max_pending = 100'000;
  std::chrono::milliseconds request_timeout{10'000};  // every call, retries included
  std::size_t max_receives = 10;                      // ReceiveMessage calls at once in one pull
  // An idle pull long-polls at least this long even when asked to wait less
  // (SQS answers as soon as a message arrives, so this costs no latency and
  // saves requests); 0: a pull never waits past its `wait` (below 1 s: a
  // short poll, then the rest of the wait slept when nothing came).
  std::chrono::seconds min_wait{1};
  int max_attempts = 4;  // per call (AWS retry rules, aws/client.hpp)
};

// The region in "sns+sqs://REGION" ("" when malformed).
std::string snssqs_region(const std::string& url);

// Checks the options and starts the HTTP client; reaches AWS only when
// called. Credentials: the standard AWS chain (aws/credentials.hpp).
result<std::unique_ptr<broker>> make_snssqs_broker(const snssqs_broker_options& options);

}  // namespace sluice::broker

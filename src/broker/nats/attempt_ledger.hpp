#pragma once
// Releases that must not count as attempts (release(count_attempt = false)),
// kept on the server so that every process sees them. Private to
// src/broker/nats/.
//
// JetStream raises a message's NumDelivered on every delivery and cannot
// lower it. The ledger is a KeyValue bucket "<namespace>_attempts" (history
// 1, file storage, entries expire `ttl` after their last write) whose key
// "<consumer>.<stream sequence>" holds how many of that message's deliveries
// did not count. Whichever process, or restart, receives the message next
// reports attempt = NumDelivered - uncounted, so a store outage never spends
// a message's attempts (issue 11 #6).
//
// Only redeliveries cost a lookup (a first delivery has nothing to subtract);
// the value written is absolute (deliveries so far minus attempts so far,
// plus this one), so a retried release writes the same value. An entry is
// removed when its message is acked; one that outlives its message (acked
// by a process that died before removing it) expires after `ttl`.
//
// Thread safety: all methods may be called concurrently.

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "broker/broker.hpp"
#include "broker/nats/handles.hpp"

namespace sluice::broker::nats {

struct ledger_options {
  std::string bucket;  // KV bucket name ([A-Za-z0-9_-])
  int replicas = 1;    // of the bucket when this process creates it
  std::chrono::milliseconds ttl{7LL * 24 * 3600 * 1000};
};

class attempt_ledger {
 public:
  explicit attempt_ledger(ledger_options o) : options_(std::move(o)) {}

  // The attempt of a delivery the server counted `delivered` times
  // (errc::unavailable when the ledger cannot be read).
  result<std::uint32_t> attempt(jsCtx* js, std::string_view consumer, std::uint64_t stream_seq,
                                std::uint64_t delivered);
  // Records that this delivery (the `delivered`-th, reported as `attempt`)
  // does not count.
  std::error_code uncount(jsCtx* js, std::string_view consumer, std::uint64_t stream_seq,
                          std::uint64_t delivered, std::uint32_t attempt);
  // The message is gone: its entry is removed (best effort; `ttl` otherwise).
  void forget(jsCtx* js, std::string_view consumer, std::uint64_t stream_seq);

  static std::string key(std::string_view consumer, std::uint64_t stream_seq);

 private:
  // The bound bucket, created when missing; nullptr when the server refuses.
  kvStore* bucket(jsCtx* js);

  ledger_options options_;
  std::mutex mu_;  // guards kv_ (binding only; kvStore calls are thread-safe)
  handle<kvStore> kv_;
};

}  // namespace sluice::broker::nats

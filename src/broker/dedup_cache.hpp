#pragma once
// Recently published Idempotency-Key ids, in this process only, for brokers
// without a publish-side duplicate window that can tell a conflict
// (RabbitMQ; SNS/SQS, whose FIFO window is 5 minutes and silent). This cache makes a retried
// POST that reaches the same Sluice process within the window a no-op (same
// topic and fingerprint — or body, for a message without a fingerprint) or
// errc::conflict (another request, even with the same body). A retry that reaches
// another process, or one after a restart, is published again: the store's
// unique message id makes that duplicate harmless (one row), but a reused key
// with a different body is then not detected on such a broker.

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "broker/broker.hpp"

namespace sluice::broker {

class dedup_cache {
 public:
  dedup_cache(std::chrono::milliseconds window, std::size_t capacity)
      : window_(window), capacity_(capacity) {}

  enum class verdict { fresh, duplicate, conflict };
  // Thread-safe. `fresh` also for an id remembered unconfirmed with the
  // same identity: its outcome is unknown, so it must be sent again.
  verdict check(const message& m);
  // Records a message as published: `confirmed` after its confirm, or not
  // when its outcome is unknown (the id is claimed: another identity is a
  // conflict, the same one is not a duplicate yet). Thread-safe.
  void remember(const message& m, bool confirmed = true);

 private:
  struct entry {
    std::string identity;
    bool confirmed = false;
    std::chrono::steady_clock::time_point expires;
  };
  // Topic + fingerprint, or a hash of topic + body without a fingerprint.
  static std::string identity_of(const message& m);
  void expire(std::chrono::steady_clock::time_point now);

  const std::chrono::milliseconds window_;
  const std::size_t capacity_;
  std::mutex mu_;  // guards everything below
  std::unordered_map<std::string, entry> entries_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> order_;
};

}  // namespace sluice::broker

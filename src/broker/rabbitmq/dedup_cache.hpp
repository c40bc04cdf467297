#pragma once
// Recently published Idempotency-Key ids, in this process only. Private to
// src/broker/rabbitmq/.
//
// RabbitMQ has no publish-side deduplication. This cache makes a retried
// POST that reaches the same Sluice process within the window a no-op (same
// topic and body) or errc::conflict (another body). A retry that reaches
// another process, or one after a restart, is published again: the store's
// unique message id makes that duplicate harmless (one row), but a reused key
// with a different body is then not detected on this broker.

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "broker/broker.hpp"

namespace sluice::broker::rabbitmq {

class dedup_cache {
 public:
  dedup_cache(std::chrono::milliseconds window, std::size_t capacity)
      : window_(window), capacity_(capacity) {}

  enum class verdict { fresh, duplicate, conflict };
  // Thread-safe.
  verdict check(const message& m);
  // Records a message as published (after its confirm). Thread-safe.
  void remember(const message& m);

 private:
  struct entry {
    std::size_t fingerprint;
    std::chrono::steady_clock::time_point expires;
  };
  static std::size_t fingerprint_of(const message& m);
  void expire(std::chrono::steady_clock::time_point now);

  const std::chrono::milliseconds window_;
  const std::size_t capacity_;
  std::mutex mu_;  // guards everything below
  std::unordered_map<std::string, entry> entries_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> order_;
};

}  // namespace sluice::broker::rabbitmq

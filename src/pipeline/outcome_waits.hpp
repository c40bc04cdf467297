#pragma once
// Waits for the final outcome of messages (POST with `Prefer: wait=N`).
//
// Each waiter asks the store about all its ids in one call per round. A round
// starts at once when a subscriber of this process commits (committed()), and
// otherwise after a poll interval (1 ms doubling to 50 ms) for commits made
// by other processes. Every store call is bounded by the waiter's deadline,
// so a wait never runs past it however slow the store is. At most
// `max_waiters` requests wait at once: past that, wait() answers nullopt at
// once and the request is answered 202 (accepted) without waiting, so waits
// can never starve the reads that share the blocking pool.
//
// Thread safety: all methods may be called concurrently.

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "store/store.hpp"

namespace boost::asio {
class thread_pool;
}

namespace sluice::pipeline {

class outcome_waits {
 public:
  // The references must outlive this object.
  // Each store call is bounded by `store_timeout` as well (store.read_timeout_ms).
  outcome_waits(store::store& store, boost::asio::thread_pool& blocking, std::size_t max_waiters,
                std::chrono::milliseconds store_timeout);
  ~outcome_waits();
  outcome_waits(const outcome_waits&) = delete;
  outcome_waits& operator=(const outcome_waits&) = delete;

  // The outcome of every id (in order) once none is unknown; nullopt when the
  // deadline passes first, the store fails, or too many requests wait.
  boost::asio::awaitable<std::optional<std::vector<store::message_status>>> wait(
      std::vector<std::string> ids, std::chrono::steady_clock::time_point deadline);

  // Rows were committed by this process: every waiter looks again now.
  // Never blocks.
  void committed();

 private:
  struct waker;
  std::chrono::milliseconds round_limit(std::chrono::steady_clock::time_point deadline) const;

  store::store& store_;
  boost::asio::thread_pool& blocking_;
  const std::size_t max_waiters_;
  const std::chrono::milliseconds store_timeout_;
  std::atomic<std::size_t> waiting_{0};  // requests waiting now, at most max_waiters_
  std::mutex mu_;
  std::unordered_set<waker*> wakers_;  // guarded by mu_
};

}  // namespace sluice::pipeline

#pragma once
// One group-commit publish queue for every broker backend, after LevelDB's
// writer queue (db_impl.cc, Write / BuildBatchGroup): callers queue whole
// publish calls; one thread takes everything queued at that moment (whole
// calls, up to max_group messages) and hands it to the backend's sender as
// one group, so concurrent POSTs share one pipeline / transaction / fsync.
//
// The queue owns what every backend must do the same way:
//  - admission: closed → errc::closed; the sender's fast-fail check (e.g.
//    "down") → its error; broker.max_pending: pending + n > max_pending →
//    errc::overloaded, except that a call is let in when nothing else is
//    pending (one larger than max_pending would otherwise be refused forever);
//  - the callback runs exactly once, outside the queue lock: at once on the
//    caller's thread when refused, else on the queue thread with the first
//    error among its messages' results ({} when all succeeded), except that
//    errc::outcome_unknown wins over any other error (part of the call may
//    be stored);
//  - close(): completes what was accepted (bounded by drain_limit: what is
//    still queued after it fails with errc::unavailable), later calls get
//    errc::closed. Idempotent; may be called from a callback.
// Backends keep only group_sender: "send this group, one result per message".
//
// Thread safety: submit() and close() from any thread.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "broker/broker.hpp"

namespace sluice::broker {

template <class Item>
class group_sender {
 public:
  using clock = std::chrono::steady_clock;
  virtual ~group_sender() = default;

  // Queue thread. Sends `items` (several calls' messages, in order) as one
  // group and sets out[i] to item i's result; out arrives filled with {}.
  // The items are the sender's: the queue reads none of them afterwards.
  // calls[k] is how many items call k has (consecutive, in order), for a
  // backend that makes each call all-or-nothing. Must return in bounded
  // time (the backend's own timeouts).
  virtual void send(std::span<Item> items, std::span<const std::size_t> calls,
                    std::span<std::error_code> out) = 0;

  // Any thread, without the queue lock: an error refuses a call at once
  // without queueing it (e.g. errc::unavailable while the server is down).
  virtual std::error_code refuse() { return {}; }

  // Queue thread, while idle: when to call on_wake() (e.g. the next
  // reconnect attempt), or nullopt for never; asked again after each group
  // and after publish_queue::wake().
  virtual std::optional<clock::time_point> wake_at() { return std::nullopt; }
  virtual void on_wake() {}
};

struct publish_queue_options {
  std::size_t max_pending = 100'000;  // messages accepted and not yet called back
  std::size_t max_group = 4096;       // messages in one group (whole calls; at least one)
  std::chrono::milliseconds drain_limit{10'000};  // close(): how long queued calls may wait
};

namespace detail {
// The admission rule, in one place (see the top of this file).
std::error_code admit(bool closing, std::error_code refused, std::size_t pending, std::size_t n,
                      std::size_t max_pending);
// A call's result: errc::outcome_unknown when any message has it, else the
// first error among its messages' results, else {}.
std::error_code first_error(std::span<const std::error_code> results);
}  // namespace detail

template <class Item>
class publish_queue {
 public:
  using clock = std::chrono::steady_clock;

  // `sender` must outlive the queue; the queue thread starts here.
  publish_queue(group_sender<Item>& sender, publish_queue_options options)
      : sender_(sender), options_(options) {
    thread_ = std::thread([this] { run(); });
  }
  ~publish_queue() { close(); }
  publish_queue(const publish_queue&) = delete;
  publish_queue& operator=(const publish_queue&) = delete;

  // Never blocks (the sender's refuse() aside). `done` runs exactly once.
  void submit(std::vector<Item> items, publish_callback done) {
    const auto refused_by_sender = sender_.refuse();
    const auto n = items.size();
    std::unique_lock lock(mu_);
    const auto refused =
        detail::admit(closing_, refused_by_sender, pending_, n, options_.max_pending);
    if (refused || n == 0) {
      lock.unlock();  // the callback runs outside the queue lock
      done(refused);
      return;
    }
    pending_ += n;
    queue_.push_back(call{std::move(items), std::move(done)});
    lock.unlock();
    cv_.notify_one();
  }

  // Any thread: asks an idle queue thread to ask wake_at() again (the sender
  // has something to do of its own, e.g. a replay after a drop).
  void wake() {
    {
      std::lock_guard lock(mu_);
      poked_ = true;
    }
    cv_.notify_all();
  }

  // Messages accepted and not yet called back.
  std::size_t pending() {
    std::lock_guard lock(mu_);
    return pending_;
  }

  void close() {
    {
      std::lock_guard lock(mu_);
      if (!closing_) closing_since_ = clock::now();
      closing_ = true;
    }
    cv_.notify_all();
    // From a callback (the queue thread): it drains the queue and ends on its own.
    if (std::this_thread::get_id() == thread_.get_id()) return;
    std::call_once(joined_, [this] { thread_.join(); });
  }

 private:
  struct call {
    std::vector<Item> items;
    publish_callback done;
  };

  void run() {
    for (;;) {
      std::vector<call> group;
      bool expired = false;
      bool woke = false;
      {
        auto wake = sender_.wake_at();
        std::unique_lock lock(mu_);
        auto ready = [&] {
          return closing_ || poked_ || !queue_.empty() || (wake && clock::now() >= *wake);
        };
        if (wake) {
          cv_.wait_until(lock, *wake, ready);
        } else {
          cv_.wait(lock, ready);
        }
        if (queue_.empty() && closing_) return;
        poked_ = false;
        woke = queue_.empty();
        expired = closing_ && clock::now() - closing_since_ > options_.drain_limit;
        std::size_t taken = 0;
        while (!queue_.empty()) {
          const auto n = queue_.front().items.size();
          if (!group.empty() && taken + n > options_.max_group) break;
          taken += n;
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      if (woke) {
        sender_.on_wake();
      } else {
        deliver(group, expired);
      }
    }
  }

  void deliver(std::vector<call>& group, bool expired) {
    std::vector<Item> items;
    std::vector<std::size_t> calls;
    std::size_t total = 0;
    for (const auto& c : group) total += c.items.size();
    items.reserve(total);
    calls.reserve(group.size());
    for (auto& c : group) {
      calls.push_back(c.items.size());
      for (auto& i : c.items) items.push_back(std::move(i));
    }
    std::vector<std::error_code> out(total);
    if (expired) {
      std::fill(out.begin(), out.end(), make_error_code(errc::unavailable));
    } else {
      sender_.send(std::span<Item>(items), std::span<const std::size_t>(calls),
                   std::span<std::error_code>(out));
    }
    {
      // Before the callbacks, so that one publishing again is not refused
      // for the very messages it was told about.
      std::lock_guard lock(mu_);
      pending_ -= total;
    }
    std::size_t at = 0;
    for (auto& c : group) {
      const auto n = c.items.size();
      auto ec = detail::first_error(std::span<const std::error_code>(out).subspan(at, n));
      at += n;
      c.done(ec);
    }
  }

  group_sender<Item>& sender_;
  const publish_queue_options options_;

  std::mutex mu_;  // guards the members up to thread_
  std::condition_variable cv_;
  std::deque<call> queue_;
  std::size_t pending_ = 0;  // messages accepted, callback not yet called
  bool closing_ = false;
  bool poked_ = false;  // wake() since the thread last looked
  clock::time_point closing_since_{};

  std::once_flag joined_;
  std::thread thread_;  // last: starts after every member it uses exists
};

}  // namespace sluice::broker

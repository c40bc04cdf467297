#include "pipeline/outcome_waits.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "core/deadline.hpp"

namespace sluice::pipeline {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

// One waiter's doorbell: committed() rings it from any thread (a
// concurrent_channel is safe to send to from anywhere; one slot, so rings
// between two looks merge into one).
struct outcome_waits::waker {
  explicit waker(const asio::any_io_executor& ex) : bell(ex, 1) {}
  asio::experimental::concurrent_channel<void(boost::system::error_code)> bell;
};

outcome_waits::outcome_waits(store::store& store, asio::thread_pool& blocking,
                             std::size_t max_waiters, std::chrono::milliseconds store_timeout)
    : store_(store), blocking_(blocking), max_waiters_(max_waiters), store_timeout_(store_timeout) {}

outcome_waits::~outcome_waits() = default;

void outcome_waits::committed() {
  std::lock_guard lock(mu_);
  for (waker* w : wakers_) w->bell.try_send(boost::system::error_code{});
}

// One round's store call may take what is left of the wait, and never more
// than store.read_timeout_ms.
std::chrono::milliseconds outcome_waits::round_limit(clock::time_point deadline) const {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
  return std::clamp(left, std::chrono::milliseconds(0), store_timeout_);
}

asio::awaitable<std::optional<std::vector<store::message_status>>> outcome_waits::wait(
    std::vector<std::string> ids, clock::time_point deadline) {
  // Admission: a slot, or no wait at all.
  if (waiting_.fetch_add(1) >= max_waiters_) {
    waiting_.fetch_sub(1);
    co_return std::nullopt;
  }
  auto ex = co_await asio::this_coro::executor;
  // Shared with the poll timer's handler, which may run after this frame is gone.
  auto bell = std::make_shared<waker>(ex);
  {
    std::lock_guard lock(mu_);
    wakers_.insert(bell.get());
  }
  struct leave {
    outcome_waits& self;
    waker* w;
    ~leave() {
      std::lock_guard lock(self.mu_);
      self.wakers_.erase(w);
      self.waiting_.fetch_sub(1);
    }
  } on_exit{*this, bell.get()};

  // Owned by the store call, which may outlive this coroutine (core/deadline.hpp).
  auto wanted = std::make_shared<const std::vector<std::string>>(std::move(ids));
  store::store* store = &store_;
  asio::steady_timer timer(ex);
  std::chrono::milliseconds interval{1};
  for (;;) {
    // A named closure: GCC 12 mis-handles a capturing lambda temporary
    // inside a co_await expression (its captures arrive as garbage).
    auto look = [store, wanted] { return store->statuses(*wanted); };
    auto looked = co_await offload_within(blocking_, round_limit(deadline), std::move(look));
    if (!looked || !*looked) co_return std::nullopt;  // deadline, or the store failed
    auto& statuses = **looked;
    const bool all_final = std::none_of(statuses.begin(), statuses.end(), [](const auto& s) {
      return s.status == store::message_status::state::unknown ||
             s.status == store::message_status::state::redriven;
    });
    if (all_final) co_return std::move(statuses);
    const auto now = clock::now();
    if (now >= deadline) co_return std::nullopt;
    // One wait for either event: the timer rings the same bell a commit
    // does. (Re-arming cancels the previous wait, which then rings nothing.)
    timer.expires_at(std::min(deadline, now + interval));
    timer.async_wait([bell](boost::system::error_code ec) {
      if (!ec) bell->bell.try_send(boost::system::error_code{});
    });
    co_await bell->bell.async_receive(asio::as_tuple(asio::use_awaitable));
    interval = std::min(interval * 2, std::chrono::milliseconds(50));
  }
}

}  // namespace sluice::pipeline

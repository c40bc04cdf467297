#pragma once
// Bridges from coroutines on io threads to blocking work that must not run
// there (store calls, run on the blocking pool). The coroutine resumes on its
// own executor.

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

namespace sluice {

// Runs fn() on `pool` and returns its result to the awaiting coroutine.
template <class Fn>
boost::asio::awaitable<std::invoke_result_t<Fn>> offload(boost::asio::thread_pool& pool, Fn fn) {
  using T = std::invoke_result_t<Fn>;
  return boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(T)>(
      [&pool](auto handler, Fn f) {
        auto ex = boost::asio::get_associated_executor(handler);
        boost::asio::post(pool, [h = std::move(handler), f = std::move(f), ex]() mutable {
          T value = f();
          boost::asio::post(ex, [h = std::move(h), v = std::move(value)]() mutable {
            std::move(h)(std::move(v));
          });
        });
      },
      boost::asio::use_awaitable, std::move(fn));
}

// Runs fn() on `pool` and returns its result, or nullopt when `deadline`
// passes first. The call itself cannot be interrupted (a stalled database
// holds its thread): it finishes in the background and its result is
// dropped, so `fn` must own everything it uses (capture by value or by
// shared_ptr, never a reference into the awaiting coroutine's frame).
template <class Fn>
boost::asio::awaitable<std::optional<std::invoke_result_t<Fn>>> offload_until(
    boost::asio::thread_pool& pool, std::chrono::steady_clock::time_point deadline, Fn fn) {
  using T = std::invoke_result_t<Fn>;
  struct state {
    explicit state(const boost::asio::any_io_executor& ex) : timer(ex) {}
    std::mutex mu;
    bool settled = false;  // the caller was answered: a late value is dropped
    std::optional<T> value;
    boost::asio::steady_timer timer;
  };
  return boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                     void(std::optional<T>)>(
      [&pool, deadline](auto handler, Fn f) {
        auto st = std::make_shared<state>(boost::asio::get_associated_executor(handler));
        st->timer.expires_at(deadline);
        // The wait is armed before the work starts, so a fast result always
        // finds a wait to cancel.
        st->timer.async_wait([st, h = std::move(handler)](boost::system::error_code) mutable {
          std::optional<T> v;
          {
            std::lock_guard lock(st->mu);
            st->settled = true;
            v = std::move(st->value);
          }
          std::move(h)(std::move(v));
        });
        boost::asio::post(pool, [st, f = std::move(f)]() mutable {
          T v = f();
          std::lock_guard lock(st->mu);
          if (st->settled) return;
          st->value = std::move(v);
          st->timer.cancel();
        });
      },
      boost::asio::use_awaitable, std::move(fn));
}

}  // namespace sluice

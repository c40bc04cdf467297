#pragma once
// Bridges from coroutines on io threads to blocking work that must not run
// there (store calls, run on the blocking pool). The coroutine resumes on its
// own executor. With a deadline: core/deadline.hpp.

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
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

}  // namespace sluice

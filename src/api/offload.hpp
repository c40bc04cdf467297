#pragma once
// Bridges from coroutines on io threads to work that must not run there:
// blocking store calls (run on the blocking pool) and broker publishes
// (completed by the broker's own thread). Either way the coroutine resumes on
// its own executor.

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "broker/broker.hpp"

namespace sluice::api {

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

// Publishes and waits for the broker's durable acknowledgement.
inline boost::asio::awaitable<std::error_code> publish(broker::broker& b,
                                                       std::vector<broker::message> messages) {
  return boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                     void(std::error_code)>(
      [&b](auto handler, std::vector<broker::message> msgs) {
        auto ex = boost::asio::get_associated_executor(handler);
        // std::function needs a copyable callable; the handler is move-only.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        b.publish(std::move(msgs), [shared, ex](std::error_code ec) {
          boost::asio::post(ex, [shared, ec] { std::move (*shared)(ec); });
        });
      },
      boost::asio::use_awaitable, std::move(messages));
}

}  // namespace sluice::api

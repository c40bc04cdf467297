#pragma once
// The one way a request's store call is made (issue 11 #25): on the blocking
// pool, with a client-side deadline (store.read_timeout_ms), because a stalled
// connection holds a call for as long as the database does not answer and
// statement_timeout cannot fire for a query that never reached the server.
// Past the deadline the caller gets errc::timed_out (a 503 with Retry-After,
// api/errors.cpp) and the timeout counts against the store's health, while the
// call itself finishes in the background.
//
// REQUIRES: `fn` owns what it uses (core/deadline.hpp); `h`, if given,
// outlives the pool.

#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <type_traits>
#include <utility>

#include "core/deadline.hpp"
#include "store/health.hpp"
#include "store/store.hpp"

namespace sluice::store {

// fn() returns std::error_code or result<X>; the same type comes back, with
// errc::timed_out when `limit` passed first.
template <class Fn>
boost::asio::awaitable<std::invoke_result_t<Fn>> call_within(boost::asio::thread_pool& pool,
                                                             std::chrono::milliseconds limit,
                                                             health* h, Fn fn) {
  using T = std::invoke_result_t<Fn>;
  static_assert(std::is_constructible_v<T, std::error_code>);
  return offload_within(pool, limit, std::move(fn), [h] {
    if (h) h->record(health::side::reads, errc::timed_out);
    return T(make_error_code(errc::timed_out));
  });
}

}  // namespace sluice::store

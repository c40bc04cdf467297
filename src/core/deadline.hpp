#pragma once
// Client-side deadlines for blocking work: the awaiting coroutine resumes on
// whichever comes first, the work's completion or its deadline. The work
// itself cannot be interrupted (a stalled database holds its thread until it
// answers): past the deadline it goes on in the background and its result is
// dropped. So whatever the work touches must be owned by it (captured by
// value or by shared_ptr) or outlive the pool, never borrowed from the
// awaiting coroutine's frame, which may be gone by the time the work ends.
//
// Thread safety: `complete` (below) may be called from any thread.
// REQUIRES: the coroutine's executor outlives the work (app/ joins the pool
// before destroying the io_context).

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace sluice {

// Calls start(complete) at once; resumes with the value given to
// complete(T) (callable once, from any thread, copyable), or with late()
// (called on the caller's executor) when `limit` passes first.
//
// Callers: pass `fn`/`start` as a named local (std::move(local)), never as a
// temporary lambda written inside the co_await expression when it captures
// anything with a destructor: GCC 12 destroys such a temporary twice.
template <class T, class Start, class Late>
boost::asio::awaitable<T> complete_within(std::chrono::milliseconds limit, Start start, Late late) {
  return boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(T)>(
      [limit](auto handler, Start begin, Late on_late) {
        using handler_t = decltype(handler);
        auto ex = boost::asio::get_associated_executor(handler);
        // Settled by whichever side claims it first; the handler is touched
        // only by that side, and only on `ex`.
        struct race {
          std::atomic<bool> settled{false};
          std::optional<handler_t> handler;
        };
        auto r = std::make_shared<race>();
        r->handler.emplace(std::move(handler));
        // The timer is owned by its own wait (and reached from the work only
        // through a weak_ptr, on `ex`), so it is never destroyed on a pool
        // thread after the io_context is gone.
        auto timer = std::make_shared<boost::asio::steady_timer>(ex, limit);
        std::weak_ptr<boost::asio::steady_timer> weak_timer = timer;
        timer->async_wait(
            [r, timer, on_late = std::move(on_late)](boost::system::error_code) mutable {
              if (r->settled.exchange(true)) return;  // the work won (or cancelled us)
              auto h = std::move(*r->handler);
              r->handler.reset();
              std::move(h)(on_late());
            });
        begin([r, ex, weak_timer](T value) {
          if (r->settled.exchange(true)) return;  // past the deadline: dropped
          boost::asio::post(ex, [r, weak_timer, v = std::move(value)]() mutable {
            if (auto t = weak_timer.lock()) t->cancel();
            auto h = std::move(*r->handler);
            r->handler.reset();
            std::move(h)(std::move(v));
          });
        });
      },
      boost::asio::use_awaitable, std::move(start), std::move(late));
}

// Runs fn() on `pool`; resumes with its result, or with late() when `limit`
// passes first. `fn` must own what it uses (see above).
template <class Fn, class Late>
boost::asio::awaitable<std::invoke_result_t<Fn>> offload_within(boost::asio::thread_pool& pool,
                                                                std::chrono::milliseconds limit,
                                                                Fn fn, Late late) {
  using T = std::invoke_result_t<Fn>;
  return complete_within<T>(
      limit,
      [&pool, f = std::move(fn)](auto complete) mutable {
        boost::asio::post(pool, [f = std::move(f), complete]() mutable { complete(f()); });
      },
      std::move(late));
}

// The same with nullopt for late.
template <class Fn>
boost::asio::awaitable<std::optional<std::invoke_result_t<Fn>>> offload_within(
    boost::asio::thread_pool& pool, std::chrono::milliseconds limit, Fn fn) {
  using T = std::invoke_result_t<Fn>;
  return offload_within(
      pool, limit, [f = std::move(fn)]() mutable { return std::optional<T>(f()); },
      [] { return std::optional<T>(); });
}

}  // namespace sluice

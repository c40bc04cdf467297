#pragma once
// Connections for the calls that block their caller (pull, ack, release,
// depth, holds, ping, declare): each call borrows one, so every pulling
// thread has its own while it waits in XREADGROUP BLOCK, and gives it back;
// broken ones are dropped, at most max_idle are kept. Private to
// src/broker/redis/.
//
// Thread safety: all members may be called from any thread.

#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "broker/redis/connection.hpp"

namespace sluice::broker::redis {

class pool {
 public:
  pool(endpoint where, std::chrono::milliseconds connect_timeout,
       std::chrono::milliseconds io_timeout, std::size_t max_idle);

  class handle {
   public:
    handle(pool& owner, std::unique_ptr<connection> c, bool reused)
        : owner_(&owner), conn_(std::move(c)), reused_(reused) {}
    handle(handle&& o) noexcept = default;
    handle& operator=(handle&&) = delete;
    ~handle();
    connection& operator*() { return *conn_; }
    connection* operator->() { return conn_.get(); }
    // True when the connection was idle in the pool (it may have gone stale
    // while it waited there, e.g. across a server restart).
    bool reused() const { return reused_; }

   private:
    pool* owner_;
    std::unique_ptr<connection> conn_;
    bool reused_;
  };

  // An idle connection, or a new one. errc::closed after close(),
  // errc::unavailable when none can be opened.
  result<handle> acquire();
  // A new connection, never an idle one.
  result<handle> acquire_fresh();

  // Registers `c` as waiting in a blocking read, so that close() can wake it.
  // False (and not registered) after close().
  bool enter_blocking(connection* c);
  void leave_blocking(connection* c);

  // Wakes every blocked read, drops idle connections; later acquires fail.
  void close();

 private:
  void give_back(std::unique_ptr<connection> c);

  const endpoint where_;
  const std::chrono::milliseconds connect_timeout_;
  const std::chrono::milliseconds io_timeout_;
  const std::size_t max_idle_;

  std::mutex mu_;  // guards everything below
  std::vector<std::unique_ptr<connection>> idle_;
  std::unordered_set<connection*> blocked_;
  bool closed_ = false;
};

}  // namespace sluice::broker::redis

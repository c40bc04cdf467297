#pragma once
// A bounded pool of PostgreSQL connections for the store's blocking callers
// (the read thread pool, the subscriber threads, readiness probes).
//
// Connections are opened lazily, up to `size`, and checked out for one store
// call at a time. When the server goes away, the failing call drops its
// connection (and the idle ones, which are as dead) and returns at once; the
// next call reconnects. Reconnects are gated by a capped exponential backoff
// with jitter, so while the server is down calls fail fast instead of each
// waiting out a connect timeout, and a returning server is not stampeded.
//
// Thread safety: acquire() and the lease destructor may be called from any
// thread; a lease and its connection belong to the thread holding it.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "store/postgres/pg_conn.hpp"

namespace sluice::store::pg {

struct pool_options {
  std::vector<std::string> keys, values;  // libpq keywords (never logged: may hold a password)
  unsigned size = 4;
  std::chrono::milliseconds wait{3000};  // for a free connection when all are in use
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{5000};
};

class pool {
 public:
  class lease {
   public:
    lease(pool* p, std::unique_ptr<connection> c, bool fresh)
        : pool_(p), conn_(std::move(c)), fresh_(fresh) {}
    lease(lease&& o) noexcept = default;
    lease& operator=(lease&&) = delete;
    ~lease();
    connection& operator*() { return *conn_; }
    connection* operator->() { return conn_.get(); }
    // True when the connection was opened for this call (not reused), so a
    // failure on it says the server is down rather than that it was stale.
    bool fresh() const { return fresh_; }

   private:
    pool* pool_;
    std::unique_ptr<connection> conn_;
    bool fresh_;
  };

  explicit pool(pool_options o);

  // A connection, or nullptr when none can be had now (server down, backoff
  // pending, or all in use past `wait`). `error` says why.
  std::unique_ptr<lease> acquire(std::string& error);

 private:
  void release(std::unique_ptr<connection> c);
  std::chrono::milliseconds next_backoff();  // REQUIRES: mu_ held

  pool_options opt_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<connection>> idle_;  // guarded by mu_
  unsigned open_ = 0;                              // guarded by mu_: idle + leased + connecting
  unsigned failures_ = 0;                          // guarded by mu_: consecutive connect failures
  clock::time_point retry_at_{};                   // guarded by mu_: no connect attempt before
  std::string last_error_;                         // guarded by mu_
  std::minstd_rand rng_{std::random_device{}()};   // guarded by mu_
};

}  // namespace sluice::store::pg

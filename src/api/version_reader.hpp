#pragma once
// Reads of a table's version for the read cache, shared by concurrent GETs
// (single flight, like group commit for reads): a GET waits for the next
// version read that *starts after it arrived* — so it sees every commit that
// completed before it arrived (read-your-writes) — and one store read answers
// every GET that arrived while the previous one ran. Under load that is one
// blocking-pool hop per batch of GETs instead of one per GET.
// A read that does not answer within the caller's deadline
// (store.read_timeout_ms) answers that caller store::errc::timed_out; the read
// goes on and still answers the callers batched behind it.
// Thread-safe; completions run on each caller's executor.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/deadline.hpp"
#include "store/store.hpp"

namespace sluice::api {

class version_reader {
 public:
  // The store's answer: a version, or why not (errc::unsupported: the
  // backend has none; the page is then served uncached).
  using callback = std::function<void(result<std::int64_t>)>;

  version_reader(store::store& store, boost::asio::thread_pool& pool) : store_(store), pool_(pool) {}

  // Calls `done` (from the pool) with a version read that started after this call.
  void read(const std::string& table, callback done);

  // read(), awaited for at most `limit` (then errc::timed_out).
  boost::asio::awaitable<result<std::int64_t>> current(const std::string& table,
                                                       std::chrono::milliseconds limit) {
    return complete_within<result<std::int64_t>>(
        limit, [this, table](auto complete) { read(table, std::move(complete)); },
        [] { return result<std::int64_t>(store::errc::timed_out); });
  }

 private:
  struct table_state {
    bool in_flight = false;
    std::vector<callback> next;  // arrived since the read in flight started
  };
  void start(const std::string& table, std::vector<callback> batch);

  store::store& store_;
  boost::asio::thread_pool& pool_;
  std::mutex mu_;  // guards tables_
  std::map<std::string, table_state, std::less<>> tables_;
};

}  // namespace sluice::api

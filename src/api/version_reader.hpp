#pragma once
// Reads of a table's version for the read cache, shared by concurrent GETs
// (single flight, like group commit for reads): a GET waits for the next
// version read that *starts after it arrived* — so it sees every commit that
// completed before it arrived (read-your-writes) — and one store read answers
// every GET that arrived while the previous one ran. Under load that is one
// blocking-pool hop per batch of GETs instead of one per GET.
// Thread-safe; completions run on each caller's executor.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace sluice::api {

class version_reader {
 public:
  // nullopt: the store could not say (the page is then served uncached).
  using callback = std::function<void(std::optional<std::int64_t>)>;

  version_reader(store::store& store, boost::asio::thread_pool& pool) : store_(store), pool_(pool) {}

  // Calls `done` (from the pool) with a version read that started after this call.
  void read(const std::string& table, callback done);

  boost::asio::awaitable<std::optional<std::int64_t>> current(const std::string& table) {
    return boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                       void(std::optional<std::int64_t>)>(
        [this](auto handler, const std::string& t) {
          auto ex = boost::asio::get_associated_executor(handler);
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          read(t, [shared, ex](std::optional<std::int64_t> v) {
            boost::asio::post(ex, [shared, v] { std::move (*shared)(v); });
          });
        },
        boost::asio::use_awaitable, table);
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

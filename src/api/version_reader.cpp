#include "api/version_reader.hpp"

namespace sluice::api {

void version_reader::read(const std::string& table, callback done) {
  std::vector<callback> batch;
  {
    std::lock_guard lock(mu_);
    auto& t = tables_[table];
    t.next.push_back(std::move(done));
    if (t.in_flight) return;  // answered by the read after the one running
    t.in_flight = true;
    batch.swap(t.next);
  }
  start(table, std::move(batch));
}

void version_reader::start(const std::string& table, std::vector<callback> batch) {
  boost::asio::post(pool_, [this, table, batch = std::move(batch)]() mutable {
    for (;;) {
      // Every waiter in `batch` arrived before this read starts.
      auto v = store_.version(table);
      for (auto& done : batch) done(v);
      std::lock_guard lock(mu_);
      auto& t = tables_[table];
      if (t.next.empty()) {
        t.in_flight = false;
        return;
      }
      batch.clear();
      batch.swap(t.next);
    }
  });
}

}  // namespace sluice::api

#pragma once
// A subscriber drains one subscription into one table: pull a batch, decode
// and validate each message, write the batch in one store transaction
// (idempotent on the message id), then ack. Exactly one outcome per message:
// a row, or a dead letter with the reason. Messages that can never be stored
// (invalid, refused by the database, or delivered more than max_deliveries
// times) are dead-lettered and never block the others; when the store itself
// fails, the batch goes back to the broker without spending its attempts and
// the subscriber backs off.
// The lag gauge (sluice_subscription_lag_messages) is what the subscription
// holds (broker::depth, leased or not), sampled by a thread of its own: the
// batch loop can sit in a store call for as long as the store stalls, and
// that is exactly when the lag must not read stale.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "broker/broker.hpp"
#include "config/config.hpp"
#include "observe/metrics.hpp"
#include "store/store.hpp"

namespace sluice::pipeline {

struct subscriber_options {
  std::size_t batch_size = 500;
  std::chrono::milliseconds pull_wait{50};
  std::chrono::milliseconds retry_min{100};
  std::chrono::milliseconds retry_max{10'000};
  unsigned max_deliveries = 5;
  unsigned json_depth = 64;
  // Between lag samples (a depth may cost the broker a count).
  std::chrono::milliseconds lag_interval{1000};
  // Called after each committed batch with the table's new version (the read
  // cache of this process learns of its own writes at once). May be empty.
  std::function<void(const std::string& table, std::int64_t version)> on_commit;
};

// Outcome counts of one batch (for tests and logs).
struct batch_report {
  std::size_t stored = 0, duplicate = 0, dead_lettered = 0, retried = 0;
};

class subscriber {
 public:
  // The references must outlive the subscriber.
  subscriber(broker::broker& broker, store::store& store, const config::subscription_def& sub,
             const config::resource_def& resource, subscriber_options options,
             observe::metrics& metrics);
  ~subscriber();
  subscriber(const subscriber&) = delete;
  subscriber& operator=(const subscriber&) = delete;

  // Starts the subscriber's threads (the batch loop and the lag sampler).
  void start();
  // Finishes the batch in hand (written and acked, or released), then joins.
  void stop();

  // One pull-process-ack round, on the caller's thread (the thread loop and
  // tests use it). Errors are the broker's or the store's.
  result<batch_report> run_once(std::chrono::milliseconds wait);

 private:
  void loop();
  void sample_lag();

  broker::broker& broker_;
  store::store& store_;
  const config::subscription_def sub_;
  const config::resource_def& resource_;
  const subscriber_options options_;
  observe::metrics& metrics_;

  std::mutex mu_;  // guards stopping_ for the backoff and sampling waits
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  std::thread lag_thread_;
};

}  // namespace sluice::pipeline

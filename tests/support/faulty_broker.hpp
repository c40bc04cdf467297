#pragma once
// A broker that forwards every call to a real one (the embedded SQLite queue
// in the unit tests) and fails the calls a test chooses, without reaching the
// real broker: a refused publish, a lost ack, a broker that cannot be pulled
// from. Leases, attempts and redelivery stay the real backend's.
// A failed publish calls its callback at once on the caller's thread, as the
// interface allows for a publish refused outright.
//
// Thread safety: as the wrapped broker.

#include <memory>
#include <mutex>
#include <vector>

#include "broker/broker.hpp"
#include "support/fault_plan.hpp"

namespace sluice::testing {

enum class broker_op { declare, publish, pull, ack, release, depth, holds, ping, count_ };

// One release() call as the wrapper saw it (forwarded or failed).
struct release_call {
  std::size_t deliveries = 0;
  std::chrono::milliseconds delay{0};
  bool count_attempt = true;
};

class faulty_broker : public sluice::broker::broker {
 public:
  // Owns `inner`.
  explicit faulty_broker(std::unique_ptr<sluice::broker::broker> inner);

  // The failure schedule (fail_next, fail_always, heal, calls, failed).
  fault_plan<broker_op, static_cast<std::size_t>(broker_op::count_)>& faults() { return faults_; }
  // Every release() so far, in order.
  std::vector<release_call> releases() const;
  // The attempts of the deliveries returned by the last successful pull.
  std::vector<std::uint32_t> last_pulled_attempts() const;

  sluice::broker::broker& inner() { return *inner_; }

  std::error_code declare(std::span<const sluice::broker::topology> subscriptions) override;
  void publish(std::vector<sluice::broker::message> messages, sluice::broker::publish_callback done) override;
  result<std::vector<sluice::broker::delivery>> pull(std::string_view subscription, std::size_t max,
                                             std::chrono::milliseconds wait) override;
  std::error_code ack(std::span<const sluice::broker::delivery> deliveries) override;
  std::error_code release(std::span<const sluice::broker::delivery> deliveries,
                          std::chrono::milliseconds delay, bool count_attempt) override;
  result<std::uint64_t> depth(std::string_view subscription) override;
  result<std::optional<bool>> holds(std::string_view message_id) override;
  std::error_code ping() override;
  void close() override;

 private:
  std::unique_ptr<sluice::broker::broker> inner_;
  fault_plan<broker_op, static_cast<std::size_t>(broker_op::count_)> faults_;
  mutable std::mutex mu_;  // guards releases_ and last_pulled_
  std::vector<release_call> releases_;
  std::vector<std::uint32_t> last_pulled_;
};

}  // namespace sluice::testing

#include "support/faulty_broker.hpp"

namespace sluice::testing {

faulty_broker::faulty_broker(std::unique_ptr<sluice::broker::broker> inner) : inner_(std::move(inner)) {}

std::vector<release_call> faulty_broker::releases() const {
  std::lock_guard lock(mu_);
  return releases_;
}

std::vector<std::uint32_t> faulty_broker::last_pulled_attempts() const {
  std::lock_guard lock(mu_);
  return last_pulled_;
}

std::error_code faulty_broker::declare(std::span<const sluice::broker::topology> subscriptions) {
  if (auto ec = faults_.take(broker_op::declare)) return *ec;
  return inner_->declare(subscriptions);
}

void faulty_broker::publish(std::vector<sluice::broker::message> messages, sluice::broker::publish_callback done) {
  if (auto ec = faults_.take(broker_op::publish)) {
    done(*ec);
    return;
  }
  inner_->publish(std::move(messages), std::move(done));
}

result<std::vector<sluice::broker::delivery>> faulty_broker::pull(std::string_view subscription,
                                                          std::size_t max,
                                                          std::chrono::milliseconds wait) {
  if (auto ec = faults_.take(broker_op::pull)) return *ec;
  auto r = inner_->pull(subscription, max, wait);
  if (r) {
    std::lock_guard lock(mu_);
    last_pulled_.clear();
    for (const auto& d : *r) last_pulled_.push_back(d.attempt);
  }
  return r;
}

std::error_code faulty_broker::ack(std::span<const sluice::broker::delivery> deliveries) {
  if (auto ec = faults_.take(broker_op::ack)) return *ec;
  return inner_->ack(deliveries);
}

std::error_code faulty_broker::release(std::span<const sluice::broker::delivery> deliveries,
                                       std::chrono::milliseconds delay, bool count_attempt) {
  {
    std::lock_guard lock(mu_);
    releases_.push_back({deliveries.size(), delay, count_attempt});
  }
  if (auto ec = faults_.take(broker_op::release)) return *ec;
  return inner_->release(deliveries, delay, count_attempt);
}

result<std::uint64_t> faulty_broker::depth(std::string_view subscription) {
  if (auto ec = faults_.take(broker_op::depth)) return *ec;
  return inner_->depth(subscription);
}

result<std::optional<bool>> faulty_broker::holds(std::string_view message_id) {
  if (auto ec = faults_.take(broker_op::holds)) return *ec;
  return inner_->holds(message_id);
}

std::error_code faulty_broker::ping() {
  if (auto ec = faults_.take(broker_op::ping)) return *ec;
  return inner_->ping();
}

void faulty_broker::close() { inner_->close(); }

}  // namespace sluice::testing

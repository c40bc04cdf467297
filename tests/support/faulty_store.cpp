#include "support/faulty_store.hpp"

namespace sluice::testing {

faulty_store::faulty_store(std::unique_ptr<sluice::store::store> inner) : inner_(std::move(inner)) {}

faulty_store::~faulty_store() {
  std::lock_guard lock(stall_mu_);
  stalls_.fill(false);
  stall_cv_.notify_all();
}

void faulty_store::stall(store_op op) {
  std::lock_guard lock(stall_mu_);
  stalls_[static_cast<std::size_t>(op)] = true;
}

void faulty_store::unstall(store_op op) {
  std::lock_guard lock(stall_mu_);
  stalls_[static_cast<std::size_t>(op)] = false;
  stall_cv_.notify_all();
}

std::size_t faulty_store::stalled(store_op op) const {
  std::lock_guard lock(stall_mu_);
  return waiting_[static_cast<std::size_t>(op)];
}

bool faulty_store::wait_stalled(store_op op, std::size_t n, std::chrono::milliseconds limit) const {
  std::unique_lock lock(stall_mu_);
  return stall_cv_.wait_for(lock, limit,
                            [&] { return waiting_[static_cast<std::size_t>(op)] >= n; });
}

void faulty_store::pass_stall(store_op op) {
  const auto i = static_cast<std::size_t>(op);
  std::unique_lock lock(stall_mu_);
  if (!stalls_[i]) return;
  ++waiting_[i];
  stall_cv_.notify_all();
  stall_cv_.wait(lock, [&] { return !stalls_[i]; });
  --waiting_[i];
  stall_cv_.notify_all();
}

void faulty_store::fail_writes_if(write_filter f) {
  std::lock_guard lock(filter_mu_);
  filter_ = std::move(f);
}

std::error_code faulty_store::migrate(std::span<const sluice::store::table_def> tables) {
  pass_stall(store_op::migrate);
  if (auto ec = faults_.take(store_op::migrate)) return *ec;
  return inner_->migrate(tables);
}

std::error_code faulty_store::attach(std::span<const sluice::store::table_def> tables) {
  pass_stall(store_op::attach);
  if (auto ec = faults_.take(store_op::attach)) return *ec;
  return inner_->attach(tables);
}

result<sluice::store::batch_result> faulty_store::write(const sluice::store::batch& b) {
  pass_stall(store_op::write);
  if (auto ec = faults_.take(store_op::write)) return *ec;
  write_filter f;
  {
    std::lock_guard lock(filter_mu_);
    f = filter_;
  }
  if (f) {
    if (auto ec = f(b)) return *ec;
  }
  return inner_->write(b);
}

result<sluice::store::page> faulty_store::query(std::string_view table, const sluice::store::page_query& q) {
  pass_stall(store_op::query);
  if (auto ec = faults_.take(store_op::query)) return *ec;
  return inner_->query(table, q);
}

result<std::optional<std::string>> faulty_store::get(std::string_view table, std::int64_t id) {
  pass_stall(store_op::get);
  if (auto ec = faults_.take(store_op::get)) return *ec;
  return inner_->get(table, id);
}

result<sluice::store::message_status> faulty_store::status(std::string_view message_id) {
  pass_stall(store_op::status);
  if (auto ec = faults_.take(store_op::status)) return *ec;
  return inner_->status(message_id);
}

std::error_code faulty_store::ping() {
  pass_stall(store_op::ping);
  if (auto ec = faults_.take(store_op::ping)) return *ec;
  return inner_->ping();
}

result<std::int64_t> faulty_store::version(std::string_view table) {
  pass_stall(store_op::version);
  if (auto ec = faults_.take(store_op::version)) return *ec;
  return inner_->version(table);
}

}  // namespace sluice::testing

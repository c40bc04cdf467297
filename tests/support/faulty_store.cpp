#include "support/faulty_store.hpp"

namespace sluice::testing {

faulty_store::faulty_store(std::unique_ptr<sluice::store::store> inner) : inner_(std::move(inner)) {}

void faulty_store::fail_writes_if(write_filter f) {
  std::lock_guard lock(filter_mu_);
  filter_ = std::move(f);
}

std::error_code faulty_store::migrate(std::span<const sluice::store::table_def> tables) {
  if (auto ec = faults_.take(store_op::migrate)) return *ec;
  return inner_->migrate(tables);
}

std::error_code faulty_store::attach(std::span<const sluice::store::table_def> tables) {
  if (auto ec = faults_.take(store_op::attach)) return *ec;
  return inner_->attach(tables);
}

result<sluice::store::batch_result> faulty_store::write(const sluice::store::batch& b) {
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
  if (auto ec = faults_.take(store_op::query)) return *ec;
  return inner_->query(table, q);
}

result<std::optional<std::string>> faulty_store::get(std::string_view table, std::int64_t id) {
  if (auto ec = faults_.take(store_op::get)) return *ec;
  return inner_->get(table, id);
}

result<sluice::store::message_status> faulty_store::status(std::string_view message_id) {
  if (auto ec = faults_.take(store_op::status)) return *ec;
  return inner_->status(message_id);
}

std::error_code faulty_store::ping() {
  if (auto ec = faults_.take(store_op::ping)) return *ec;
  return inner_->ping();
}

result<std::int64_t> faulty_store::version(std::string_view table) {
  if (auto ec = faults_.take(store_op::version)) return *ec;
  return inner_->version(table);
}

}  // namespace sluice::testing

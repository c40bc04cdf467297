#include "broker/redis/pool.hpp"

#include "broker/broker.hpp"

namespace sluice::broker::redis {

pool::pool(endpoint where, std::chrono::milliseconds connect_timeout,
           std::chrono::milliseconds io_timeout, std::size_t max_idle)
    : where_(std::move(where)),
      connect_timeout_(connect_timeout),
      io_timeout_(io_timeout),
      max_idle_(max_idle) {}

pool::handle::~handle() {
  if (conn_) owner_->give_back(std::move(conn_));
}

result<pool::handle> pool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return errc::closed;
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return handle(*this, std::move(c), true);
    }
  }
  return acquire_fresh();
}

result<pool::handle> pool::acquire_fresh() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return errc::closed;
  }
  // Outside the lock: connecting may take up to connect_timeout_.
  auto c = connection::open(where_, connect_timeout_, io_timeout_);
  if (!c) return c.error();
  return handle(*this, std::move(*c), false);
}

bool pool::enter_blocking(connection* c) {
  std::lock_guard lock(mu_);
  if (closed_) return false;
  blocked_.insert(c);
  return true;
}

void pool::leave_blocking(connection* c) {
  std::lock_guard lock(mu_);
  blocked_.erase(c);
}

void pool::close() {
  std::vector<std::unique_ptr<connection>> dropped;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    // Under mu_: a registered connection is alive until leave_blocking().
    for (auto* c : blocked_) c->interrupt();
    dropped.swap(idle_);
  }
}

void pool::give_back(std::unique_ptr<connection> c) {
  // Restore the usual timeout in case the borrower changed it for a BLOCK.
  if (!c->broken()) c->set_timeout(io_timeout_);
  std::lock_guard lock(mu_);
  if (closed_ || c->broken() || idle_.size() >= max_idle_) return;  // closed when `c` dies
  idle_.push_back(std::move(c));
}

}  // namespace sluice::broker::redis

#include "store/postgres/pg_pool.hpp"

#include <algorithm>

namespace sluice::store::pg {

pool::pool(pool_options o) : opt_(std::move(o)) { opt_.size = std::max(1u, opt_.size); }

pool::lease::~lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->release(std::move(conn_));
}

std::unique_ptr<pool::lease> pool::acquire(std::string& error) {
  std::unique_lock lock(mu_);
  auto deadline = clock::now() + opt_.wait;
  for (;;) {
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return std::make_unique<lease>(this, std::move(c), false);
    }
    if (open_ < opt_.size) break;
    if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= opt_.size) {
      error = "all store connections are busy";
      return nullptr;
    }
  }
  if (clock::now() < retry_at_) {
    // Fail fast while the server is known to be down: the subscriber backs
    // off and the API answers 503, nobody waits out a connect timeout.
    error = last_error_;
    return nullptr;
  }
  ++open_;
  lock.unlock();
  std::string why;
  auto c = connection::open(opt_.keys, opt_.values, why);  // outside the lock: it blocks
  lock.lock();
  if (c == nullptr) {
    --open_;
    ++failures_;
    retry_at_ = clock::now() + next_backoff();
    last_error_ = "cannot connect to the store: " + why;
    error = last_error_;
    freed_.notify_one();
    return nullptr;
  }
  failures_ = 0;
  retry_at_ = {};
  return std::make_unique<lease>(this, std::move(c), true);
}

void pool::release(std::unique_ptr<connection> c) {
  std::vector<std::unique_ptr<connection>> dropped;  // closed outside the lock
  {
    std::lock_guard lock(mu_);
    if (c->failed() || !c->idle()) {
      bool server_gone = c->broken();
      --open_;
      dropped.push_back(std::move(c));
      if (server_gone) {
        // A broken connection usually means the server went away: the idle
        // ones are as dead, so drop them too rather than fail one call each.
        open_ -= static_cast<unsigned>(idle_.size());
        for (auto& i : idle_) dropped.push_back(std::move(i));
        idle_.clear();
      }
    } else {
      idle_.push_back(std::move(c));
    }
  }
  freed_.notify_all();
}

std::chrono::milliseconds pool::next_backoff() {
  // Capped exponential: min * 2^(failures-1), at most max; then "equal
  // jitter" (half fixed, half random) so processes do not retry in lockstep.
  long long base = opt_.backoff_min.count();
  long long cap = std::max<long long>(base, opt_.backoff_max.count());
  long long d = base;
  for (unsigned i = 1; i < failures_ && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  std::uniform_int_distribution<long long> jitter(0, d / 2);
  return std::chrono::milliseconds(d - d / 2 + jitter(rng_));
}

}  // namespace sluice::store::pg

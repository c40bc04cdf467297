#include "broker/rabbitmq/dedup_cache.hpp"

#include <functional>
#include <string_view>

namespace sluice::broker::rabbitmq {

std::size_t dedup_cache::fingerprint_of(const message& m) {
  std::hash<std::string_view> h;
  return h(m.topic) * 31 + h(m.body);
}

void dedup_cache::expire(std::chrono::steady_clock::time_point now) {
  while (!order_.empty() && (order_.front().first <= now || order_.size() > capacity_)) {
    auto it = entries_.find(order_.front().second);
    if (it != entries_.end() && it->second.expires == order_.front().first) entries_.erase(it);
    order_.pop_front();
  }
}

dedup_cache::verdict dedup_cache::check(const message& m) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  expire(now);
  auto it = entries_.find(m.id);
  if (it == entries_.end()) return verdict::fresh;
  return it->second.fingerprint == fingerprint_of(m) ? verdict::duplicate : verdict::conflict;
}

void dedup_cache::remember(const message& m) {
  if (capacity_ == 0) return;
  auto now = std::chrono::steady_clock::now();
  auto expires = now + window_;
  std::lock_guard lock(mu_);
  entries_[m.id] = {fingerprint_of(m), expires};
  order_.emplace_back(expires, m.id);
  expire(now);
}

}  // namespace sluice::broker::rabbitmq

#include "broker/dedup_cache.hpp"

#include <functional>
#include <string_view>

namespace sluice::broker {

std::string dedup_cache::identity_of(const message& m) {
  // The fingerprint is itself a digest: kept whole, so that two requests are
  // never taken for one (a hash collision here would drop a message).
  if (!m.fingerprint.empty()) return "f" + m.topic + '\n' + m.fingerprint;
  std::hash<std::string_view> h;
  return "b" + std::to_string(h(m.topic) * 31 + h(m.body));
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
  if (it->second.identity != identity_of(m)) return verdict::conflict;
  return it->second.confirmed ? verdict::duplicate : verdict::fresh;
}

void dedup_cache::remember(const message& m, bool confirmed) {
  if (capacity_ == 0) return;
  auto now = std::chrono::steady_clock::now();
  auto expires = now + window_;
  std::lock_guard lock(mu_);
  entries_[m.id] = {identity_of(m), confirmed, expires};
  order_.emplace_back(expires, m.id);
  expire(now);
}

}  // namespace sluice::broker

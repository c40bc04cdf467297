#include "broker/nats/attempt_offsets.hpp"

#include <algorithm>
#include <vector>

namespace sluice::broker::nats {

std::string attempt_offsets::key(std::string_view subscription, std::uint64_t stream_seq) {
  std::string k(subscription);
  k += '\n';
  k += std::to_string(stream_seq);
  return k;
}

void attempt_offsets::add(std::string_view subscription, std::uint64_t stream_seq) {
  std::lock_guard lock(mu_);
  if (entries_.size() >= capacity_) evict();
  auto& e = entries_[key(subscription, stream_seq)];
  ++e.uncounted;
  e.touched = std::chrono::steady_clock::now();
}

std::uint32_t attempt_offsets::attempt(std::string_view subscription, std::uint64_t stream_seq,
                                       std::uint64_t delivered) {
  std::uint64_t uncounted = 0;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key(subscription, stream_seq));
    if (it != entries_.end()) {
      uncounted = it->second.uncounted;
      it->second.touched = std::chrono::steady_clock::now();
    }
  }
  std::uint64_t a = delivered > uncounted ? delivered - uncounted : 1;
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(a, 1, UINT32_MAX));
}

void attempt_offsets::forget(std::string_view subscription, std::uint64_t stream_seq) {
  std::lock_guard lock(mu_);
  if (entries_.empty()) return;
  entries_.erase(key(subscription, stream_seq));
}

void attempt_offsets::evict() {
  std::vector<std::chrono::steady_clock::time_point> times;
  times.reserve(entries_.size());
  for (const auto& [k, e] : entries_) times.push_back(e.touched);
  auto tenth = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 10);
  std::nth_element(times.begin(), tenth, times.end());
  auto cutoff = *tenth;
  std::erase_if(entries_, [&](const auto& kv) { return kv.second.touched <= cutoff; });
}

}  // namespace sluice::broker::nats

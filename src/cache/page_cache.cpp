#include "cache/page_cache.hpp"

#include <functional>

namespace sluice::cache {
namespace {

std::size_t cost(std::string_view key, const page& p) {
  // The bodies dominate; the rest is a fixed allowance for list and map nodes.
  return key.size() + p.body.size() + p.etag.size() + p.link.size() + 128;
}

}  // namespace

page_cache::page_cache(std::size_t max_bytes, unsigned shards)
    : max_bytes_(max_bytes), shard_budget_(max_bytes / std::max(1u, shards)) {
  for (unsigned i = 0; i < std::max(1u, shards); ++i) shards_.push_back(std::make_unique<shard>());
}

page_cache::shard& page_cache::shard_of(std::string_view key) {
  return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

void page_cache::erase(shard& s, std::list<entry>::iterator it) {
  s.bytes -= it->bytes;
  bytes_.fetch_sub(static_cast<std::int64_t>(it->bytes), std::memory_order_relaxed);
  entries_.fetch_sub(1, std::memory_order_relaxed);
  s.index.erase(std::string_view(it->key));
  s.lru.erase(it);
}

std::optional<std::shared_ptr<const page>> page_cache::get(std::string_view key,
                                                           std::int64_t version) {
  if (max_bytes_ == 0) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  auto it = s.index.find(key);
  if (it != s.index.end()) {
    if (it->second->version == version) {
      s.lru.splice(s.lru.begin(), s.lru, it->second);
      hits_.fetch_add(1, std::memory_order_relaxed);
      return it->second->p;
    }
    // Built at another version: unreachable from now on.
    erase(s, it->second);
    invalidations_.fetch_add(1, std::memory_order_relaxed);
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

void page_cache::put(std::string_view key, std::int64_t version, std::shared_ptr<const page> p) {
  if (max_bytes_ == 0 || !p) return;
  std::size_t bytes = cost(key, *p);
  if (bytes > shard_budget_) return;
  shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  if (auto it = s.index.find(key); it != s.index.end()) {
    // Keep the newer version when two readers race to fill the same key.
    if (it->second->version > version) return;
    erase(s, it->second);
  }
  while (s.bytes + bytes > shard_budget_ && !s.lru.empty()) {
    erase(s, std::prev(s.lru.end()));
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  s.lru.push_front({std::string(key), version, std::move(p), bytes});
  s.index.emplace(std::string_view(s.lru.front().key), s.lru.begin());
  s.bytes += bytes;
  bytes_.fetch_add(static_cast<std::int64_t>(bytes), std::memory_order_relaxed);
  entries_.fetch_add(1, std::memory_order_relaxed);
}

stats page_cache::snapshot() const {
  stats out;
  out.hits = hits_.load(std::memory_order_relaxed);
  out.misses = misses_.load(std::memory_order_relaxed);
  out.evictions = evictions_.load(std::memory_order_relaxed);
  out.invalidations = invalidations_.load(std::memory_order_relaxed);
  out.bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, bytes_.load()));
  out.entries = static_cast<std::uint64_t>(std::max<std::int64_t>(0, entries_.load()));
  return out;
}

}  // namespace sluice::cache

#pragma once
// The read cache: GET pages kept already serialised (body, ETag, Link,
// Content-Range) under
// their normalised query and the table version they were built at.
//
// Versioning instead of invalidation: the store bumps a table's version in the
// same transaction as every batch that adds rows, and a reader asks for a page
// at the version it just read — an entry built at any other version is simply
// not returned (and is dropped). No scan, no TTL guessing; a missed signal can
// only cost a miss, never serve a stale page.
//
// Bounded in bytes (keys + bodies), least recently used first out; sharded by
// key hash so that io threads rarely meet on a lock. Thread-safe.

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::cache {

struct page {
  std::string body;
  std::string etag;
  std::string link;  // the Link header, "" when there is no next page
  // The Content-Range header of a counted page (Prefer: count=…), else "".
  std::string content_range;
};

struct stats {
  std::uint64_t hits = 0, misses = 0, evictions = 0, invalidations = 0, bytes = 0, entries = 0;
};

class page_cache {
 public:
  // max_bytes = 0 disables the cache (every get misses, put does nothing).
  explicit page_cache(std::size_t max_bytes, unsigned shards = 16);

  // The page cached for `key` at exactly `version`, if any. A hit refreshes
  // its recency; an entry of another version counts as an invalidation.
  std::optional<std::shared_ptr<const page>> get(std::string_view key, std::int64_t version);

  // Caches `p` for `key` at `version`, replacing any other version. Pages
  // larger than a shard's budget are not cached.
  void put(std::string_view key, std::int64_t version, std::shared_ptr<const page> p);

  stats snapshot() const;
  std::size_t max_bytes() const { return max_bytes_; }

 private:
  struct entry {
    std::string key;
    std::int64_t version;
    std::shared_ptr<const page> p;
    std::size_t bytes;
  };
  struct shard {
    std::mutex mu;  // guards lru and index
    std::list<entry> lru;  // most recent first
    std::unordered_map<std::string_view, std::list<entry>::iterator> index;  // views into lru keys
    std::size_t bytes = 0;
  };
  shard& shard_of(std::string_view key);
  void erase(shard& s, std::list<entry>::iterator it);

  const std::size_t max_bytes_;
  const std::size_t shard_budget_;
  std::vector<std::unique_ptr<shard>> shards_;
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, evictions_{0}, invalidations_{0};
  std::atomic<std::int64_t> bytes_{0}, entries_{0};
};

}  // namespace sluice::cache

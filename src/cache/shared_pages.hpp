#pragma once
// A second cache level shared by API replicas (e.g. Redis): pages under
// (key, version), so a replica can serve a page another built. Versioned keys
// make a stale answer impossible; entries expire by TTL only to bound memory.
// Calls block (run them on the blocking pool) and never fail loudly: a shared
// cache that is down costs speed, not correctness.

#include <cstdint>
#include <optional>
#include <string_view>

#include "cache/page_cache.hpp"

namespace sluice::cache {

class shared_pages {
 public:
  virtual ~shared_pages() = default;
  virtual std::optional<page> get(std::string_view key, std::int64_t version) = 0;
  virtual void put(std::string_view key, std::int64_t version, const page& p) = 0;
  virtual std::uint64_t hits() const = 0;
  virtual std::uint64_t misses() const = 0;
  virtual std::uint64_t errors() const = 0;
};

}  // namespace sluice::cache

#pragma once
// The cache's counters in Prometheus text format:
// sluice_cache_requests_total{result="hit|miss"}, sluice_cache_evictions_total,
// sluice_cache_invalidations_total, sluice_cache_bytes, sluice_cache_entries.

#include <string>

#include "cache/page_cache.hpp"
#include "cache/shared_pages.hpp"

namespace sluice::cache {

std::string prometheus_text(const stats& s, std::size_t max_bytes);
// The shared level: sluice_cache_shared_requests_total{result="hit|miss|error"}.
std::string prometheus_text(const shared_pages& shared);

}  // namespace sluice::cache

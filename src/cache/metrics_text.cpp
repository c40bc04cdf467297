#include "cache/metrics_text.hpp"

#include <fmt/format.h>

namespace sluice::cache {

std::string prometheus_text(const stats& s, std::size_t max_bytes) {
  return fmt::format(
      "# HELP sluice_cache_requests_total Read cache lookups by result.\n"
      "# TYPE sluice_cache_requests_total counter\n"
      "sluice_cache_requests_total{{result=\"hit\"}} {}\n"
      "sluice_cache_requests_total{{result=\"miss\"}} {}\n"
      "# HELP sluice_cache_evictions_total Pages evicted to stay within the byte bound.\n"
      "# TYPE sluice_cache_evictions_total counter\nsluice_cache_evictions_total {}\n"
      "# HELP sluice_cache_invalidations_total Pages dropped because their table's version moved on.\n"
      "# TYPE sluice_cache_invalidations_total counter\nsluice_cache_invalidations_total {}\n"
      "# HELP sluice_cache_bytes Bytes held by the read cache.\n"
      "# TYPE sluice_cache_bytes gauge\nsluice_cache_bytes {}\n"
      "# HELP sluice_cache_max_bytes The read cache's byte bound.\n"
      "# TYPE sluice_cache_max_bytes gauge\nsluice_cache_max_bytes {}\n"
      "# HELP sluice_cache_entries Pages held by the read cache.\n"
      "# TYPE sluice_cache_entries gauge\nsluice_cache_entries {}\n",
      s.hits, s.misses, s.evictions, s.invalidations, s.bytes, max_bytes, s.entries);
}

std::string prometheus_text(const shared_pages& shared) {
  return fmt::format(
      "# HELP sluice_cache_shared_requests_total Shared (second-level) page cache lookups.\n"
      "# TYPE sluice_cache_shared_requests_total counter\n"
      "sluice_cache_shared_requests_total{{result=\"hit\"}} {}\n"
      "sluice_cache_shared_requests_total{{result=\"miss\"}} {}\n"
      "sluice_cache_shared_requests_total{{result=\"error\"}} {}\n",
      shared.hits(), shared.misses(), shared.errors());
}

}  // namespace sluice::cache

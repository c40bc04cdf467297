#pragma once
// What the HTTP handlers work with: interfaces only (STYLE.md: the domain
// logic never names a concrete backend). Handlers reach the broker only
// through the pipeline's ingest, the store only for reads. Owned by app/,
// which outlives it.

#include <atomic>

#include "auth/authenticator.hpp"
#include "auth/rate_limit.hpp"
#include "cache/page_cache.hpp"
#include "cache/shared_pages.hpp"
#include "cache/version_clock.hpp"
#include "config/config.hpp"
#include "observe/metrics.hpp"
#include "pipeline/ingest.hpp"
#include "store/health.hpp"
#include "store/store.hpp"

namespace boost::asio {
class thread_pool;
}

namespace sluice::api {

class version_reader;

struct context {
  const config::config& cfg;
  pipeline::ingest& ingest;  // the only way to the broker: publish, locate, health
  store::store& store;
  observe::metrics& metrics;
  boost::asio::thread_pool& blocking;  // runs store calls off the io threads
  std::atomic<bool>& stopping;         // set on SIGTERM: /readyz answers 503
  cache::page_cache& pages;            // disabled (max_bytes 0) when the config says so
  cache::version_clock& versions;
  cache::shared_pages* shared_pages;  // the second level, or nullptr
  version_reader& version_reads;      // shared reads of table versions
  // How the store has been answering (fed by `store`'s calls and by request
  // deadlines); /readyz reads it.
  store::health& store_health;
  // Who a request speaks for (make_open_authenticator() in mode none); called
  // from every io thread.
  auth::authenticator& auth;
  // Per-principal token buckets (api/rate_limits.hpp); thread-safe.
  auth::rate_limiter& rate_limits;
  // Per-address buckets of requests without a principal, a table of their
  // own (auth.anonymous_max_addresses) so that many addresses cannot push
  // principals' buckets out; nullptr = in rate_limits.
  auth::rate_limiter* address_limits = nullptr;

  auth::rate_limiter& limiter_for(bool by_address) {
    return by_address && address_limits ? *address_limits : rate_limits;
  }
};

}  // namespace sluice::api

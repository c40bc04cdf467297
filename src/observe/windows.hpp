#pragma once
// Sliding windows over the process's own metrics, for /v1/ops/stats and the
// console (issue 18): rates and percentiles over the last 60 s, 5 min and
// 1 h computed in the server, so a page needs no Prometheus.
//
// How: once a second the metrics' cumulative totals (the very counters and
// histograms /metrics exposes) are read into a `sample` kept in a ring of
// one-second slots; a window is the difference of two samples, as
// Prometheus's rate() and histogram_quantile() over a range are. Recording
// therefore costs nothing beyond what /metrics already costs (no second set
// of atomics on the request path), and the windows agree with /metrics by
// construction.

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "observe/buckets.hpp"

namespace sluice::observe {

inline constexpr std::size_t k_latency_slots = latency_buckets_seconds.size() + 1;

// Observations per bucket of latency_buckets_seconds (not cumulative; the
// last slot is +Inf), and their sum in seconds.
struct latency_counts {
  std::array<std::uint64_t, k_latency_slots> buckets{};
  double sum = 0;

  std::uint64_t count() const;
  latency_counts& operator+=(const latency_counts& o);
  // What was observed after `earlier` (a counter that went down, as after a
  // restart, counts from 0).
  latency_counts since(const latency_counts& earlier) const;
};

// histogram_quantile()'s answer for these counts: linear interpolation
// within the bucket holding the q-th observation (from 0 for the first
// bucket); the highest finite bound when it falls in +Inf; NaN when empty.
// REQUIRES: 0 <= q <= 1.
double quantile(const latency_counts& c, double q);

// The share of observations slower than `bound_seconds`, which must be one of
// latency_buckets_seconds (else the next bound above it is used); 0 when empty.
double share_above(const latency_counts& c, double bound_seconds);

struct subscription_counts {
  std::string name;
  std::uint64_t stored = 0;
  std::uint64_t dead_lettered = 0;
  std::int64_t lag = 0;  // a gauge: the value when sampled
};

// Cumulative totals at one instant.
struct sample {
  std::int64_t at_ms = 0;  // steady clock, milliseconds
  // sluice_published_messages_total by outcome, all topics (failed includes
  // storage_full).
  std::uint64_t accepted = 0, rejected = 0, failed = 0;
  // sluice_deliveries_total by outcome, all subscriptions.
  std::uint64_t stored = 0, duplicate = 0, retried = 0, dead_lettered = 0;
  // HTTP requests on the routes the SLO counts ([slo] routes), and the 5xx
  // among them.
  std::uint64_t requests = 0, errors = 0;
  latency_counts post, get;  // on the SLO's routes
  latency_counts slo;        // every method on the SLO's routes
  latency_counts e2e;        // POST accepted → row committed, all subscriptions
  std::vector<subscription_counts> subscriptions;  // sorted by name
};

// What happened from `earlier` to `later`: counts are differences, lag is
// later's, seconds the time between them (at least 1 ms).
struct window {
  double seconds = 0;
  sample delta;
};
window between(const sample& earlier, const sample& later);

// The last `capacity` samples, oldest first. Thread-safe: one mutex, taken
// once a second by the sampler and once per stats request.
class sample_ring {
 public:
  explicit sample_ring(std::size_t capacity);

  void push(sample s);
  // The newest sample taken at or before `at_ms`; the oldest kept when all
  // are newer (a window longer than the process's life covers its life);
  // nullopt when empty.
  std::optional<sample> at_or_before(std::int64_t at_ms) const;
  // The windows between consecutive samples of the newest n + 1, oldest first
  // (fewer while the ring holds fewer).
  std::vector<window> last(std::size_t n) const;

 private:
  mutable std::mutex mu_;      // guards the members below
  std::vector<sample> slots_;  // a circular buffer
  std::size_t next_ = 0;       // where the next push goes
  std::size_t size_ = 0;
};

}  // namespace sluice::observe

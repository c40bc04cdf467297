#pragma once
// Lock-free metric instruments: one object per series, recorded with relaxed
// atomics so that recording on the hot path never takes a lock, and read at
// scrape time. A scrape may see an observation's bucket before its sum (each
// field is atomic, the set is not); Prometheus tolerates that, and the count
// it is given is always the sum of the buckets.
//
// Thread safety: every member may be called from any thread at any time.

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace sluice::observe {

// A monotonically increasing count of events.
class counter {
 public:
  void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down (requests in flight, queue depth).
class gauge {
 public:
  void add(std::int64_t delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// A Prometheus histogram: a count per bucket with the upper bounds given
// (inclusive, as `le` means), a +Inf bucket, and the sum of observations.
class histogram {
 public:
  // REQUIRES: `bounds` strictly increasing, finite, and outliving the histogram.
  explicit histogram(std::span<const double> bounds);

  void observe(double v);

  struct snapshot {
    std::vector<std::uint64_t> cumulative;  // bounds().size() + 1 entries, the last is +Inf
    std::uint64_t count = 0;                // == cumulative.back()
    double sum = 0;
  };
  snapshot read() const;
  std::span<const double> bounds() const { return bounds_; }

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bucket, not cumulative
  std::atomic<double> sum_{0};
};

}  // namespace sluice::observe

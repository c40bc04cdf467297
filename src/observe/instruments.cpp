#include "observe/instruments.hpp"

#include <algorithm>
#include <cmath>

namespace sluice::observe {

histogram::histogram(std::span<const double> bounds)
    : bounds_(bounds), buckets_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i <= bounds.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void histogram::observe(double v) {
  // lower_bound finds the first bound >= v: `le` is inclusive. NaN would
  // compare false with every bound and land in the first bucket; it belongs
  // in +Inf, as in the Go client.
  auto i = std::isnan(v) ? bounds_.size()
                         : static_cast<std::size_t>(
                               std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                               bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  // atomic<double>::fetch_add is a compare-exchange loop: lock-free, and
  // contended only by observations on the same series at the same instant.
  sum_.fetch_add(v, std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace sluice::observe

#include "observe/windows.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sluice::observe {
namespace {

std::uint64_t minus(std::uint64_t later, std::uint64_t earlier) {
  return later >= earlier ? later - earlier : later;
}

}  // namespace

std::uint64_t latency_counts::count() const {
  std::uint64_t n = 0;
  for (auto b : buckets) n += b;
  return n;
}

latency_counts& latency_counts::operator+=(const latency_counts& o) {
  for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += o.buckets[i];
  sum += o.sum;
  return *this;
}

latency_counts latency_counts::since(const latency_counts& earlier) const {
  latency_counts out;
  for (std::size_t i = 0; i < buckets.size(); ++i)
    out.buckets[i] = minus(buckets[i], earlier.buckets[i]);
  out.sum = sum >= earlier.sum ? sum - earlier.sum : sum;
  return out;
}

double quantile(const latency_counts& c, double q) {
  const auto total = c.count();
  if (total == 0) return std::numeric_limits<double>::quiet_NaN();
  const auto& bounds = latency_buckets_seconds;
  // As Prometheus: the rank q·total, the first bucket whose cumulative count
  // reaches it, and a linear interpolation inside that bucket.
  const double rank = q * static_cast<double>(total);
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < c.buckets.size(); ++i) {
    const auto here = c.buckets[i];
    if (static_cast<double>(below + here) >= rank && here > 0) {
      if (i == bounds.size()) return bounds.back();  // +Inf: the highest finite bound
      const double lo = i == 0 ? 0.0 : bounds[i - 1];
      const double hi = bounds[i];
      return lo + (hi - lo) * (rank - static_cast<double>(below)) / static_cast<double>(here);
    }
    below += here;
  }
  return bounds.back();
}

double share_above(const latency_counts& c, double bound_seconds) {
  const auto total = c.count();
  if (total == 0) return 0;
  const auto& bounds = latency_buckets_seconds;
  std::uint64_t at_or_below = 0;
  for (std::size_t i = 0; i < bounds.size() && bounds[i] <= bound_seconds * (1 + 1e-9); ++i) {
    at_or_below += c.buckets[i];
  }
  return static_cast<double>(total - at_or_below) / static_cast<double>(total);
}

window between(const sample& earlier, const sample& later) {
  window w;
  w.seconds = std::max<double>(1, static_cast<double>(later.at_ms - earlier.at_ms)) / 1000.0;
  auto& d = w.delta;
  d.at_ms = later.at_ms;
  d.accepted = minus(later.accepted, earlier.accepted);
  d.rejected = minus(later.rejected, earlier.rejected);
  d.failed = minus(later.failed, earlier.failed);
  d.stored = minus(later.stored, earlier.stored);
  d.duplicate = minus(later.duplicate, earlier.duplicate);
  d.retried = minus(later.retried, earlier.retried);
  d.dead_lettered = minus(later.dead_lettered, earlier.dead_lettered);
  d.requests = minus(later.requests, earlier.requests);
  d.errors = minus(later.errors, earlier.errors);
  d.post = later.post.since(earlier.post);
  d.get = later.get.since(earlier.get);
  d.slo = later.slo.since(earlier.slo);
  d.e2e = later.e2e.since(earlier.e2e);
  // Both lists are sorted by name; a subscription new since `earlier` counts from 0.
  auto it = earlier.subscriptions.begin();
  for (const auto& s : later.subscriptions) {
    while (it != earlier.subscriptions.end() && it->name < s.name) ++it;
    subscription_counts out{s.name, s.stored, s.dead_lettered, s.lag};
    if (it != earlier.subscriptions.end() && it->name == s.name) {
      out.stored = minus(s.stored, it->stored);
      out.dead_lettered = minus(s.dead_lettered, it->dead_lettered);
    }
    d.subscriptions.push_back(std::move(out));
  }
  return w;
}

sample_ring::sample_ring(std::size_t capacity) : slots_(std::max<std::size_t>(2, capacity)) {}

void sample_ring::push(sample s) {
  std::lock_guard lock(mu_);
  slots_[next_] = std::move(s);
  next_ = (next_ + 1) % slots_.size();
  size_ = std::min(size_ + 1, slots_.size());
}

std::optional<sample> sample_ring::at_or_before(std::int64_t at_ms) const {
  std::lock_guard lock(mu_);
  if (size_ == 0) return std::nullopt;
  // Newest first; samples are pushed in time order.
  const std::size_t n = slots_.size();
  for (std::size_t k = 1; k <= size_; ++k) {
    const auto& s = slots_[(next_ + n - k) % n];
    if (s.at_ms <= at_ms) return s;
  }
  return slots_[(next_ + n - size_) % n];
}

std::vector<window> sample_ring::last(std::size_t count) const {
  std::lock_guard lock(mu_);
  std::vector<window> out;
  const std::size_t n = slots_.size();
  const std::size_t take = std::min(count + 1, size_);
  for (std::size_t k = take; k >= 2; --k) {
    const auto& earlier = slots_[(next_ + n - k) % n];
    const auto& later = slots_[(next_ + n - k + 1) % n];
    out.push_back(between(earlier, later));
  }
  return out;
}

}  // namespace sluice::observe

#include "bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sluice::bench {

// Values below 128 get a bucket each; above, each power of two [2^k, 2^(k+1))
// is split into 64 linear buckets of width 2^(k-6).
int histogram::index_of(std::uint64_t v) {
  if (v < sub_buckets) return static_cast<int>(v);
  int shift = std::bit_width(v) - 7;  // v >> shift is in [64, 128)
  if (shift > max_shift) return bucket_count - 1;
  return sub_buckets + (shift - 1) * (sub_buckets / 2) +
         static_cast<int>((v >> shift) - sub_buckets / 2);
}

std::uint64_t histogram::lowest_of(int index) {
  if (index < sub_buckets) return static_cast<std::uint64_t>(index);
  int shift = (index - sub_buckets) / (sub_buckets / 2) + 1;
  std::uint64_t sub = static_cast<std::uint64_t>((index - sub_buckets) % (sub_buckets / 2)) +
                      sub_buckets / 2;
  return sub << shift;
}

std::uint64_t histogram::highest_of(int index) {
  if (index < sub_buckets) return static_cast<std::uint64_t>(index);
  int shift = (index - sub_buckets) / (sub_buckets / 2) + 1;
  return lowest_of(index) + (std::uint64_t{1} << shift) - 1;
}

void histogram::record(std::uint64_t v) {
  ++counts_[static_cast<std::size_t>(index_of(v))];
  ++count_;
  sum_ += v;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void histogram::merge(const histogram& o) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

std::uint64_t histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  auto target = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  target = std::max<std::uint64_t>(target, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= target) return std::min(highest_of(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace sluice::bench

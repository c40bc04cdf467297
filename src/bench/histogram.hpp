#pragma once
// A high-dynamic-range latency histogram in the manner of HdrHistogram:
// integer microseconds from 0 to over an hour, each value kept within 1/64
// (about 1.6 %) of its true value, fixed memory (~14 KB), O(1) record,
// mergeable. Not thread-safe: give each recording thread its own and merge.

#include <array>
#include <cstdint>

namespace sluice::bench {

class histogram {
 public:
  static constexpr int sub_buckets = 128;  // linear buckets per power of two (half used above 128)
  static constexpr int max_shift = 26;     // values up to 2^33 µs (~2.4 h); larger are clamped

  void record(std::uint64_t value_us);
  void merge(const histogram& other);
  void reset() { *this = histogram(); }

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }
  // The smallest recorded-bucket value v such that at least p % of the values
  // are ≤ v (p in [0, 100]); reported as the bucket's highest equivalent value,
  // capped at max(). 0 when empty.
  std::uint64_t percentile(double p) const;

  // Bucket arithmetic, exposed for tests.
  static int index_of(std::uint64_t v);
  static std::uint64_t lowest_of(int index);
  static std::uint64_t highest_of(int index);

 private:
  static constexpr int bucket_count = sub_buckets + max_shift * (sub_buckets / 2);
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t count_ = 0, sum_ = 0, min_ = UINT64_MAX, max_ = 0;
};

}  // namespace sluice::bench

#pragma once
// Capped exponential backoff with jitter for reconnects: the first delay is
// `min`, each next one doubles up to `max`; each is drawn from [d/2, d] so that
// clients that lost a server together do not all come back at once.
//
// Thread safety: none; the owner guards it.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace sluice {

class backoff {
 public:
  backoff(std::chrono::milliseconds min, std::chrono::milliseconds max)
      : min_(min), max_(std::max(min, max)), jitter_(std::random_device{}()) {}

  // The delay before the next try after one more failure.
  std::chrono::milliseconds next() {
    current_ = current_.count() == 0 ? min_ : std::min(current_ * 2, max_);
    const auto half = std::max<std::int64_t>(1, current_.count() / 2);
    std::uniform_int_distribution<std::int64_t> pick(half, std::max(half, current_.count()));
    return std::chrono::milliseconds(pick(jitter_));
  }
  // After a success: the next failure waits `min` again.
  void reset() { current_ = std::chrono::milliseconds(0); }

  std::chrono::milliseconds current() const { return current_; }

 private:
  std::chrono::milliseconds min_, max_;
  std::chrono::milliseconds current_{0};
  std::minstd_rand jitter_;
};

}  // namespace sluice

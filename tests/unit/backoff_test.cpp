// core/backoff.hpp: capped exponential with jitter in [d/2, d], reset by a success.

#include <gtest/gtest.h>

#include "core/backoff.hpp"

namespace sluice {
namespace {

using std::chrono::milliseconds;

TEST(backoff, doubles_up_to_the_cap_with_jitter_in_the_upper_half) {
  backoff b(milliseconds(100), milliseconds(1000));
  const std::int64_t expected[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (auto d : expected) {
    const auto wait = b.next();
    EXPECT_EQ(b.current().count(), d);
    EXPECT_GE(wait.count(), d / 2);
    EXPECT_LE(wait.count(), d);
  }
  b.reset();
  EXPECT_LE(b.next().count(), 100);
  EXPECT_EQ(b.current().count(), 100);
}

TEST(backoff, a_one_millisecond_minimum_never_waits_zero) {
  backoff b(milliseconds(1), milliseconds(1));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(b.next().count(), 1);
}

}  // namespace
}  // namespace sluice

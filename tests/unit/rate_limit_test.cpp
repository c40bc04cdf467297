// Issue 12, per-principal rate limits: a token bucket per principal with an
// injected clock. The N+1th request in the window is refused with the
// draft-ietf-httpapi-ratelimit-headers-10 fields and Retry-After, the bucket
// refills, records are counted (a POST of n records costs n), buckets are
// independent per principal, memory is bounded, and concurrent charges never
// let more through than the bucket holds.

#include "auth/rate_limit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace sluice::auth {
namespace {

constexpr std::int64_t k_second = 1'000'000'000;

struct fake_clock {
  std::int64_t ns = 42 * k_second;
  rate_limiter::clock_fn fn() {
    return [this] { return ns; };
  }
};

TEST(rate_limit, n_plus_first_request_is_refused_with_headers_and_the_bucket_refills) {
  fake_clock clock;
  rate_limiter limiter(1024, clock.fn());
  const rate_policy policy{"default", 5};
  for (int i = 0; i < 5; ++i) {
    const auto d = limiter.charge("alice", policy, 1);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, static_cast<std::uint64_t>(4 - i));
  }
  const auto refused = limiter.charge("alice", policy, 1);
  EXPECT_FALSE(refused.allowed);
  EXPECT_TRUE(refused.limited);
  EXPECT_EQ(refused.retry_after_s, 1u);
  const auto h = rate_limit_headers(refused);
  EXPECT_EQ(h.policy, R"("default";q=5;w=1;sluice-unit="records")");
  EXPECT_EQ(h.limit, R"("default";r=0;t=1)");

  // A fifth of a second brings one token back; a whole second, all five.
  clock.ns += k_second / 5;
  EXPECT_TRUE(limiter.charge("alice", policy, 1).allowed);
  EXPECT_FALSE(limiter.charge("alice", policy, 1).allowed);
  clock.ns += k_second;
  const auto again = limiter.charge("alice", policy, 1);
  EXPECT_TRUE(again.allowed);
  EXPECT_EQ(again.remaining, 4u);
  EXPECT_EQ(rate_limit_headers(again).limit, R"("default";r=4;t=1)");
}

TEST(rate_limit, records_are_counted_and_a_refusal_takes_nothing) {
  fake_clock clock;
  rate_limiter limiter(1024, clock.fn());
  const rate_policy policy{"principal", 100};
  auto d = limiter.charge("k1", policy, 60);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 40u);
  d = limiter.charge("k1", policy, 50);  // more than is left
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 40u);
  EXPECT_EQ(d.retry_after_s, 1u);  // 10 records at 100/s: 0.1 s, in whole seconds
  d = limiter.charge("k1", policy, 40);  // the refusal took nothing
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0u);
}

TEST(rate_limit, a_request_larger_than_the_bucket_passes_from_full_and_leaves_debt) {
  fake_clock clock;
  rate_limiter limiter(1024, clock.fn());
  const rate_policy policy{"default", 10};
  auto d = limiter.charge("big", policy, 25);  // a 25-record POST at 10 records/s
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_EQ(d.reset_s, 3u);  // 25 tokens to get back to full: 2.5 s
  d = limiter.charge("big", policy, 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 2u);  // 16 tokens to one: 1.6 s
  clock.ns += 2 * k_second;
  EXPECT_TRUE(limiter.charge("big", policy, 1).allowed);
  EXPECT_FALSE(limiter.charge("big", policy, 25).allowed);  // not full yet
}

TEST(rate_limit, zero_rate_is_unlimited_and_keeps_nothing) {
  rate_limiter limiter;
  for (int i = 0; i < 1000; ++i) {
    const auto d = limiter.charge("anyone", rate_policy{"default", 0}, 1000);
    ASSERT_TRUE(d.allowed);
    EXPECT_FALSE(d.limited);
  }
  EXPECT_EQ(limiter.buckets(), 0u);
}

TEST(rate_limit, principals_have_their_own_buckets) {
  fake_clock clock;
  rate_limiter limiter(1024, clock.fn());
  const rate_policy policy{"default", 2};
  EXPECT_TRUE(limiter.charge("a", policy, 2).allowed);
  EXPECT_FALSE(limiter.charge("a", policy, 1).allowed);
  EXPECT_TRUE(limiter.charge("b", policy, 2).allowed);
  EXPECT_TRUE(limiter.charge("ip:127.0.0.1", policy, 1).allowed);
}

TEST(rate_limit, slow_rates_get_a_longer_window) {
  fake_clock clock;
  rate_limiter limiter(1024, clock.fn());
  const auto d = limiter.charge("slow", rate_policy{"default", 0.5}, 1);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(rate_limit_headers(d).policy, R"("default";q=1;w=2;sluice-unit="records")");
  const auto r = limiter.charge("slow", rate_policy{"default", 0.5}, 1);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.retry_after_s, 2u);
}

TEST(rate_limit, memory_is_bounded_by_evicting_the_least_recently_used) {
  fake_clock clock;
  rate_limiter limiter(64, clock.fn());
  const rate_policy policy{"default", 1};
  for (int i = 0; i < 5000; ++i) limiter.charge("ip:10.0." + std::to_string(i), policy, 1);
  EXPECT_LE(limiter.buckets(), 64u);
}

TEST(rate_limit, concurrent_charges_never_exceed_the_bucket) {
  fake_clock clock;  // time stands still: exactly the bucket's tokens may pass
  rate_limiter limiter(1024, clock.fn());
  const rate_policy policy{"default", 1000};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 600; ++i)
        if (limiter.charge("shared", policy, 1).allowed) ++allowed;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1000);
}

}  // namespace
}  // namespace sluice::auth

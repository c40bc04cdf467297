// The stats windows (issue 18): percentile and share math on bucket counts
// (Prometheus's histogram_quantile rules), differences of samples, the ring's
// choice of a window's start, and samples taken from the real metrics.

#include "observe/windows.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "observe/buckets.hpp"
#include "observe/metrics.hpp"

namespace sluice::observe {
namespace {

std::size_t slot_of(double bound) {
  for (std::size_t i = 0; i < latency_buckets_seconds.size(); ++i) {
    if (latency_buckets_seconds[i] == bound) return i;
  }
  return latency_buckets_seconds.size();  // +Inf
}

latency_counts counts(std::initializer_list<std::pair<double, std::uint64_t>> at) {
  latency_counts c;
  for (auto [bound, n] : at) c.buckets[slot_of(bound)] += n;
  return c;
}

TEST(windows, quantile_interpolates_inside_the_bucket_as_prometheus_does) {
  // 100 observations in (0.05, 0.075]: the P50 is halfway through that bucket.
  auto c = counts({{0.075, 100}});
  EXPECT_NEAR(quantile(c, 0.5), 0.0625, 1e-12);
  EXPECT_NEAR(quantile(c, 0.99), 0.05 + 0.025 * 0.99, 1e-12);
  // The first bucket starts at 0.
  EXPECT_NEAR(quantile(counts({{0.0005, 10}}), 0.5), 0.00025, 1e-12);
  // 90 fast, 10 in (0.3, 0.4]: P50 among the fast ones, P95 in the slow bucket.
  auto mixed = counts({{0.001, 90}, {0.4, 10}});
  EXPECT_NEAR(quantile(mixed, 0.5), 0.0005 + 0.0005 * (50.0 / 90), 1e-12);
  EXPECT_NEAR(quantile(mixed, 0.95), 0.3 + 0.1 * 0.5, 1e-12);
}

TEST(windows, quantile_of_nothing_is_nan_and_of_inf_is_the_highest_bound) {
  EXPECT_TRUE(std::isnan(quantile(latency_counts{}, 0.99)));
  auto slow = counts({{0.001, 1}, {-1, 99}});  // -1: not a bound → +Inf
  EXPECT_EQ(quantile(slow, 0.99), latency_buckets_seconds.back());
}

TEST(windows, share_above_a_bound_counts_what_is_slower) {
  auto c = counts({{0.1, 80}, {0.3, 15}, {0.5, 4}, {-1, 1}});
  EXPECT_DOUBLE_EQ(share_above(c, 0.1), 0.2);
  EXPECT_DOUBLE_EQ(share_above(c, 0.3), 0.05);
  EXPECT_DOUBLE_EQ(share_above(c, 0.5), 0.01);
  EXPECT_DOUBLE_EQ(share_above(latency_counts{}, 0.5), 0.0);
}

sample at(std::int64_t ms, std::uint64_t accepted, std::uint64_t stored) {
  sample s;
  s.at_ms = ms;
  s.accepted = accepted;
  s.stored = stored;
  s.post = counts({{0.01, accepted}});
  s.subscriptions = {{"a", stored, 0, 7}, {"c", 0, 1, 0}};
  return s;
}

TEST(windows, between_takes_differences_and_the_later_lag) {
  auto earlier = at(1'000, 100, 90);
  auto later = at(11'000, 600, 590);
  later.subscriptions = {{"a", 590, 0, 3}, {"b", 5, 2, 1}, {"c", 0, 4, 0}};
  auto w = between(earlier, later);
  EXPECT_DOUBLE_EQ(w.seconds, 10.0);
  EXPECT_EQ(w.delta.accepted, 500u);
  EXPECT_EQ(w.delta.stored, 500u);
  EXPECT_EQ(w.delta.post.count(), 500u);
  ASSERT_EQ(w.delta.subscriptions.size(), 3u);
  EXPECT_EQ(w.delta.subscriptions[0].stored, 500u);
  EXPECT_EQ(w.delta.subscriptions[0].lag, 3);
  EXPECT_EQ(w.delta.subscriptions[1].stored, 5u);  // new since `earlier`: from 0
  EXPECT_EQ(w.delta.subscriptions[2].dead_lettered, 3u);
  // A counter that went down (a restart) counts from 0, never wraps.
  auto w2 = between(later, at(12'000, 5, 5));
  EXPECT_EQ(w2.delta.accepted, 5u);
}

TEST(windows, ring_picks_the_sample_at_or_before_a_time_and_keeps_the_newest) {
  sample_ring ring(4);
  EXPECT_FALSE(ring.at_or_before(0).has_value());
  for (int i = 0; i < 6; ++i) ring.push(at(i * 1000, static_cast<std::uint64_t>(i * 10), 0));
  // Holds t = 2, 3, 4, 5 s.
  EXPECT_EQ(ring.at_or_before(4'500)->at_ms, 4000);
  EXPECT_EQ(ring.at_or_before(5'000)->at_ms, 5000);
  EXPECT_EQ(ring.at_or_before(0)->at_ms, 2000);  // older than kept: the oldest
  auto secs = ring.last(60);
  ASSERT_EQ(secs.size(), 3u);
  EXPECT_EQ(secs.front().delta.at_ms, 3000);
  EXPECT_EQ(secs.back().delta.accepted, 10u);
  EXPECT_DOUBLE_EQ(secs.back().seconds, 1.0);
  EXPECT_EQ(ring.last(1).size(), 1u);
}

TEST(windows, a_sample_reads_the_metrics_by_route_method_and_outcome) {
  metrics m("test");
  m.start_windows("/v1/.+");
  m.published("users", "accepted", 7);
  m.published("users", "rejected", 2);
  m.published("users", "storage_full", 1);
  m.delivered("users", "stored", 5);
  m.delivered("strict", "dead_lettered", 2);
  m.lag("users", 4);
  m.http_request("POST", "/v1/users", 202, 0.004);
  m.http_request("POST", "/v1/users", 503, 0.2);
  m.http_request("GET", "/v1/users", 200, 0.001);
  m.http_request("GET", "/metrics", 200, 0.001);  // not an SLO route
  m.end_to_end("users", 0.05);
  auto s = m.sample_now();
  EXPECT_EQ(s.accepted, 7u);
  EXPECT_EQ(s.rejected, 2u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.stored, 5u);
  EXPECT_EQ(s.dead_lettered, 2u);
  EXPECT_EQ(s.requests, 3u);
  EXPECT_EQ(s.errors, 1u);
  EXPECT_EQ(s.post.count(), 2u);
  EXPECT_EQ(s.get.count(), 1u);
  EXPECT_EQ(s.slo.count(), 3u);
  EXPECT_EQ(s.e2e.count(), 1u);
  ASSERT_EQ(s.subscriptions.size(), 2u);
  EXPECT_EQ(s.subscriptions[0].name, "strict");
  EXPECT_EQ(s.subscriptions[0].dead_lettered, 2u);
  EXPECT_EQ(s.subscriptions[1].lag, 4);
  // The ring starts with a zero sample, so a window covers the process's life.
  auto base = m.windows().at_or_before(s.at_ms - 3'600'000);
  ASSERT_TRUE(base.has_value());
  EXPECT_EQ(between(*base, s).delta.accepted, 7u);
}

}  // namespace
}  // namespace sluice::observe

// The load generator's pure parts: the latency histogram against known
// distributions, the mix and rate schedules, option parsing and the verdict.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "bench/histogram.hpp"
#include "bench/options.hpp"
#include "bench/report.hpp"

namespace sluice::bench {
namespace {

// Within the histogram's resolution: 1/64 of the value, or 1 µs.
void expect_close(std::uint64_t got, double want) {
  EXPECT_NEAR(static_cast<double>(got), want, std::max(1.0, want / 64.0)) << "want " << want;
}

TEST(histogram, buckets_cover_every_value_with_bounded_error) {
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 129ull, 1000ull, 65535ull, 1'000'000ull,
                          3'600'000'000ull}) {
    int i = histogram::index_of(v);
    EXPECT_LE(histogram::lowest_of(i), v) << v;
    EXPECT_GE(histogram::highest_of(i), v) << v;
    EXPECT_LE(histogram::highest_of(i) - histogram::lowest_of(i), std::max<std::uint64_t>(1, v / 64)) << v;
  }
  for (int i = 1; i < histogram::index_of(1'000'000'000); ++i) {
    EXPECT_EQ(histogram::lowest_of(i), histogram::highest_of(i - 1) + 1) << i;
  }
}

TEST(histogram, percentiles_of_a_uniform_distribution) {
  histogram h;
  for (std::uint64_t v = 1; v <= 100'000; ++v) h.record(v);
  EXPECT_EQ(h.count(), 100'000u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100'000u);
  expect_close(h.percentile(50), 50'000);
  expect_close(h.percentile(90), 90'000);
  expect_close(h.percentile(99), 99'000);
  expect_close(h.percentile(99.9), 99'900);
  EXPECT_EQ(h.percentile(100), 100'000u);
  EXPECT_NEAR(h.mean(), 50'000.5, 0.01);
}

TEST(histogram, percentiles_of_an_exponential_distribution) {
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> d(1.0 / 2000.0);  // mean 2 ms
  histogram h;
  std::vector<std::uint64_t> all;
  for (int i = 0; i < 200'000; ++i) {
    auto v = static_cast<std::uint64_t>(d(rng));
    h.record(v);
    all.push_back(v);
  }
  std::sort(all.begin(), all.end());
  for (double p : {50.0, 95.0, 99.0, 99.9}) {
    auto exact = all[static_cast<std::size_t>(std::ceil(p / 100 * all.size())) - 1];
    expect_close(h.percentile(p), static_cast<double>(exact));
  }
}

TEST(histogram, bimodal_tail_is_not_averaged_away_and_merge_adds) {
  histogram fast, slow;
  for (int i = 0; i < 990; ++i) fast.record(1000);
  for (int i = 0; i < 10; ++i) slow.record(500'000);
  fast.merge(slow);
  EXPECT_EQ(fast.count(), 1000u);
  expect_close(fast.percentile(99), 1000);
  expect_close(fast.percentile(99.1), 500'000);
  EXPECT_EQ(fast.max(), 500'000u);
  EXPECT_EQ(histogram().percentile(99), 0u);
}

TEST(schedule, mix_period_honours_weights_exactly_and_spreads_them) {
  auto period = mix_period({{"post", 20}, {"get", 80}});
  ASSERT_EQ(period.size(), 5u);  // reduced by the gcd
  EXPECT_EQ(std::count(period.begin(), period.end(), "post"), 1);
  auto odd = mix_period({{"post", 3}, {"get", 7}});
  ASSERT_EQ(odd.size(), 10u);
  EXPECT_EQ(std::count(odd.begin(), odd.end(), "post"), 3);
  for (std::size_t i = 1; i < odd.size(); ++i) {
    EXPECT_FALSE(odd[i] == "post" && odd[i - 1] == "post") << "posts bunched at " << i;
  }
}

TEST(schedule, open_loop_due_times_follow_the_rate) {
  EXPECT_EQ(due_offset(1000, 0).count(), 0);
  EXPECT_EQ(due_offset(1000, 1).count(), 1'000'000);
  EXPECT_EQ(due_offset(250, 1000).count(), 4'000'000'000);
  for (std::uint64_t n = 1; n < 10'000; ++n) EXPECT_GT(due_offset(3333, n), due_offset(3333, n - 1));
}

TEST(options, parse_durations_mixes_and_urls) {
  EXPECT_EQ(parse_duration("30s")->count(), 30'000);
  EXPECT_EQ(parse_duration("500ms")->count(), 500);
  EXPECT_EQ(parse_duration("2m")->count(), 120'000);
  EXPECT_EQ(parse_duration("1.5")->count(), 1'500);
  EXPECT_FALSE(parse_duration("soon"));
  EXPECT_FALSE(parse_duration("-1s"));
  auto m = parse_mix("post=20,get=80");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->size(), 2u);
  EXPECT_FALSE(parse_mix("put=1"));
  EXPECT_FALSE(parse_mix("post=x"));
  EXPECT_FALSE(parse_mix("post=0"));
  std::string host;
  unsigned short port = 0;
  EXPECT_TRUE(parse_url("http://127.0.0.1:8080", host, port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  EXPECT_FALSE(parse_url("https://x:1", host, port));
  EXPECT_FALSE(parse_url("http://x:99999", host, port));
}

report report_with(std::uint64_t latency_us, unsigned ok, unsigned failed, double seconds) {
  report r;
  r.elapsed_s = seconds;
  auto& s = r.ops["post"];
  for (unsigned i = 0; i < ok; ++i) {
    s.latency.record(latency_us);
    ++s.statuses[202];
  }
  for (unsigned i = 0; i < failed; ++i) {
    s.latency.record(latency_us);
    ++s.statuses[503];
  }
  return r;
}

TEST(verdict, passes_within_objectives_and_names_each_breach_with_its_size) {
  objectives o;
  o.p50_ms = 100;
  o.p99_ms = 500;
  o.error_rate = 0.01;
  o.min_per_minute = 400;
  o.max_per_minute = 600;
  EXPECT_TRUE(verdict(report_with(50'000, 500, 0, 60), o).empty());
  auto slow = verdict(report_with(600'000, 500, 0, 60), o);
  ASSERT_EQ(slow.size(), 2u);  // p50 and p99
  EXPECT_EQ(slow[1].objective, "p99");
  EXPECT_NE(slow[1].text.find("% over"), std::string::npos);
  auto failing = verdict(report_with(1000, 490, 10, 60), o);
  ASSERT_EQ(failing.size(), 1u);
  EXPECT_EQ(failing[0].objective, "error_rate");
  EXPECT_NEAR(failing[0].observed, 0.02, 1e-9);
  auto too_few = verdict(report_with(1000, 100, 0, 60), o);
  ASSERT_EQ(too_few.size(), 1u);
  EXPECT_EQ(too_few[0].objective, "min_per_minute");
}

}  // namespace
}  // namespace sluice::bench

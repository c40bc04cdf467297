// The lock-free metric instruments: exact totals under concurrent recording,
// `le` bucket placement, per-thread series lookup, and the exposition.

#include <gtest/gtest.h>

#include <prometheus/metric_family.h>

#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "observe/buckets.hpp"
#include "observe/family.hpp"
#include "observe/instruments.hpp"
#include "observe/metrics.hpp"

namespace sluice::observe {
namespace {

constexpr std::array<double, 3> k_bounds = {0.1, 0.3, 0.5};

TEST(histogram, places_values_by_inclusive_upper_bound) {
  struct row {
    double value;
    std::size_t bucket;  // index into {0.1, 0.3, 0.5, +Inf}
  };
  const row rows[] = {{0.0, 0},  {0.05, 0}, {0.1, 0}, {0.1000001, 1}, {0.3, 1},
                      {0.31, 2}, {0.5, 2},  {0.51, 3}, {1e9, 3},       {-1.0, 0},
                      {std::numeric_limits<double>::infinity(), 3},
                      {std::numeric_limits<double>::quiet_NaN(), 3}};
  for (const auto& r : rows) {
    histogram h(k_bounds);
    h.observe(r.value);
    auto s = h.read();
    ASSERT_EQ(s.cumulative.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(s.cumulative[i], i >= r.bucket ? 1u : 0u) << "value " << r.value << " le#" << i;
    }
    EXPECT_EQ(s.count, 1u);
  }
}

TEST(histogram, cumulative_counts_and_sum) {
  histogram h(k_bounds);
  for (double v : {0.05, 0.2, 0.2, 0.4, 2.0}) h.observe(v);
  auto s = h.read();
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{1, 3, 4, 5}));
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.sum, 2.85);
}

TEST(instruments, concurrent_recording_gives_exact_totals) {
  constexpr int threads = 8, per_thread = 50'000;
  histogram h(k_bounds);
  counter c;
  gauge g;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        h.observe(t % 2 == 0 ? 0.2 : 0.4);
        c.add();
        g.add(1);
        g.add(-1);
      }
    });
  }
  for (auto& th : pool) th.join();
  auto s = h.read();
  EXPECT_EQ(s.count, static_cast<std::uint64_t>(threads * per_thread));
  EXPECT_EQ(s.cumulative[0], 0u);
  EXPECT_EQ(s.cumulative[1], static_cast<std::uint64_t>(threads / 2 * per_thread));
  EXPECT_EQ(s.cumulative[2], static_cast<std::uint64_t>(threads * per_thread));
  EXPECT_NEAR(s.sum, threads / 2 * per_thread * 0.6, 1e-6 * s.sum);
  EXPECT_EQ(c.value(), static_cast<std::uint64_t>(threads * per_thread));
  EXPECT_EQ(g.value(), 0);
}

TEST(family, threads_share_one_series_per_label_set) {
  family<counter> f("requests_total", "Requests.", {"method", "status"});
  constexpr int threads = 6, per_thread = 20'000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        f.with({"GET", i % 2 == 0 ? "200" : "500"}).add();
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(&f.with({"GET", "200"}), &f.with({"GET", "200"}));
  EXPECT_NE(&f.with({"GET", "200"}), &f.with({"GET", "500"}));
  auto mf = f.collect();
  EXPECT_EQ(mf.name, "requests_total");
  EXPECT_EQ(mf.type, prometheus::MetricType::Counter);
  ASSERT_EQ(mf.metric.size(), 2u);
  for (const auto& m : mf.metric) {
    ASSERT_EQ(m.label.size(), 2u);
    EXPECT_EQ(m.label[0].name, "method");
    EXPECT_EQ(m.counter.value, threads * per_thread / 2);
  }
}

TEST(family, a_new_family_does_not_see_an_old_ones_series) {
  // Per-thread caches are keyed by family id, never by address, so a family
  // made where a destroyed one lived starts empty.
  for (int round = 0; round < 3; ++round) {
    family<counter> f("c_total", "C.", {"k"});
    f.with({"x"}).add();
    EXPECT_EQ(f.with({"x"}).value(), 1u);
  }
}

TEST(family, histogram_exposes_inf_bucket) {
  family<histogram> f("d_seconds", "D.", {}, [] { return std::make_unique<histogram>(k_bounds); });
  f.with({}).observe(7);
  auto mf = f.collect();
  ASSERT_EQ(mf.metric.size(), 1u);
  const auto& b = mf.metric[0].histogram.bucket;
  ASSERT_EQ(b.size(), 4u);
  EXPECT_TRUE(std::isinf(b.back().upper_bound));
  EXPECT_EQ(b.back().cumulative_count, 1u);
  EXPECT_EQ(mf.metric[0].histogram.sample_count, 1u);
}

TEST(metrics, scrape_names_every_series_it_recorded) {
  metrics m("9.9.9");
  m.http_request("POST", "/v1/users", 202, 0.004);
  m.http_request("POST", "/v1/users", 202, 0.2);
  m.published("users", "accepted", 2);
  m.delivered("users", "stored", 2);
  m.delivered("users", "dead_lettered", 1);
  m.sink_batch("users", 3, 0.001);
  m.end_to_end("users", 0.01);
  m.lag("users", 5);
  std::string text = m.scrape();
  for (const char* line : {
           "http_server_request_duration_seconds_count{method=\"POST\",route=\"/v1/users\","
           "status_code=\"202\"} 2",
           "http_server_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/users\","
           "status_code=\"202\",le=\"0.1\"} 1",
           "http_server_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/users\","
           "status_code=\"202\",le=\"0.3\"} 2",
           "http_server_active_requests 0",
           "sluice_published_messages_total{topic=\"users\",outcome=\"accepted\"} 2",
           "sluice_deliveries_total{subscription=\"users\",outcome=\"dead_lettered\"} 1",
           "sluice_dead_letters_total{subscription=\"users\"} 1",
           "sluice_sink_batch_rows_sum{subscription=\"users\"} 3",
           "sluice_sink_write_duration_seconds_count{subscription=\"users\"} 1",
           "sluice_end_to_end_duration_seconds_count{subscription=\"users\"} 1",
           "sluice_subscription_lag_messages{subscription=\"users\"} 5",
           "sluice_build_info{version=\"9.9.9\"} 1",
           "# TYPE process_cpu_seconds_total counter",
           "process_open_fds "}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n---\n" << text;
  }
}

// Issue 11 #5: a method a client invents is no new series.
TEST(metrics, unknown_methods_share_one_label) {
  metrics m("9.9.9");
  for (int i = 0; i < 50; ++i) m.http_request("FOO" + std::to_string(i), "(unmatched)", 405, 0.001);
  m.http_request("get", "(unmatched)", 405, 0.001);  // methods are case-sensitive
  m.http_request("DELETE", "(unmatched)", 405, 0.001);
  std::string text = m.scrape();
  EXPECT_NE(text.find("http_server_request_duration_seconds_count{method=\"_OTHER\",route=\"("
                      "unmatched)\",status_code=\"405\"} 51"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("method=\"DELETE\""), std::string::npos);
  EXPECT_EQ(text.find("FOO"), std::string::npos);
}

TEST(buckets, latency_bounds_hold_the_default_objectives) {
  const auto& b = latency_buckets_seconds;
  for (double t : {0.1, 0.3, 0.5}) {
    EXPECT_NE(std::find(b.begin(), b.end(), t), b.end()) << t;
  }
  EXPECT_EQ(b.front(), 0.0005);
  EXPECT_EQ(b.back(), 5.0);
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
}

}  // namespace
}  // namespace sluice::observe

// GET /v1/ops/stats against the real binary (issue 18): its totals, windows
// and percentiles agree with what /metrics exposes at the same moment.

#include <cmath>
#include <map>
#include <sstream>

#include "observe/buckets.hpp"
#include "observe/windows.hpp"
#include "support/fixtures.hpp"

namespace sluice::testing {
namespace {

// One exposition line: name, labels, value.
struct metric_line {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

std::vector<metric_line> parse_metrics(const std::string& text) {
  std::vector<metric_line> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    metric_line m;
    auto brace = line.find('{');
    auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    m.name = line.substr(0, std::min(brace, space));
    if (brace != std::string::npos && brace < space) {
      auto close = line.find('}', brace);
      std::string labels = line.substr(brace + 1, close - brace - 1);
      std::size_t pos = 0;
      while (pos < labels.size()) {
        auto eq = labels.find('=', pos);
        auto q2 = labels.find('"', eq + 2);
        m.labels[labels.substr(pos, eq - pos)] = labels.substr(eq + 2, q2 - eq - 2);
        pos = q2 + 2;  // past `",`
      }
    }
    m.value = std::stod(line.substr(space + 1));
    out.push_back(std::move(m));
  }
  return out;
}

double sum_of(const std::vector<metric_line>& lines, const std::string& name,
              const std::map<std::string, std::string>& match) {
  double total = 0;
  for (const auto& l : lines) {
    if (l.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : match) ok = ok && l.labels.count(k) && l.labels.at(k) == v;
    if (ok) total += l.value;
  }
  return total;
}

// The POST requests' buckets on /v1/ routes, per bucket (not cumulative).
observe::latency_counts post_buckets(const std::vector<metric_line>& lines) {
  std::map<std::string, std::map<double, double>> cumulative;  // series → le → count
  for (const auto& l : lines) {
    if (l.name != "http_server_request_duration_seconds_bucket") continue;
    if (l.labels.at("method") != "POST" || !l.labels.at("route").starts_with("/v1/")) continue;
    const auto& le = l.labels.at("le");
    double bound = le == "+Inf" ? INFINITY : std::stod(le);
    cumulative[l.labels.at("route") + l.labels.at("status_code")][bound] = l.value;
  }
  observe::latency_counts out;
  for (const auto& [series, by_le] : cumulative) {
    double prev = 0;
    std::size_t i = 0;
    for (const auto& [le, n] : by_le) {  // ascending le, +Inf last
      out.buckets.at(i++) += static_cast<std::uint64_t>(n - prev);
      prev = n;
    }
  }
  return out;
}

double num(const boost::json::value& v) {
  return v.is_null() ? NAN : v.to_number<double>();
}

class ops_stats : public served_suite {};

TEST_F(ops_stats, numbers_agree_with_metrics) {
  http_client c(port());
  const int n = 30;
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    auto r = c.post("/v1/users",
                    user_json("U" + std::to_string(i), "u" + std::to_string(i) + "@stats.test"));
    ASSERT_EQ(r.status, 202) << r.body;
    ids.emplace_back(parse_json(r.body).at("id").as_string());
  }
  auto bad = c.post("/v1/users", R"({"name":""})");
  ASSERT_EQ(bad.status, 422);
  ASSERT_TRUE(eventually([&] { return count_rows() == n; }));
  // The subscriber counts its batch after the commit: wait for the counter too.
  ASSERT_TRUE(eventually([&] {
    auto s = parse_json(c.get("/v1/ops/stats").body);
    return s.at("totals").at("stored").to_number<double>() == n;
  }));

  auto stats_res = c.get("/v1/ops/stats");
  ASSERT_EQ(stats_res.status, 200);
  EXPECT_EQ(stats_res.header("cache-control"), "no-store");
  auto metrics_res = c.get("/metrics");
  ASSERT_EQ(metrics_res.status, 200);
  auto s = parse_json(stats_res.body).as_object();
  auto m = parse_metrics(metrics_res.body);

  const auto& totals = s.at("totals");
  EXPECT_EQ(num(totals.at("accepted")),
            sum_of(m, "sluice_published_messages_total", {{"outcome", "accepted"}}));
  EXPECT_EQ(num(totals.at("accepted")), n);
  EXPECT_EQ(num(totals.at("rejected")),
            sum_of(m, "sluice_published_messages_total", {{"outcome", "rejected"}}));
  EXPECT_EQ(num(totals.at("stored")),
            sum_of(m, "sluice_deliveries_total", {{"outcome", "stored"}}));
  EXPECT_EQ(num(totals.at("dead_lettered")), sum_of(m, "sluice_dead_letters_total", {}));

  // The process is younger than a minute: every window covers all of it.
  for (const char* w : {"60s", "5m", "1h"}) {
    SCOPED_TRACE(w);
    const auto& win = s.at("windows").at(w);
    EXPECT_EQ(num(win.at("accepted")), n);
    EXPECT_EQ(num(win.at("stored")), n);
    EXPECT_GT(num(win.at("accepted_per_s")), 0);
    EXPECT_GT(num(win.at("seconds")), 0);
    EXPECT_LE(num(win.at("seconds")), 60);
    EXPECT_NEAR(num(win.at("accepted_per_s")) * num(win.at("seconds")), n, 0.5);
    // POST latency: the same buckets /metrics shows, the same interpolation.
    auto buckets = post_buckets(m);
    EXPECT_EQ(num(win.at("post").at("count")), static_cast<double>(buckets.count()));
    for (auto [q, key] : {std::pair{0.5, "p50_ms"}, {0.95, "p95_ms"}, {0.99, "p99_ms"}}) {
      EXPECT_NEAR(num(win.at("post").at(key)), observe::quantile(buckets, q) * 1e3, 0.001) << key;
    }
    EXPECT_FALSE(std::isnan(num(win.at("freshness_p99_ms"))));
    EXPECT_EQ(num(win.at("error_rate")), 0);  // the 422 is the client's
  }
  EXPECT_EQ(num(s.at("windows").at("60s").at("post").at("count")),
            sum_of(m, "http_server_request_duration_seconds_count",
                   {{"method", "POST"}, {"route", "/v1/users"}}));

  auto subs = s.at("subscriptions").as_array();
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0].at("name"), "users");
  EXPECT_EQ(num(subs[0].at("lag")),
            sum_of(m, "sluice_subscription_lag_messages", {{"subscription", "users"}}));
  EXPECT_EQ(s.at("health").at("ready"), true);
  EXPECT_EQ(s.at("health").at("store"), "up");

  // The SLO panel: P50/P95/P99, error rate, throughput; 5m and 1h each.
  auto objectives = s.at("slo").at("objectives").as_array();
  ASSERT_EQ(objectives.size(), 5u);
  EXPECT_EQ(objectives[2].at("name"), "latency_p99");
  EXPECT_EQ(num(objectives[2].at("target")), 500);
  for (const auto& o : objectives) {
    for (const char* w : {"5m", "1h"}) EXPECT_TRUE(o.at("windows").as_object().contains(w)) << o;
  }
  EXPECT_EQ(num(objectives[3].at("windows").at("1h").at("budget_remaining")), 1);

  // The per-second series for the charts: at most 60 entries, the same in each.
  auto series = s.at("series").as_object();
  auto len = series.at("accepted_per_s").as_array().size();
  EXPECT_LE(len, 60u);
  for (const auto& [k, v] : series) EXPECT_EQ(v.as_array().size(), len) << k;
}

}  // namespace
}  // namespace sluice::testing

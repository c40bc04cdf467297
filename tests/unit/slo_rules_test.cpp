// The SLO rule generator: the [slo] section in, a Prometheus rule file out.
// (promtool checks the output's syntax and behaviour; see tests/CMakeLists.txt.)

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "config/config.hpp"
#include "slo/rules.hpp"

namespace sluice::slo {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A configuration needs a resource; the [slo] section under test goes first.
const std::string k_resource =
    "\n[[resources]]\nname = \"users\"\n[[resources.fields]]\nname = \"name\"\n";

config::config parse(const std::string& toml) {
  return config::parse(toml + k_resource, "test.toml",
                       [](const std::string&) { return std::nullopt; });
}

TEST(slo_rules, checked_in_rules_match_the_default_config) {
  auto cfg = config::load(std::string(SLUICE_SOURCE_DIR) + "/config/sluice.toml",
                          [](const std::string&) { return std::nullopt; });
  std::string checked_in = read_file(std::string(SLUICE_SOURCE_DIR) +
                                     "/ops/prometheus/sluice-rules.yml");
  EXPECT_EQ(prometheus_rules(cfg.slo), checked_in)
      << "regenerate: build/sluice slo rules --config config/sluice.toml > "
         "ops/prometheus/sluice-rules.yml";
}

TEST(slo_rules, defaults_are_the_seed_objectives) {
  config::slo_config o;
  EXPECT_EQ(o.latency_p50_ms, 100u);
  EXPECT_EQ(o.latency_p95_ms, 300u);
  EXPECT_EQ(o.latency_p99_ms, 500u);
  EXPECT_DOUBLE_EQ(o.error_rate, 0.01);
  EXPECT_EQ(o.throughput_min_per_minute, 400u);
  EXPECT_EQ(o.throughput_max_per_minute, 600u);
  EXPECT_EQ(o.window_days, 30u);
}

TEST(slo_rules, records_percentiles_error_ratio_and_throughput) {
  std::string y = prometheus_rules({});
  const std::string sel = R"(job="sluice",route=~"/v1/.+")";
  EXPECT_TRUE(has(y, "histogram_quantile(0.5, sum by (le) (rate("
                     "http_server_request_duration_seconds_bucket{" + sel + "}[5m])))"));
  EXPECT_TRUE(has(y, "histogram_quantile(0.95,"));
  EXPECT_TRUE(has(y, "histogram_quantile(0.99,"));
  EXPECT_TRUE(has(y, R"(status_code=~"5..")"));  // 4xx count as success
  EXPECT_FALSE(has(y, R"(status_code=~"4)"));
  EXPECT_TRUE(has(y, "sluice:http_requests:rate5m * 60"));
  for (const auto& name : recording_rule_names()) {
    EXPECT_TRUE(has(y, "- record: " + name + "\n")) << name;
  }
}

TEST(slo_rules, latency_slis_read_the_bucket_at_each_objective) {
  std::string y = prometheus_rules({});
  EXPECT_TRUE(has(y, R"(le="0.1"}[1h]))"));
  EXPECT_TRUE(has(y, R"(le="0.3"}[1h]))"));
  EXPECT_TRUE(has(y, R"(le="0.5"}[6h]))"));
}

TEST(slo_rules, burn_rate_alerts_use_the_workbook_windows_and_factors) {
  std::string y = prometheus_rules({});
  EXPECT_TRUE(has(y, "sluice:http_errors:ratio_rate1h > (14.4 * 0.01)\n"
                     "          and\n"
                     "          sluice:http_errors:ratio_rate5m > (14.4 * 0.01)"));
  EXPECT_TRUE(has(y, "sluice:http_errors:ratio_rate6h > (6 * 0.01)\n"
                     "          and\n"
                     "          sluice:http_errors:ratio_rate30m > (6 * 0.01)"));
  EXPECT_TRUE(has(y, "sluice:http_slow_p99:ratio_rate1h > (14.4 * 0.01)"));
  EXPECT_TRUE(has(y, "sluice:http_slow_p99:ratio_rate30m > (6 * 0.01)"));
  for (const char* alert :
       {"SluiceErrorBudgetBurnFast", "SluiceErrorBudgetBurnSlow", "SluiceLatencyBudgetBurnFast",
        "SluiceLatencyBudgetBurnSlow", "SluiceLatencyObjectiveMissed",
        "SluiceThroughputOutsideBand", "SluiceThroughputAnomalous", "SluiceDeadLetters",
        "SluiceTargetDown", "SluiceTargetAbsent"}) {
    EXPECT_TRUE(has(y, std::string("- alert: ") + alert + "\n")) << alert;
  }
}

TEST(slo_rules, follows_the_configuration) {
  auto cfg = parse(R"(
[slo]
latency_p50_ms = 50
latency_p95_ms = 250
latency_p99_ms = 1000
error_rate = 0.001
throughput_min_per_minute = 0
throughput_max_per_minute = 9000
window_days = 28
routes = "/v1/users.*"
job = "sluice-eu"
)");
  std::string y = prometheus_rules(cfg.slo);
  EXPECT_TRUE(has(y, R"(job="sluice-eu",route=~"/v1/users.*")"));
  EXPECT_TRUE(has(y, R"(le="0.05")"));
  EXPECT_TRUE(has(y, R"(le="0.25")"));
  EXPECT_TRUE(has(y, R"(le="1")"));
  // 28 days: 2 % of the budget in 1 h is 13.44x, 5 % in 6 h is 5.6x.
  EXPECT_TRUE(has(y, "sluice:http_errors:ratio_rate1h > (13.44 * 0.001)"));
  EXPECT_TRUE(has(y, "sluice:http_errors:ratio_rate6h > (5.6 * 0.001)"));
  // No lower bound configured: only the upper one is checked.
  EXPECT_FALSE(has(y, "sluice:http_requests:per_minute < "));
  EXPECT_TRUE(has(y, "sluice:http_requests:per_minute > 9000"));
  EXPECT_TRUE(has(y, R"(absent(up{job="sluice-eu"}))"));
}

TEST(slo_rules, no_band_means_no_band_alert) {
  config::slo_config o;
  o.throughput_min_per_minute = 0;
  o.throughput_max_per_minute = 0;
  std::string y = prometheus_rules(o);
  EXPECT_FALSE(has(y, "SluiceThroughputOutsideBand"));
  EXPECT_TRUE(has(y, "SluiceThroughputAnomalous"));
}

TEST(slo_rules, refuses_objectives_between_buckets) {
  config::slo_config o;
  o.latency_p99_ms = 450;
  auto why = check(o);
  ASSERT_TRUE(why);
  EXPECT_TRUE(has(*why, "slo.latency_p99_ms")) << *why;
  EXPECT_TRUE(has(*why, "500")) << *why;
  EXPECT_THROW(prometheus_rules(o), std::invalid_argument);
  EXPECT_FALSE(check({}));
}

TEST(slo_config, refuses_bad_values) {
  const std::pair<std::string, std::string> rows[] = {
      {"error_rate = 0", "slo.error_rate"},
      {"error_rate = 1.5", "slo.error_rate"},
      {"error_rate = \"1%\"", "slo.error_rate"},
      {"latency_p50_ms = 400", "slo.latency_p50_ms"},  // above p95
      {"throughput_min_per_minute = 700", "slo.throughput_min_per_minute"},
      {"window_days = 0", "slo.window_days"},
      {"routes = \"a\\\"b\"", "slo.routes"},
      {"job = \"a b\"", "slo.job"},
      {"latency_p999_ms = 1", "slo.latency_p999_ms"},
  };
  for (const auto& [line, key] : rows) {
    try {
      parse("[slo]\n" + line + "\n");
      ADD_FAILURE() << line << " was accepted";
    } catch (const config::config_error& e) {
      EXPECT_TRUE(has(e.what(), key)) << line << ": " << e.what();
    }
  }
}

TEST(slo_config, environment_overrides_numbers) {
  auto cfg = config::parse(k_resource, "test.toml", [](const std::string& name) -> std::optional<std::string> {
    if (name == "SLUICE_SLO_ERROR_RATE") return "0.005";
    if (name == "SLUICE_SLO_LATENCY_P99_MS") return "750";
    return std::nullopt;
  });
  EXPECT_DOUBLE_EQ(cfg.slo.error_rate, 0.005);
  EXPECT_EQ(cfg.slo.latency_p99_ms, 750u);
  for (const char* bad : {"-0.1", "1e-3", ".5", "5.", "0.1.2", "nan", ""}) {
    EXPECT_THROW(config::parse(k_resource, "t", [bad](const std::string& name) -> std::optional<std::string> {
                   if (name == "SLUICE_SLO_ERROR_RATE") return bad;
                   return std::nullopt;
                 }),
                 config::config_error)
        << bad;
  }
}

}  // namespace
}  // namespace sluice::slo

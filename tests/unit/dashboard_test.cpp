// ops/grafana/sluice.json: every PromQL query names only metrics Sluice
// exports (taken from a real scrape) or recording rules the SLO generator
// defines, and the dashboard has its per-instance variable and rows.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cache/metrics_text.hpp"
#include "observe/metrics.hpp"
#include "slo/rules.hpp"

namespace sluice {
namespace {

boost::json::value load_dashboard() {
  std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/ops/grafana/sluice.json");
  std::ostringstream s;
  s << in.rdbuf();
  return boost::json::parse(s.str());
}

// The shared cache level's counters, as /metrics adds them when configured.
class no_shared_pages final : public cache::shared_pages {
 public:
  std::optional<cache::page> get(std::string_view, std::int64_t) override { return std::nullopt; }
  void put(std::string_view, std::int64_t, const cache::page&) override {}
  std::uint64_t hits() const override { return 0; }
  std::uint64_t misses() const override { return 0; }
  std::uint64_t errors() const override { return 0; }
};

// Every metric name in a real scrape (the read cache's included), with the
// series names a histogram exposes; plus `up`, which Prometheus itself
// records per target.
std::set<std::string> exported_names() {
  observe::metrics m("test");
  m.http_request("GET", "/v1/users", 200, 0.01);
  m.published("users", "accepted", 1);
  m.delivered("users", "dead_lettered", 1);
  m.sink_batch("users", 1, 0.01);
  m.end_to_end("users", 0.01);
  m.lag("users", 0);
  std::set<std::string> names = {"up"};
  std::istringstream lines(m.scrape() + cache::prometheus_text(cache::stats{}, 1) +
                           cache::prometheus_text(no_shared_pages{}));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string hash, type, name, kind;
    if (!(words >> hash >> type >> name >> kind) || hash != "#" || type != "TYPE") continue;
    names.insert(name);
    if (kind == "histogram") {
      for (const char* suffix : {"_bucket", "_count", "_sum"}) names.insert(name + suffix);
    }
  }
  for (const auto& r : slo::recording_rule_names()) names.insert(r);
  return names;
}

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool is_name_char(char c) { return is_name_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

// The metric names a PromQL expression selects. Drops string literals, label
// matchers {…}, ranges […], grouping label lists (by/without/on/ignoring
// (…)), Grafana variables ($…), numbers, keywords, and function names (an
// identifier followed by '(', and aggregation operators).
std::vector<std::string> metric_names(const std::string& expr) {
  static const std::set<std::string> keywords = {
      "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
      "unless", "offset", "inf", "nan",
      // aggregation operators, which may be followed by `by (…)` before their '('
      "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
      "count_values", "group"};
  std::vector<std::string> out;
  std::size_t i = 0;
  bool skip_group = false;  // the next '(' opens a label list
  while (i < expr.size()) {
    char c = expr[i];
    if (c == '"') {
      i = expr.find('"', i + 1);
      i = i == std::string::npos ? expr.size() : i + 1;
    } else if (c == '{' || c == '[') {
      i = expr.find(c == '{' ? '}' : ']', i);
      i = i == std::string::npos ? expr.size() : i + 1;
    } else if (c == '(' && skip_group) {
      i = expr.find(')', i);
      i = i == std::string::npos ? expr.size() : i + 1;
      skip_group = false;
    } else if (c == '$') {
      ++i;
      while (i < expr.size() && is_name_char(expr[i])) ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      while (i < expr.size() && (is_name_char(expr[i]) || expr[i] == '.')) ++i;  // 1e3, 5m
    } else if (is_name_start(c)) {
      std::size_t start = i;
      while (i < expr.size() && is_name_char(expr[i])) ++i;
      std::string word = expr.substr(start, i - start);
      std::size_t next = expr.find_first_not_of(' ', i);
      bool call = next != std::string::npos && expr[next] == '(';
      if (word == "by" || word == "without" || word == "on" || word == "ignoring" ||
          word == "group_left" || word == "group_right") {
        skip_group = true;
      } else if (!call && !keywords.count(word)) {
        out.push_back(word);
      }
    } else {
      ++i;
    }
  }
  return out;
}

void collect_exprs(const boost::json::value& v, std::vector<std::string>& out) {
  if (const auto* o = v.if_object()) {
    for (const auto& [k, child] : *o) {
      if (k == "expr" && child.is_string()) out.emplace_back(child.as_string());
      collect_exprs(child, out);
    }
  } else if (const auto* a = v.if_array()) {
    for (const auto& child : *a) collect_exprs(child, out);
  }
}

TEST(dashboard, parser_finds_metric_names) {
  const std::string e =
      R"x(histogram_quantile(0.99, sum by (route, le) (rate(x_bucket{a="b(c)",i=~"$instance"}[5m]))))x";
  EXPECT_EQ(metric_names(e), std::vector<std::string>{"x_bucket"});
  EXPECT_EQ(metric_names("a:b:c / 0.01 + 2 * d offset 1d and on () e"),
            (std::vector<std::string>{"a:b:c", "d", "e"}));
}

TEST(dashboard, every_query_names_exported_metrics_or_recording_rules) {
  auto dash = load_dashboard();
  std::vector<std::string> exprs;
  collect_exprs(dash, exprs);
  ASSERT_GE(exprs.size(), 15u);
  auto known = exported_names();
  ASSERT_TRUE(known.count("http_server_request_duration_seconds_bucket"));
  ASSERT_TRUE(known.count("sluice_dead_letters_total"));
  ASSERT_TRUE(known.count("process_open_fds"));
  std::set<std::string> used;
  for (const auto& e : exprs) {
    auto names = metric_names(e);
    EXPECT_FALSE(names.empty()) << e;
    for (const auto& n : names) {
      EXPECT_TRUE(known.count(n)) << n << " in " << e;
      used.insert(n);
    }
  }
  // What the issue asks the dashboard to show.
  for (const char* must : {"sluice:http_request_duration_seconds:p99", "sluice:http_errors:ratio_rate5m",
                           "sluice:http_requests:per_minute", "sluice:http_requests:per_minute:stddev_1d",
                           "sluice_end_to_end_duration_seconds_bucket",
                           "sluice_subscription_lag_messages", "sluice_dead_letters_total"}) {
    EXPECT_TRUE(used.count(must)) << must;
  }
}

TEST(dashboard, has_an_instance_variable_and_repeated_rows) {
  auto dash = load_dashboard();
  bool variable = false;
  for (const auto& v : dash.at("templating").at("list").as_array()) {
    if (v.at("name") == "instance") {
      variable = true;
      EXPECT_NE(boost::json::serialize(v).find("label_values(up{job=\\\"sluice\\\"}, instance)"),
                std::string::npos);
    }
  }
  EXPECT_TRUE(variable);
  bool repeated = false;
  for (const auto& p : dash.at("panels").as_array()) {
    const auto& o = p.as_object();
    if (o.contains("repeat") && o.at("repeat") == "instance") repeated = true;
  }
  EXPECT_TRUE(repeated);
}

}  // namespace
}  // namespace sluice

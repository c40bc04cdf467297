// A real Prometheus (Debian's package, loopback, temp dir) scrapes the real
// binary every second and loads the generated SLO rules; after a known mix of
// requests its HTTP API must report the request count and the 4xx ratio that
// were sent. Also checks the trace id of a POST reaches the subscriber's log.

#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>

#include "slo/rules.hpp"
#include "support/fixtures.hpp"
#include "support/server_process.hpp"

namespace sluice::testing {
namespace {

namespace json = boost::json;

std::string url_encode(const std::string& s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

class prometheus_test : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(SLUICE_PROMETHEUS_BINARY))
        << "install Debian's prometheus package";
    // Debug logs, so the subscriber's "row stored" lines (with trace ids) show.
    sluice_ = std::make_unique<sluice_process>("serve", default_config(), dir_.path(),
                                               std::map<std::string, std::string>{
                                                   {"SLUICE_LOG_LEVEL", "debug"}});
    ASSERT_TRUE(sluice_->start()) << sluice_->log();

    prom_port_ = free_port();
    const auto rules = std::filesystem::path(SLUICE_SOURCE_DIR) / "ops/prometheus/sluice-rules.yml";
    auto config = dir_.write("prometheus.yml",
                             "global:\n"
                             "  scrape_interval: 1s\n"
                             "  evaluation_interval: 1s\n"
                             "rule_files: ['" + rules.string() + "']\n"
                             "scrape_configs:\n"
                             "  - job_name: sluice\n"
                             "    static_configs:\n"
                             "      - targets: ['127.0.0.1:" + std::to_string(sluice_->port()) +
                                 "']\n");
    std::filesystem::create_directories(dir_.path() / "tsdb");
    prom_ = std::make_unique<server_process>(server_process::options{
        {SLUICE_PROMETHEUS_BINARY, "--config.file=" + config.string(),
         "--storage.tsdb.path=" + (dir_.path() / "tsdb").string(),
         "--web.listen-address=127.0.0.1:" + std::to_string(prom_port_),
         "--log.level=warn"},
        {},
        dir_.path() / "prometheus.log",
        "",
        dir_.path()});
    ASSERT_TRUE(prom_->start([this] {
      http_client c(prom_port_);
      return c.get("/-/ready").status == 200;
    })) << prom_->log();
  }

  void TearDown() override {
    if (prom_) prom_->stop();
    if (sluice_) {
      EXPECT_EQ(sluice_->stop(), 0) << sluice_->log();
    }
  }

  // The single value of an instant query, or nullopt when there is none yet.
  std::optional<double> query(const std::string& promql) {
    http_client c(prom_port_);
    auto r = c.get("/api/v1/query?query=" + url_encode(promql));
    if (r.status != 200) return std::nullopt;
    auto result = parse_json(r.body).at("data").at("result").as_array();
    if (result.size() != 1) return std::nullopt;
    return std::stod(std::string(result[0].at("value").as_array()[1].as_string()));
  }

  temp_dir dir_;
  std::unique_ptr<sluice_process> sluice_;
  std::unique_ptr<server_process> prom_;
  int prom_port_ = 0;
};

TEST_F(prometheus_test, counts_and_error_ratio_match_what_was_sent) {
  // Series exist from their first request on: one good POST, scraped before
  // the rest, lets rate() (and so the recording rules) see its counter rise.
  const std::string sel = R"({job="sluice",route=~"/v1/.+"})";
  const std::string total = "sum(http_server_request_duration_seconds_count" + sel + ")";
  http_client c(sluice_->port());
  ASSERT_EQ(c.post("/v1/users", user_json("P", "p@prom.test")).status, 202);
  ASSERT_TRUE(eventually([&] { return query(total) == 1.0; }, std::chrono::seconds(30)))
      << prom_->log();
  // The mix: 30 good POSTs (202), 10 invalid ones (422), 5 GETs of missing rows (404).
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  for (int i = 1; i < 30; ++i) {
    auto r = c.post("/v1/users", user_json("P" + std::to_string(i), "p" + std::to_string(i) + "@prom.test"),
                    {{"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}});
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.header("traceparent").substr(0, 36), "00-" + trace + "-");
  }
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(c.post("/v1/users", R"({"name":"no email"})").status, 422);
  }
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.get("/v1/users/99999" + std::to_string(i)).status, 404);

  const std::string four =
      R"(sum(http_server_request_duration_seconds_count{job="sluice",route=~"/v1/.+",status_code=~"4.."}))";
  std::optional<double> count;
  ASSERT_TRUE(eventually(
      [&] {
        count = query(total);
        return count && *count == 45;
      },
      std::chrono::seconds(60)))
      << "count " << (count ? *count : -1) << "\n" << prom_->log();
  auto ratio = query(four + " / " + total);
  ASSERT_TRUE(ratio);
  EXPECT_NEAR(*ratio, 15.0 / 45.0, 1e-9);
  auto by_status = query(R"(sum(http_server_request_duration_seconds_count{job="sluice",status_code="422"}))");
  ASSERT_TRUE(by_status);
  EXPECT_EQ(*by_status, 10);

  // The generated rules load and evaluate in a real Prometheus: once there
  // is traffic, every recording rule has produced a series. (/api/v1/rules
  // would say more, but answers chunked, which the test client does not read.)
  const auto expected = static_cast<double>(slo::recording_rule_names().size());
  std::optional<double> recorded;
  EXPECT_TRUE(eventually(
      [&] {
        recorded = query(R"(count(count by (__name__) ({__name__=~"sluice:.+"})))");
        return recorded && *recorded == expected;
      },
      std::chrono::seconds(30)))
      << "recording rules with series: " << (recorded ? *recorded : -1) << " of " << expected;
  auto p50 = query("sluice:http_request_duration_seconds:p50");
  ASSERT_TRUE(p50);
  EXPECT_GT(*p50, 0);
  EXPECT_LT(*p50, 5);

  // The subscriber logs each stored row with the POST's trace id (debug).
  ASSERT_TRUE(eventually([&] {
    auto log = sluice_->log();
    return log.find(R"("msg":"row stored")") != std::string::npos &&
           log.find(R"("trace_id":")" + trace + "\"") != std::string::npos;
  }));
}

}  // namespace
}  // namespace sluice::testing

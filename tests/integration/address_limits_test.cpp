// Issue 12 through the real binary: the client address (the TCP peer, or
// X-Forwarded-For's rightmost untrusted hop when the peer is one of
// http.trusted_proxies) and the per-address rate limit of requests without
// a principal (auth.anonymous_rate): in mode none every request is charged
// to its address; in mode required every failed authentication (401) is, and
// an address whose bucket is empty gets 429 before its credential is looked
// at. The bucket refills; the access log names the client.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/fixtures.hpp"
#include "support/shell.hpp"

namespace sluice::testing {
namespace {

using headers = std::vector<std::pair<std::string, std::string>>;

constexpr int k_rate = 3;  // records (requests) per second per address

headers from(const std::string& forwarded_for, const std::string& key = {}) {
  headers h{{"X-Forwarded-For", forwarded_for}};
  if (!key.empty()) h.emplace_back("X-API-Key", key);
  return h;
}

void expect_429(const http_result& r, const std::string& what) {
  EXPECT_EQ(r.status, 429) << what << ": " << r.body;
  EXPECT_EQ(r.header("content-type"), "application/problem+json") << what;
  EXPECT_EQ(r.header("retry-after"), "1") << what;
  EXPECT_EQ(r.header("ratelimit-policy"),
            "\"anonymous\";q=" + std::to_string(k_rate) + ";w=1;sluice-unit=\"records\"")
      << what;
  EXPECT_EQ(r.header("ratelimit").rfind("\"anonymous\";r=0;t=", 0), 0u) << r.header("ratelimit");
}

// Waits out a bucket (bounded): `ok` holds again once it has refilled.
bool refilled(const std::function<bool()>& ok) {
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    if (ok()) return true;
  }
  return false;
}

// Mode none (the embedded default, loopback), no trusted proxies: every
// request is anonymous and charged to 127.0.0.1, whatever X-Forwarded-For says.
TEST(open_by_address, the_n_plus_first_request_is_429_and_x_forwarded_for_is_ignored) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(),
                   {{"SLUICE_AUTH_ANONYMOUS_RATE", std::to_string(k_rate)}});
  ASSERT_TRUE(p.start()) << p.log();
  http_client c(p.port());
  for (int i = 0; i < k_rate; ++i) {
    auto r = c.get("/v1/users?limit=1", from("203.0.113." + std::to_string(i + 1)));
    ASSERT_EQ(r.status, 200) << i << ": " << r.body;
    EXPECT_EQ(r.header("ratelimit-policy"),
              "\"anonymous\";q=" + std::to_string(k_rate) + ";w=1;sluice-unit=\"records\"");
  }
  // One bucket for all of them: the peer is not trusted, its X-Forwarded-For not believed.
  expect_429(c.get("/v1/users?limit=1", from("203.0.113.99")), "the 4th, another XFF");
  expect_429(c.post("/v1/users", user_json("Ann", "ann@addr.test")), "a POST");
  // Probes are never limited.
  EXPECT_EQ(c.get("/healthz").status, 200);
  EXPECT_TRUE(refilled([&] { return c.get("/v1/users?limit=1").status == 200; }));
  EXPECT_EQ(p.stop(), 0) << p.log();
  const auto log = p.log();
  EXPECT_NE(log.find("\"client\":\"127.0.0.1\""), std::string::npos) << log;
  EXPECT_EQ(log.find("\"client\":\"203.0.113."), std::string::npos) << log;
}

TEST(open_by_address, a_bad_trusted_proxies_value_is_a_start_up_error_naming_the_key) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(),
                   {{"SLUICE_HTTP_TRUSTED_PROXIES", "10.0.0.0/8, 10.0.0.0/33"}});
  EXPECT_FALSE(p.start()) << p.log();
  p.stop();
  const auto log = p.log();
  EXPECT_NE(log.find("http.trusted_proxies"), std::string::npos) << log;
  EXPECT_NE(log.find("10.0.0.0/33"), std::string::npos) << log;
  EXPECT_EQ(log.find("\"listening\""), std::string::npos) << log;
}

constexpr const char* k_pepper = "test-pepper-addr-0123456789abcdef";

std::string create_key(const std::filesystem::path& file, const std::string& args) {
  auto r = shell(std::string("SLUICE_AUTH_PEPPER=") + k_pepper + " '" + SLUICE_BINARY +
                 "' keys create --keys-file '" + file.string() + "' " + args + " 2>/dev/null");
  EXPECT_EQ(r.status, 0) << r.output;
  auto out = r.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  auto nl = out.rfind('\n');
  return nl == std::string::npos ? out : out.substr(nl + 1);
}

// Mode required behind a trusted proxy (127.0.0.0/8: the test itself): each
// X-Forwarded-For client has its own bucket, drained only by failed
// authentications.
class behind_proxy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir();
    const auto keys = dir_->path() / "keys.json";
    key_ = new std::string(create_key(keys, "--name rw --scopes publish:users,read:users"));
    scraper_ = new std::string(create_key(keys, "--name scraper --scopes metrics"));
    proc_ = new sluice_process("serve", default_config(), dir_->path(),
                               {{"SLUICE_AUTH_MODE", "required"},
                                {"SLUICE_AUTH_KEYS_FILE", keys.string()},
                                {"SLUICE_AUTH_PEPPER", k_pepper},
                                {"SLUICE_AUTH_ANONYMOUS_RATE", std::to_string(k_rate)},
                                {"SLUICE_HTTP_TRUSTED_PROXIES", "127.0.0.0/8, ::1"}});
    ASSERT_TRUE(proc_->start()) << proc_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(proc_->stop(), 0) << proc_->log();
    delete proc_;
    delete key_;
    delete scraper_;
    delete dir_;
  }
  static inline temp_dir* dir_ = nullptr;
  static inline std::string* key_ = nullptr;
  static inline std::string* scraper_ = nullptr;
  static inline sluice_process* proc_ = nullptr;
};

TEST_F(behind_proxy, failed_authentications_are_charged_to_the_client_address) {
  http_client c(proc_->port());
  const std::string guesser = "198.51.100.1";
  for (int i = 0; i < k_rate; ++i) {
    auto r = c.get("/v1/users?limit=1", from(guesser, "slk_wrong_" + std::to_string(i)));
    ASSERT_EQ(r.status, 401) << i << ": " << r.body;
    EXPECT_EQ(r.header("ratelimit-policy"),
              "\"anonymous\";q=" + std::to_string(k_rate) + ";w=1;sluice-unit=\"records\"");
  }
  // The address's bucket is empty: refused before the credential is looked
  // at, so the right key is no quicker to tell apart than a wrong one.
  expect_429(c.get("/v1/users?limit=1", from(guesser, "slk_wrong_x")), "a 4th guess");
  expect_429(c.get("/v1/users?limit=1", from(guesser, *key_)), "the right key");
  expect_429(c.get("/v1/users?limit=1", from("10.9.9.9, " + guesser, *key_)),
             "a forged hop left of it changes nothing");
  // Another client behind the same proxy is not affected, and requests that
  // authenticate cost their address nothing.
  for (int i = 0; i < 2 * k_rate; ++i) {
    EXPECT_EQ(c.get("/v1/users?limit=1", from("198.51.100.2", *key_)).status, 200) << i;
  }
  // No credential at all is a failed authentication too.
  for (int i = 0; i < k_rate; ++i) {
    EXPECT_EQ(c.get("/v1/users?limit=1", from("198.51.100.3")).status, 401) << i;
  }
  expect_429(c.get("/v1/users?limit=1", from("198.51.100.3")), "anonymous past the rate");
  // Refilled: the right key is let through again.
  EXPECT_TRUE(refilled([&] { return c.get("/v1/users?limit=1", from(guesser, *key_)).status == 200; }));
  auto m = c.get("/metrics", from("198.51.100.4", *scraper_));
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_NE(m.body.find("sluice_rate_limited_requests_total{principal=\"anonymous\"}"),
            std::string::npos);
}

TEST_F(behind_proxy, the_access_log_names_the_rightmost_untrusted_hop) {
  http_client c(proc_->port());
  EXPECT_EQ(c.get("/healthz", from("192.0.2.66, 198.51.100.9")).status, 200);
  EXPECT_EQ(c.get("/healthz", from("198.51.100.10, 127.0.0.5")).status, 200);
  EXPECT_TRUE(eventually([&] {
    const auto log = proc_->log();
    return log.find("\"client\":\"198.51.100.9\"") != std::string::npos &&
           log.find("\"client\":\"198.51.100.10\"") != std::string::npos;
  })) << proc_->log();
  EXPECT_EQ(proc_->log().find("\"client\":\"192.0.2.66\""), std::string::npos);
}

}  // namespace
}  // namespace sluice::testing

// Issue 12 through the real binary: JWT bearer tokens in the authenticator
// chain ([auth] mode = "required", auth.jwt_pem_file / auth.jwks_file) and
// the per-principal rate limit (auth.default_rate). A JWT with the route's
// scope is allowed, one without it is 403 naming the scope, a refused token
// is 401 with WWW-Authenticate; the POST past the rate is 429 with
// Retry-After and the RateLimit fields, then allowed again once the bucket
// has refilled; the refusal is counted by principal; no token reaches the log.

#include <chrono>
#include <filesystem>
#include <thread>

#include "support/fixtures.hpp"
#include "support/jwt_signer.hpp"

namespace sluice::testing {
namespace {

namespace json = boost::json;

constexpr int k_rate = 5;  // records per second, per principal

std::int64_t now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

json::object claims(const std::string& sub, const std::string& scope, std::int64_t exp_in = 600) {
  return {{"iss", "https://idp.test"}, {"aud", "sluice-it"}, {"sub", sub},
          {"exp", now_s() + exp_in},   {"scope", scope}};
}

std::vector<std::pair<std::string, std::string>> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

std::string records(int n, const std::string& tag) {
  std::string body = "[";
  for (int i = 0; i < n; ++i)
    body += (i ? "," : "") + user_json("R" + std::to_string(i), tag + std::to_string(i) + "@rl.test");
  return body + "]";
}

class jwt_rate_limit : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir();
    rsa_ = new test_key(test_key::rsa());
    ec_ = new test_key(test_key::ec_p256());
    const auto jwks = dir_->write(
        "jwks.json", json::serialize(json::object{{"keys", json::array{rsa_->jwk("rsa-1"),
                                                                       ec_->jwk("ec-1")}}}));
    proc_ = new sluice_process("serve", default_config(), dir_->path(),
                               {{"SLUICE_AUTH_MODE", "required"},
                                {"SLUICE_AUTH_JWKS_FILE", jwks.string()},
                                {"SLUICE_AUTH_JWT_ISSUER", "https://idp.test"},
                                {"SLUICE_AUTH_JWT_AUDIENCE", "sluice-it"},
                                {"SLUICE_AUTH_DEFAULT_RATE", std::to_string(k_rate)}});
    ASSERT_TRUE(proc_->start()) << proc_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(proc_->stop(), 0) << proc_->log();
    delete proc_;
    delete rsa_;
    delete ec_;
    delete dir_;
  }
  static int port() { return proc_->port(); }
  static std::string token(const std::string& sub, const std::string& scope, bool ec = false) {
    return ec ? make_token(*ec_, claims(sub, scope), "ec-1")
              : make_token(*rsa_, claims(sub, scope), "rsa-1");
  }

  static inline temp_dir* dir_ = nullptr;
  static inline test_key* rsa_ = nullptr;
  static inline test_key* ec_ = nullptr;
  static inline sluice_process* proc_ = nullptr;
};

TEST_F(jwt_rate_limit, a_jwt_with_the_scope_may_post_and_get) {
  http_client c(port());
  const auto t = token("writer-1", "publish:users read:users");
  auto posted = c.post("/v1/users", user_json("Jo", "jo@jwt.test"), bearer(t));
  EXPECT_EQ(posted.status, 202) << posted.body;
  auto got = c.get("/v1/users?limit=1", bearer(token("reader-1", "read:users", true)));
  EXPECT_EQ(got.status, 200) << got.body;
}

TEST_F(jwt_rate_limit, a_jwt_without_the_scope_is_403_naming_it) {
  http_client c(port());
  const auto reader = token("reader-2", "read:users");
  auto posted = c.post("/v1/users", user_json("No", "no@jwt.test"), bearer(reader));
  ASSERT_EQ(posted.status, 403) << posted.body;
  EXPECT_EQ(posted.header("content-type"), "application/problem+json");
  EXPECT_NE(posted.body.find("publish:users"), std::string::npos) << posted.body;
  const auto writer = token("writer-2", "publish:users");
  auto got = c.get("/v1/users?limit=1", bearer(writer));
  ASSERT_EQ(got.status, 403) << got.body;
  EXPECT_NE(got.body.find("read:users"), std::string::npos) << got.body;
}

TEST_F(jwt_rate_limit, refused_tokens_are_401_with_www_authenticate) {
  http_client c(port());
  const std::string scope = "publish:users read:users";
  const auto expired = make_token(*rsa_, claims("late", scope, -3600), "rsa-1");
  auto wrong_aud = claims("aud", scope);
  wrong_aud["aud"] = "someone-else";
  const auto none = b64url(R"({"alg":"none"})") + "." + b64url(json::serialize(claims("n", scope))) + ".";
  const auto unknown_kid = make_token(test_key::rsa(), claims("k", scope), "rsa-9");
  const auto rsa_pem_as_hmac =
      make_token(test_key::hmac_with(rsa_->public_pem()), claims("c", scope), "rsa-1");
  for (const auto& t : {expired, make_token(*rsa_, wrong_aud, "rsa-1"), none, unknown_kid,
                        rsa_pem_as_hmac, std::string("not.a.jwt")}) {
    auto r = c.get("/v1/users?limit=1", bearer(t));
    EXPECT_EQ(r.status, 401) << t << " " << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    EXPECT_NE(r.header("www-authenticate").find("Bearer"), std::string::npos);
  }
}

TEST_F(jwt_rate_limit, over_the_rate_is_429_with_headers_then_allowed_after_refill) {
  http_client c(port());
  const auto t = token("bursty", "publish:users read:users metrics");
  // A whole bucket's worth of records in one POST.
  auto first = c.post("/v1/users", records(k_rate, "a"), bearer(t));
  ASSERT_EQ(first.status, 202) << first.body;
  EXPECT_EQ(first.header("ratelimit-policy"),
            "\"default\";q=" + std::to_string(k_rate) + ";w=1;sluice-unit=\"records\"");
  EXPECT_EQ(first.header("ratelimit").rfind("\"default\";r=0;t=", 0), 0u) << first.header("ratelimit");

  // The bucket is empty: the next POST is refused and publishes nothing.
  auto refused = c.post("/v1/users", records(1, "b"), bearer(t));
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.header("content-type"), "application/problem+json");
  EXPECT_EQ(refused.header("retry-after"), "1");
  EXPECT_EQ(refused.header("ratelimit"), "\"default\";r=0;t=1");
  EXPECT_EQ(refused.header("ratelimit-policy"),
            "\"default\";q=" + std::to_string(k_rate) + ";w=1;sluice-unit=\"records\"");
  EXPECT_NE(refused.body.find("violated-policies"), std::string::npos) << refused.body;

  // Another principal has its own bucket.
  EXPECT_EQ(c.post("/v1/users", records(1, "c"), bearer(token("calm", "publish:users"))).status,
            202);

  // Refilled after Retry-After: allowed again (bounded retries, no timing asserted).
  bool allowed = false;
  for (int i = 0; i < 20 && !allowed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    allowed = c.post("/v1/users", records(1, "d" + std::to_string(i)), bearer(t)).status == 202;
  }
  EXPECT_TRUE(allowed);

  // Counted by principal (scraped by another principal, whose bucket is full).
  auto m = c.get("/metrics", bearer(token("scraper", "metrics")));
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_NE(m.body.find("sluice_rate_limited_requests_total{principal=\"bursty\"}"),
            std::string::npos);
}

// Key rotation without a restart: a JWKS written beside and renamed over the
// configured one is read again, so a token of the new kid is accepted.
TEST_F(jwt_rate_limit, a_rotated_jwks_is_used_without_a_restart) {
  http_client c(port());
  const auto fresh = test_key::ec_p256();
  const auto t = make_token(fresh, claims("rotated", "read:users"), "ec-2");
  ASSERT_EQ(c.get("/v1/users?limit=1", bearer(t)).status, 401);
  const auto jwks = dir_->path() / "jwks.json";
  dir_->write("jwks.next", json::serialize(json::object{
                               {"keys", json::array{rsa_->jwk("rsa-1"), fresh.jwk("ec-2")}}}));
  std::filesystem::rename(dir_->path() / "jwks.next", jwks);
  EXPECT_TRUE(eventually([&] { return c.get("/v1/users?limit=1", bearer(t)).status == 200; },
                         std::chrono::seconds(10)));
  // ec-1 left the set: its tokens are refused now.
  EXPECT_EQ(c.get("/v1/users?limit=1", bearer(token("old", "read:users", true))).status, 401);
  EXPECT_NE(proc_->log().find("JWT keys reloaded"), std::string::npos);
}

TEST_F(jwt_rate_limit, the_log_never_carries_a_token) {
  http_client c(port());
  const auto t = token("logged", "read:users");
  c.get("/v1/users?limit=1", bearer(t));
  c.get("/v1/users?limit=1", bearer(t + "x"));  // refused: still not logged
  const auto sig = t.substr(t.rfind('.') + 1);
  const auto log = proc_->log();
  EXPECT_EQ(log.find(sig), std::string::npos);
  EXPECT_EQ(log.find(t.substr(0, t.find('.'))), std::string::npos);
}

}  // namespace
}  // namespace sluice::testing

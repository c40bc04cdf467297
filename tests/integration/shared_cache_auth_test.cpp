// The shared page cache on a Redis that requires a password (requirepass):
// credentials from cache.url or SLUICE_CACHE_PASSWORD, the URL's /db, a wrong
// password refused cleanly (pages still served from the store, the failure
// counted and logged with Redis's reason), a malformed URL refused at start-up.

#include "support/fixtures.hpp"
#include "support/redis_server.hpp"

#include "redis/connection.hpp"

namespace sluice::testing {
namespace {

constexpr const char* k_password = "s3cret-p@ss";

double metric_value(int port, const std::string& series) {
  http_client c(port);
  auto m = c.get("/metrics").body;
  auto pos = m.find("\n" + series + " ");
  return pos == std::string::npos ? -1 : std::stod(m.substr(pos + series.size() + 2));
}

const std::string shared_miss = "sluice_cache_shared_requests_total{result=\"miss\"}";
const std::string shared_error = "sluice_cache_shared_requests_total{result=\"error\"}";

class shared_cache_auth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = redis_server::start_with_password(k_password).release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr) << "redis could not be started";
    for (auto& ch : ns_) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }

  // How many page keys of `ns` db `db` holds, read with the password.
  static long long pages_in(int db, const std::string& ns) {
    redis::endpoint where;
    where.port = server_->port();
    where.password = k_password;
    where.db = db;
    auto c = redis::connection::open(where, std::chrono::seconds(2), std::chrono::seconds(2));
    EXPECT_TRUE(c);
    if (!c) return -1;
    auto r = c->command({"KEYS", ns + ":page:*"});
    return redis::is_array(r.get()) ? static_cast<long long>(r->elements) : -1;
  }

  // Starts an api+worker on SQLite with `env`, stores one row, reads the page.
  void serve_and_read(std::map<std::string, std::string> env, int& errors_seen, bool& served) {
    env["SLUICE_BROKER_NAMESPACE"] = ns_;
    sluice_process p("serve", default_config(), dir_.path(), env);
    ASSERT_TRUE(p.start()) << p.log();
    http_client c(p.port());
    auto posted = c.post("/v1/users", user_json("A", "a@auth.test"), {{"Prefer", "wait=10"}});
    ASSERT_EQ(posted.status, 201) << posted.body;
    auto page = c.get("/v1/users?limit=5");
    served = page.status == 200 && page.body.find("a@auth.test") != std::string::npos;
    errors_seen = static_cast<int>(metric_value(p.port(), shared_error));
    EXPECT_GE(metric_value(p.port(), shared_miss), 0);
    log_ = p.log();
    EXPECT_EQ(p.stop(), 0);
  }

  std::string url(const std::string& creds, int db) const {
    return "redis://" + creds + "127.0.0.1:" + std::to_string(server_->port()) + "/" +
           std::to_string(db);
  }

  static redis_server* server_;
  temp_dir dir_;
  std::string ns_ = "auth" + dir_.path().filename().string().substr(12);
  std::string log_;
};

redis_server* shared_cache_auth::server_ = nullptr;

TEST_F(shared_cache_auth, a_password_in_the_url_authenticates_and_selects_the_db) {
  int errors = -1;
  bool served = false;
  // %40 is '@' in the password.
  serve_and_read({{"SLUICE_CACHE_URL", url(":s3cret-p%40ss@", 3)}}, errors, served);
  EXPECT_TRUE(served);
  EXPECT_EQ(errors, 0) << log_;
  EXPECT_GE(pages_in(3, ns_), 1);
  EXPECT_EQ(pages_in(0, ns_), 0);
}

TEST_F(shared_cache_auth, the_password_can_come_from_SLUICE_CACHE_PASSWORD) {
  int errors = -1;
  bool served = false;
  serve_and_read({{"SLUICE_CACHE_URL", url("", 4)}, {"SLUICE_CACHE_PASSWORD", k_password}}, errors,
                 served);
  EXPECT_TRUE(served);
  EXPECT_EQ(errors, 0) << log_;
  EXPECT_GE(pages_in(4, ns_), 1);
  EXPECT_EQ(log_.find(k_password), std::string::npos) << "the password was logged";
}

TEST_F(shared_cache_auth, a_wrong_password_costs_the_cache_not_the_answer) {
  int errors = -1;
  bool served = false;
  serve_and_read({{"SLUICE_CACHE_URL", url(":wrong@", 5)}}, errors, served);
  EXPECT_TRUE(served);  // from the store
  EXPECT_GE(errors, 1);
  EXPECT_NE(log_.find("shared page cache unavailable"), std::string::npos) << log_;
  EXPECT_NE(log_.find("refused the credentials"), std::string::npos) << log_;
  EXPECT_EQ(pages_in(5, ns_), 0);
}

TEST_F(shared_cache_auth, no_password_on_a_server_that_requires_one_is_refused_too) {
  int errors = -1;
  bool served = false;
  serve_and_read({{"SLUICE_CACHE_URL", url("", 6)}}, errors, served);
  EXPECT_TRUE(served);
  EXPECT_GE(errors, 1);
  EXPECT_NE(log_.find("refused the credentials"), std::string::npos) << log_;
  EXPECT_EQ(pages_in(6, ns_), 0);
}

TEST_F(shared_cache_auth, a_malformed_cache_url_fails_start_up_with_a_message) {
  for (const char* bad : {"redis://127.0.0.1:99999", "redis://127.0.0.1:abc",
                          "redis://127.0.0.1:6379/x", "redis://127.0.0.1:99999999999999999999"}) {
    sluice_process p("api", default_config(), dir_.path(), {{"SLUICE_CACHE_URL", bad}});
    EXPECT_FALSE(p.start()) << bad;
    const auto log = p.log();
    EXPECT_NE(log.find("cache.url"), std::string::npos) << bad << ": " << log;
    EXPECT_NE(log.find("not a valid redis://"), std::string::npos) << bad << ": " << log;
  }
}

}  // namespace
}  // namespace sluice::testing

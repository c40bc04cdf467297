// The full POST → broker → subscriber → row loop on every broker, through
// the real binary, with the api and the worker as separate processes; the
// worker is killed with SIGKILL while 10,000 POSTs flow and restarted:
// 10,000 rows, none doubled.

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "support/broker_backends.hpp"
#include "support/fixtures.hpp"

namespace sluice::testing {
namespace {

class broker_loop : public ::testing::TestWithParam<std::string> {
 protected:
  std::map<std::string, std::string> env(const temp_dir& dir) {
    std::map<std::string, std::string> e = {{"SLUICE_LOG_ACCESS_LOG", "false"},
                                            {"SLUICE_BROKER_VISIBILITY_TIMEOUT_MS", "2000"}};
    for (auto& [k, v] : broker_env_for_tests(GetParam())) e[k] = v;
    // Tests share one broker server: each gets its own streams and groups.
    e["SLUICE_BROKER_NAMESPACE"] = "t" + dir.path().filename().string().substr(12);
    for (auto& ch : e["SLUICE_BROKER_NAMESPACE"]) ch = static_cast<char>(std::tolower(ch));
    return e;
  }
};

TEST_P(broker_loop, post_then_row) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(), env(dir));
  ASSERT_TRUE(p.start()) << p.log();
  http_client c(p.port());
  std::string domain = GetParam();  // a host name: no '_'
  std::replace(domain.begin(), domain.end(), '_', '-');
  auto r = c.post("/v1/users", user_json("Loop", "loop@" + domain + ".test"), {{"Prefer", "wait=20"}});
  ASSERT_EQ(r.status, 201) << r.body << p.log();
  EXPECT_EQ(parse_json(r.body).at("name"), "Loop");
  EXPECT_EQ(p.stop(), 0);
}

TEST_P(broker_loop, worker_killed_while_10000_posts_flow_makes_10000_rows) {
  temp_dir dir;
  auto e = env(dir);
  sluice_process api("api", default_config(), dir.path(), e);
  ASSERT_TRUE(api.start()) << api.log();
  auto worker = std::make_unique<sluice_process>("worker", default_config(), dir.path(), e);
  ASSERT_TRUE(worker->start()) << worker->log();

  constexpr int clients = 4, per_client = 2500;
  std::atomic<int> accepted{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      http_client c(api.port());
      for (int i = 0; i < per_client; ++i) {
        std::string email = "w" + std::to_string(t) + "-" + std::to_string(i) + "@kill.test";
        // Retried with an Idempotency-Key until accepted: every message is sent until it has a 202.
        for (int attempt = 0; attempt < 50; ++attempt) {
          auto r = c.post("/v1/users", user_json("W", email), {{"Idempotency-Key", email}});
          if (r.status == 202) {
            ++accepted;
            break;
          }
          ++failed;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  ASSERT_TRUE(eventually([&] { return accepted.load() >= 2000; }, std::chrono::seconds(60)));
  worker->kill9();
  worker = std::make_unique<sluice_process>("worker", default_config(), dir.path(), e);
  ASSERT_TRUE(worker->start()) << worker->log();
  for (auto& t : threads) t.join();
  ASSERT_EQ(accepted.load(), clients * per_client);

  auto db = api.store_path();
  ASSERT_TRUE(eventually([&] { return sqlite_int(db, "SELECT count(*) FROM users") >= clients * per_client; },
                         std::chrono::seconds(120)))
      << sqlite_int(db, "SELECT count(*) FROM users") << "\n" << worker->log();
  EXPECT_EQ(sqlite_int(db, "SELECT count(*) FROM users"), clients * per_client);
  EXPECT_EQ(sqlite_int(db, "SELECT count(DISTINCT email) FROM users"), clients * per_client);
  EXPECT_EQ(sqlite_int(db, "SELECT count(*) FROM sluice_dead_letters"), 0);
  EXPECT_EQ(worker->stop(), 0);
  EXPECT_EQ(api.stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(brokers, broker_loop, ::testing::ValuesIn(broker_backend_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sluice::testing

// Crash safety: kill -9 while POSTs flow; after a restart every message that
// got a 202 is exactly one row — none lost, none doubled.

#include <mutex>
#include <set>

#include "support/fixtures.hpp"

namespace sluice::testing {
namespace {

TEST(crash, kill_9_during_posts_loses_and_doubles_nothing) {
  temp_dir dir;
  // A short visibility timeout so that leases held by the killed process come back soon.
  std::map<std::string, std::string> env = {{"SLUICE_LOG_ACCESS_LOG", "false"},
                                            {"SLUICE_BROKER_VISIBILITY_TIMEOUT_MS", "1000"}};
  sluice_process p("serve", default_config(), dir.path(), env);
  ASSERT_TRUE(p.start()) << p.log();

  std::mutex mu;
  std::set<std::string> accepted;
  std::atomic<int> done_clients{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      http_client c(p.port());
      for (int i = 0; i < 20000; ++i) {
        std::string body = "[" + user_json("K", "k" + std::to_string(t) + "-" + std::to_string(i) + "a@crash.test") +
                           "," + user_json("K", "k" + std::to_string(t) + "-" + std::to_string(i) + "b@crash.test") + "]";
        auto r = c.post("/v1/users", body);
        if (r.status != 202) break;  // the process is gone
        std::lock_guard lock(mu);
        auto acks = parse_json(r.body);
        for (const auto& ack : acks.as_array()) accepted.insert(std::string(ack.at("id").as_string()));
      }
      ++done_clients;
    });
  }
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return accepted.size() >= 2000;
  }));
  p.kill9();
  for (auto& t : clients) t.join();
  ASSERT_GE(accepted.size(), 2000u);

  sluice_process again("serve", default_config(), dir.path(), env);
  ASSERT_TRUE(again.start()) << again.log();
  auto db = again.store_path();
  auto all_accepted_stored = [&] {
    std::int64_t n = sqlite_int(db, "SELECT count(*) FROM users");
    return n >= static_cast<std::int64_t>(accepted.size()) &&
           sqlite_int(again.store_path(), "SELECT count(*) FROM users") == n;
  };
  ASSERT_TRUE(eventually(all_accepted_stored, std::chrono::seconds(60))) << again.log();
  // Every 202'd id is a row (messages committed but not answered may add rows too).
  http_client c(again.port());
  std::size_t missing = 0;
  for (const auto& id : accepted) {
    auto st = c.get("/v1/messages/" + id);
    if (st.status != 200 || parse_json(st.body).at("status") != "stored") ++missing;
  }
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(sqlite_int(db, "SELECT count(*) - count(DISTINCT message_id) FROM users"), 0);
  EXPECT_EQ(sqlite_int(db, "SELECT count(*) - count(DISTINCT email) FROM users"), 0);
  EXPECT_EQ(sqlite_int(db, "SELECT count(*) FROM sluice_dead_letters"), 0);
  EXPECT_EQ(again.stop(), 0);
}

}  // namespace
}  // namespace sluice::testing

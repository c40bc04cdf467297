// The PostgreSQL store under the real binary: the POST → GET loop, and an
// outage — PostgreSQL crash-stopped (SIGQUIT, as `pg_ctl stop -m immediate`)
// while POSTs flow: POST keeps answering 202, /readyz says the store is down,
// GET answers 503 with Retry-After; when PostgreSQL is back every 202'd
// message ends up exactly one row.

#include <atomic>
#include <mutex>
#include <set>

#include "support/fixtures.hpp"
#include "support/page_walk.hpp"
#include "support/postgres_server.hpp"

namespace sluice::testing {
namespace {

std::map<std::string, std::string> env_for(const std::string& url) {
  return {{"SLUICE_STORE_URL", url},
          {"SLUICE_LOG_ACCESS_LOG", "false"},
          {"SLUICE_PIPELINE_RETRY_MAX_MS", "1000"},
          {"SLUICE_STORE_CONNECT_TIMEOUT_MS", "2000"}};
}

// `sluice serve` on a database of its own in the shared PostgreSQL server.
struct serve_on_fresh_database {
  std::string url;
  temp_dir dir;
  std::unique_ptr<sluice_process> p;
  // False (with the reason as a test failure) when it could not start.
  bool start() {
    auto* pg = postgres_server::shared();
    if (pg == nullptr) {
      ADD_FAILURE() << "no PostgreSQL server";
      return false;
    }
    url = pg->create_database();
    if (url.empty()) {
      ADD_FAILURE() << "no database";
      return false;
    }
    p = std::make_unique<sluice_process>("serve", default_config(), dir.path(), env_for(url));
    if (p->start()) return true;
    ADD_FAILURE() << p->log();
    return false;
  }
};

TEST(postgres, post_then_get_loop) {
  serve_on_fresh_database s;
  ASSERT_TRUE(s.start());
  const std::string& url = s.url;
  sluice_process& p = *s.p;
  http_client c(p.port());

  auto r = c.post("/v1/users", user_json("Ada Lovelace", "ada@pg.test"), {{"Prefer", "wait=10"}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto list = c.get("/v1/users");
  ASSERT_EQ(list.status, 200) << list.body;
  auto rows = parse_json(list.body).as_array();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("name"), "Ada Lovelace");
  EXPECT_EQ(rows[0].at("email"), "ada@pg.test");
  std::string received(rows[0].at("received_at").as_string());
  EXPECT_EQ(received.size(), 27u) << received;  // 2026-11-29T09:00:00.000000Z
  EXPECT_EQ(received.back(), 'Z');

  auto id = std::string(rows[0].at("message_id").as_string());
  auto st = c.get("/v1/messages/" + id);
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(parse_json(st.body).at("status"), "stored");
  auto one = c.get("/v1/users/" + std::to_string(rows[0].at("id").as_int64()));
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(c.get("/v1/users?email=eq.ada@pg.test").status, 200);
  EXPECT_EQ(c.get("/readyz").status, 200);
  EXPECT_EQ(postgres_server::query_int(url, "SELECT count(*) FROM users"), 1);
  EXPECT_EQ(p.stop(), 0);
}

// Prev links on PostgreSQL: next to the end, prev back to the start, the
// same pages (support/page_walk.hpp; api_test runs the same on SQLite).
TEST(postgres, prev_links_walk_back_through_the_same_pages) {
  serve_on_fresh_database s;
  ASSERT_TRUE(s.start());
  sluice_process& p = *s.p;
  http_client c(p.port());
  ASSERT_EQ(post_walk_rows(c), 201);
  for (const char* order : {"id.asc", "id.desc", "email.asc", "email.desc"}) {
    auto bodies = expect_prev_walks_back(
        c, std::string("/v1/users?limit=3&order=") + order + "&email=like.*@walk.test&select=id,name");
    std::size_t rows = 0;
    for (const auto& b : bodies) rows += parse_json(b).as_array().size();
    EXPECT_EQ(rows, 7u) << order;
  }
  auto first = c.get("/v1/users?limit=3");
  auto second = c.get(link_target(first.header("link"), "next"));
  std::string prev = link_target(second.header("link"), "prev");
  ASSERT_FALSE(prev.empty()) << second.header("link");
  auto at = prev.find("&cursor=") + 8;
  prev[at] = prev[at] == 'A' ? 'B' : 'A';
  auto tampered = c.get(prev);
  EXPECT_EQ(tampered.status, 400) << tampered.body;
  EXPECT_EQ(tampered.header("content-type"), "application/problem+json");
  EXPECT_EQ(p.stop(), 0);
}

TEST(postgres, outage_keeps_accepting_and_drains_without_loss_or_duplicates) {
  serve_on_fresh_database s;
  ASSERT_TRUE(s.start());
  const std::string& url = s.url;
  sluice_process& p = *s.p;

  std::mutex mu;
  std::set<std::string> accepted;  // guarded by mu
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};
  std::thread client([&] {
    http_client c(p.port());
    for (int i = 0; i < 100000 && !stop; ++i) {
      auto r = c.post("/v1/users", user_json("O", "o" + std::to_string(i) + "@pg.test"));
      if (r.status != 202) {
        ++refused;
        continue;
      }
      std::lock_guard lock(mu);
      accepted.insert(std::string(parse_json(r.body).at("id").as_string()));
    }
  });
  auto accepted_count = [&] {
    std::lock_guard lock(mu);
    return accepted.size();
  };
  ASSERT_TRUE(eventually([&] { return accepted_count() >= 300; }));

  auto* pg = postgres_server::shared();
  ASSERT_TRUE(pg->stop_immediate());
  std::size_t at_stop = accepted_count();
  http_client c(p.port());
  EXPECT_TRUE(eventually([&] { return c.get("/readyz").status == 503; }));
  auto down = c.get("/v1/users");
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_FALSE(down.header("retry-after").empty());
  // POSTs go on being accepted: the queue holds them.
  EXPECT_TRUE(eventually([&] { return accepted_count() >= at_stop + 300; }));

  ASSERT_TRUE(pg->start());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  client.join();
  EXPECT_EQ(refused.load(), 0);
  EXPECT_TRUE(eventually([&] { return c.get("/readyz").status == 200; }, std::chrono::seconds(30)));

  std::string ids = "'{";
  for (const auto& id : accepted) ids += (ids.size() > 2 ? "," : "") + id;
  ids += "}'::uuid[]";
  auto all_stored = [&] {
    return postgres_server::query_int(
               url, "SELECT count(*) FROM users WHERE message_id = ANY(" + ids + ")") ==
           static_cast<std::int64_t>(accepted.size());
  };
  EXPECT_TRUE(eventually(all_stored, std::chrono::seconds(60))) << p.log();
  EXPECT_EQ(postgres_server::query_int(url, "SELECT count(*) FROM users"),
            static_cast<std::int64_t>(accepted.size()));
  EXPECT_EQ(postgres_server::query_int(
                url, "SELECT count(*) - count(DISTINCT message_id) FROM users"),
            0);
  EXPECT_EQ(postgres_server::query_int(url, "SELECT count(*) FROM sluice_dead_letters"), 0);
  EXPECT_EQ(c.get("/v1/users?limit=1").status, 200);
  EXPECT_EQ(p.stop(), 0);
}

}  // namespace
}  // namespace sluice::testing

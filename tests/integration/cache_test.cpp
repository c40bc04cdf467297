// The read cache never serves a page older than the last commit it could
// know of: 10,000 rounds of POST with Prefer: wait, then GET of the newest
// page — in one process, and with the api and the worker apart.

#include "support/fixtures.hpp"

namespace sluice::testing {
namespace {

// Runs `rounds` POST-then-GET rounds from `threads` clients; returns the stale reads.
int stale_reads(int port, int threads, int rounds) {
  std::atomic<int> stale{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      http_client c(port);
      for (int i = 0; i < rounds / threads; ++i) {
        auto r = c.post("/v1/users", user_json("C", "c" + std::to_string(t) + "-" + std::to_string(i) + "@cache.test"),
                        {{"Prefer", "wait=20"}});
        if (r.status != 201) {
          ++failed;
          continue;
        }
        auto mine = parse_json(r.body).at("id").as_int64();
        // The same query for everyone: hits, invalidations and refills all happen here.
        auto page = c.get("/v1/users?order=id.desc&limit=1");
        auto rows = parse_json(page.body);
        if (page.status != 200 || rows.as_array().empty() || rows.as_array()[0].at("id").as_int64() < mine) {
          ++stale;
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(failed.load(), 0);
  return stale.load();
}

double cache_hits(int port) {
  http_client c(port);
  auto m = c.get("/metrics").body;
  auto pos = m.find("sluice_cache_requests_total{result=\"hit\"} ");
  return pos == std::string::npos ? -1 : std::stod(m.substr(m.find("} ", pos) + 2));
}

TEST(cache, no_stale_read_in_10000_rounds_in_one_process) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(), {{"SLUICE_LOG_ACCESS_LOG", "false"}});
  ASSERT_TRUE(p.start()) << p.log();
  EXPECT_EQ(stale_reads(p.port(), 4, 10'000), 0);
  // Unchanged page: 304 without a body; and the cache did serve pages.
  http_client c(p.port());
  auto first = c.get("/v1/users?order=id.desc&limit=5");
  auto again = c.get("/v1/users?order=id.desc&limit=5", {{"If-None-Match", first.header("etag")}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(c.get("/v1/users?order=id.desc&limit=5").status, 200);
  EXPECT_GT(cache_hits(p.port()), 0);
  EXPECT_EQ(p.stop(), 0);
}

TEST(cache, no_stale_read_in_10000_rounds_with_api_and_worker_apart) {
  temp_dir dir;
  // Apart, the worker learns of new messages by polling the queue file.
  std::map<std::string, std::string> env = {{"SLUICE_LOG_ACCESS_LOG", "false"},
                                            {"SLUICE_PIPELINE_POLL_INTERVAL_MS", "2"}};
  sluice_process api("api", default_config(), dir.path(), env);
  ASSERT_TRUE(api.start()) << api.log();
  sluice_process worker("worker", default_config(), dir.path(), env);
  ASSERT_TRUE(worker.start()) << worker.log();
  EXPECT_EQ(stale_reads(api.port(), 4, 10'000), 0);
  EXPECT_EQ(worker.stop(), 0);
  EXPECT_EQ(api.stop(), 0);
}

}  // namespace
}  // namespace sluice::testing

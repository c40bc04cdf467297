// The read cache with the store in PostgreSQL and pages shared through Redis,
// across two API replicas and a separate worker: 10,000 rounds of POST (to
// one replica) with Prefer: wait, then GET (from the other) — zero stale
// reads, even across a Redis restart (which costs speed, not correctness);
// a page built by one replica is served from Redis by the other.

#include "support/fixtures.hpp"
#include "support/postgres_server.hpp"
#include "support/redis_server.hpp"

namespace sluice::testing {
namespace {

double metric_value(int port, const std::string& series) {
  http_client c(port);
  auto m = c.get("/metrics").body;
  auto pos = m.find("\n" + series + " ");
  return pos == std::string::npos ? -1 : std::stod(m.substr(pos + series.size() + 2));
}

TEST(shared_cache, replicas_never_serve_a_stale_page_even_across_a_redis_restart) {
  auto* pg = postgres_server::shared();
  auto* redis = redis_server::shared();
  ASSERT_TRUE(pg && redis);
  temp_dir dir;
  std::string ns = "c" + dir.path().filename().string().substr(12);
  for (auto& ch : ns) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::map<std::string, std::string> env = {{"SLUICE_LOG_ACCESS_LOG", "false"},
                                            {"SLUICE_STORE_URL", pg->create_database()},
                                            {"SLUICE_CACHE_URL", redis->url()},
                                            {"SLUICE_BROKER_NAMESPACE", ns},
                                            {"SLUICE_PIPELINE_POLL_INTERVAL_MS", "2"}};
  sluice_process writer_api("api", default_config(), dir.path(), env);
  ASSERT_TRUE(writer_api.start()) << writer_api.log();
  sluice_process reader_api("api", default_config(), dir.path(), env);
  ASSERT_TRUE(reader_api.start()) << reader_api.log();
  sluice_process worker("worker", default_config(), dir.path(), env);
  ASSERT_TRUE(worker.start()) << worker.log();

  constexpr int threads = 4, rounds = 10'000;
  std::atomic<int> stale{0}, failed{0}, done{0};
  std::atomic<bool> restarted{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      http_client w(writer_api.port()), r(reader_api.port());
      for (int i = 0; i < rounds / threads; ++i) {
        auto posted = w.post("/v1/users", user_json("R", "r" + std::to_string(t) + "-" + std::to_string(i) + "@shared.test"),
                             {{"Prefer", "wait=20"}});
        if (posted.status != 201) {
          ++failed;
          continue;
        }
        auto mine = parse_json(posted.body).at("id").as_int64();
        auto page = r.get("/v1/users?order=id.desc&limit=1");
        auto rows = page.status == 200 ? parse_json(page.body) : boost::json::value(boost::json::array());
        if (rows.as_array().empty() || rows.as_array()[0].at("id").as_int64() < mine) ++stale;
        ++done;
      }
    });
  }
  ASSERT_TRUE(eventually([&] { return done.load() >= rounds / 2; }, std::chrono::seconds(120)));
  EXPECT_TRUE(redis->restart(true));
  restarted = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(stale.load(), 0);

  // A page one replica built is served to the other from Redis.
  http_client a(writer_api.port()), b(reader_api.port());
  const std::string shared_hits = "sluice_cache_shared_requests_total{result=\"hit\"}";
  double before = metric_value(reader_api.port(), shared_hits);
  ASSERT_TRUE(eventually([&] {
    auto first = a.get("/v1/users?limit=7");
    auto second = b.get("/v1/users?limit=7");
    return first.status == 200 && second.body == first.body &&
           metric_value(reader_api.port(), shared_hits) > before;
  }, std::chrono::seconds(10)));
  // Unchanged page: 304.
  auto page = b.get("/v1/users?limit=3");
  EXPECT_EQ(b.get("/v1/users?limit=3", {{"If-None-Match", page.header("etag")}}).status, 304);

  EXPECT_EQ(worker.stop(), 0);
  EXPECT_EQ(reader_api.stop(), 0);
  EXPECT_EQ(writer_api.stop(), 0);
}

}  // namespace
}  // namespace sluice::testing

// Issue 11 #6 through the real binary: two workers on NATS + PostgreSQL,
// PostgreSQL stopped for much longer than max_deliveries × the retry delays,
// one worker stopped before the end of the outage (its releases were made in
// a process that is gone), then PostgreSQL back and that worker started again
// (a fresh process remembers nothing): every accepted message is a row and
// none is dead-lettered as "exceeded max deliveries" — a store outage spends
// no attempts, whichever process receives the message next.

#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "support/fixtures.hpp"
#include "support/nats_server.hpp"
#include "support/postgres_server.hpp"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

TEST(nats_outage, a_long_store_outage_dead_letters_nothing_across_workers) {
  auto* pg = postgres_server::shared();
  ASSERT_NE(pg, nullptr);
  auto* nats = nats_server::shared();
  ASSERT_NE(nats, nullptr);
  std::string url = pg->create_database();
  ASSERT_FALSE(url.empty());
  temp_dir dir;
  std::string ns = "o" + dir.path().filename().string().substr(12);
  for (auto& ch : ns) ch = static_cast<char>(std::tolower(ch));
  std::map<std::string, std::string> env = {{"SLUICE_STORE_URL", url},
                                            {"SLUICE_BROKER_URL", nats->url()},
                                            {"SLUICE_BROKER_NAMESPACE", ns},
                                            {"SLUICE_BROKER_MAX_DELIVERIES", "2"},
                                            {"SLUICE_BROKER_VISIBILITY_TIMEOUT_MS", "2000"},
                                            {"SLUICE_PIPELINE_RETRY_MIN_MS", "20"},
                                            {"SLUICE_PIPELINE_RETRY_MAX_MS", "100"},
                                            {"SLUICE_STORE_CONNECT_TIMEOUT_MS", "2000"},
                                            {"SLUICE_LOG_ACCESS_LOG", "false"}};
  sluice_process api("api", default_config(), dir.path(), env);
  ASSERT_TRUE(api.start()) << api.log();
  sluice_process w1("worker", default_config(), dir.path(), env);
  ASSERT_TRUE(w1.start()) << w1.log();
  auto w2 = std::make_unique<sluice_process>("worker", default_config(), dir.path(), env);
  ASSERT_TRUE(w2->start()) << w2->log();
  http_client c(api.port());

  ASSERT_TRUE(pg->stop_immediate());
  std::set<std::string> accepted;
  for (int i = 0; i < 40; ++i) {
    auto r = c.post("/v1/users", user_json("Out", "out" + std::to_string(i) + "@nats.test"));
    ASSERT_EQ(r.status, 202) << r.body;
    accepted.insert(std::string(parse_json(r.body).at("id").as_string()));
  }
  // The outage lasts: each message is handed back (uncounted) many times
  // more than max_deliveries, by both workers. The deliveries are what the
  // test needs, not a duration: wait until every worker has retried a lot.
  auto retried = [](const sluice_process& p) {
    std::string log = p.log();
    std::size_t n = 0;
    for (auto at = log.find("subscriber backing off"); at != std::string::npos;
         at = log.find("subscriber backing off", at + 1)) {
      ++n;
    }
    return n;
  };
  ASSERT_TRUE(eventually([&] { return retried(w1) >= 10 && retried(*w2) >= 10; }, 60s)) << w1.log();
  // One worker goes away mid-outage; the other sees the messages it released.
  EXPECT_EQ(w2->stop(), 0);
  auto w1_retries = retried(w1);
  ASSERT_TRUE(eventually([&] { return retried(w1) >= w1_retries + 5; }, 60s)) << w1.log();

  ASSERT_TRUE(pg->start());
  // A worker needs its store to start: the restarted one joins after the outage.
  w2 = std::make_unique<sluice_process>("worker", default_config(), dir.path(), env);
  ASSERT_TRUE(w2->start()) << w2->log();
  std::string ids = "'{";
  for (const auto& id : accepted) ids += (ids.size() > 2 ? "," : "") + id;
  ids += "}'::uuid[]";
  auto settled = [&] {
    return postgres_server::query_int(
               url, "SELECT (SELECT count(*) FROM users WHERE message_id = ANY(" + ids +
                        ")) + (SELECT count(*) FROM sluice_dead_letters)") ==
           static_cast<std::int64_t>(accepted.size());
  };
  EXPECT_TRUE(eventually(settled, 60s)) << w1.log() << w2->log();
  EXPECT_EQ(postgres_server::query_int(url, "SELECT count(*) FROM sluice_dead_letters"), 0)
      << w1.log() << w2->log();
  EXPECT_EQ(postgres_server::query_int(url, "SELECT count(*) FROM users"),
            static_cast<std::int64_t>(accepted.size()));
  EXPECT_EQ(api.stop(), 0);
  EXPECT_EQ(w1.stop(), 0);
  EXPECT_EQ(w2->stop(), 0);
}

// A process started before its broker (a container ahead of NATS, a node
// restarting) waits for it instead of exiting: "broker not ready" in its
// log, then it serves once NATS is up, and POST → row works (issue 16's
// scale drill: a worker restarted during a NATS node's restart had exited).
TEST(nats_outage, a_process_started_before_its_broker_waits_for_it) {
  temp_dir nats_dir;
  auto nats = nats_server::start_in(nats_dir.path() / "jetstream");
  ASSERT_TRUE(nats);
  nats->kill9();  // down before Sluice starts
  temp_dir dir;
  std::map<std::string, std::string> env = {{"SLUICE_BROKER_URL", nats->url()},
                                            {"SLUICE_LOG_ACCESS_LOG", "false"}};
  sluice_process p("serve", default_config(), dir.path(), env);
  // Its log file (sluice_process names the first start's so); read here,
  // not through `p`, which start() is filling in on this thread.
  const auto log_file = dir.path() / "sluice-serve-1.log";
  bool waited = false;
  std::thread broker_later([&] {
    waited = eventually(
        [&] {
          std::ifstream in(log_file);
          std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
          return text.find("broker not ready") != std::string::npos;
        },
        15s);
    nats->start();
  });
  const bool started = p.start();
  broker_later.join();
  ASSERT_TRUE(waited) << p.log();
  ASSERT_TRUE(started) << p.log();
  http_client c(p.port());
  auto r = c.post("/v1/users", user_json("Late", "late@nats.test"), {{"Prefer", "wait=20"}});
  EXPECT_EQ(r.status, 201) << r.body << p.log();
  EXPECT_EQ(p.stop(), 0);
}

// The wait ends on SIGTERM: exit 0, nothing half-started.
TEST(nats_outage, a_process_waiting_for_its_broker_stops_on_sigterm) {
  temp_dir nats_dir;
  auto nats = nats_server::start_in(nats_dir.path() / "jetstream");
  ASSERT_TRUE(nats);
  nats->kill9();
  temp_dir dir;
  sluice_process p("worker", default_config(), dir.path(), {{"SLUICE_BROKER_URL", nats->url()}});
  EXPECT_FALSE(p.start());  // still waiting after start()'s 20 s
  EXPECT_NE(p.log().find("broker not ready"), std::string::npos) << p.log();
  EXPECT_EQ(p.stop(), 0) << p.log();
  EXPECT_NE(p.log().find("stopped before the broker was ready"), std::string::npos) << p.log();
}

}  // namespace
}  // namespace sluice::testing

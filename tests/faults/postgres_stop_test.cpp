// Drill 3 (issue 15): PostgreSQL crash-stopped (immediate: SIGQUIT to the
// postmaster) mid-load for 5 s and, under make faults, for 60 s — far longer
// than max_deliveries × the retry delays — then started again; and restarts
// at once, over and over, while batches are in their transactions. POSTs keep
// their 202s (messages wait in the embedded queue), nothing is dead-lettered
// by the outage, every 202 is one row.

#include "faults/drill.hpp"
#include "support/postgres_server.hpp"

namespace sluice::testing::drill {
namespace {

void postgres_drill(const std::string& name, const std::function<double(postgres_server&)>& outage,
                    int faults) {
  auto* pg = postgres_server::shared();
  ASSERT_NE(pg, nullptr);
  const std::string url = pg->create_database();
  ASSERT_FALSE(url.empty());
  temp_dir dir;
  const int port = free_port();
  auto env = base_env(port);
  env["SLUICE_STORE_URL"] = url;
  env["SLUICE_BROKER_MAX_DELIVERIES"] = "2";
  env["SLUICE_PIPELINE_RETRY_MIN_MS"] = "20";
  env["SLUICE_PIPELINE_RETRY_MAX_MS"] = "200";
  env["SLUICE_STORE_CONNECT_TIMEOUT_MS"] = "2000";
  sluice_process p("serve", default_config(), dir.path(), env);
  ASSERT_TRUE(p.start()) << p.log();
  ledger_options o;
  o.port = port;
  o.connections = 16;
  o.tag = "pg";
  // make test: a lighter load (the drained backlog is what takes the time).
  if (!full_drills()) o.pause = 10ms;
  ledger l(o);
  l.start();
  fault_times times;
  for (int i = 0; i < faults; ++i) {
    ASSERT_TRUE(l.wait_successes(l.successes(), 200, 60s)) << p.log();
    const double window = outage(*pg);
    ASSERT_TRUE(pg->running()) << "PostgreSQL did not come back";
    // Recovery: the backlog the outage left drains into the store — time
    // until /readyz is 200 again (store answering and writes succeeding).
    const double up = l.now_ms();
    http_client c(port);
    const bool ready = eventually([&] { return c.get("/readyz").status == 200; }, 60s);
    EXPECT_TRUE(ready) << p.log();
    times.add(window, l.now_ms() - up);
  }
  EXPECT_TRUE(l.wait_successes(l.successes(), 200, 60s)) << p.log();
  l.stop();
  finish(l, port, name, "sqlite/postgres", times.window(), times.recovery(),
         "recovery = until /readyz 200", 120s);
  EXPECT_EQ(postgres_server::query_int(url, "SELECT count(*) FROM sluice_dead_letters"), 0)
      << "the outage dead-lettered messages\n"
      << p.log();
  EXPECT_EQ(p.stop(), 0) << p.log();
}

double stopped_for(postgres_server& pg, std::chrono::seconds outage) {
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(pg.stop_immediate());
  std::this_thread::sleep_for(outage);
  EXPECT_TRUE(pg.start());
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

TEST(drill_postgres, immediate_stop_for_5_s) {
  postgres_drill(
      "3 PG immediate stop 5 s", [](postgres_server& pg) { return stopped_for(pg, 5s); }, 1);
}

TEST(drill_postgres, immediate_stop_for_60_s) {
  if (!full_drills()) GTEST_SKIP() << "make faults only";
  postgres_drill(
      "3 PG immediate stop 60 s", [](postgres_server& pg) { return stopped_for(pg, 60s); }, 1);
}

// Under a steady load the sink is almost always inside a batch's
// transaction; an immediate stop there aborts it (the broker redelivers).
TEST(drill_postgres, restart_while_batches_commit) {
  const int n = full_drills() ? 5 : 1;
  postgres_drill(
      "3 PG restart mid-batch ×" + std::to_string(n),
      [](postgres_server& pg) { return stopped_for(pg, 0s); }, n);
}

}  // namespace
}  // namespace sluice::testing::drill

// Drills 1 and 9 (issue 15): kill -9 of `sluice serve`, `sluice api` and
// `sluice worker` at random points of a ledger load (10 times each under
// make faults, twice under make test), restarted on the same data and port;
// and SIGTERM under load from 32 clients: exit 0 within the grace period and
// every 202 committed. Embedded backends (SQLite queue and store).

#include <optional>
#include <random>

#include "faults/drill.hpp"

namespace sluice::testing::drill {
namespace {

int kills() {
  return full_drills() ? 10 : 2;
}

// Kills `victim` `n` times while `l` runs, each after a random 0–400 ms past
// 50 more successes (or, for a worker, past 50 more requests answered);
// restarts it at once.
fault_times kill_repeatedly(ledger& l, sluice_process& victim, int n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  fault_times times;
  for (int i = 0; i < n; ++i) {
    EXPECT_TRUE(l.wait_successes(l.successes(), 50, 60s)) << victim.log();
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 400));
    const double killed = l.now_ms();
    victim.kill9();
    EXPECT_TRUE(victim.start()) << victim.log();
    const double up = l.now_ms();
    const auto before = l.successes();
    EXPECT_TRUE(l.wait_successes(before, 1, 60s));
    times.add(up - killed, l.now_ms() - up);
  }
  return times;
}

// Drill 1 against `role`: "serve" alone, or the "api" or "worker" of a split
// pair (one data dir; the load goes to the api). The victim is killed
// kills() times mid-load and restarted; the others keep running.
void kill_drill(const std::string& role, const std::string& tag, std::uint32_t seed) {
  temp_dir dir;
  const int port = free_port();
  const bool split = role != "serve";
  sluice_process front(split ? "api" : "serve", default_config(), dir.path(), base_env(port));
  std::optional<sluice_process> worker;
  if (split) worker.emplace("worker", default_config(), dir.path(), base_env(free_port()));
  ASSERT_TRUE(front.start()) << front.log();
  if (worker) {
    ASSERT_TRUE(worker->start()) << worker->log();
  }
  ledger l({.port = port, .connections = 16, .tag = tag});
  l.start();
  // A killed worker leaves the api answering: its window is its restart, its
  // recovery the api's next success (what the client sees).
  auto times = kill_repeatedly(l, role == "worker" ? *worker : front, kills(), seed);
  EXPECT_TRUE(l.wait_successes(l.successes(), 50, 60s));
  l.stop();
  finish(l, port, "1 kill -9 " + role + " ×" + std::to_string(kills()), "sqlite/sqlite",
         times.window(), times.recovery());
  if (worker) {
    EXPECT_EQ(worker->stop(), 0) << worker->log();
  }
  EXPECT_EQ(front.stop(), 0) << front.log();
}

TEST(drill_kill, serve_kill_9_mid_load) {
  kill_drill("serve", "ks", 1501);
}

TEST(drill_kill, api_kill_9_mid_load) {
  kill_drill("api", "ka", 1502);
}

TEST(drill_kill, worker_kill_9_mid_load) {
  kill_drill("worker", "kw", 1503);
}

// Drill 9: SIGTERM with 32 clients posting. The process stops accepting,
// answers what is in flight, exits 0 within http.shutdown_grace_ms; every
// 202 it gave is committed (stored after a restart on the same data).
TEST(drill_sigterm, sigterm_under_load_exits_0_within_grace_and_commits_every_202) {
  temp_dir dir;
  const int port = free_port();
  auto env = base_env(port);
  env["SLUICE_HTTP_SHUTDOWN_GRACE_MS"] = "10000";
  sluice_process p("serve", default_config(), dir.path(), env);
  ASSERT_TRUE(p.start()) << p.log();
  ledger l({.port = port, .connections = 32, .tag = "st"});
  l.start();
  ASSERT_TRUE(l.wait_successes(0, 500, 60s));
  const double term = l.now_ms();
  const int status = p.stop();
  const double exited = l.now_ms();
  EXPECT_EQ(status, 0) << p.log();
  EXPECT_LT(exited - term, 10'000 + 2'000) << "exit took longer than the grace period";
  // Down for a moment (clients see refused connections), then back.
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(p.start()) << p.log();
  const double up = l.now_ms();
  EXPECT_TRUE(l.wait_successes(l.successes(), 50, 60s));
  l.stop();
  const double back = l.first_success_after(up);
  finish(l, port, "9 SIGTERM, 32 clients", "sqlite/sqlite",
         "exit 0 in " + ms(exited - term) + ", down " + ms(up - term),
         back < 0 ? "-" : ms(back - up));
  EXPECT_EQ(p.stop(), 0) << p.log();
}

}  // namespace
}  // namespace sluice::testing::drill

// Issue 11 #22 through the real binary: another process's connection holds
// the SQLite store's write lock (BEGIN IMMEDIATE, as an operator's sqlite3
// shell or a backup would). The store still answers SELECT 1 — its ping —
// while every write fails, so /readyz must not say "ready": 503 naming the
// failing writes while POSTs keep queueing; the lag gauge counts the held
// messages; once the lock is gone /readyz recovers and every record becomes
// one row. Waits are bounded (each failing write costs SQLite's 5 s busy
// timeout; two in a row trip readiness).

#include <sqlite3.h>

#include "support/fixtures.hpp"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

// A write lock on a SQLite file, held by this test process until release().
class write_lock {
 public:
  explicit write_lock(const std::filesystem::path& db) {
    if (sqlite3_open_v2(db.c_str(), &h_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) return;
    sqlite3_busy_timeout(h_, 5000);
    held_ = sqlite3_exec(h_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~write_lock() {
    release();
    sqlite3_close(h_);
  }
  write_lock(const write_lock&) = delete;
  write_lock& operator=(const write_lock&) = delete;

  bool held() const { return held_; }
  void release() {
    if (held_) sqlite3_exec(h_, "ROLLBACK", nullptr, nullptr, nullptr);
    held_ = false;
  }

 private:
  sqlite3* h_ = nullptr;
  bool held_ = false;
};

long lag_of(const std::string& metrics) {
  const std::string series = "sluice_subscription_lag_messages{subscription=\"users\"} ";
  auto at = metrics.find(series);
  return at == std::string::npos ? -1 : std::stol(metrics.substr(at + series.size()));
}

TEST(store_health, readyz_is_503_while_another_process_holds_the_store_write_lock) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(),
                   {{"SLUICE_LOG_ACCESS_LOG", "false"}, {"SLUICE_PIPELINE_RETRY_MAX_MS", "500"}});
  ASSERT_TRUE(p.start()) << p.log();
  http_client c(p.port());
  auto ready = c.get("/readyz");
  ASSERT_EQ(ready.status, 200) << ready.body;

  write_lock lock(p.store_path());
  ASSERT_TRUE(lock.held());
  for (int i = 0; i < 3; ++i) {
    auto r = c.post("/v1/users", user_json("Locked " + std::to_string(i),
                                           "l" + std::to_string(i) + "@lock.test"));
    ASSERT_EQ(r.status, 202) << r.body;  // the queue takes them: nothing is lost
  }
  EXPECT_TRUE(eventually(
      [&] {
        ready = c.get("/readyz");
        return ready.status == 503;
      },
      60s))
      << ready.body;
  EXPECT_NE(ready.body.find("\"store\":\"down: writes failing: store unavailable"),
            std::string::npos)
      << ready.body;
  EXPECT_EQ(ready.header("retry-after"), "1");
  // Reads go on beside the lock (WAL); they must not make the store look well.
  EXPECT_EQ(c.get("/v1/users").status, 200);
  EXPECT_EQ(c.get("/readyz").status, 503);
  // The three messages are held by the subscription, unstored.
  std::string metrics;
  EXPECT_TRUE(eventually(
      [&] {
        metrics = c.get("/metrics").body;
        return lag_of(metrics) == 3;
      },
      10s))
      << "lag " << lag_of(metrics);

  lock.release();
  EXPECT_TRUE(eventually(
      [&] {
        ready = c.get("/readyz");
        return ready.status == 200;
      },
      60s))
      << ready.body;
  EXPECT_TRUE(
      eventually([&] { return sqlite_int(p.store_path(), "SELECT count(*) FROM users") == 3; }));
  EXPECT_EQ(p.stop(), 0) << p.log();
}

}  // namespace
}  // namespace sluice::testing

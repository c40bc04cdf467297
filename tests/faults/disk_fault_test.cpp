// Drills 5 and 6 (issue 15): the disk under the embedded queue and store.
//  5. Disk full: queue and store files on one small tmpfs, filled by another
//     file mid-load: POST answers 503 + Retry-After (never 202 for what was
//     not committed), the process survives, and once the space is freed it
//     accepts again without a restart.
//     The same for the brokers' own disks (sluice's store stays off the
//     tmpfs): the NATS JetStream store directory, and Redis's data dir (the
//     AOF) with appendfsync everysec: Redis refuses writes with -MISCONF and
//     retries the AOF write by itself, so nothing but the space has to come
//     back. Two servers' own choices decide the rest (README, "Fault drills"):
//     nats-server 2.9.10's file store deadlocks the stream on its first failed
//     write (a goroutine holding the block's lock waits for it again), so NATS
//     has to be restarted once the space is back; and Redis with appendfsync
//     always exits on a failed AOF write ("Can't recover from AOF write error
//     when the AOF fsync policy is 'always'"), so that one is restarted too
//     (make faults only). Sluice itself is never restarted.
//  6. fsync and write errors: `sluice serve` run under strace injecting EIO
//     into fdatasync / fsync / pwrite64 for a window of calls mid-load. The
//     affected POSTs get 503, no 202 is lost, SQLite's rollback leaves the
//     queue consistent, and the process recovers (it does not fail-stop):
//     SQLite never marks a transaction committed whose WAL sync failed, and a
//     failed checkpoint sync leaves the frames in the WAL to be written again,
//     so a later successful sync covers every acknowledged commit (README,
//     "Fault drills").

#include <fcntl.h>
#include <signal.h>

#include <functional>
#include <map>
#include <string>

#include "faults/drill.hpp"
#include "support/small_tmpfs.hpp"
#if SLUICE_WITH_NATS
#include "support/nats_server.hpp"
#endif
#if SLUICE_WITH_REDIS
#include "support/redis_server.hpp"
#endif

namespace sluice::testing::drill {
namespace {

namespace fs = std::filesystem;

// Fills the filesystem of `file` until a write fails; returns the bytes written.
std::uint64_t fill(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 0;
  const std::string chunk(1 << 16, 'f');
  std::uint64_t total = 0;
  for (int i = 0; i < 100'000; ++i) {
    const auto n = ::write(fd, chunk.data(), chunk.size());
    if (n <= 0) break;
    total += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  return total;
}

// 503s answered inside [from, to) of the load.
std::size_t refusals_between(const ledger& l, double from, double to) {
  std::size_t n = 0;
  for (const auto& e : l.entries()) {
    if (e.status == 503 && e.end_ms >= from && e.end_ms < to) ++n;
  }
  return n;
}

// What a full-disk drill's recovery step sees: the load (still running), the
// Sluice process, and the load's clock when the disk was filled and freed.
struct full_disk_window {
  ledger& l;
  sluice_process& p;
  int port;
  double full, freed;
};

using env_map = std::map<std::string, std::string>;

// Drill 5's sequence, the same for every disk: `sluice serve` on base_env
// plus what `configure` sets (given the drill's data dir) under a ledger
// load tagged `tag`; once 300 POSTs succeeded, `disk` is filled by another
// file, held full (10 s; 3 s short) and freed. Then `recover` checks what
// followed, stops the load and records the row. Sluice itself is never
// restarted, and must exit 0 at the end.
void full_disk_drill(const small_tmpfs& disk, const std::string& tag,
                     const std::function<void(env_map& env, const fs::path& dir)>& configure,
                     const std::function<void(const full_disk_window& w)>& recover) {
  temp_dir dir;
  const int port = free_port();
  auto env = base_env(port);
  configure(env, dir.path());
  sluice_process p("serve", default_config(), dir.path(), env);
  ASSERT_TRUE(p.start()) << p.log();
  ledger l({.port = port, .connections = 16, .tag = tag});
  l.start();
  ASSERT_TRUE(l.wait_successes(0, 300, 60s)) << p.log();
  const double full = l.now_ms();
  const auto filler = disk.path() / "filler";
  ASSERT_GT(fill(filler), 0u);
  std::this_thread::sleep_for(full_drills() ? 10s : 3s);
  fs::remove(filler);
  const double freed = l.now_ms();
  recover({l, p, port, full, freed});
  if (::testing::Test::HasFatalFailure()) return;  // as an ASSERT in recover would
  EXPECT_EQ(p.stop(), 0) << p.log();
}

TEST(drill_disk, full_tmpfs_under_queue_and_store_refuses_then_recovers_without_restart) {
  small_tmpfs disk(48 << 20);
  REQUIRE_TMPFS(disk);
  full_disk_drill(
      disk, "df",
      [&](env_map& env, const fs::path& /*dir*/) {
        env["SLUICE_BROKER_URL"] = "sqlite://" + (disk.path() / "queue.db").string();
        env["SLUICE_STORE_URL"] = "sqlite://" + (disk.path() / "sluice.db").string();
        env["SLUICE_BROKER_RESERVE_BYTES"] = std::to_string(4 << 20);
      },
      [](const full_disk_window& w) {
        EXPECT_TRUE(w.l.wait_successes(w.l.successes(), 200, 90s)) << w.p.log();
        w.l.stop();
        const double back = w.l.first_success_after(w.freed + 1);
        EXPECT_GT(refusals_between(w.l, w.full, w.freed + 1), 0u)
            << "the full disk refused nothing";
        finish(w.l, w.port, "5 disk full (tmpfs: queue + store)", "sqlite/sqlite",
               ms(w.freed - w.full), back < 0 ? "-" : ms(back - w.freed), "no restart");
      });
}

// The broker's data directory on `disk`, filled mid-load by another file.
// Sluice (its store in a temp dir) must answer 503 and never 202 for what the
// broker did not take, and keep running; once the space is freed it accepts
// again by itself, unless the broker process cannot go on: then `restart`
// (kill -9, start again on the same data) is called, after waiting
// `self_recovery` for the broker to recover alone, and the row says so.
struct broker_disk_case {
  std::string drill, backend, broker_url;
  std::function<bool()> restart;
  bool restart_expected = false;  // false: a restart is a failure
  std::string why_restart;        // the row's note when it was restarted
};

void broker_disk_drill(const small_tmpfs& disk, const broker_disk_case& c) {
  full_disk_drill(
      disk, "bd",
      [&](env_map& env, const fs::path& dir) {
        env["SLUICE_BROKER_URL"] = c.broker_url;
        std::string ns = "d" + dir.filename().string().substr(12);
        for (auto& ch : ns) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        env["SLUICE_BROKER_NAMESPACE"] = ns;
      },
      [&](const full_disk_window& w) {
        // Recovery alone first (a steady run of successes, not one
        // straggler); a restart of the broker only if it does not come.
        bool restarted = false;
        const auto alone = full_drills() ? 15s : 6s;
        if (!w.l.wait_successes(w.l.successes(), 100, alone)) {
          restarted = true;
          EXPECT_TRUE(c.restart_expected) << "the broker did not recover without a restart\n"
                                          << w.p.log();
          ASSERT_TRUE(c.restart()) << "the broker did not start again";
        }
        EXPECT_TRUE(w.l.wait_successes(w.l.successes(), 200, 90s)) << w.p.log();
        w.l.stop();
        const double back = w.l.first_success_after(w.freed);
        // Requests begun while the disk was full that were refused (or left
        // indeterminate: an ack that never came); a 202 among them is
        // checked by the ledger like any other.
        std::size_t refused = 0;
        for (const auto& e : w.l.entries()) {
          if (e.status >= 500 && e.start_ms >= w.full && e.start_ms < w.freed) ++refused;
        }
        EXPECT_GT(refused, 0u) << "the full disk refused nothing";
        EXPECT_EQ(::kill(w.p.target_pid(), 0), 0) << "sluice did not survive the full disk\n"
                                                  << w.p.log();
        finish(w.l, w.port, c.drill, c.backend,
               ms(w.freed - w.full) + ", " + std::to_string(refused) + " × 5xx",
               back < 0 ? "-" : ms(back - w.freed),
               restarted ? "sluice not restarted; " + c.why_restart + ", after " +
                               std::to_string(alone.count()) +
                               " s without recovery (in the recovery time)"
                         : "no restart of anything");
      });
}

#if SLUICE_WITH_NATS
TEST(drill_disk, full_tmpfs_under_the_nats_jetstream_store) {
  small_tmpfs disk(64 << 20);
  REQUIRE_TMPFS(disk);
  auto nats = nats_server::start_in(disk.path() / "jetstream");
  ASSERT_NE(nats, nullptr);
  auto* n = nats.get();
  broker_disk_drill(disk, {"5 disk full (tmpfs: JetStream store)", "nats/sqlite", nats->url(),
                           [n] {
                             n->kill9();
                             return n->start();
                           },
                           true, "nats-server restarted (2.9.10: its file store deadlocks on ENOSPC)"});
}
#endif

#if SLUICE_WITH_REDIS
// Redis's data dir (its AOF) on the tmpfs, with appendfsync `fsync`.
void redis_aof_drill(const std::string& fsync, bool restart_expected,
                     const std::string& why_restart) {
  small_tmpfs disk(32 << 20);
  REQUIRE_TMPFS(disk);
  auto redis = redis_server::start_in(disk.path(), fsync);
  ASSERT_NE(redis, nullptr);
  auto* r = redis.get();
  broker_disk_drill(disk, {"5 disk full (tmpfs: AOF, " + fsync + ")", "redis/sqlite", redis->url(),
                           [r] { return r->restart(true); }, restart_expected, why_restart});
}

TEST(drill_disk, full_tmpfs_under_the_redis_aof_everysec) {
  redis_aof_drill("everysec", false, "");
}

TEST(drill_disk, full_tmpfs_under_the_redis_aof_always) {
  if (!full_drills()) GTEST_SKIP() << "make faults only";
  redis_aof_drill("always", true,
                  "redis-server exited (appendfsync always cannot go on after a failed "
                  "AOF write) and was started again");
}
#endif

// `sluice serve` under strace, EIO injected into calls [first, last] of
// `syscall` (counted per thread); the process must keep running and accept
// again once the injection window is past.
void io_error_drill(const std::string& syscall, int first, int last) {
  if (::access("/usr/bin/strace", X_OK) != 0) GTEST_SKIP() << "strace is not installed";
  temp_dir dir;
  const int port = free_port();
  sluice_process p("serve", default_config(), dir.path(), base_env(port));
  p.set_wrapper({"/usr/bin/strace", "-f", "-qq", "--seccomp-bpf", "-o", "/dev/null", "-e",
                 "trace=" + syscall, "-e",
                 "inject=" + syscall + ":error=EIO:when=" + std::to_string(first) + ".." +
                     std::to_string(last)});
  ASSERT_TRUE(p.start()) << p.log();
  ledger l({.port = port, .connections = 16, .tag = "io"});
  l.start();
  // Long enough to pass the window (bounded), then more successes after it.
  std::size_t refused = 0;
  const bool passed = eventually([&] { return l.successes() > 4000; }, full_drills() ? 120s : 60s);
  EXPECT_TRUE(passed) << p.log();
  const double after = l.now_ms();
  EXPECT_TRUE(l.wait_successes(l.successes(), 200, 60s)) << "no recovery\n" << p.log();
  l.stop();
  const double back = l.first_success_after(after);
  for (const auto& e : l.entries()) refused += e.status == 503 ? 1 : 0;
  // SQLite syncs its WAL and database with fdatasync on Linux; fsync is
  // only called on directories when files are created, outside the commit path.
  if (syscall != "fsync") {
    EXPECT_GT(refused, 0u) << "no POST was refused: the injection missed\n" << p.log();
  }
  auto r = finish(l, port, "6 EIO on " + syscall, "sqlite/sqlite",
                  "calls " + std::to_string(first) + ".." + std::to_string(last) + ", " +
                      std::to_string(refused) + " × 503",
                  back < 0 ? "-" : "recovered, no restart", "recover, not fail-stop");
  if (!r.clean()) {
    const auto log = p.log();
    ADD_FAILURE() << log.substr(log.size() > 6000 ? log.size() - 6000 : 0);
  }
  EXPECT_EQ(p.stop(), 0) << p.log();
}

TEST(drill_io_error, fdatasync_eio) {
  io_error_drill("fdatasync", 200, 230);
}

TEST(drill_io_error, fsync_eio) {
  if (!full_drills()) GTEST_SKIP() << "make faults only";
  io_error_drill("fsync", 1, 50);
}

TEST(drill_io_error, pwrite64_eio) {
  if (!full_drills()) GTEST_SKIP() << "make faults only";
  io_error_drill("pwrite64", 2000, 2015);
}

}  // namespace
}  // namespace sluice::testing::drill

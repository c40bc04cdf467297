// Drills 5 and 6 (issue 15): the disk under the embedded queue and store.
//  5. Disk full: queue and store files on one small tmpfs, filled by another
//     file mid-load: POST answers 503 + Retry-After (never 202 for what was
//     not committed), the process survives, and once the space is freed it
//     accepts again without a restart.
//  6. fsync and write errors: `sluice serve` run under strace injecting EIO
//     into fdatasync / fsync / pwrite64 for a window of calls mid-load. The
//     affected POSTs get 503, no 202 is lost, SQLite's rollback leaves the
//     queue consistent, and the process recovers (it does not fail-stop):
//     SQLite never marks a transaction committed whose WAL sync failed, and a
//     failed checkpoint sync leaves the frames in the WAL to be written again,
//     so a later successful sync covers every acknowledged commit (README,
//     "Fault drills").

#include <fcntl.h>

#include "faults/drill.hpp"
#include "support/small_tmpfs.hpp"

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

TEST(drill_disk, full_tmpfs_under_queue_and_store_refuses_then_recovers_without_restart) {
  small_tmpfs disk(48 << 20);
  REQUIRE_TMPFS(disk);
  temp_dir dir;
  const int port = free_port();
  auto env = base_env(port);
  env["SLUICE_BROKER_URL"] = "sqlite://" + (disk.path() / "queue.db").string();
  env["SLUICE_STORE_URL"] = "sqlite://" + (disk.path() / "sluice.db").string();
  env["SLUICE_BROKER_RESERVE_BYTES"] = std::to_string(4 << 20);
  sluice_process p("serve", default_config(), dir.path(), env);
  ASSERT_TRUE(p.start()) << p.log();
  ledger_options o;
  o.port = port;
  o.connections = 16;
  o.tag = "df";
  ledger l(o);
  l.start();
  ASSERT_TRUE(l.wait_successes(0, 300, 60s)) << p.log();
  const double full = l.now_ms();
  const auto filler = disk.path() / "filler";
  ASSERT_GT(fill(filler), 0u);
  std::this_thread::sleep_for(full_drills() ? 10s : 3s);
  fs::remove(filler);
  const double freed = l.now_ms();
  EXPECT_TRUE(l.wait_successes(l.successes(), 200, 90s)) << p.log();
  l.stop();
  const double back = l.first_success_after(freed + 1);
  EXPECT_GT(refusals_between(l, full, freed + 1), 0u) << "the full disk refused nothing";
  finish(l, port, "5 disk full (tmpfs: queue + store)", "sqlite/sqlite", ms(freed - full),
         back < 0 ? "-" : ms(back - freed), "no restart");
  EXPECT_EQ(p.stop(), 0) << p.log();
}

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
  ledger_options o;
  o.port = port;
  o.connections = 16;
  o.tag = "io";
  ledger l(o);
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

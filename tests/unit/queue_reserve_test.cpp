// The embedded queue's disk reserve and its full/normal modes
// (broker/sqlite/reserve.hpp, storage_guard.hpp), in a temp directory. The
// disk really filling up is tests/integration/disk_full_test.cpp.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "broker/sqlite/reserve.hpp"
#include "broker/sqlite/storage_guard.hpp"
#include "sqlite/database.hpp"

namespace sluice::broker::sqlite {
namespace {

namespace fs = std::filesystem;

class queue_reserve : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sluice-reserve-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string queue() const { return (dir_ / "queue.db").string(); }
  std::string reserve_file() const { return queue() + "-reserve"; }
  // Files in the directory besides the queue (no temporaries left behind).
  std::size_t files() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++n;
    return n;
  }

  fs::path dir_;
};

constexpr std::uint64_t k_bytes = 1 << 20;

TEST_F(queue_reserve, restore_allocates_the_full_size_and_release_frees_it) {
  space_reserve r(reserve_file(), k_bytes);
  EXPECT_FALSE(r.in_place());
  ASSERT_FALSE(r.restore());
  EXPECT_TRUE(r.in_place());
  struct stat st {};
  ASSERT_EQ(::stat(reserve_file().c_str(), &st), 0);
  EXPECT_EQ(static_cast<std::uint64_t>(st.st_size), k_bytes);
  // Allocated, not sparse: the space is really held.
  EXPECT_GE(static_cast<std::uint64_t>(st.st_blocks) * 512, k_bytes);
  EXPECT_FALSE(r.restore());  // in place: nothing to do
  EXPECT_EQ(files(), 1u);

  ASSERT_FALSE(r.release());
  EXPECT_FALSE(r.in_place());
  EXPECT_FALSE(fs::exists(reserve_file()));
  EXPECT_FALSE(r.release());  // idempotent
}

TEST_F(queue_reserve, a_short_file_is_not_a_reserve) {
  std::ofstream(reserve_file()) << "short";
  space_reserve r(reserve_file(), k_bytes);
  EXPECT_FALSE(r.in_place());
  ASSERT_FALSE(r.restore());
  EXPECT_TRUE(r.in_place());
}

TEST_F(queue_reserve, restore_refuses_without_room_for_the_reserve_and_as_much_again) {
  std::uint64_t free = 0;
  ASSERT_FALSE(available_bytes(reserve_file(), free));
  ASSERT_GT(free, 0u);
  // More than half of what is free: the reserve would fit, but nothing beside it.
  space_reserve r(reserve_file(), free / 2 + free / 4);
  auto ec = r.restore();
  EXPECT_EQ(ec, std::errc::no_space_on_device) << ec.message();
  EXPECT_FALSE(r.in_place());
  EXPECT_EQ(files(), 0u);  // no partial file left
}

TEST_F(queue_reserve, a_disabled_reserve_is_always_in_place_and_never_a_file) {
  space_reserve r(reserve_file(), 0);
  EXPECT_FALSE(r.enabled());
  EXPECT_TRUE(r.in_place());
  EXPECT_FALSE(r.restore());
  EXPECT_FALSE(r.release());
  EXPECT_EQ(files(), 0u);
}

TEST_F(queue_reserve, guard_goes_full_on_a_full_write_and_back_once_the_reserve_returns) {
  storage_guard g(queue(), k_bytes);
  g.start();
  EXPECT_FALSE(g.full());
  EXPECT_TRUE(g.room_for_publishes());

  g.on_full("database or disk is full");
  EXPECT_TRUE(g.full());
  EXPECT_FALSE(fs::exists(reserve_file()));  // its space went to the drain
  // This temp dir has room: the next look restores the reserve.
  g.recheck();
  EXPECT_FALSE(g.full());
  EXPECT_TRUE(fs::exists(reserve_file()));
  EXPECT_TRUE(g.room_for_publishes());
}

TEST_F(queue_reserve, guard_sees_a_reserve_released_by_another_process) {
  storage_guard g(queue(), k_bytes);
  g.start();
  ASSERT_TRUE(g.room_for_publishes());
  fs::remove(reserve_file());  // what another process's on_full does
  // The look before the publishes notices, refuses them, and restores the
  // reserve only at the next look (the room may still be short).
  EXPECT_FALSE(g.room_for_publishes());
  EXPECT_TRUE(g.full());
  EXPECT_TRUE(g.room_for_publishes());
  EXPECT_FALSE(g.full());
}

TEST_F(queue_reserve, guard_starts_full_when_the_reserve_cannot_be_allocated) {
  std::uint64_t free = 0;
  ASSERT_FALSE(available_bytes(queue(), free));
  storage_guard g(queue(), free);
  g.start();
  EXPECT_TRUE(g.full());
  EXPECT_FALSE(g.room_for_publishes());
  EXPECT_EQ(files(), 0u);
}

TEST_F(queue_reserve, without_a_reserve_full_lasts_until_a_publish_is_written) {
  storage_guard g(queue(), 0);
  g.start();
  EXPECT_TRUE(g.room_for_publishes());
  g.on_full("database or disk is full");
  EXPECT_TRUE(g.full());
  EXPECT_TRUE(g.room_for_publishes());  // tried: nothing else can tell when room is back
  g.on_published();
  EXPECT_FALSE(g.full());
  EXPECT_EQ(files(), 0u);
}

TEST(queue_disk_full, is_told_from_other_sqlite_failures) {
  using sluice::sqlite::make_sqlite_error;
  struct row {
    int code;
    int system_errno;
    bool full;
  } rows[] = {
      {SQLITE_FULL, 0, true},
      {SQLITE_IOERR_WRITE, ENOSPC, true},
      {SQLITE_IOERR_FSYNC, EDQUOT, true},
      {SQLITE_IOERR_FSYNC, EIO, false},
      {SQLITE_IOERR_WRITE, 0, false},
      {SQLITE_BUSY, ENOSPC, false},  // a stale errno does not make a lock wait a full disk
      {SQLITE_CONSTRAINT_UNIQUE, 0, false},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(is_disk_full(make_sqlite_error(r.code), r.system_errno), r.full)
        << "code " << r.code << " errno " << r.system_errno;
  }
  EXPECT_FALSE(is_disk_full(std::make_error_code(std::errc::no_space_on_device), ENOSPC));
}

}  // namespace
}  // namespace sluice::broker::sqlite

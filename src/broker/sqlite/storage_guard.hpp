#pragma once
// Whether the queue has room to take publishes. Private to src/broker/sqlite/.
//
// Two modes. Normal: the reserve (reserve.hpp) is in place and publishes
// write. Full: a write failed for want of space (or another process sharing
// the file found so and released the reserve); publishes are refused with
// errc::storage_full while leases, acks and releases go on in the space the
// reserve gave back, so the backlog drains. Full ends when the reserve can be
// allocated again (the drain returned pages to the filesystem, or an operator
// freed space). Without a reserve (reserve_bytes = 0), full ends at the next
// successful publish.
//
// Thread safety: full() from any thread; everything else under the broker's
// write lock (or before its threads write).

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "broker/sqlite/reserve.hpp"

namespace sluice::broker::sqlite {

// Whether a failed SQLite call failed for want of space: SQLITE_FULL, or an
// I/O error whose errno is ENOSPC or EDQUOT (e.g. a failed fsync).
bool is_disk_full(std::error_code ec, int system_errno);

class storage_guard {
 public:
  // `queue_path` names the queue file in logs; the reserve is
  // "<queue_path>-reserve". `reserve_bytes` = 0: no reserve.
  storage_guard(const std::string& queue_path, std::uint64_t reserve_bytes);

  // At open: allocates the reserve; starts full (and logs why) when it cannot.
  void start();

  // Whether publishes may be written now. Notices a reserve released by
  // another process (then full), and tries to restore it while full.
  bool room_for_publishes();

  // While full: tries to leave full mode (called every poll interval).
  void recheck();

  // A write failed for want of space: enters full mode and releases the
  // reserve. Logs the queue file and SQLite's message on entering.
  void on_full(std::string_view sqlite_message);

  // A publish was written (ends full mode without a reserve).
  void on_published();

  bool full() const { return full_.load(std::memory_order_acquire); }
  const space_reserve& reserve() const { return reserve_; }

 private:
  void enter(std::string_view why, std::string_view sqlite_message);
  void leave();

  std::string queue_path_;
  space_reserve reserve_;
  std::atomic<bool> full_{false};
};

}  // namespace sluice::broker::sqlite

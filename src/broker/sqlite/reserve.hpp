#pragma once
// The queue's reserve of disk space. Private to src/broker/sqlite/.
//
// A file of `bytes` pre-allocated beside the queue ("<queue>-reserve", on the
// same filesystem). When a write fails because the disk is full, the broker
// removes the file: the space it frees lets leases, acks and releases commit
// (their WAL frames and page splits need a little room), so that the backlog
// drains into the store while publishes are refused. Once the filesystem has
// room for the reserve and as much again, it is allocated anew and publishes
// resume. Its presence is the state every process sharing the queue reads:
// an absent reserve means "storage full, drain only".
//
// Thread safety: none; each broker's writer thread owns its instance. Several
// processes may act on the same file: release and restore are idempotent, and
// restore renames a complete file into place, never leaves a partial one.

#include <cstdint>
#include <string>
#include <system_error>

namespace sluice::broker::sqlite {

class space_reserve {
 public:
  // `bytes` = 0 disables the reserve (in_place() is then always true).
  space_reserve(std::string path, std::uint64_t bytes);

  bool enabled() const { return bytes_ > 0; }
  const std::string& path() const { return path_; }
  std::uint64_t bytes() const { return bytes_; }

  // Whether the reserve file is there at its full size.
  bool in_place() const;

  // Frees the reserve's space (removes the file). {} when it is gone, also
  // when it was not there.
  std::error_code release();

  // Allocates the reserve unless it is in place. Refuses (ENOSPC) while the
  // filesystem has less free than twice its size: what is left besides the
  // reserve must be worth resuming publishes for.
  std::error_code restore();

 private:
  std::string path_;
  std::uint64_t bytes_;
};

// Bytes the filesystem holding `path` has available to this process, or an
// error when it cannot be asked.
std::error_code available_bytes(const std::string& path, std::uint64_t& out);

}  // namespace sluice::broker::sqlite

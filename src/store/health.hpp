#pragma once
// How the store has been answering, for /readyz: a ping alone says only that
// the database answers `SELECT 1`, which it does while every write fails (a
// SQLite write lock held by another process) or while calls stall. So every
// call's outcome is recorded — by a store wrapped with health_recording_store
// (reads, and the subscribers' writes) and by the callers whose client-side
// deadline passed (store::errc::timed_out) — and k_failures_to_trip
// consecutive outage failures on one side make the store "not ready" until a
// call on that side succeeds.
//
// Reads and writes are tracked apart: a write lock fails writes while reads
// go on, and a successful read must not hide failing writes.
// Outage failures are errc::unavailable, errc::timed_out and errors of other
// categories; the other store errcs (bad_query, unknown_table, unsupported)
// are answers, not outages.
//
// Thread safety: all methods may be called concurrently.

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>

#include "store/store.hpp"

namespace sluice::store {

class health {
 public:
  enum class side { reads, writes };
  static constexpr unsigned k_failures_to_trip = 2;

  // Records one call's outcome ({} = it answered).
  void record(side s, std::error_code ec);

  // nullopt when healthy; else why not, e.g.
  // "writes failing: store unavailable (3 in a row)".
  std::optional<std::string> trouble() const;

 private:
  struct streak {
    unsigned failures = 0;
    std::error_code last;
  };
  mutable std::mutex mu_;  // guards streaks_
  std::array<streak, 2> streaks_{};
};

// A store that forwards every call to `inner` and records each outcome in
// `h` (migrate and attach, run at start-up, are not recorded). `h` must
// outlive the returned store.
std::unique_ptr<store> health_recording_store(std::unique_ptr<store> inner, health& h);

}  // namespace sluice::store

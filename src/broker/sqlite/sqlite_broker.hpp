#pragma once
// The embedded durable queue: one SQLite file in WAL mode with
// synchronous=FULL. Publishes go through the shared group-commit publish
// queue (publish_queue.hpp), one transaction (one fsync) for every POST
// waiting at that moment; acks and releases are grouped the same way by the
// queue's own writer thread. Several processes may share the file (sluice api + sluice
// worker); SQLite's locking serialises them.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "broker/broker.hpp"

namespace sluice::broker {

struct sqlite_broker_options {
  std::string path;  // file path; ":memory:" is not durable and is for tests only
  std::chrono::milliseconds visibility_timeout{30'000};
  std::chrono::milliseconds poll_interval{50};  // re-check for other processes' publishes
  std::size_t max_pending = 100'000;            // publishes queued before errc::overloaded
  std::size_t max_group = 4096;                 // messages per group commit
  // How long an acked message marked `deduplicate` is kept to recognise retries.
  std::chrono::milliseconds dedup_window{24 * 3600 * 1000};
  // Disk space kept in "<path>-reserve" so that a full disk can still drain
  // (reserve.hpp); 0 disables it. While the disk is full, publishes fail with
  // errc::storage_full and ping() reports it.
  std::uint64_t reserve_bytes = 32 * 1024 * 1024;
};

// Opens (creating if needed) the queue file. Fails with errc::unavailable when
// the file cannot be opened or its schema cannot be created; message() then
// has SQLite's words and the path ("unable to open database file (/x/q.db)").
result<std::unique_ptr<broker>> make_sqlite_broker(const sqlite_broker_options& options);

}  // namespace sluice::broker

#include "broker/sqlite/storage_guard.hpp"

#include <sqlite3.h>

#include <cerrno>

#include "observe/log.hpp"
#include "sqlite/database.hpp"

namespace sluice::broker::sqlite {

bool is_disk_full(std::error_code ec, int system_errno) {
  const int primary = sluice::sqlite::primary_code(ec);
  if (primary == SQLITE_FULL) return true;
  return primary == SQLITE_IOERR && (system_errno == ENOSPC || system_errno == EDQUOT);
}

storage_guard::storage_guard(const std::string& queue_path, std::uint64_t reserve_bytes)
    : queue_path_(queue_path), reserve_(queue_path + "-reserve", reserve_bytes) {}

void storage_guard::start() {
  if (!reserve_.enabled()) return;
  if (auto ec = reserve_.restore()) {
    enter("the reserve cannot be allocated at start: " + ec.message(), "");
  }
}

bool storage_guard::room_for_publishes() {
  if (!reserve_.enabled()) return true;  // writes are tried; on_full/on_published keep the mode
  if (!full()) {
    // One stat per group commit: another process may have hit the full disk
    // and released the reserve; writing now would take the drain's space.
    if (reserve_.in_place()) return true;
    enter("another process sharing the queue released the reserve", "");
    return false;
  }
  recheck();
  return !full();
}

void storage_guard::recheck() {
  if (!full() || !reserve_.enabled()) return;
  if (!reserve_.restore()) leave();
}

void storage_guard::on_full(std::string_view sqlite_message) {
  if (auto ec = reserve_.release()) {
    observe::error("cannot release the queue's disk reserve",
                   {{"file", reserve_.path()}, {"error", ec.message()}});
  }
  enter("a write failed for want of space", sqlite_message);
}

void storage_guard::on_published() {
  if (!reserve_.enabled() && full()) leave();
}

void storage_guard::enter(std::string_view why, std::string_view sqlite_message) {
  if (full_.exchange(true, std::memory_order_acq_rel)) return;
  observe::error("queue storage full: publishes refused, the backlog drains",
                 {{"file", queue_path_},
                  {"why", why},
                  {"sqlite", sqlite_message},
                  {"reserve", reserve_.enabled() ? reserve_.path() : std::string("none")},
                  {"reserve_bytes", reserve_.bytes()}});
}

void storage_guard::leave() {
  if (!full_.exchange(false, std::memory_order_acq_rel)) return;
  observe::info("queue storage available again: publishes resume",
                {{"file", queue_path_}, {"reserve_bytes", reserve_.bytes()}});
}

}  // namespace sluice::broker::sqlite

#pragma once
// What a reader knows of each table's version, and for how long it may trust
// it. With max_staleness = 0 (the default: read-your-writes) nothing is
// trusted and every GET reads the version from the store — one primary-key
// lookup — so a page is never older than the last commit. With a positive
// bound, a version read (or learnt from this process's own subscribers) is
// reused for that long: fewer store reads, pages at most that old. Thread-safe.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::cache {

class version_clock {
 public:
  explicit version_clock(std::chrono::milliseconds max_staleness) : max_staleness_(max_staleness) {}

  // The table's version when it is fresh enough to use without a read.
  std::optional<std::int64_t> fresh(std::string_view table) const;
  // Records a version just read from the store or committed in this process.
  void observe(std::string_view table, std::int64_t version);

 private:
  struct known {
    std::int64_t version = 0;
    std::chrono::steady_clock::time_point at;
  };
  const std::chrono::milliseconds max_staleness_;
  mutable std::mutex mu_;  // guards known_
  std::map<std::string, known, std::less<>> known_;
};

}  // namespace sluice::cache

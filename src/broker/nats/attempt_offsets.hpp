#pragma once
// Releases that must not count as attempts (release(count_attempt = false)).
// JetStream raises a message's NumDelivered on every delivery and cannot
// lower it, so this client remembers how many of its releases of a message
// should not count, keyed by (subscription, stream sequence), and subtracts
// them when the message comes back. Private to src/broker/nats/.
//
// Bounded: past `capacity` entries the least recently touched tenth is
// forgotten (those messages then show the server's higher count, which can
// only make a dead letter come sooner, never a message be lost).
// Thread safety: all methods may be called concurrently.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sluice::broker::nats {

class attempt_offsets {
 public:
  explicit attempt_offsets(std::size_t capacity = 100'000) : capacity_(capacity) {}

  void add(std::string_view subscription, std::uint64_t stream_seq);
  // The attempt to report for a delivery the server counted `delivered` times.
  std::uint32_t attempt(std::string_view subscription, std::uint64_t stream_seq,
                        std::uint64_t delivered);
  void forget(std::string_view subscription, std::uint64_t stream_seq);

 private:
  struct entry {
    std::uint64_t uncounted = 0;
    std::chrono::steady_clock::time_point touched;
  };
  static std::string key(std::string_view subscription, std::uint64_t stream_seq);
  void evict();  // REQUIRES: mu_ held

  std::size_t capacity_;
  std::mutex mu_;  // guards entries_
  std::unordered_map<std::string, entry> entries_;
};

}  // namespace sluice::broker::nats

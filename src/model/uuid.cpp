// Message ids (RFC 9562).
//
// v7: 48-bit Unix milliseconds, then a 12-bit counter in rand_a (RFC 9562
// §6.2 method 1) so ids made in the same millisecond still sort in creation
// order, then 62 random bits. The (ms, counter) pair lives in one atomic word
// advanced by compare-and-swap: a new millisecond starts the counter at a
// random value below 2048 (room for 2048+ ids before it would overflow); a
// repeated or earlier millisecond (clock stepped back) takes the previous
// pair plus one, and a counter overflow carries into the millisecond, i.e.
// borrows from the future rather than break ordering.
//
// v5: SHA-1 name-based over the Sluice namespace
//   649102ce-4741-40c5-a6c3-bb2024b9d017
// (a random v4 chosen once; changing it changes every idempotent id) and the
// name resource + '\n' + key + '\n' + decimal index. '\n' cannot appear in a
// resource name, so (resource, key) pairs cannot collide by concatenation.

#include "model/uuid.hpp"

#include <array>
#include <atomic>
#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/uuid.hpp>
#include <chrono>
#include <cstdint>
#include <random>

namespace sluice::model {
namespace {

std::mt19937_64& rng() {
  // Not a CSPRNG: ids must be unique and unguessable enough for logs, not secret.
  thread_local std::mt19937_64 g = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return g;
}

std::string format(const std::uint8_t* b) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 0x0F];
  }
  return out;
}

// (unix_ms << 12) | counter of the last v7 id handed out.
std::atomic<std::uint64_t> g_last_v7{0};

}  // namespace

std::string uuid_v7() {
  using namespace std::chrono;
  const auto now_ms = static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  const std::uint64_t fresh = ((now_ms & 0xFFFF'FFFF'FFFFull) << 12) | (rng()() & 0x7FF);
  std::uint64_t prev = g_last_v7.load(std::memory_order_relaxed);
  std::uint64_t next = 0;
  do {
    next = fresh > prev ? fresh : prev + 1;
  } while (!g_last_v7.compare_exchange_weak(prev, next, std::memory_order_relaxed));

  const std::uint64_t ms = next >> 12;
  const std::uint64_t counter = next & 0xFFF;
  const std::uint64_t rand_b = rng()();
  std::array<std::uint8_t, 16> b{};
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(ms >> (8 * (5 - i)));
  b[6] = static_cast<std::uint8_t>(0x70 | (counter >> 8));  // version 7
  b[7] = static_cast<std::uint8_t>(counter);
  b[8] = static_cast<std::uint8_t>(0x80 | ((rand_b >> 56) & 0x3F));  // variant 10
  for (int i = 9; i < 16; ++i) b[i] = static_cast<std::uint8_t>(rand_b >> (8 * (15 - i)));
  return format(b.data());
}

std::string uuid_v5(std::string_view principal_id, std::string_view resource,
                    std::string_view idempotency_key, std::size_t index) {
  static const boost::uuids::uuid k_namespace = {{0x64, 0x91, 0x02, 0xce, 0x47, 0x41, 0x40, 0xc5,
                                                  0xa6, 0xc3, 0xbb, 0x20, 0x24, 0xb9, 0xd0, 0x17}};
  std::string name;
  name.reserve(principal_id.size() + resource.size() + idempotency_key.size() + 44);
  if (!principal_id.empty()) {
    // Resource names start with a letter, so "<digits>:" cannot begin an
    // unscoped name.
    name.append(std::to_string(principal_id.size())).append(1, ':').append(principal_id);
    name.append(1, '\n');
  }
  name.append(resource).append(1, '\n').append(idempotency_key).append(1, '\n');
  name += std::to_string(index);
  const boost::uuids::name_generator_sha1 gen(k_namespace);
  const boost::uuids::uuid id = gen(name.data(), name.size());
  return format(id.data);
}

std::string request_fingerprint(std::span<const std::string> bodies) {
  // Its own namespace: a fingerprint never equals a message id.
  static const boost::uuids::uuid k_namespace = {{0x3b, 0x5e, 0x8a, 0x10, 0x7c, 0x2d, 0x4f, 0x61,
                                                  0x9e, 0x44, 0xd1, 0x0a, 0x6b, 0x83, 0x27, 0xf5}};
  // Length-prefixed, so no two different lists serialise to the same name.
  std::string name = std::to_string(bodies.size());
  for (const auto& b : bodies) name.append(1, '\n').append(std::to_string(b.size())).append(1, ':').append(b);
  const boost::uuids::name_generator_sha1 gen(k_namespace);
  const boost::uuids::uuid id = gen(name.data(), name.size());
  return format(id.data);
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace sluice::model

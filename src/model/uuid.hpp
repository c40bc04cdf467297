#pragma once
// Message ids: UUIDv7 (time-ordered, RFC 9562) for new messages; UUIDv5 of
// (principal, resource, Idempotency-Key, index) so a retried POST maps to the
// same ids, and one client's key never names another client's messages.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace sluice::model {

// Thread-safe. Monotonic within a process.
std::string uuid_v7();

// Deterministic: the same inputs give the same id. `principal_id` is the
// caller's (auth::principal::id); "" (auth mode none) gives the ids Sluice
// gave before principals existed. Distinct inputs never share a name: the
// principal is length-prefixed, and only a scoped name starts with a digit.
std::string uuid_v5(std::string_view principal_id, std::string_view resource,
                    std::string_view idempotency_key, std::size_t index);
inline std::string uuid_v5(std::string_view resource, std::string_view idempotency_key,
                           std::size_t index) {
  return uuid_v5({}, resource, idempotency_key, index);
}

// The fingerprint of a whole request: a name-based (SHA-1) UUID over the
// count, order and bytes of its records' canonical bodies, so two requests
// share it only when they carry the same records in the same order. The
// dedup identity of an Idempotency-Key (broker::message::fingerprint).
std::string request_fingerprint(std::span<const std::string> bodies);

// True for the canonical 36-character lowercase or uppercase hex form.
bool is_uuid(std::string_view s);

}  // namespace sluice::model

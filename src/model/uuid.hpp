#pragma once
// Message ids: UUIDv7 (time-ordered, RFC 9562) for new messages; UUIDv5 of
// (resource, Idempotency-Key, index) so a retried POST maps to the same ids.

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice::model {

// Thread-safe. Monotonic within a process.
std::string uuid_v7();

// Deterministic: the same inputs give the same id.
std::string uuid_v5(std::string_view resource, std::string_view idempotency_key,
                    std::size_t index);

// True for the canonical 36-character lowercase or uppercase hex form.
bool is_uuid(std::string_view s);

}  // namespace sluice::model

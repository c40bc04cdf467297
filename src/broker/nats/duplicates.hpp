#pragma once
// Conflict detection for JetStream's duplicate window (issue 11 #9). Private
// to src/broker/nats/.
//
// The stream drops a publish whose Nats-Msg-Id it saw within its duplicate
// window and answers a PubAck with "duplicate": true and the sequence of the
// message it kept. The dedup identity is (id, fingerprint) — the body when
// neither has a fingerprint — so a duplicate is only a no-op when the kept
// message is the same: this module fetches it and compares.

#include <nats/nats.h>

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

#include "broker/broker.hpp"

namespace sluice::broker::nats {

// The kept message's stream sequence when `reply` is a duplicate PubAck.
std::optional<std::uint64_t> duplicate_of(natsMsg* reply);

// Whether the stored message `kept` (fetched by sequence) is `m` again: same
// id, topic and fingerprint, and the same body when `m` has no fingerprint.
bool same_message(natsMsg* kept, const message& m);

// The verdict on a duplicate of `m` kept at `seq` in `stream`: {} (a retry:
// nothing to do; also when the kept message was acked and removed since),
// errc::conflict (another request's message), or errc::unavailable when it
// could not be fetched (nothing new was stored; the client may retry).
std::error_code judge_duplicate(jsCtx* js, const std::string& stream, std::uint64_t seq,
                                const message& m);

}  // namespace sluice::broker::nats

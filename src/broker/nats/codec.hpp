#pragma once
// Names, messages and receipts as JetStream sees them. Private to
// src/broker/nats/.
//
// A message travels as a NATS message on "<namespace>.<topic>" whose data is
// the body and whose headers are the message's own headers plus
//   Nats-Msg-Id         the message id (JetStream's duplicate detection)
//   Sluice-Topic        the topic, unsanitised
//   Sluice-Accepted-At  accepted_at_us in decimal
//   Sluice-Fingerprint  message::fingerprint in hex, when it has one
// Headers named Nats-* or Sluice-* are reserved and not handed back.

#include <nats/nats.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "broker/broker.hpp"
#include "broker/nats/handles.hpp"

namespace sluice::broker::nats {

// [A-Za-z0-9_-] kept, anything else '_' (stream, consumer and subject tokens).
std::string sanitise(std::string_view name);
std::string stream_name(std::string_view name_space, std::string_view topic);
std::string subject_name(std::string_view name_space, std::string_view topic);
std::string consumer_name(std::string_view name_space, std::string_view subscription);

// A NATS message for `m`, replying to `reply`; nullptr when libnats refuses it.
handle<natsMsg> encode(const message& m, const std::string& subject, const std::string& reply);

// The message carried by `msg` (fetched from a consumer); `topic_fallback`
// when it has no Sluice-Topic header.
message decode(natsMsg* msg, std::string_view topic_fallback);

// message::fingerprint as the Sluice-Fingerprint header carries it (hex:
// a header value cannot hold any byte), and that header of `msg` ("" when
// it has none).
std::string encode_fingerprint(std::string_view fingerprint);
std::string fingerprint_of(natsMsg* msg);

// Receipts: "<stream sequence> <times delivered> <ack reply subject>".
std::string make_receipt(std::uint64_t stream_seq, std::uint64_t delivered, std::string_view reply);
struct receipt_parts {
  std::uint64_t stream_seq = 0;
  std::uint64_t delivered = 0;  // the server's NumDelivered for this delivery
  std::string_view reply;
};
std::optional<receipt_parts> parse_receipt(std::string_view receipt);

// Whether a PubAck reply means the message is stored ({"stream":…,"seq":…},
// duplicates included); false for JetStream errors and "no responders".
bool puback_ok(natsMsg* reply);

}  // namespace sluice::broker::nats

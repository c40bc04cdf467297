#pragma once
// Names of the broker's Redis keys, messages as stream entries, and receipts.
// Private to src/broker/redis/.
//
// Keys (all under the namespace, so deployments and tests can share a server):
//   <ns>:topic:<topic>      the stream of a topic (XADD)
//   <ns>:subscriptions      hash: subscription → topic
//   <ns>:dedup:<id>         sha1 of stream + body of a `deduplicate` message,
//                           expiring after the duplicate window
// A subscription is the consumer group "<ns>:<subscription>" on its topic's stream.

#include <hiredis/hiredis.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/broker.hpp"

namespace sluice::broker::redis {

struct names {
  std::string ns;
  std::string stream(std::string_view topic) const;
  std::string group(std::string_view subscription) const;
  std::string dedup(std::string_view message_id) const;
  std::string registry() const;
};

// Field/value pairs of a stream entry: id, topic, accepted_at_us, body, then
// one "h:<name>" field per header, in order.
std::vector<std::string> encode_fields(const message& m);
// From an entry's field/value array; nullopt when it is not one of ours.
std::optional<message> decode_fields(const redisReply* fields);

// What ack and release need to find a lease: the entry, the consumer that
// holds it and the delivery count it was handed out with.
struct lease {
  std::string entry_id;
  std::string consumer;
  std::uint32_t count = 0;
};
std::string encode_receipt(const lease& l);
std::optional<lease> decode_receipt(std::string_view receipt);

}  // namespace sluice::broker::redis

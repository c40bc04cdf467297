#pragma once
// What travels to and from SNS/SQS. Private to src/broker/snssqs/.
//
// A Sluice message is an SNS message whose body is the record's canonical
// JSON and whose message attributes (≤ 10, AWS's limit) carry the rest:
//   sluice-id           String  the message id
//   sluice-topic        String  the resource
//   sluice-accepted-at  Number  accepted time, µs since the epoch
//   sluice-fingerprint  String  hex of message::fingerprint (only when set)
//   sluice-spent        Number  attempts spent before this copy (copies only)
//   sluice-copy         Number  which copy this is (copies only)
//   <header name>       String  each header (traceparent, idempotency-key,
//                               content-type…) with a non-empty value and a
//                               name AWS takes, while fewer than 10 are used
// With RawMessageDelivery the SQS message has the same body and attributes.
// A "copy" is what release(count_attempt = false) sends to the queue in
// place of a delivery (see snssqs_broker.hpp).

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/broker.hpp"

namespace sluice::broker::snssqs {

inline constexpr std::size_t k_max_message_bytes = 256 * 1024;  // SNS and SQS, attributes included
inline constexpr std::size_t k_max_batch_entries = 10;
// What the broker's own attributes may take of k_max_message_bytes; the rest
// is for the body and the headers (broker::max_record_bytes()).
inline constexpr std::size_t k_attribute_reserve = 1024;

struct attribute {
  std::string name, type, value;  // type: "String" or "Number"
};

// The attributes of `m` (copy > 0: a copy that has spent `spent` attempts).
std::vector<attribute> attributes_of(const message& m, std::uint32_t spent = 0,
                                     std::uint32_t copy = 0);
// Body plus attributes, as AWS counts a message's size.
std::size_t encoded_size(const message& m);

// The FIFO MessageGroupId of `m`: the top-level field `field` of its body
// when set and present (strings as they are, other values as JSON), else
// the topic.
std::string group_of(const message& m, const std::string& field);

// ---- SNS (query protocol) ---------------------------------------------------
using params = std::vector<std::pair<std::string, std::string>>;
// application/x-www-form-urlencoded, AWS's percent-encoding (RFC 3986 unreserved kept).
std::string form_encode(const params& p);
// The text of the first <tag>…</tag> in `xml`, entities decoded; nullopt when absent.
std::optional<std::string> xml_text(std::string_view xml, std::string_view tag);

struct fifo_format {
  bool fifo = false;
  std::string group_field;  // see group_of()
};
// PublishBatch of `entries` (≤ 10) to `topic_arn`; entry i has Id "i".
params publish_batch(const std::string& topic_arn, std::span<const message* const> entries,
                     const fifo_format& f);
// PublishBatch's answer: the Ids that got a MessageId, and the failed ones
// with their codes.
struct batch_answer {
  std::vector<std::string> succeeded;
  std::vector<std::pair<std::string, std::string>> failed;  // id, code
};
batch_answer parse_publish_batch(std::string_view xml);

// ---- SQS (JSON protocol) ----------------------------------------------------
// A received message, decoded.
struct received {
  message msg;
  std::uint32_t receive_count = 1;  // ApproximateReceiveCount
  std::uint32_t spent = 0;          // sluice-spent
  std::uint32_t copy = 0;           // sluice-copy
  std::string group;                // MessageGroupId (FIFO)
  std::string handle;               // ReceiptHandle
};
std::vector<received> parse_receive(std::string_view json);

// The opaque delivery::receipt: spent, copy, group and receipt handle.
std::string make_receipt(const received& r);
struct receipt {
  std::uint32_t spent = 0, copy = 0;
  std::string group, handle;
};
std::optional<receipt> parse_receipt(std::string_view s);

// SendMessageBatch entries copying `deliveries` (each with the attempts it
// spent before this delivery), delayed by `delay_s` (standard queues only).
boost::json::object copy_batch(const std::string& queue_url, std::span<const delivery> deliveries,
                               unsigned delay_s, bool fifo);
// SQS batch answers: {"Successful":[{"Id":…}],"Failed":[{"Id":…,"Code":…}]}.
batch_answer parse_sqs_batch(std::string_view json);

}  // namespace sluice::broker::snssqs

#pragma once
// Sluice messages ⇄ AMQP basic properties. Private to src/broker/rabbitmq/.
//
// A message travels as: body = the record's JSON; message_id = Sluice's id;
// type = the topic; delivery_mode = 2 (persistent); headers = the message's
// own headers (traceparent, idempotency-key, content-type…) as strings plus
//   sluice-accepted-at-us  accept time (int64)
//   sluice-attempts        attempts spent before this copy was published
//                          (set when a release without counting republishes)
// The server adds x-delivery-count on quorum-queue redeliveries.

#include <amqp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "broker/broker.hpp"

namespace sluice::broker::rabbitmq {

// Properties that point into `msg`'s strings: `msg` must outlive them.
class encoded_properties {
 public:
  encoded_properties(const message& msg, std::uint32_t attempts_before);
  encoded_properties(const encoded_properties&) = delete;
  encoded_properties& operator=(const encoded_properties&) = delete;
  const amqp_basic_properties_t* get() const { return &props_; }

 private:
  std::vector<amqp_table_entry_t> entries_;
  amqp_basic_properties_t props_{};
};

// A delivery read from a queue: message, attempt and delivery tag.
struct decoded_delivery {
  message msg;
  std::uint32_t attempt = 1;
  std::uint64_t tag = 0;
};
decoded_delivery decode(const amqp_envelope_t& envelope);

}  // namespace sluice::broker::rabbitmq

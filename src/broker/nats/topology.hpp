#pragma once
// Streams and consumers through the JetStream API. Private to
// src/broker/nats/. Every call is a blocking request (up to the context's
// request timeout): call from a caller's or worker's thread, never an io thread.

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "broker/broker.hpp"

namespace sluice::broker::nats {

struct stream_spec {
  std::string name;
  std::string subject;
  std::chrono::milliseconds dedup_window{0};
  int replicas = 1;  // when created; an existing stream's are never lowered
};

struct consumer_spec {
  std::string stream;
  std::string name;
  std::string subject;
  std::chrono::milliseconds ack_wait{30'000};
  std::int64_t max_ack_pending = 20'000;
};

// Creates the stream (file storage, interest retention, `replicas`) or
// updates an existing one only as plan_stream allows (its duplicate window;
// replicas raised, never lowered; every other setting kept), logging a
// warning for each setting that differs from the configuration.
std::error_code ensure_stream(jsCtx* js, const stream_spec& spec);

// Creates the durable pull consumer with DeliverPolicy new, or updates an
// existing one's AckWait and MaxAckPending (its position is kept).
std::error_code ensure_consumer(jsCtx* js, const consumer_spec& spec);

// Finds the stream holding consumer `name` among the streams named
// "<stream_prefix>…" (errc::unknown_subscription when none does).
struct consumer_location {
  std::string stream;
  std::string subject;
};
result<consumer_location> find_consumer(jsCtx* js, const std::string& stream_prefix,
                                        const std::string& name);

// Messages of the consumer not yet delivered plus those leased and unacked.
result<std::uint64_t> consumer_depth(jsCtx* js, const std::string& stream, const std::string& name);

// {} when JetStream answers an account info request.
std::error_code jetstream_ping(jsCtx* js, std::chrono::milliseconds timeout);

}  // namespace sluice::broker::nats

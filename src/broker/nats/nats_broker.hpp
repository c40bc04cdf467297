#pragma once
// The NATS JetStream broker (libnats). SNS→SQS maps onto JetStream as:
//  - topic         → a stream "<namespace>_<topic>" on subject "<namespace>.<topic>",
//                    file storage, interest retention (a message is removed once
//                    every subscription acked it), duplicate window = dedup_window,
//                    `replicas` replicas when created. An existing stream keeps
//                    the operator's settings: only its duplicate window is updated
//                    and its replicas raised to `replicas`, never lowered
//                    (stream_plan.hpp; a warning is logged for each difference);
//  - subscription  → a durable pull consumer "<namespace>_<subscription>",
//                    DeliverPolicy new when created, AckExplicit, AckWait =
//                    visibility_timeout, MaxDeliver unlimited (Sluice counts
//                    attempts and dead-letters itself), MaxAckPending = max_ack_pending;
//  - attempt       → the delivery's NumDelivered from the JetStream metadata,
//                    minus its deliveries that did not count (the KeyValue
//                    bucket "<namespace>_attempts", see attempt_ledger.hpp).
// Names are sanitised: characters other than [A-Za-z0-9_-] become '_'.
//
// Publishing: publish() only queues (never blocks) in the shared
// publish_queue; its thread sends each group's messages with Nats-Msg-Id =
// message id and a reply inbox, all at once, then collects their PubAcks (the
// stream has stored them). A call fails with errc::unavailable when one of
// its messages could not be sent or was refused, and with
// errc::outcome_unknown when one was sent but its PubAck did not come within
// publish_timeout or the connection dropped first (it may be stored).
//
// Deviations from the broker contract (JetStream cannot do better):
//  - Publish is not all-or-nothing: a call of several messages that answers
//    errc::unavailable may have stored some of them. The client's retry with
//    the same ids (Idempotency-Key) is dropped by the stream's duplicate window.
//  - Every message id is remembered for dedup_window. A republished id is
//    dropped; the message the stream kept is fetched and compared (id, topic,
//    the Sluice-Fingerprint header, or the body without one): the same is a
//    no-op, another is errc::conflict. When the kept message was already
//    acked by every subscription and removed, nothing is left to compare
//    with and the republish is taken as a retry (a no-op).
//  - release(count_attempt = false): JetStream counts every delivery, so the
//    release is recorded in the attempts bucket on the server first (then the
//    NAK); whichever process receives the message next subtracts it. If the
//    bucket cannot be written the message is released anyway and the error
//    returned (that delivery then counts); a redelivery whose entry cannot be
//    read is handed back at once (counted) rather than reported with a guess.
//  - Acking a delivery whose lease expired and was re-leased still removes
//    the message (JetStream acks by stream sequence). Harmless for Sluice:
//    the row is committed before the ack.
//  - holds() is always nullopt: JetStream finds messages by sequence or
//    subject, never by Nats-Msg-Id, and its duplicate window cannot be read.
// Durability: nats-server 2.9 answers the PubAck once the message is written
// to its file store (the OS page cache); it syncs to disk on an interval, so
// an acknowledged message survives a server crash but a power loss only after
// that sync (a cluster with replicas > 1 acknowledges after a quorum).
// nats-server 2.9.10 also acknowledges publishes it loses while its streams
// stop on SIGTERM: the publisher replays what was acknowledged just before a
// connection drop (publisher.hpp, "Replay after a connection drop").
//
// Connection: libnats reconnects itself forever with capped exponential
// backoff and jitter; while disconnected, publish() and ping() fail at once
// with errc::unavailable (nothing is buffered for later) and pull() waits up
// to its `wait` for the connection, then fails with errc::unavailable.

#include <chrono>
#include <memory>
#include <string>

#include "broker/broker.hpp"

namespace sluice::broker {

struct nats_broker_options {
  std::string url = "nats://127.0.0.1:4222";  // nats://[user:pass@]host:port[,nats://…]
  std::string name_space = "sluice";          // prefix of streams, subjects and consumers
  std::chrono::milliseconds visibility_timeout{30'000};      // consumer AckWait
  std::chrono::milliseconds dedup_window{24 * 3600 * 1000};  // stream Duplicates window
  std::size_t max_pending =
      100'000;  // messages queued or awaiting a PubAck before errc::overloaded
  std::chrono::milliseconds publish_timeout{5000};  // PubAck wait before errc::outcome_unknown
  std::chrono::milliseconds request_timeout{5000};  // JetStream API calls (declare, depth, ping)
  std::int64_t max_ack_pending = 20'000;            // per consumer: leased and unacked
  int replicas = 1;  // of streams (and the attempts bucket) created here; never lowered
  std::chrono::milliseconds reconnect_min{100};     // reconnect backoff, doubled per attempt…
  std::chrono::milliseconds reconnect_max{2000};    // …up to this, plus up to 25 % jitter
};

// Connects (or keeps trying in the background when the server is not up yet:
// declare() then waits up to request_timeout for it). Fails with
// errc::unavailable only when the options are unusable (e.g. a bad URL).
result<std::unique_ptr<broker>> make_nats_broker(const nats_broker_options& options);

}  // namespace sluice::broker

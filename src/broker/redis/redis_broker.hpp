#pragma once
// The Redis Streams broker (Redis ≥ 7.0, one server or a primary; not Redis
// Cluster). A topic is a stream, a subscription a consumer group on it, so
// every subscription sees every message (SNS→SQS fan-out):
//  - publish: XADD (a Lua script when the call has several messages or a
//    `deduplicate` one: all-or-nothing, with the dedup check in the same step),
//    pipelined by one publisher thread; `done` runs after Redis replied, i.e.
//    after the AOF write (and fsync with `appendfsync always`).
//  - pull: XAUTOCLAIM of entries leased longer than the visibility timeout
//    (their delivery count, from XPENDING, is delivery::attempt), then
//    XREADGROUP of new ones; XREADGROUP BLOCK while there is nothing.
//  - ack: XACK, only while the lease is still the caller's.
//  - acked entries are trimmed (XTRIM MINID ~) behind the slowest group, at
//    most once a second per stream by each client.
//
// Deviations from SQS, forced by Redis:
//  - release(delay) cannot make an entry visible early: it sets the entry's
//    idle time (XCLAIM IDLE) to visibility_timeout - delay, so XAUTOCLAIM takes
//    it `delay` from now; a delay longer than the visibility timeout is cut
//    to it. count_attempt = false sets the delivery count back by one
//    (XCLAIM RETRYCOUNT), so the next delivery has the same attempt.
//  - A lease is recognised by (consumer, delivery count); after a release that
//    did not count, a stale receipt of the same consumer matches the new lease.
//  - holds(id) knows only `deduplicate` ids (their dedup key): otherwise nullopt.
//  - Each client is one consumer ("<host>-<pid>-<random>") in every group it
//    pulls from; consumers of dead processes stay listed (with nothing pending
//    once their leases were reclaimed) until an operator deletes them.
//  - A publish whose reply was lost (the connection broke) is sent once more on
//    a new connection; it may then be in the stream twice, under the same
//    message id (the subscriber's sink is idempotent on it).
//
// Durability is Redis's: run it with `appendonly yes`. `appendfsync always`
// fsyncs before replying (a 202 survives power loss); `everysec` survives a
// crash of redis-server but may lose about the last second on power loss.
// Without AOF every message since the last RDB snapshot can be lost, so
// declare() refuses a server whose AOF is off unless require_aof is false.

#include <chrono>
#include <memory>
#include <string>

#include "broker/broker.hpp"

namespace sluice::broker {

struct redis_broker_options {
  std::string url;       // redis://[user:password@]host:port[/db]
  std::string password;  // when set, replaces the URL's (e.g. from the environment)
  std::string name_space = "sluice";  // prefix of every key and group
  std::chrono::milliseconds visibility_timeout{30'000};
  std::size_t max_pending = 100'000;   // publishes queued before errc::overloaded
  std::size_t max_group = 4096;        // messages per pipelined round trip
  std::chrono::milliseconds dedup_window{24 * 3600 * 1000};
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds io_timeout{5000};  // one command's reply, beyond any BLOCK
  std::chrono::milliseconds retry_min{50};     // reconnect backoff (with jitter)
  std::chrono::milliseconds retry_max{2000};
  std::chrono::milliseconds trim_interval{1000};
  std::size_t max_idle_connections = 8;  // kept for pull/ack/release/queries
  bool require_aof = true;
};

// Parses the URL; connects lazily (declare() is the first call that needs the
// server). Fails with errc::unavailable only for a malformed URL.
result<std::unique_ptr<broker>> make_redis_broker(const redis_broker_options& options);

}  // namespace sluice::broker

// Drill 2 (issue 15): the broker process killed (SIGKILL) or stopped
// (SIGTERM) mid-load and started again on the same data: NATS JetStream
// (file store), Redis (appendonly, appendfsync always), RabbitMQ (durable
// queues, persistent messages, confirms). `sluice serve` keeps running: while
// the broker is away POSTs answer 503 + Retry-After (or "outcome unknown",
// indeterminate), and once it is back every 202 is one row.

#include "faults/drill.hpp"
#if SLUICE_WITH_NATS
#include "support/nats_server.hpp"
#endif
#if SLUICE_WITH_REDIS
#include "support/redis_server.hpp"
#endif
#if SLUICE_WITH_RABBITMQ
#include "support/rabbitmq_server.hpp"
#endif

namespace sluice::testing::drill {
namespace {

std::string unique_namespace(const temp_dir& dir) {
  std::string ns = "f" + dir.path().filename().string().substr(12);
  for (auto& ch : ns) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return ns;
}

// Load through `serve` on `broker_url`; `fault` takes the broker away and
// brings it back (returns false if it could not). `topology_settle`: how long
// the broker is left alone after `serve` declared its topology, before the
// load and so the first fault.
void broker_drill(const std::string& name, const std::string& backend,
                  const std::string& broker_url, const std::function<bool()>& fault,
                  std::chrono::milliseconds topology_settle = 0ms) {
  temp_dir dir;
  const int port = free_port();
  auto env = base_env(port);
  env["SLUICE_BROKER_URL"] = broker_url;
  env["SLUICE_BROKER_NAMESPACE"] = unique_namespace(dir);
  sluice_process p("serve", default_config(), dir.path(), env);
  ASSERT_TRUE(p.start()) << p.log();
  std::this_thread::sleep_for(topology_settle);
  ledger_options o;
  o.port = port;
  o.connections = 16;
  o.tag = "b";
  ledger l(o);
  l.start();
  const int faults = full_drills() ? 3 : 1;
  fault_times times;
  for (int i = 0; i < faults; ++i) {
    ASSERT_TRUE(l.wait_successes(l.successes(), 200, 60s)) << p.log();
    const double down = l.now_ms();
    ASSERT_TRUE(fault()) << "the broker did not come back";
    const double up = l.now_ms();
    const auto before = l.successes();
    EXPECT_TRUE(l.wait_successes(before, 1, 60s)) << p.log();
    times.add(up - down, l.now_ms() - up);
  }
  EXPECT_TRUE(l.wait_successes(l.successes(), 200, 60s)) << p.log();
  l.stop();
  finish(l, port, name + (faults > 1 ? " ×" + std::to_string(faults) : ""), backend, times.window(),
         times.recovery());
  EXPECT_EQ(p.stop(), 0) << p.log();
}

#if SLUICE_WITH_NATS
TEST(drill_broker, nats_kill_9) {
  auto* nats = nats_server::shared();
  ASSERT_NE(nats, nullptr);
  broker_drill("2 broker kill -9", "nats/sqlite", nats->url(), [nats] {
    nats->kill9();
    std::this_thread::sleep_for(1s);
    return nats->start();
  });
}
// nats-server 2.9.10 acknowledges publishes while its streams shut down on
// SIGTERM and loses them: the publisher's replay after the drop must bring
// every one back (publisher.hpp). In make test too: one SIGTERM, ~10 s.
TEST(drill_broker, nats_sigterm) {
  auto* nats = nats_server::shared();
  ASSERT_NE(nats, nullptr);
  broker_drill("2 broker SIGTERM", "nats/sqlite", nats->url(),
               [nats] { return nats->restart(false); });
}
#endif

#if SLUICE_WITH_REDIS
TEST(drill_broker, redis_kill_9) {
  auto* redis = redis_server::shared();
  ASSERT_NE(redis, nullptr);
  broker_drill("2 broker kill -9", "redis/sqlite", redis->url(), [redis] {
    redis->kill9();
    std::this_thread::sleep_for(1s);
    return redis->restart(true);
  });
}
TEST(drill_broker, redis_sigterm) {
  if (!full_drills()) GTEST_SKIP() << "make faults only";
  auto* redis = redis_server::shared();
  ASSERT_NE(redis, nullptr);
  broker_drill("2 broker SIGTERM", "redis/sqlite", redis->url(),
               [redis] { return redis->restart(false); });
}
#endif

#if SLUICE_WITH_RABBITMQ
// RabbitMQ 3.10 (Ra 2.2) keeps a new quorum queue's member registration
// (quorum/<node>/names.dets) in memory and writes it out every 500 ms: a node
// killed within that window of the queue's first declare comes back with a
// new member for the queue that never elects a leader ("leader not known"),
// and the queue takes no publish and no consumer, ever. That is RabbitMQ's
// limitation, and an operator's (README, RabbitMQ broker): no process can
// make a node crash harmless in the first half second of a queue's life.
// The drill is about the node dying under load on queues that exist, so the
// load (and the first kill) starts once the registration is on disk. The
// SIGTERM drill settles the same way, so both measure the same thing.
constexpr auto k_rabbitmq_topology_settle = 2s;
// RabbitMQ's node takes 4–13 s to start: make faults only.
TEST(drill_broker, rabbitmq_kill_9) {
  if (!full_drills()) GTEST_SKIP() << "make faults only (the node starts in 4-13 s)";
  auto* rabbit = rabbitmq_server::shared();
  ASSERT_NE(rabbit, nullptr);
  broker_drill(
      "2 broker kill -9", "rabbitmq/sqlite", rabbit->url(),
      [rabbit] { return rabbit->restart(true); }, k_rabbitmq_topology_settle);
}
TEST(drill_broker, rabbitmq_sigterm) {
  if (!full_drills()) GTEST_SKIP() << "make faults only (the node starts in 4-13 s)";
  auto* rabbit = rabbitmq_server::shared();
  ASSERT_NE(rabbit, nullptr);
  broker_drill(
      "2 broker SIGTERM", "rabbitmq/sqlite", rabbit->url(),
      [rabbit] { return rabbit->restart(false); }, k_rabbitmq_topology_settle);
}
#endif

}  // namespace
}  // namespace sluice::testing::drill

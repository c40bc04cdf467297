// Drill 4 (issue 15): network faults between Sluice and its servers, through
// support/fault_proxy on loopback: 200 ms of added latency, a stall, every
// connection reset mid-reply, then half-open connections that never answer.
// POSTs stay bounded by Sluice's own timeouts (no client timeout of 15 s is
// ever reached); a GET while the store is stalled is a 503 with Retry-After,
// not a hang; nothing is lost or doubled.

#include "faults/drill.hpp"
#include "support/fault_proxy.hpp"
#if SLUICE_WITH_POSTGRES
#include "support/postgres_server.hpp"
#endif
#if SLUICE_WITH_NATS
#include "support/nats_server.hpp"
#endif
#if SLUICE_WITH_REDIS
#include "support/redis_server.hpp"
#endif

namespace sluice::testing::drill {
namespace {

std::string with_port(std::string url, int from, int to) {
  const auto at = url.find(":" + std::to_string(from));
  if (at != std::string::npos)
    url.replace(at, std::to_string(from).size() + 1, ":" + std::to_string(to));
  return url;
}

struct net_result {
  int stalled_get_status = 0;
  bool stalled_get_retry_after = false;
  double stalled_get_ms = 0;
};

// Runs the fault sequence through `proxy` under a ledger load on serve with `env`.
void network_drill(const std::string& backend, fault_proxy& proxy,
                   std::map<std::string, std::string> extra, bool store_behind_proxy) {
  temp_dir dir;
  const int port = free_port();
  auto env = base_env(port);
  env["SLUICE_STORE_READ_TIMEOUT_MS"] = "2000";
  for (auto& [k, v] : extra) env[k] = v;
  sluice_process p("serve", default_config(), dir.path(), env);
  ASSERT_TRUE(p.start()) << p.log();
  ledger_options o;
  o.port = port;
  o.connections = 16;
  o.tag = "nw";
  o.pause = 5ms;
  ledger l(o);
  l.start();
  const bool full = full_drills();
  ASSERT_TRUE(l.wait_successes(0, 200, 60s)) << p.log();
  const double t0 = l.now_ms();
  proxy.set_mode(fault_proxy::mode::latency);
  std::this_thread::sleep_for(3s);
  proxy.set_mode(fault_proxy::mode::stall);
  net_result n;
  if (store_behind_proxy) {
    // A read the cache cannot answer: a filter nobody asked for before.
    http_client c(port);
    const auto before = l.now_ms();
    auto r = c.get("/v1/users?email=eq.stalled" + std::to_string(port) + "@ledger.test");
    n.stalled_get_ms = l.now_ms() - before;
    n.stalled_get_status = r.status;
    n.stalled_get_retry_after = !r.header("retry-after").empty();
  }
  std::this_thread::sleep_for(full ? 10s : 4s);
  proxy.set_mode(fault_proxy::mode::pass);
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(500ms);
    proxy.reset_all();
  }
  proxy.set_mode(fault_proxy::mode::blackhole);
  proxy.reset_all();  // open connections go: new ones are half-open
  std::this_thread::sleep_for(full ? 5s : 3s);
  proxy.set_mode(fault_proxy::mode::pass);
  proxy.reset_all();  // the half-open ones: connect afresh
  const double healed = l.now_ms();
  EXPECT_TRUE(l.wait_successes(l.successes(), 200, 90s)) << p.log();
  l.stop();
  const double back = l.first_success_after(healed);
  auto r = finish(l, port, "4 network: 200 ms, stall, resets, half-open", backend, ms(healed - t0),
                  back < 0 ? "-" : ms(back - healed),
                  store_behind_proxy ? "stalled GET: " + std::to_string(n.stalled_get_status) +
                                           " in " + ms(n.stalled_get_ms)
                                     : "");
  EXPECT_EQ(r.timeouts, 0u) << "a POST waited past the client's 15 s\n" << r.summary();
  if (store_behind_proxy) {
    EXPECT_EQ(n.stalled_get_status, 503);
    EXPECT_TRUE(n.stalled_get_retry_after);
  }
  EXPECT_EQ(p.stop(), 0) << p.log();
}

#if SLUICE_WITH_POSTGRES
TEST(drill_network, postgres_store_behind_the_proxy) {
  if (!full_drills()) GTEST_SKIP() << "make faults only (about a minute)";
  auto* pg = postgres_server::shared();
  ASSERT_NE(pg, nullptr);
  const std::string url = pg->create_database();
  ASSERT_FALSE(url.empty());
  fault_proxy proxy(pg->port());
  network_drill("sqlite/postgres", proxy,
                {{"SLUICE_STORE_URL", with_port(url, pg->port(), proxy.port())},
                 {"SLUICE_STORE_CONNECT_TIMEOUT_MS", "2000"}},
                true);
}
#endif

#if SLUICE_WITH_NATS
TEST(drill_network, nats_broker_behind_the_proxy) {
  if (!full_drills()) GTEST_SKIP() << "make faults only";
  auto* nats = nats_server::shared();
  ASSERT_NE(nats, nullptr);
  const std::string url = nats->url();
  const int nats_port = std::stoi(url.substr(url.rfind(':') + 1));
  fault_proxy proxy(nats_port);
  network_drill("nats/sqlite", proxy,
                {{"SLUICE_BROKER_URL", with_port(url, nats_port, proxy.port())},
                 {"SLUICE_BROKER_NAMESPACE", "net" + std::to_string(proxy.port())}},
                false);
}
#endif

#if SLUICE_WITH_REDIS
TEST(drill_network, redis_broker_behind_the_proxy) {
  if (!full_drills()) GTEST_SKIP() << "make faults only";
  auto* redis = redis_server::shared();
  ASSERT_NE(redis, nullptr);
  fault_proxy proxy(redis->port());
  network_drill("redis/sqlite", proxy,
                {{"SLUICE_BROKER_URL", with_port(redis->url(), redis->port(), proxy.port())},
                 {"SLUICE_BROKER_NAMESPACE", "net" + std::to_string(proxy.port())}},
                false);
}
#endif

}  // namespace
}  // namespace sluice::testing::drill

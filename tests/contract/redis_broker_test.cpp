// What only the Redis broker must show beyond the shared contract (issue 11
// #27): a publish nothing of which reached the server is refused
// (errc::unavailable: nothing was accepted), also on the first publish after
// the server died under an idle connection; one that was sent and never
// answered is errc::outcome_unknown (the shared contract's frozen-server case).

#include "broker/redis/redis_broker.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <future>
#include <set>
#include <thread>

#include "support/redis_server.hpp"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

broker::message make(const std::string& id) {
  broker::message m;
  m.id = id;
  m.topic = "t";
  m.body = "{\"n\":1}";
  m.deduplicate = true;  // one script call: all or nothing
  m.fingerprint = "request-" + id;
  return m;
}

std::error_code publish_sync(broker::broker& b, std::vector<broker::message> msgs) {
  std::promise<std::error_code> done;
  auto f = done.get_future();
  b.publish(std::move(msgs), [&done](std::error_code ec) { done.set_value(ec); });
  if (f.wait_for(60s) != std::future_status::ready) return broker::errc::closed;
  return f.get();
}

bool eventually_reachable(broker::broker& b) {
  for (int i = 0; i < 300; ++i) {  // ≤ 30 s
    if (!b.ping()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

TEST(redis_broker_faults, a_publish_after_the_server_died_is_refused_not_unknown) {
  auto* server = redis_server::shared();
  ASSERT_TRUE(server);
  broker::redis_broker_options o;
  o.url = server->url();
  o.name_space = "f" + std::to_string(getpid());
  o.io_timeout = 1s;
  o.retry_max = 300ms;
  auto made = broker::make_redis_broker(o);
  ASSERT_TRUE(made);
  auto b = std::move(*made);
  ASSERT_TRUE(eventually_reachable(*b));
  broker::topology t[] = {{"s", "t"}};
  ASSERT_FALSE(b->declare(t));
  ASSERT_FALSE(publish_sync(*b, {make("before")}));  // the publisher's connection is open

  server->kill9();  // its socket is closed under the idle connection
  EXPECT_EQ(publish_sync(*b, {make("while-down")}), broker::errc::unavailable);

  ASSERT_TRUE(server->restart(false));
  ASSERT_TRUE(eventually_reachable(*b));
  std::error_code ec = broker::errc::unavailable;
  for (int i = 0; i < 50 && ec; ++i) {  // the publisher's backoff ends
    ec = publish_sync(*b, {make("after")});
    if (ec) std::this_thread::sleep_for(100ms);
  }
  EXPECT_FALSE(ec) << ec.message();
  std::set<std::string> ids;
  for (int i = 0; i < 20 && ids.size() < 2; ++i) {
    auto got = b->pull("s", 10, 500ms);
    if (!got) continue;
    for (const auto& d : *got) ids.insert(d.msg.id);
    EXPECT_FALSE(b->ack(*got));
  }
  // Refused means refused: "while-down" was never stored.
  EXPECT_EQ(ids, (std::set<std::string>{"before", "after"}));
}

}  // namespace
}  // namespace sluice::testing

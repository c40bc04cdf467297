// What only the NATS broker must show beyond the shared contract: with the
// server gone or frozen, publish answers errc::unavailable quickly (never
// success, never a hang), ping says so, and both recover when it is back.

#include "broker/nats/nats_broker.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <future>
#include <set>
#include <thread>

#include "support/nats_server.hpp"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

broker::message make(const std::string& id, const std::string& topic) {
  broker::message m;
  m.id = id;
  m.topic = topic;
  m.body = "{\"n\":1}";
  return m;
}

// The error and how long the callback took.
std::pair<std::error_code, std::chrono::milliseconds> publish_timed(
    broker::broker& b, std::vector<broker::message> msgs) {
  auto start = std::chrono::steady_clock::now();
  std::promise<std::error_code> done;
  auto f = done.get_future();
  b.publish(std::move(msgs), [&done](std::error_code ec) { done.set_value(ec); });
  if (f.wait_for(30s) != std::future_status::ready) return {broker::errc::closed, 30s};
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return {f.get(), took};
}

bool eventually_reachable(broker::broker& b) {
  for (int i = 0; i < 300; ++i) {  // ≤ 30 s
    if (!b.ping()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

class nats_broker_faults : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = nats_server::shared();
    ASSERT_TRUE(server_);
    broker::nats_broker_options o;
    o.url = server_->url();
    static int n = 0;  // each test its own streams and consumers
    o.name_space = "f" + std::to_string(getpid()) + "_" + std::to_string(++n);
    o.publish_timeout = 500ms;
    o.reconnect_max = 300ms;
    auto b = broker::make_nats_broker(o);
    ASSERT_TRUE(b);
    broker_ = std::move(*b);
    ASSERT_TRUE(eventually_reachable(*broker_));
    broker::topology t[] = {{"s", "t"}};
    ASSERT_FALSE(broker_->declare(t));
  }

  nats_server* server_ = nullptr;
  std::unique_ptr<broker::broker> broker_;
};

TEST_F(nats_broker_faults, publish_fails_fast_while_the_server_is_down_and_recovers) {
  ASSERT_FALSE(publish_timed(*broker_, {make("a", "t")}).first);
  server_->kill9();
  std::this_thread::sleep_for(200ms);  // the client notices the closed socket
  // An outcome, not a timing: refused (503), never accepted nor left hanging.
  auto [ec, took] = publish_timed(*broker_, {make("b", "t")});
  EXPECT_EQ(ec, broker::errc::unavailable) << "after " << took.count() << " ms";
  EXPECT_EQ(broker_->ping(), broker::errc::unavailable);

  ASSERT_TRUE(server_->start());
  ASSERT_TRUE(eventually_reachable(*broker_));
  EXPECT_FALSE(publish_timed(*broker_, {make("c", "t")}).first);
  auto got = broker_->pull("s", 10, 2s);
  ASSERT_TRUE(got);
  std::set<std::string> ids;
  for (const auto& d : *got) ids.insert(d.msg.id);
  EXPECT_EQ(ids, (std::set<std::string>{"a", "c"}));
  EXPECT_FALSE(broker_->ack(*got));
}

TEST_F(nats_broker_faults, a_frozen_server_fails_publishes_after_the_publish_timeout) {
  server_->signal(SIGSTOP);
  auto [ec, took] = publish_timed(*broker_, {make("frozen", "t")});
  server_->signal(SIGCONT);
  EXPECT_EQ(ec, broker::errc::unavailable) << "after " << took.count() << " ms";
  ASSERT_TRUE(eventually_reachable(*broker_));
  EXPECT_FALSE(publish_timed(*broker_, {make("thawed", "t")}).first);
}

TEST_F(nats_broker_faults, an_id_is_deduplicated_even_after_every_subscription_acked_it) {
  auto m = make("idem", "t");
  m.deduplicate = true;
  ASSERT_FALSE(publish_timed(*broker_, {m}).first);
  auto got = broker_->pull("s", 10, 2s);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  ASSERT_FALSE(broker_->ack(*got));
  // Interest retention removed the message; the duplicate window still has its id.
  ASSERT_FALSE(publish_timed(*broker_, {m}).first);
  auto again = broker_->pull("s", 10, 500ms);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
  auto depth = broker_->depth("s");
  ASSERT_TRUE(depth);
  EXPECT_EQ(*depth, 0u);
}

TEST_F(nats_broker_faults, closing_fails_new_calls_with_closed) {
  broker_->close();
  EXPECT_EQ(publish_timed(*broker_, {make("late", "t")}).first, broker::errc::closed);
  auto got = broker_->pull("s", 1, 10ms);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error(), broker::errc::closed);
}

}  // namespace
}  // namespace sluice::testing

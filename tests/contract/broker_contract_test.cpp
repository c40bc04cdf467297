// One delivery contract, every broker (SNS→SQS semantics): publish then
// consume, fan-out, redelivery of unacked messages, attempts counted for
// dead-lettering, idempotent ids, durability across a broker restart.

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "support/broker_backends.hpp"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;
using broker::delivery;
using broker::message;

std::string unique(const std::string& prefix) {
  static std::atomic<int> n{0};
  static const auto run = std::random_device{}();
  return prefix + "_" + std::to_string(run % 100000) + "_" + std::to_string(++n);
}

message make(const std::string& id, const std::string& topic, const std::string& body = "{\"n\":1}") {
  message m;
  m.id = id;
  m.topic = topic;
  m.body = body;
  m.headers = {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
               {"content-type", "application/json"}};
  m.accepted_at_us = 1'790'000'000'000'000;
  return m;
}

std::error_code publish_sync(broker::broker& b, std::vector<message> msgs) {
  std::promise<std::error_code> done;
  auto f = done.get_future();
  b.publish(std::move(msgs), [&done](std::error_code ec) { done.set_value(ec); });
  if (f.wait_for(60s) != std::future_status::ready) return broker::errc::unavailable;
  return f.get();
}

// Pulls until `n` deliveries arrived or `limit` passed.
std::vector<delivery> pull_n(broker::broker& b, const std::string& sub, std::size_t n,
                             std::chrono::milliseconds limit = 20s) {
  std::vector<delivery> out;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
    auto got = b.pull(sub, n - out.size(), 200ms);
    if (!got) continue;  // e.g. reconnecting after a restart
    for (auto& d : *got) out.push_back(std::move(d));
  }
  return out;
}

class broker_contract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    backend_ = make_broker_backend(GetParam(), {});
    ASSERT_TRUE(backend_) << GetParam() << " could not be started";
    topic_ = unique("t");
  }
  broker::broker& b() { return backend_->get(); }
  std::string declare(const std::string& name) {
    std::string sub = unique(name);
    broker::topology t[] = {{sub, topic_}};
    EXPECT_FALSE(b().declare(t));
    return sub;
  }

  std::unique_ptr<broker_backend> backend_;
  std::string topic_;
};

TEST_P(broker_contract, publish_then_consume_round_trips_body_and_headers) {
  auto sub = declare("s");
  ASSERT_FALSE(publish_sync(b(), {make("m-1", topic_, "{\"name\":\"Ada\"}")}));
  auto got = pull_n(b(), sub, 1);
  ASSERT_EQ(got.size(), 1u);
  const auto& d = got[0];
  EXPECT_EQ(d.msg.id, "m-1");
  EXPECT_EQ(d.msg.topic, topic_);
  EXPECT_EQ(d.msg.body, "{\"name\":\"Ada\"}");
  EXPECT_EQ(d.msg.accepted_at_us, 1'790'000'000'000'000);
  std::map<std::string, std::string> headers(d.msg.headers.begin(), d.msg.headers.end());
  EXPECT_EQ(headers["traceparent"], "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  EXPECT_EQ(d.attempt, 1u);
  EXPECT_EQ(d.subscription, sub);
  ASSERT_FALSE(b().ack(got));
  auto more = b().pull(sub, 10, 300ms);
  ASSERT_TRUE(more);
  EXPECT_TRUE(more->empty());
}

TEST_P(broker_contract, every_subscription_gets_every_message) {
  auto s1 = declare("a");
  auto s2 = declare("b");
  std::vector<message> msgs;
  for (int i = 0; i < 20; ++i) msgs.push_back(make("f-" + std::to_string(i), topic_));
  ASSERT_FALSE(publish_sync(b(), msgs));
  for (const auto& sub : {s1, s2}) {
    // Acked as they come: a FIFO queue hands out no more of a group while
    // some of it is in flight.
    std::set<std::string> ids;
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (ids.size() < 20 && std::chrono::steady_clock::now() < deadline) {
      auto got = pull_n(b(), sub, 20 - ids.size(), 1s);
      for (const auto& d : got) ids.insert(d.msg.id);
      EXPECT_FALSE(b().ack(got));
    }
    EXPECT_EQ(ids.size(), 20u) << sub;
  }
}

TEST_P(broker_contract, a_consumer_that_dies_without_acking_gets_its_messages_redelivered) {
  auto sub = declare("s");
  ASSERT_FALSE(publish_sync(b(), {make("r-1", topic_), make("r-2", topic_)}));
  {
    auto dying = backend_->open_client();
    ASSERT_TRUE(dying);
    auto got = pull_n(*dying, sub, 2);
    ASSERT_EQ(got.size(), 2u);
    // …and the consumer goes away without acking.
  }
  auto again = pull_n(b(), sub, 2, 30s);
  ASSERT_EQ(again.size(), 2u);
  for (const auto& d : again) EXPECT_GE(d.attempt, 2u) << d.msg.id;
  EXPECT_FALSE(b().ack(again));
}

TEST_P(broker_contract, attempts_are_counted_for_dead_lettering_while_the_rest_flow) {
  if (backend_->ordered_groups()) {
    GTEST_SKIP() << "FIFO: a failing message holds its group back by design";
  }
  auto sub = declare("s");
  ASSERT_FALSE(publish_sync(b(), {make("poison", topic_)}));
  std::uint32_t last_attempt = 0;
  for (int round = 0; round < 4; ++round) {
    // Another message arrives; the poison one keeps failing beside it.
    std::string id = "ok-" + std::to_string(round);
    ASSERT_FALSE(publish_sync(b(), {make(id, topic_)}));
    auto got = pull_n(b(), sub, 2, 30s);
    ASSERT_EQ(got.size(), 2u) << "round " << round;
    bool seen = false;
    for (auto& d : got) {
      if (d.msg.id == id) {
        seen = true;
        EXPECT_FALSE(b().ack(std::span(&d, 1)));
      } else {
        EXPECT_EQ(d.msg.id, "poison");
        EXPECT_GT(d.attempt, last_attempt);
        last_attempt = d.attempt;
        EXPECT_FALSE(b().release(std::span(&d, 1), 0ms, true));
      }
    }
    EXPECT_TRUE(seen) << id;
  }
  EXPECT_GE(last_attempt, 4u);
}

TEST_P(broker_contract, release_without_counting_keeps_the_attempt) {
  auto sub = declare("s");
  ASSERT_FALSE(publish_sync(b(), {make("keep", topic_)}));
  auto first = pull_n(b(), sub, 1);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_FALSE(b().release(first, 0ms, false));
  auto second = pull_n(b(), sub, 1);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].attempt, first[0].attempt);
  EXPECT_FALSE(b().ack(second));
}

TEST_P(broker_contract, republishing_an_id_delivers_it_once) {
  auto sub = declare("s");
  auto m = make("dup-1", topic_);
  m.deduplicate = true;
  ASSERT_FALSE(publish_sync(b(), {m}));
  ASSERT_FALSE(publish_sync(b(), {m}));
  // Shorter than the visibility timeout, so an unacked message cannot come back.
  auto got = pull_n(b(), sub, 2, 500ms);
  EXPECT_EQ(got.size(), 1u);
  EXPECT_FALSE(b().ack(got));
}

// Issue 11 #9: the dedup identity is (id, fingerprint of the request). The
// same record under the same id from another request is a conflict and
// delivers nothing; the same request again is a no-op.
TEST_P(broker_contract, an_id_reused_by_another_request_conflicts_even_with_the_same_body) {
  auto sub = declare("s");
  auto first = make("req-1", topic_);
  first.deduplicate = true;
  first.fingerprint = std::string("request-A\x01\xff", 11);  // a digest: any bytes
  auto other = first;
  other.fingerprint = std::string("request-B\x01\xff", 11);
  ASSERT_FALSE(publish_sync(b(), {first}));
  EXPECT_EQ(publish_sync(b(), {other}), broker::errc::conflict);
  EXPECT_FALSE(publish_sync(b(), {first}));
  // Shorter than the visibility timeout, so an unacked message cannot come back.
  auto got = pull_n(b(), sub, 3, 500ms);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].msg.id, "req-1");
  EXPECT_FALSE(b().ack(got));
}

// Issue 11 #27: a publish the broker received but never confirmed is
// errc::outcome_unknown (not "refused"); a retry with the same id and
// fingerprint, once the broker is back, settles it.
TEST_P(broker_contract, a_publish_sent_but_never_confirmed_has_an_unknown_outcome) {
  auto sub = declare("s");
  ASSERT_FALSE(publish_sync(b(), {make("warm-up", topic_)}));  // the connection is open
  auto m = make("unconfirmed", topic_);
  m.deduplicate = true;
  m.fingerprint = "request-U";
  if (!backend_->freeze(true)) GTEST_SKIP() << "local and transactional: never unknown";
  auto ec = publish_sync(b(), {m});
  ASSERT_TRUE(backend_->freeze(false));
  EXPECT_EQ(ec, broker::errc::outcome_unknown) << ec.message();
  std::error_code retried = broker::errc::unavailable;
  for (int i = 0; i < 60 && retried; ++i) {  // ≤ 60 s while the client reconnects
    retried = publish_sync(b(), {m});
    if (retried) std::this_thread::sleep_for(1s);
  }
  EXPECT_FALSE(retried) << retried.message();
  // Acked as they come (a FIFO group hands out no more while some is in flight).
  std::set<std::string> ids;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!ids.count("unconfirmed") && std::chrono::steady_clock::now() < deadline) {
    for (const auto& d : pull_n(b(), sub, 2, 1s)) {
      ids.insert(d.msg.id);
      EXPECT_FALSE(b().ack(std::span(&d, 1)));
    }
  }
  EXPECT_TRUE(ids.count("unconfirmed")) << "the retry was not delivered";
}

TEST_P(broker_contract, acknowledged_messages_survive_a_broker_restart) {
  if (!backend_->keeps_messages_on_restart()) {
    GTEST_SKIP() << "an in-memory emulator: its restart loses everything by design";
  }
  auto sub = declare("s");
  ASSERT_FALSE(publish_sync(b(), {make("before-term", topic_)}));
  ASSERT_TRUE(backend_->restart(false));
  ASSERT_FALSE(publish_sync(b(), {make("between", topic_)}));
  ASSERT_TRUE(backend_->restart(true));
  ASSERT_FALSE(publish_sync(b(), {make("after-kill", topic_)}));
  auto got = pull_n(b(), sub, 3, 60s);
  std::set<std::string> ids;
  for (const auto& d : got) ids.insert(d.msg.id);
  EXPECT_EQ(ids, (std::set<std::string>{"before-term", "between", "after-kill"}));
  EXPECT_FALSE(b().ack(got));
}

TEST_P(broker_contract, ping_and_depth) {
  auto sub = declare("s");
  EXPECT_FALSE(b().ping());
  ASSERT_FALSE(publish_sync(b(), {make("d-1", topic_), make("d-2", topic_)}));
  auto depth = b().depth(sub);
  ASSERT_TRUE(depth);
  EXPECT_EQ(*depth, 2u);
  auto got = pull_n(b(), sub, 2);
  EXPECT_FALSE(b().ack(got));
}

INSTANTIATE_TEST_SUITE_P(backends, broker_contract, ::testing::ValuesIn(broker_backend_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sluice::testing

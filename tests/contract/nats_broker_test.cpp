// What only the NATS broker must show beyond the shared contract: with the
// server gone, publish answers errc::unavailable quickly (never success,
// never a hang), ping says so, and both recover when it is back; with the
// server frozen after the publish was sent, errc::outcome_unknown;
// declare() keeps what an operator set on an existing stream.

#include "broker/nats/nats_broker.hpp"

#include <gtest/gtest.h>
#include <nats/nats.h>
#include <signal.h>
#include <unistd.h>

#include <future>
#include <set>
#include <thread>

#include "support/nats_server.hpp"
#include "support/server_process.hpp"

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
    options_ = o;
    auto b = broker::make_nats_broker(o);
    ASSERT_TRUE(b);
    broker_ = std::move(*b);
    ASSERT_TRUE(eventually_reachable(*broker_));
    broker::topology t[] = {{"s", "t"}};
    ASSERT_FALSE(broker_->declare(t));
  }

  nats_server* server_ = nullptr;
  broker::nats_broker_options options_;
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

// Issue 11 #27: the publish reached the server, which never answered: it may
// be stored, so the outcome is unknown — not a refusal.
TEST_F(nats_broker_faults, a_frozen_server_leaves_the_outcome_unknown_after_the_publish_timeout) {
  server_->signal(SIGSTOP);
  auto [ec, took] = publish_timed(*broker_, {make("frozen", "t")});
  server_->signal(SIGCONT);
  EXPECT_EQ(ec, broker::errc::outcome_unknown) << "after " << took.count() << " ms";
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

// Issue 11 #6: a store outage longer than max_deliveries × the retry delay
// must not spend attempts, whichever client (another worker, or the same
// after a restart) receives the message next. (Not a contract case: on
// RabbitMQ a consumer that closes with a message in its prefetch buffer
// raises that message's delivery count.)
TEST_F(nats_broker_faults, releases_without_counting_keep_the_attempt_for_every_client) {
  ASSERT_FALSE(publish_timed(*broker_, {make("outage", "t")}).first);
  constexpr int k_releases = 8;  // more than the default max_deliveries (5)
  {
    auto worker = broker::make_nats_broker(options_);
    ASSERT_TRUE(worker);
    ASSERT_TRUE(eventually_reachable(**worker));
    for (int i = 0; i < k_releases; ++i) {
      auto got = (*worker)->pull("s", 1, 2s);
      ASSERT_TRUE(got) << "release " << i;
      ASSERT_EQ(got->size(), 1u) << "release " << i;
      EXPECT_EQ((*got)[0].attempt, 1u) << "release " << i;
      ASSERT_FALSE((*worker)->release(*got, 0ms, false)) << "release " << i;
    }
    // …and that worker goes away (or restarts).
  }
  auto fresh = broker::make_nats_broker(options_);
  ASSERT_TRUE(fresh);
  ASSERT_TRUE(eventually_reachable(**fresh));
  auto next = (*fresh)->pull("s", 1, 2s);
  ASSERT_TRUE(next);
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ((*next)[0].msg.id, "outage");
  EXPECT_EQ((*next)[0].attempt, 1u);
  // A counted failure still counts, from the uncounted base, in any client.
  ASSERT_FALSE((*fresh)->release(*next, 0ms, true));
  auto counted = broker_->pull("s", 1, 2s);
  ASSERT_TRUE(counted);
  ASSERT_EQ(counted->size(), 1u);
  EXPECT_EQ((*counted)[0].attempt, 2u);
  EXPECT_FALSE(broker_->ack(*counted));
}

// Issue 11 #11: start-up must not undo what an operator set on a stream
// (num_replicas, max_age, limits…). On a single node replicas > 1 cannot be
// created, so the test tunes settings a single node accepts and checks that
// declare() keeps them (and the replicas it reads back); that replicas are
// never lowered is nats_stream_plan_test.
TEST(nats_broker_streams, declare_keeps_the_settings_an_operator_changed) {
  auto* server = nats_server::shared();
  ASSERT_TRUE(server);
  const std::string ns = "op" + std::to_string(getpid());
  const std::string stream = ns + "_t";
  const std::string subject = ns + ".t";
  constexpr std::int64_t k_hour_ns = 3600LL * 1'000'000'000;

  natsConnection* conn = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&conn, server->url().c_str()), NATS_OK);
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, conn, nullptr), NATS_OK);
  // The operator's stream, as `nats stream add` (or an earlier Sluice) left it.
  const char* subjects[] = {subject.c_str()};
  jsStreamConfig c;
  jsStreamConfig_Init(&c);
  c.Name = stream.c_str();
  c.Description = "tuned by the operator";
  c.Subjects = subjects;
  c.SubjectsLen = 1;
  c.Retention = js_InterestPolicy;
  c.Storage = js_FileStorage;
  c.MaxAge = k_hour_ns;
  c.MaxMsgs = 1'000'000;
  c.Duplicates = 60LL * 1'000'000'000;
  jsStreamInfo* si = nullptr;
  ASSERT_EQ(js_AddStream(&si, js, &c, nullptr, nullptr), NATS_OK);
  jsStreamInfo_Destroy(si);

  broker::nats_broker_options o;
  o.url = server->url();
  o.name_space = ns;  // dedup_window: the default 24 h, longer than max_age
  auto b = broker::make_nats_broker(o);
  ASSERT_TRUE(b);
  ASSERT_TRUE(eventually_reachable(**b));
  broker::topology t[] = {{"s", "t"}};
  ASSERT_FALSE((*b)->declare(t));
  ASSERT_FALSE((*b)->declare(t));  // a restart: declared again

  si = nullptr;
  ASSERT_EQ(js_GetStreamInfo(&si, js, stream.c_str(), nullptr, nullptr), NATS_OK);
  ASSERT_NE(si->Config, nullptr);
  EXPECT_EQ(si->Config->MaxAge, k_hour_ns);
  EXPECT_EQ(si->Config->MaxMsgs, 1'000'000);
  EXPECT_STREQ(si->Config->Description, "tuned by the operator");
  EXPECT_EQ(si->Config->Replicas, 1);
  // Sluice's own setting, within what max_age allows.
  EXPECT_EQ(si->Config->Duplicates, k_hour_ns);
  jsStreamInfo_Destroy(si);

  // And the broker works on it.
  ASSERT_FALSE(publish_timed(**b, {make("on-tuned", "t")}).first);
  auto got = (*b)->pull("s", 10, 2s);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  // A release that does not count creates the attempts bucket (issue 11 #6):
  // entries expire after 7 days, with broker.replicas replicas.
  ASSERT_FALSE((*b)->release(*got, 0ms, false));
  si = nullptr;
  ASSERT_EQ(js_GetStreamInfo(&si, js, ("KV_" + ns + "_attempts").c_str(), nullptr, nullptr),
            NATS_OK);
  EXPECT_EQ(si->Config->MaxAge, 7 * 24 * k_hour_ns);
  EXPECT_EQ(si->Config->Replicas, 1);
  jsStreamInfo_Destroy(si);
  got = (*b)->pull("s", 10, 2s);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].attempt, 1u);
  EXPECT_FALSE((*b)->ack(*got));
  jsCtx_Destroy(js);
  natsConnection_Destroy(conn);
}

// Issue 16: broker.url lists a cluster's seeds. With the first one down the
// broker connects to the next, declares and publishes (before, the whole
// list went to natsOptions_SetURL as one address and nothing ever connected).
TEST(nats_broker_servers, a_seed_list_whose_first_server_is_down_still_connects) {
  auto* server = nats_server::shared();
  ASSERT_TRUE(server);
  broker::nats_broker_options o;
  o.url = "nats://127.0.0.1:" + std::to_string(free_port()) + ", " + server->url();
  o.name_space = "seeds" + std::to_string(getpid());
  auto b = broker::make_nats_broker(o);
  ASSERT_TRUE(b) << b.message();
  ASSERT_TRUE(eventually_reachable(**b));
  broker::topology t[] = {{"s", "t"}};
  ASSERT_FALSE((*b)->declare(t));
  EXPECT_FALSE(publish_timed(**b, {make("seed-1", "t")}).first);
}

}  // namespace
}  // namespace sluice::testing

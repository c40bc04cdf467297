// The subscriber's decisions under faults, in milliseconds: the real embedded
// backends (SQLite store in a temp file, SQLite queue in memory) wrapped by
// faulty_store / faulty_broker, which fail the calls each test chooses.
// Issue 10 (fault injection by wrapping an interface) and issue 11 item 30
// (dead letters record the real delivery count), item 22 (the lag gauge
// counts what the subscription holds while a batch is stuck in the store). Tests assert outcomes; waits
// are bounded by pull's `wait` and only bound how long a failure takes.

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>

#include "api/errors.hpp"
#include "broker/sqlite/sqlite_broker.hpp"
#include "observe/metrics.hpp"
#include "pipeline/ingest.hpp"
#include "pipeline/subscriber.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/faulty_broker.hpp"
#include "support/faulty_store.hpp"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds k_wait{2000};  // only reached when a test is about to fail

config::resource_def users(std::size_t name_max) {
  config::resource_def r;
  r.name = "users";
  config::field_def name{"name", config::field_type::string, true, 1, name_max};
  config::field_def email{"email", config::field_type::email, true};
  r.fields = {name, email};
  return r;
}

std::string uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "01900000-0000-7000-8000-%012d", n);
  return buf;
}

broker::message user(int n, const std::string& name) {
  broker::message m;
  m.id = uuid(n);
  m.topic = "users";
  m.body = R"({"name":")" + name + R"(","email":"u)" + std::to_string(n) + R"(@x.test"})";
  return m;
}

std::error_code publish_sync(broker::broker& b, std::vector<broker::message> messages) {
  std::promise<std::error_code> done;
  auto result = done.get_future();
  b.publish(std::move(messages), [&done](std::error_code ec) { done.set_value(ec); });
  return result.get();
}

class subscriber_fault : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-fault-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto s = store::make_sqlite_store({dir_ + "/store.db", 1});
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::make_unique<faulty_store>(std::move(*s));
    // The store refuses names over 5 characters that the subscriber's
    // validation (20) lets through: a real refusal by the database.
    tables_ = {{"users", &store_def_}};
    ASSERT_FALSE(store_->migrate(tables_));

    broker::sqlite_broker_options bo;
    bo.path = ":memory:";
    bo.visibility_timeout = 100ms;
    bo.poll_interval = 2ms;
    auto b = broker::make_sqlite_broker(bo);
    ASSERT_TRUE(b) << b.error().message();
    broker_ = std::make_unique<faulty_broker>(std::move(*b));
    std::vector<broker::topology> topo{{"users", "users"}};
    ASSERT_FALSE(broker_->declare(topo));
  }

  void TearDown() override {
    if (store_) store_->unstall(store_op::write);  // else stop() waits on a stalled batch
    subscriber_.reset();
    if (broker_) broker_->close();
    broker_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  pipeline::subscriber& make_subscriber(unsigned max_deliveries) {
    pipeline::subscriber_options o;
    o.batch_size = 100;
    o.retry_min = 1ms;
    o.max_deliveries = max_deliveries;
    subscriber_ = std::make_unique<pipeline::subscriber>(*broker_, *store_, sub_, sub_def_, o,
                                                         metrics_);
    return *subscriber_;
  }

  // run_once until a round handles deliveries (or fails); bounded.
  result<pipeline::batch_report> next_batch() {
    for (int i = 0; i < 20; ++i) {
      auto r = subscriber_->run_once(k_wait / 20);
      if (!r) return r;
      if (r->stored + r->duplicate + r->dead_lettered > 0) return r;
    }
    return pipeline::batch_report{};
  }

  // Leases the subscription's messages directly and gives them back counted,
  // as a worker that crashed would: their next delivery is one attempt later.
  void spend_attempt() {
    auto pulled = broker_->inner().pull("users", 100, k_wait);
    ASSERT_TRUE(pulled);
    ASSERT_FALSE(pulled->empty());
    ASSERT_FALSE(broker_->inner().release(*pulled, 0ms, true));
  }

  store::message_status status(int n) {
    auto st = store_->inner().status(uuid(n));
    EXPECT_TRUE(st);
    return st ? *st : store::message_status{};
  }

  // The lag gauge's value in the metrics text, or nullopt before its first sample.
  std::optional<long> lag() {
    const std::string series = "sluice_subscription_lag_messages{subscription=\"users\"} ";
    auto text = metrics_.scrape();
    auto at = text.find(series);
    if (at == std::string::npos) return std::nullopt;
    return std::stol(text.substr(at + series.size()));
  }

  // Polls `pred` every 5 ms for at most 10 s (the lag is sampled once a second).
  template <class Pred>
  bool eventually(Pred pred) {
    auto until = std::chrono::steady_clock::now() + 10s;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  std::size_t rows(std::size_t limit = 100) {
    store::page_query q;
    q.limit = limit;
    auto p = store_->inner().query("users", q);
    EXPECT_TRUE(p);
    return p ? p->count : 0;
  }

  std::string dir_;
  config::resource_def sub_def_ = users(20);
  config::resource_def store_def_ = users(5);
  config::subscription_def sub_{"users", "users", "users"};
  std::vector<store::table_def> tables_;
  observe::metrics metrics_{"test"};
  std::unique_ptr<faulty_store> store_;
  std::unique_ptr<faulty_broker> broker_;
  std::unique_ptr<pipeline::subscriber> subscriber_;
};

TEST_F(subscriber_fault, store_down_releases_the_batch_without_counting_the_attempt) {
  ASSERT_FALSE(publish_sync(*broker_, {user(1, "Ada"), user(2, "Bob")}));
  // One delivery allowed: a single counted outage would dead-letter both.
  auto& sub = make_subscriber(1);
  store_->faults().fail_next(store_op::write, store::errc::unavailable, 3);
  for (int i = 0; i < 3; ++i) {
    auto r = sub.run_once(k_wait);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), store::errc::unavailable);
  }
  auto releases = broker_->releases();
  ASSERT_EQ(releases.size(), 3u);
  for (const auto& rel : releases) {
    EXPECT_EQ(rel.deliveries, 2u);
    EXPECT_FALSE(rel.count_attempt);
  }
  auto r = next_batch();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->stored, 2u);
  EXPECT_EQ(r->dead_lettered, 0u);
  EXPECT_EQ(broker_->last_pulled_attempts(), (std::vector<std::uint32_t>{1, 1}));
  EXPECT_EQ(status(1).status, store::message_status::state::stored);
  EXPECT_EQ(status(2).status, store::message_status::state::stored);
}

TEST_F(subscriber_fault, a_delivery_past_max_deliveries_is_dead_lettered_with_its_count) {
  ASSERT_FALSE(publish_sync(*broker_, {user(3, "Cy")}));
  spend_attempt();
  spend_attempt();
  auto& sub = make_subscriber(2);
  auto r = sub.run_once(k_wait);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->dead_lettered, 1u);
  EXPECT_EQ(r->stored, 0u);
  auto st = status(3);
  EXPECT_EQ(st.status, store::message_status::state::dead_lettered);
  EXPECT_NE(st.reason.find("exceeded max deliveries"), std::string::npos) << st.reason;
  EXPECT_EQ(st.attempts, 3u);
  EXPECT_EQ(rows(), 0u);
  EXPECT_EQ(*broker_->depth("users"), 0u);  // acked: it never comes back
}

TEST_F(subscriber_fault, a_row_the_store_refuses_is_dead_lettered_alone) {
  ASSERT_FALSE(publish_sync(*broker_, {user(4, "Dee"), user(5, "Longname"), user(6, "Eve")}));
  auto& sub = make_subscriber(5);
  auto r = sub.run_once(k_wait);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->stored, 2u);
  EXPECT_EQ(r->dead_lettered, 1u);
  EXPECT_EQ(status(4).status, store::message_status::state::stored);
  EXPECT_EQ(status(6).status, store::message_status::state::stored);
  auto st = status(5);
  EXPECT_EQ(st.status, store::message_status::state::dead_lettered);
  EXPECT_NE(st.reason.find("rejected by the store"), std::string::npos) << st.reason;
  EXPECT_EQ(st.attempts, 1u);  // issue 11 #30: was 0
  EXPECT_EQ(rows(), 2u);
  EXPECT_EQ(*broker_->depth("users"), 0u);
}

TEST_F(subscriber_fault, a_refused_row_records_the_delivery_that_met_it) {
  ASSERT_FALSE(publish_sync(*broker_, {user(7, "Longname")}));
  spend_attempt();
  auto& sub = make_subscriber(5);
  auto r = sub.run_once(k_wait);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->dead_lettered, 1u);
  auto st = status(7);
  EXPECT_EQ(st.status, store::message_status::state::dead_lettered);
  EXPECT_EQ(st.attempts, 2u);  // issue 11 #30
}

TEST_F(subscriber_fault, ack_failing_after_commit_redelivery_makes_no_second_row) {
  ASSERT_FALSE(publish_sync(*broker_, {user(8, "Fay")}));
  auto& sub = make_subscriber(5);
  broker_->faults().fail_next(broker_op::ack, broker::errc::unavailable);
  auto first = sub.run_once(k_wait);
  ASSERT_TRUE(first) << first.error().message();  // committed: the lost ack is only logged
  EXPECT_EQ(first->stored, 1u);
  EXPECT_EQ(broker_->faults().failed(broker_op::ack), 1u);
  // The lease runs out; the message comes again and finds its row.
  auto again = next_batch();
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->stored, 0u);
  EXPECT_EQ(again->duplicate, 1u);
  EXPECT_EQ(broker_->last_pulled_attempts(), (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(rows(), 1u);
  EXPECT_EQ(status(8).status, store::message_status::state::stored);
  EXPECT_EQ(*broker_->depth("users"), 0u);
}

// Through the one ingest call: every refused publish is a 503 with
// Retry-After; a publish whose confirmation never came says "outcome unknown"
// and names the message id (issue 11 #27).
TEST_F(subscriber_fault, publish_failing_answers_503_with_retry_after) {
  config::config cfg;
  observe::metrics metrics("test");
  boost::asio::thread_pool blocking(1);
  pipeline::ingest ingest(cfg, *broker_, *store_, metrics, blocking);
  const auto resource = users(20);
  for (auto e : {broker::errc::unavailable, broker::errc::overloaded, broker::errc::closed,
                 broker::errc::storage_full, broker::errc::outcome_unknown}) {
    broker_->faults().fail_next(broker_op::publish, e);
    pipeline::ingest_request req;
    req.resource = &resource;
    req.records.push_back(boost::json::parse(R"({"name":"Gus","email":"g@x.test"})"));
    boost::asio::io_context io;
    std::optional<pipeline::ingest_result> out;
    auto run = [&]() -> boost::asio::awaitable<void> { out = co_await ingest.accept(std::move(req)); };
    boost::asio::co_spawn(io, run, boost::asio::detached);
    io.run();
    ASSERT_TRUE(out && out->refused) << make_error_code(e).message();
    auto resp = api::refusal_response(*out->refused, cfg.http.max_batch);
    EXPECT_EQ(resp.status, 503u) << make_error_code(e).message();
    bool retry_after = false;
    for (const auto& [k, v] : resp.headers) retry_after = retry_after || k == "Retry-After";
    EXPECT_TRUE(retry_after) << make_error_code(e).message();
    auto body = boost::json::parse(resp.body).as_object();
    if (e == broker::errc::outcome_unknown) {
      ASSERT_EQ(out->refused->ids.size(), 1u);
      EXPECT_EQ(body.at("outcome").as_string(), "unknown");
      EXPECT_EQ(body.at("message_ids").as_array().at(0).as_string(), out->refused->ids.front());
    } else {
      EXPECT_FALSE(body.contains("outcome")) << resp.body;
    }
  }
  // Nothing reached the queue.
  EXPECT_EQ(*broker_->depth("users"), 0u);
}

// Issue 11 #22: 300 messages held by the subscription while the store write
// stalls; the lag gauge read 0 because only the batch loop sampled it, and
// that loop sat in the stalled write. It must count the 300.
TEST_F(subscriber_fault, lag_counts_what_the_subscription_holds_while_the_store_stalls) {
  auto& sub = make_subscriber(5);
  sub.start();
  // The idle subscriber has sampled an empty subscription.
  ASSERT_TRUE(eventually([&] { return lag() == 0; }));
  store_->stall(store_op::write);
  std::vector<broker::message> batch;
  for (int i = 0; i < 300; ++i) batch.push_back(user(1000 + i, "Pat"));
  ASSERT_FALSE(publish_sync(*broker_, std::move(batch)));
  ASSERT_TRUE(store_->wait_stalled(store_op::write, 1, k_wait));  // the batch is in the store
  EXPECT_TRUE(eventually([&] { return lag() == 300; })) << "lag " << lag().value_or(-1);
  store_->unstall(store_op::write);
  EXPECT_TRUE(eventually([&] { return rows(1000) == 300; }));
  EXPECT_TRUE(eventually([&] { return lag() == 0; })) << "lag " << lag().value_or(-1);
}

}  // namespace
}  // namespace sluice::testing

namespace sluice::testing {
namespace {

// Issue 11 #26: `Prefer: wait=N` answers by N seconds however slow the store
// is. The status lookups stall; the request is answered "accepted" (no rows)
// while the stalled lookup still holds its thread, i.e. without waiting for
// the store.
TEST_F(subscriber_fault, prefer_wait_answers_by_its_deadline_when_the_store_stalls) {
  config::config cfg;
  observe::metrics metrics("test");
  boost::asio::thread_pool blocking(2);
  pipeline::ingest ingest(cfg, *broker_, *store_, metrics, blocking);
  const auto resource = users(20);
  store_->stall(store_op::status);
  pipeline::ingest_request req;
  req.resource = &resource;
  req.records.push_back(boost::json::parse(R"({"name":"Wil","email":"w@x.test"})"));
  req.wait = 1;
  boost::asio::io_context io;
  std::optional<pipeline::ingest_result> out;
  auto run = [&]() -> boost::asio::awaitable<void> { out = co_await ingest.accept(std::move(req)); };
  boost::asio::co_spawn(io, run, boost::asio::detached);
  io.run();
  ASSERT_TRUE(out);
  EXPECT_FALSE(out->refused);
  EXPECT_EQ(out->ids.size(), 1u);
  EXPECT_FALSE(out->rows);                           // accepted, not waited for
  EXPECT_GE(store_->stalled(store_op::status), 1u);  // the store still has not answered
  store_->unstall(store_op::status);
  blocking.join();
}

}  // namespace
}  // namespace sluice::testing

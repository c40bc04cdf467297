// The embedded SQLite broker against its contract (broker/broker.hpp). Each
// test has its own queue file. Tests assert outcomes, never timings: waits are
// bounded by pull's `wait` argument and only bound how long a failure takes.

#include "broker/sqlite/sqlite_broker.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace sluice::broker {
namespace {

using namespace std::chrono_literals;

constexpr auto k_long_wait = 10s;  // only reached when a test is about to fail

message make_message(std::string id, std::string topic = "users", std::string body = "{}") {
  message m;
  m.id = std::move(id);
  m.topic = std::move(topic);
  m.body = std::move(body);
  return m;
}

std::error_code publish_sync(broker& b, std::vector<message> messages) {
  std::promise<std::error_code> done;
  auto result = done.get_future();
  b.publish(std::move(messages), [&done](std::error_code ec) { done.set_value(ec); });
  return result.get();
}

std::error_code publish_one(broker& b, message m) {
  std::vector<message> messages;
  messages.push_back(std::move(m));
  return publish_sync(b, std::move(messages));
}

// Collects the outcomes of publishes left running.
class outcomes {
 public:
  publish_callback callback(std::string tag) {
    return [this, tag = std::move(tag)](std::error_code ec) {
      std::lock_guard lock(mu_);
      results_.emplace(tag, ec);
      cv_.notify_all();
    };
  }
  std::map<std::string, std::error_code> wait_for(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return results_.size() >= n; });
    return results_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::error_code> results_;
};

// Pulls (and acks) until `n` deliveries arrived or a pull comes back empty.
std::vector<delivery> drain(broker& b, const std::string& subscription, std::size_t n) {
  std::vector<delivery> all;
  while (all.size() < n) {
    auto got = b.pull(subscription, 500, k_long_wait);
    EXPECT_TRUE(got) << got.error().message();
    if (!got || got->empty()) break;
    EXPECT_FALSE(b.ack(*got));
    for (auto& d : *got) all.push_back(std::move(d));
  }
  return all;
}

class SqliteBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/sluice-broker-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    options_.path = dir_ + "/queue.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<broker> open() {
    auto b = make_sqlite_broker(options_);
    EXPECT_TRUE(b) << b.error().message();
    return b ? std::move(*b) : nullptr;
  }

  // A broker with subscription "sink" on topic "users".
  std::unique_ptr<broker> open_with_sink() {
    auto b = open();
    if (b) {
      const topology t[] = {{"sink", "users"}};
      EXPECT_FALSE(b->declare(t));
    }
    return b;
  }

  std::string dir_;
  sqlite_broker_options options_;
};

TEST_F(SqliteBrokerTest, PublishPullAckRoundTrips) {
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  message m = make_message("0b7e7f3c-1", "users", std::string("{\"name\":\"a\"}\0tail", 17));
  // Separators, digits, empty strings and NUL bytes must survive the encoding.
  m.headers = {{"traceparent", "00-abc-def-01"},
               {"x:1", "12:34"},
               {"", ""},
               {"bin", std::string("a\0b", 3)}};
  m.accepted_at_us = 1'700'000'000'123'456;
  ASSERT_FALSE(publish_one(*b, m));
  EXPECT_EQ(b->depth("sink").value(), 1u);
  EXPECT_EQ(b->holds(m.id).value(), std::optional<bool>(true));

  auto got = b->pull("sink", 10, k_long_wait);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  const delivery& d = got->front();
  EXPECT_EQ(d.msg.id, m.id);
  EXPECT_EQ(d.msg.topic, "users");
  EXPECT_EQ(d.msg.body, m.body);
  EXPECT_EQ(d.msg.headers, m.headers);
  EXPECT_EQ(d.msg.accepted_at_us, m.accepted_at_us);
  EXPECT_EQ(d.subscription, "sink");
  EXPECT_EQ(d.attempt, 1u);
  EXPECT_FALSE(d.receipt.empty());
  EXPECT_EQ(b->depth("sink").value(), 1u);  // leased, still waiting

  ASSERT_FALSE(b->ack(*got));
  EXPECT_EQ(b->depth("sink").value(), 0u);
  EXPECT_EQ(b->holds(m.id).value(), std::optional<bool>(false));  // collected
  EXPECT_FALSE(b->ping());
}

TEST_F(SqliteBrokerTest, FillsInAcceptedAtWhenMissing) {
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  ASSERT_FALSE(publish_one(*b, make_message("m1")));
  auto got = b->pull("sink", 1, k_long_wait);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_GT(got->front().msg.accepted_at_us, 0);
}

TEST_F(SqliteBrokerTest, FansOutToEverySubscriptionOfTheTopic) {
  auto b = open();
  ASSERT_TRUE(b);
  const topology t[] = {{"a", "users"}, {"b", "users"}, {"other", "orders"}};
  ASSERT_FALSE(b->declare(t));
  ASSERT_FALSE(b->declare(t));  // idempotent
  ASSERT_FALSE(publish_sync(*b, {make_message("m1"), make_message("m2"), make_message("m3")}));

  for (const char* sub : {"a", "b"}) {
    auto got = drain(*b, sub, 3);
    ASSERT_EQ(got.size(), 3u) << sub;
    EXPECT_EQ(got[0].msg.id, "m1");  // oldest first
    EXPECT_EQ(got[1].msg.id, "m2");
    EXPECT_EQ(got[2].msg.id, "m3");
  }
  auto none = b->pull("other", 10, 0ms);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(b->depth("other").value(), 0u);
  EXPECT_EQ(b->holds("m1").value(), std::optional<bool>(false));  // both subscriptions acked
}

TEST_F(SqliteBrokerTest, GroupCommitsConcurrentPublishesAndDeliversEachOnce) {
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  constexpr int k_threads = 8;
  constexpr int k_per_thread = 250;
  outcomes results;
  std::vector<std::thread> publishers;
  for (int t = 0; t < k_threads; ++t) {
    publishers.emplace_back([&, t] {
      for (int i = 0; i < k_per_thread; ++i) {
        auto id = "m-" + std::to_string(t) + "-" + std::to_string(i);
        b->publish({make_message(id, "users", "{\"i\":" + std::to_string(i) + "}")},
                   results.callback(id));
      }
    });
  }
  for (auto& t : publishers) t.join();
  const auto published = results.wait_for(k_threads * k_per_thread);
  ASSERT_EQ(published.size(), static_cast<std::size_t>(k_threads * k_per_thread));
  for (const auto& [id, ec] : published) ASSERT_FALSE(ec) << id << ": " << ec.message();

  std::multiset<std::string> delivered;
  for (const auto& d : drain(*b, "sink", published.size())) delivered.insert(d.msg.id);
  ASSERT_EQ(delivered.size(), published.size());
  for (const auto& [id, ec] : published) EXPECT_EQ(delivered.count(id), 1u) << id;
  EXPECT_EQ(b->depth("sink").value(), 0u);
}

TEST_F(SqliteBrokerTest, RepublishingTheSameMessageIsIdempotent) {
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  ASSERT_FALSE(publish_one(*b, make_message("m1", "users", "{\"a\":1}")));
  ASSERT_FALSE(publish_one(*b, make_message("m1", "users", "{\"a\":1}")));
  EXPECT_EQ(b->depth("sink").value(), 1u);
  auto got = drain(*b, "sink", 1);
  ASSERT_EQ(got.size(), 1u);
  auto more = b->pull("sink", 10, 0ms);
  ASSERT_TRUE(more);
  EXPECT_TRUE(more->empty());
}

TEST_F(SqliteBrokerTest, ReusedIdWithOtherBodyConflictsWithoutHarmingOthers) {
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  ASSERT_FALSE(publish_one(*b, make_message("m1", "users", "{\"a\":1}")));

  // Issued back to back so that they usually share one group commit.
  outcomes results;
  b->publish({make_message("before")}, results.callback("before"));
  b->publish({make_message("m1", "users", "{\"a\":2}")}, results.callback("conflict"));
  b->publish({make_message("new-in-failed-call"), make_message("m1", "users", "{\"a\":3}")},
             results.callback("all-or-nothing"));
  b->publish({make_message("after")}, results.callback("after"));
  const auto r = results.wait_for(4);
  EXPECT_FALSE(r.at("before"));
  EXPECT_EQ(r.at("conflict"), errc::conflict);
  EXPECT_EQ(r.at("all-or-nothing"), errc::conflict);
  EXPECT_FALSE(r.at("after"));
  EXPECT_EQ(b->holds("new-in-failed-call").value(), std::optional<bool>(false));

  std::set<std::string> ids;
  for (const auto& d : drain(*b, "sink", 3)) ids.insert(d.msg.id);
  EXPECT_EQ(ids, (std::set<std::string>{"m1", "before", "after"}));
}

TEST_F(SqliteBrokerTest, DeduplicatedIdsAreRememberedAfterTheLastAck) {
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  auto keyed = [](std::string body) {
    auto m = make_message("k1", "users", std::move(body));
    m.deduplicate = true;
    return m;
  };
  auto plain = make_message("p1", "users", "{\"a\":1}");
  ASSERT_FALSE(publish_one(*b, keyed("{\"a\":1}")));
  ASSERT_FALSE(publish_one(*b, plain));
  auto got = drain(*b, "sink", 2);
  ASSERT_EQ(got.size(), 2u);
  ASSERT_FALSE(b->ack(got));
  // Fully acked: the keyed id is still recognised, the plain one is gone.
  EXPECT_EQ(b->holds("k1").value(), std::optional<bool>(true));
  EXPECT_EQ(b->holds("p1").value(), std::optional<bool>(false));
  EXPECT_FALSE(publish_one(*b, keyed("{\"a\":1}")));  // a retry: no new delivery
  EXPECT_EQ(publish_one(*b, keyed("{\"a\":2}")), errc::conflict);
  EXPECT_EQ(b->depth("sink").value(), 0u);
}

// Issue 11 #9: the dedup identity is (id, request fingerprint). The same
// record sent by another request (another fingerprint) is a conflict even
// with the same body; the same request again is a no-op.
TEST_F(SqliteBrokerTest, ADeduplicatedIdIsTheSameMessageOnlyWithTheSameFingerprint) {
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  auto keyed = [](std::string fingerprint) {
    auto m = make_message("k1", "users", "{\"a\":1}");
    m.deduplicate = true;
    m.fingerprint = std::move(fingerprint);
    return m;
  };
  ASSERT_FALSE(publish_one(*b, keyed("request-A")));
  EXPECT_EQ(publish_one(*b, keyed("request-B")), errc::conflict);
  EXPECT_EQ(publish_one(*b, keyed("")), errc::conflict);
  EXPECT_FALSE(publish_one(*b, keyed("request-A")));
  EXPECT_EQ(b->depth("sink").value(), 1u);
  EXPECT_EQ(drain(*b, "sink", 1).size(), 1u);
  // Still remembered after the ack.
  EXPECT_EQ(publish_one(*b, keyed("request-B")), errc::conflict);
  EXPECT_FALSE(publish_one(*b, keyed("request-A")));
  EXPECT_EQ(b->depth("sink").value(), 0u);
}

// A queue file written before the fingerprint column existed (schema v1) is
// migrated when opened: its messages are kept and compared by body.
TEST_F(SqliteBrokerTest, AVersionOneQueueFileIsMigratedAndKeepsItsMessages) {
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(options_.path.c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
    const char* v1 = R"sql(
      CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
        topic TEXT NOT NULL, body BLOB NOT NULL, headers TEXT NOT NULL,
        accepted_at_us INTEGER NOT NULL, keep_until_us INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX messages_keep_until ON messages (keep_until_us) WHERE keep_until_us > 0;
      CREATE TABLE subscriptions (name TEXT PRIMARY KEY, topic TEXT NOT NULL);
      CREATE TABLE deliveries (subscription TEXT NOT NULL, seq INTEGER NOT NULL,
        visible_at_us INTEGER NOT NULL, attempts INTEGER NOT NULL, lease INTEGER,
        PRIMARY KEY (subscription, seq)) WITHOUT ROWID;
      INSERT INTO subscriptions VALUES ('sink', 'users');
      INSERT INTO messages (id, topic, body, headers, accepted_at_us, keep_until_us)
        VALUES ('old', 'users', CAST('{"a":1}' AS BLOB), '', 1, 9000000000000000);
      INSERT INTO deliveries VALUES ('sink', 1, 0, 0, NULL);
      PRAGMA user_version = 1;
    )sql";
    ASSERT_EQ(sqlite3_exec(db.get(), v1, nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db.get());
  }
  auto b = open();
  ASSERT_TRUE(b);
  auto again = make_message("old", "users", "{\"a\":1}");
  again.deduplicate = true;
  EXPECT_FALSE(publish_one(*b, again));  // same body, no fingerprint: the same message
  again.fingerprint = "request-A";
  EXPECT_EQ(publish_one(*b, again), errc::conflict);
  EXPECT_EQ(b->depth("sink").value(), 1u);
  auto got = drain(*b, "sink", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].msg.id, "old");
  b.reset();
  EXPECT_TRUE(open());  // reopening the migrated file works too
}

TEST_F(SqliteBrokerTest, DeduplicatedIdsAreForgottenAfterTheWindow) {
  options_.dedup_window = 1ms;
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  auto m = make_message("k1", "users", "{}");
  m.deduplicate = true;
  ASSERT_FALSE(publish_one(*b, m));
  auto got = drain(*b, "sink", 1);
  ASSERT_FALSE(b->ack(got));
  // The window is over by the next commit's expiry sweep (at most one a second).
  for (int i = 0; i < 300 && b->holds("k1").value() != std::optional<bool>(false); ++i) {
    ASSERT_FALSE(publish_one(*b, make_message("tick" + std::to_string(i))));
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(b->holds("k1").value(), std::optional<bool>(false));
}

TEST_F(SqliteBrokerTest, DuplicateIdsWithinOneCallAreStoredOnce) {
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  EXPECT_FALSE(publish_sync(*b, {make_message("m1"), make_message("m1")}));
  EXPECT_EQ(publish_sync(*b, {make_message("m2", "users", "1"), make_message("m2", "users", "2")}),
            errc::conflict);
  EXPECT_EQ(b->depth("sink").value(), 1u);
}

TEST_F(SqliteBrokerTest, LeasedMessageIsInvisibleToOtherPulls) {
  options_.visibility_timeout = 60s;
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  ASSERT_FALSE(publish_one(*b, make_message("m1")));
  auto first = b->pull("sink", 10, k_long_wait);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 1u);
  auto second = b->pull("sink", 10, 100ms);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->empty());
}

TEST_F(SqliteBrokerTest, ExpiredLeaseIsDeliveredAgainWithNextAttempt) {
  options_.visibility_timeout = 200ms;
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  ASSERT_FALSE(publish_one(*b, make_message("m1")));
  auto first = b->pull("sink", 10, k_long_wait);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ(first->front().attempt, 1u);

  auto again = b->pull("sink", 10, k_long_wait);  // returns once the lease expired
  ASSERT_TRUE(again);
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(again->front().msg.id, "m1");
  EXPECT_EQ(again->front().attempt, 2u);
  EXPECT_NE(again->front().receipt, first->front().receipt);
}

TEST_F(SqliteBrokerTest, AckOfAnExpiredLeaseDoesNotRemoveTheNewLease) {
  options_.visibility_timeout = 200ms;
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  ASSERT_FALSE(publish_one(*b, make_message("m1")));
  auto stale = b->pull("sink", 10, k_long_wait);
  ASSERT_TRUE(stale);
  ASSERT_EQ(stale->size(), 1u);
  auto current = b->pull("sink", 10, k_long_wait);
  ASSERT_TRUE(current);
  ASSERT_EQ(current->size(), 1u);

  EXPECT_FALSE(b->ack(*stale));  // a no-op, not an error
  EXPECT_EQ(b->depth("sink").value(), 1u);
  EXPECT_EQ(b->holds("m1").value(), std::optional<bool>(true));
  EXPECT_FALSE(b->ack(*current));
  EXPECT_EQ(b->depth("sink").value(), 0u);
}

TEST_F(SqliteBrokerTest, ReleaseCountsTheAttemptOnlyWhenAsked) {
  options_.visibility_timeout = 60s;
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  ASSERT_FALSE(publish_one(*b, make_message("m1")));
  auto pull_one = [&] {
    auto got = b->pull("sink", 10, k_long_wait);
    EXPECT_TRUE(got);
    EXPECT_EQ(got ? got->size() : 0u, 1u);
    return got && got->size() == 1 ? got->front() : delivery{};
  };
  auto d = pull_one();
  EXPECT_EQ(d.attempt, 1u);

  ASSERT_FALSE(b->release({&d, 1}, 0ms, /*count_attempt=*/false));
  d = pull_one();
  EXPECT_EQ(d.attempt, 1u);

  ASSERT_FALSE(b->release({&d, 1}, 0ms, /*count_attempt=*/true));
  d = pull_one();
  EXPECT_EQ(d.attempt, 2u);

  // A delayed release keeps the message waiting, but not visible.
  ASSERT_FALSE(b->release({&d, 1}, 60s, true));
  auto none = b->pull("sink", 10, 0ms);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(b->depth("sink").value(), 1u);
}

TEST_F(SqliteBrokerTest, MessagesAndLeasesSurviveReopening) {
  options_.visibility_timeout = 300ms;
  {
    auto b = open_with_sink();
    ASSERT_TRUE(b);
    ASSERT_FALSE(publish_sync(*b, {make_message("m1"), make_message("m2")}));
    auto leased = b->pull("sink", 1, k_long_wait);
    ASSERT_TRUE(leased);
    ASSERT_EQ(leased->size(), 1u);
    EXPECT_EQ(leased->front().msg.id, "m1");
  }  // destroyed with m1 leased and unacked

  auto b = open();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->depth("sink").value(), 2u);
  EXPECT_EQ(b->holds("m1").value(), std::optional<bool>(true));
  std::map<std::string, std::uint32_t> attempts;
  for (const auto& d : drain(*b, "sink", 2)) attempts[d.msg.id] = d.attempt;
  EXPECT_EQ(attempts, (std::map<std::string, std::uint32_t>{{"m1", 2}, {"m2", 1}}));
}

TEST_F(SqliteBrokerTest, MessagesAndLeasesSurviveAProcessCrash) {
  options_.visibility_timeout = 300ms;
  const pid_t child = ::fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    // The child publishes, leases m1 and dies without closing anything.
    auto made = make_sqlite_broker(options_);
    if (!made) ::_exit(2);
    auto& b = **made;
    const topology t[] = {{"sink", "users"}};
    if (b.declare(t)) ::_exit(3);
    if (publish_sync(b, {make_message("m1"), make_message("m2")})) ::_exit(4);
    auto leased = b.pull("sink", 1, k_long_wait);
    if (!leased || leased->size() != 1) ::_exit(5);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  auto b = open();
  ASSERT_TRUE(b);
  std::map<std::string, std::uint32_t> attempts;
  for (const auto& d : drain(*b, "sink", 2)) attempts[d.msg.id] = d.attempt;
  EXPECT_EQ(attempts, (std::map<std::string, std::uint32_t>{{"m1", 2}, {"m2", 1}}));
}

TEST_F(SqliteBrokerTest, SecondInstanceOnTheFileSeesPublishesByPolling) {
  auto publisher = open_with_sink();
  auto worker = open();
  ASSERT_TRUE(publisher && worker);
  auto pulled =
      std::async(std::launch::async, [&] { return worker->pull("sink", 10, k_long_wait); });
  ASSERT_FALSE(publish_one(*publisher, make_message("m1")));
  auto got = pulled.get();
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().msg.id, "m1");
  EXPECT_FALSE(worker->ack(*got));
  EXPECT_EQ(publisher->depth("sink").value(), 0u);
}

TEST_F(SqliteBrokerTest, CloseWakesPullsAndRefusesNewCalls) {
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  const auto started = std::chrono::steady_clock::now();
  auto pulled = std::async(std::launch::async, [&] { return b->pull("sink", 10, 60s); });
  b->close();
  auto got = pulled.get();
  // Empty if the pull was waiting, errc::closed if close() came first.
  EXPECT_TRUE(got ? got->empty() : got.error() == errc::closed);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 60s);  // returned early

  EXPECT_EQ(publish_one(*b, make_message("late")), errc::closed);
  auto late_pull = b->pull("sink", 10, 0ms);
  ASSERT_FALSE(late_pull);
  EXPECT_EQ(late_pull.error(), errc::closed);
  EXPECT_EQ(b->ack({}), errc::closed);
  EXPECT_EQ(b->depth("sink").error(), errc::closed);
  EXPECT_EQ(b->ping(), errc::closed);
  b->close();  // idempotent
}

TEST_F(SqliteBrokerTest, CloseCompletesPublishesAlreadyAccepted) {
  constexpr int k_messages = 200;
  {
    auto b = open_with_sink();
    ASSERT_TRUE(b);
    outcomes results;
    for (int i = 0; i < k_messages; ++i) {
      const auto id = "m" + std::to_string(i);
      b->publish({make_message(id)}, results.callback(id));
    }
    b->close();
    for (const auto& [id, ec] : results.wait_for(k_messages)) EXPECT_FALSE(ec) << id;
  }
  auto b = open();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->depth("sink").value(), static_cast<std::uint64_t>(k_messages));
}

TEST_F(SqliteBrokerTest, CallbacksMayPublishAndClose) {
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  std::promise<std::error_code> second;
  // The callback runs on the broker's thread: publishing from it must not
  // deadlock, and neither must closing from it.
  b->publish({make_message("m1")}, [&](std::error_code ec) {
    EXPECT_FALSE(ec);
    b->publish({make_message("m2")}, [&](std::error_code ec2) {
      b->close();
      second.set_value(ec2);
    });
  });
  EXPECT_FALSE(second.get_future().get());
  EXPECT_EQ(publish_one(*b, make_message("m3")), errc::closed);
  b.reset();  // joins the thread that closed itself

  auto reopened = open();
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->depth("sink").value(), 2u);
}

TEST_F(SqliteBrokerTest, RefusesPublishesBeyondMaxPending) {
  options_.max_pending = 2;
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  // A callback that blocks holds the writer thread, so the queue fills up.
  std::promise<void> entered;
  std::promise<void> resume;
  auto resumed = resume.get_future().share();
  b->publish({make_message("m0")}, [&](std::error_code) {
    entered.set_value();
    resumed.wait();
  });
  entered.get_future().wait();

  outcomes results;
  b->publish({make_message("m1")}, results.callback("fits"));
  b->publish({make_message("m2"), make_message("m3")}, results.callback("too-many"));
  EXPECT_EQ(results.wait_for(1).at("too-many"), errc::overloaded);  // at once, not later
  resume.set_value();
  EXPECT_FALSE(results.wait_for(2).at("fits"));
}

TEST_F(SqliteBrokerTest, UnknownSubscriptionIsAnError) {
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  auto pulled = b->pull("nope", 10, 0ms);
  ASSERT_FALSE(pulled);
  EXPECT_EQ(pulled.error(), errc::unknown_subscription);
  auto depth = b->depth("nope");
  ASSERT_FALSE(depth);
  EXPECT_EQ(depth.error(), errc::unknown_subscription);
}

TEST_F(SqliteBrokerTest, SubscriptionDeclaredLaterGetsOnlyLaterMessages) {
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  ASSERT_FALSE(publish_one(*b, make_message("early")));
  const topology late[] = {{"late", "users"}};
  ASSERT_FALSE(b->declare(late));
  ASSERT_FALSE(publish_one(*b, make_message("later")));
  auto got = drain(*b, "late", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.front().msg.id, "later");
}

TEST_F(SqliteBrokerTest, WorksInMemoryForTests) {
  options_.path = ":memory:";
  auto b = open_with_sink();
  ASSERT_TRUE(b);
  ASSERT_FALSE(publish_one(*b, make_message("m1")));
  EXPECT_EQ(b->depth("sink").value(), 1u);
  auto got = drain(*b, "sink", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(b->depth("sink").value(), 0u);
}

TEST_F(SqliteBrokerTest, OpeningAnUnusableFileFails) {
  options_.path = dir_ + "/missing-dir/queue.db";
  auto b = make_sqlite_broker(options_);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), errc::unavailable);
}

}  // namespace
}  // namespace sluice::broker

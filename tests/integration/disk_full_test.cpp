// A full disk under the embedded queue (issue 11, items 28 and 29): the queue
// file lives on a small tmpfs that the records fill. Then publishes are
// refused with a cause that says so (errc::storage_full; POST 503 naming it,
// /readyz 503 naming it, a metric outcome, a log line naming the file and
// SQLite's message), the backlog still drains, and publishes resume once the
// drain has given the space back. Needs permission to mount (root in the
// test container); skipped otherwise.

#include <future>
#include <set>

#include "broker/sqlite/sqlite_broker.hpp"
#include "support/fixtures.hpp"
#include "support/small_tmpfs.hpp"

namespace sluice::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::error_code publish_sync(broker::broker& b, std::vector<broker::message> messages) {
  std::promise<std::error_code> done;
  auto result = done.get_future();
  b.publish(std::move(messages), [&done](std::error_code ec) { done.set_value(ec); });
  return result.get();
}

std::vector<broker::message> batch(const std::string& prefix, int n) {
  std::vector<broker::message> out;
  for (int i = 0; i < n; ++i) {
    broker::message m;
    m.id = prefix + "-" + std::to_string(i);
    m.topic = "users";
    m.body = "{\"pad\":\"" + std::string(1000, 'x') + "\"}";
    out.push_back(std::move(m));
  }
  return out;
}

// The broker itself: fill, refuse, drain, resume.
TEST(disk_full, embedded_queue_refuses_publishes_drains_and_resumes) {
  small_tmpfs disk(8 << 20);
  REQUIRE_TMPFS(disk);
  broker::sqlite_broker_options o;
  o.path = (disk.path() / "queue.db").string();
  o.reserve_bytes = 1 << 20;
  auto opened = broker::make_sqlite_broker(o);
  ASSERT_TRUE(opened) << opened.error().message();
  auto& b = **opened;
  const broker::topology t{"users-sink", "users"};
  ASSERT_FALSE(b.declare({&t, 1}));
  ASSERT_TRUE(fs::exists(o.path + "-reserve"));

  std::set<std::string> accepted;
  std::error_code refused;
  for (int i = 0; i < 1000 && !refused; ++i) {
    auto msgs = batch("m" + std::to_string(i), 100);
    refused = publish_sync(b, msgs);
    if (!refused)
      for (const auto& m : msgs) accepted.insert(m.id);
  }
  ASSERT_EQ(refused, broker::errc::storage_full) << refused.message();
  ASSERT_GT(accepted.size(), 1000u);
  EXPECT_EQ(b.ping(), broker::errc::storage_full);
  EXPECT_EQ(publish_sync(b, batch("again", 1)), broker::errc::storage_full);
  EXPECT_FALSE(fs::exists(o.path + "-reserve"));  // given to the drain

  // The backlog drains although nothing more fits on the disk.
  std::set<std::string> delivered;
  for (int i = 0; i < 1000 && delivered.size() < accepted.size(); ++i) {
    auto got = b.pull("users-sink", 500, 1s);
    ASSERT_TRUE(got) << got.error().message();
    if (got->empty()) break;
    ASSERT_FALSE(b.ack(*got));
    for (const auto& d : *got) delivered.insert(d.msg.id);
  }
  EXPECT_EQ(delivered, accepted);
  auto depth = b.depth("users-sink");
  ASSERT_TRUE(depth);
  ASSERT_EQ(*depth, 0u);

  // The drain gave the space back: the reserve returns, publishes resume.
  EXPECT_TRUE(eventually([&] { return !b.ping(); })) << b.ping().message();
  EXPECT_TRUE(fs::exists(o.path + "-reserve"));
  EXPECT_FALSE(publish_sync(b, batch("after", 100)));
  b.close();
}

std::string users_array(int from, int n) {
  std::string body = "[";
  for (int i = 0; i < n; ++i) {
    if (i > 0) body += ",";
    body += user_json(std::string(190, 'n'), "u" + std::to_string(from + i) + "@disk.test");
  }
  return body + "]";
}

// Processes as deployed: `sluice api` fills the queue's disk, then a
// `sluice worker` starts and drains it while the api refuses POSTs.
TEST(disk_full, api_names_storage_full_and_a_worker_drains_the_backlog) {
  small_tmpfs disk(16 << 20);
  REQUIRE_TMPFS(disk);
  temp_dir data;
  const auto queue = disk.path() / "queue.db";
  std::map<std::string, std::string> env = {
      {"SLUICE_LOG_ACCESS_LOG", "false"},
      {"SLUICE_BROKER_URL", "sqlite://" + queue.string()},
      {"SLUICE_BROKER_RESERVE_BYTES", std::to_string(4 << 20)}};
  sluice_process api("api", default_config(), data.path(), env);
  ASSERT_TRUE(api.start()) << api.log();
  http_client c(api.port());
  ASSERT_EQ(c.get("/readyz").status, 200);

  std::int64_t accepted = 0;
  http_result refused;
  for (int i = 0; i < 2000; ++i) {
    auto r = c.post("/v1/users", users_array(i * 200, 200));
    if (r.status != 202) {
      refused = r;
      break;
    }
    accepted += 200;
  }
  ASSERT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("storage is full"), std::string::npos) << refused.body;
  EXPECT_FALSE(refused.header("retry-after").empty());
  ASSERT_GT(accepted, 0);

  auto ready = c.get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("storage full"), std::string::npos) << ready.body;
  EXPECT_NE(c.get("/metrics").body.find("outcome=\"storage_full\""), std::string::npos);
  const auto log = api.log();
  EXPECT_NE(log.find("queue storage full"), std::string::npos) << log;
  EXPECT_NE(log.find(queue.string()), std::string::npos) << log;
  EXPECT_NE(log.find("database or disk is full"), std::string::npos) << log;
  // Refused, not half-written: still 503 while nothing drains.
  EXPECT_EQ(c.post("/v1/users", users_array(900'000, 1)).status, 503);

  sluice_process worker("worker", default_config(), data.path(), env);
  ASSERT_TRUE(worker.start()) << worker.log();
  auto rows = [&] { return sqlite_int(api.store_path(), "SELECT count(*) FROM users"); };
  EXPECT_TRUE(eventually([&] { return rows() >= accepted; }, 120s))
      << rows() << " of " << accepted << "\n"
      << worker.log();
  EXPECT_EQ(rows(), accepted);

  // Space is back: POSTs are accepted and stored again, /readyz recovers.
  int status = 0;
  EXPECT_TRUE(eventually(
      [&] {
        status = c.post("/v1/users", users_array(1'000'000, 10)).status;
        return status == 202;
      },
      60s))
      << status << "\n"
      << api.log();
  EXPECT_TRUE(eventually([&] { return rows() == accepted + 10; }, 60s)) << worker.log();
  EXPECT_EQ(c.get("/readyz").status, 200);
  EXPECT_EQ(sqlite_int(api.store_path(), "SELECT count(*) FROM sluice_dead_letters"), 0);
  EXPECT_EQ(worker.stop(), 0) << worker.log();
  EXPECT_EQ(api.stop(), 0) << api.log();
}

}  // namespace
}  // namespace sluice::testing

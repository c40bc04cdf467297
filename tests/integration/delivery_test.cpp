// Delivery semantics through the real binary: idempotent retries, fan-out to
// several subscriptions, dead letters, a second resource from config alone,
// and the api/worker split.

#include "support/fixtures.hpp"

namespace sluice::testing {
namespace {

const char* const two_resources_config = R"(
[http]
listen = "127.0.0.1:0"
[log]
access_log = false
[broker]
visibility_timeout_ms = 2000

[[resources]]
name = "users"
  [[resources.fields]]
  name = "name"
  type = "string"
  required = true
  min_length = 1
  max_length = 200
  [[resources.fields]]
  name = "email"
  type = "email"
  required = true

[[resources]]
name = "orders"
  [[resources.fields]]
  name = "sku"
  type = "string"
  required = true
  [[resources.fields]]
  name = "quantity"
  type = "integer"
  required = true
  minimum = 1
  maximum = 1000
  [[resources.fields]]
  name = "price"
  type = "number"
  [[resources.fields]]
  name = "gift"
  type = "boolean"
  [[resources.fields]]
  name = "placed_at"
  type = "timestamp"
  index = true

[[subscriptions]]
name = "users"
resource = "users"

[[subscriptions]]
name = "users-audit"
resource = "users"
table = "users_audit"

[[subscriptions]]
name = "orders"
resource = "orders"
)";

TEST(delivery, idempotency_key_makes_one_row_and_refuses_a_different_body) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(), {{"SLUICE_LOG_ACCESS_LOG", "false"}});
  ASSERT_TRUE(p.start()) << p.log();
  http_client c(p.port());
  std::string body = user_json("Idem", "idem@retry.test");
  auto first = c.post("/v1/users", body, {{"Idempotency-Key", "order-42"}});
  auto second = c.post("/v1/users", body, {{"Idempotency-Key", "order-42"}, {"Prefer", "wait=10"}});
  ASSERT_EQ(first.status, 202) << first.body;
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(parse_json(first.body).at("id"), parse_json(second.body).at("message_id"));
  auto conflict = c.post("/v1/users", user_json("Other", "other@retry.test"),
                         {{"Idempotency-Key", "order-42"}});
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  // A third retry after the row exists still makes no second row.
  EXPECT_EQ(c.post("/v1/users", body, {{"Idempotency-Key", "order-42"}, {"Prefer", "wait=10"}}).status, 201);
  EXPECT_EQ(sqlite_int(p.store_path(), "SELECT count(*) FROM users WHERE email = 'idem@retry.test'"), 1);
  EXPECT_EQ(sqlite_int(p.store_path(), "SELECT count(*) FROM users WHERE email = 'other@retry.test'"), 0);
  EXPECT_EQ(p.stop(), 0);
}

// Issue 11 #9: the key names the whole request. The same key with a
// superset, a prefix or a reordering of the records is 409, and nothing of
// the refused request is stored.
TEST(delivery, idempotency_key_identifies_the_whole_request) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(), {{"SLUICE_LOG_ACCESS_LOG", "false"}});
  ASSERT_TRUE(p.start()) << p.log();
  http_client c(p.port());
  const std::string a = user_json("A", "a@whole.test"), b = user_json("B", "b@whole.test");
  // {A} then [A,B]: B must not slip in as a new row.
  ASSERT_EQ(c.post("/v1/users", a, {{"Idempotency-Key", "k1"}}).status, 202);
  auto superset = c.post("/v1/users", "[" + a + "," + b + "]", {{"Idempotency-Key", "k1"}});
  EXPECT_EQ(superset.status, 409) << superset.body;
  // [A,B] then {A}, and then [B,A].
  ASSERT_EQ(c.post("/v1/users", "[" + a + "," + b + "]", {{"Idempotency-Key", "k2"}}).status, 202);
  EXPECT_EQ(c.post("/v1/users", a, {{"Idempotency-Key", "k2"}}).status, 409);
  EXPECT_EQ(c.post("/v1/users", "[" + b + "," + a + "]", {{"Idempotency-Key", "k2"}}).status, 409);
  // The same request again is a retry: 202, the same ids, no new rows.
  auto again = c.post("/v1/users", "[" + a + "," + b + "]", {{"Idempotency-Key", "k2"}});
  EXPECT_EQ(again.status, 202) << again.body;
  ASSERT_TRUE(eventually([&] {
    return sqlite_int(p.store_path(), "SELECT count(*) FROM users") == 3;
  })) << p.log();
  EXPECT_EQ(sqlite_int(p.store_path(), "SELECT count(*) FROM users WHERE email = 'b@whole.test'"), 1);
  EXPECT_EQ(p.stop(), 0);
}

// Issue 11 #24: waits are bounded. With no wait slots a POST that asks to
// wait is answered 202 at once (accepted, not waited for); the record is
// stored all the same.
TEST(delivery, prefer_wait_past_max_waiters_answers_202_at_once) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(),
                   {{"SLUICE_LOG_ACCESS_LOG", "false"}, {"SLUICE_HTTP_MAX_WAITERS", "0"}});
  ASSERT_TRUE(p.start()) << p.log();
  http_client c(p.port());
  auto r = c.post("/v1/users", user_json("Wait", "w@bounded.test"), {{"Prefer", "wait=10"}});
  ASSERT_EQ(r.status, 202) << r.body;
  std::string id(parse_json(r.body).at("id").as_string());
  ASSERT_TRUE(eventually([&] {
    return parse_json(c.get("/v1/messages/" + id).body).at("status") == "stored";
  })) << p.log();
  EXPECT_EQ(p.stop(), 0);
}

TEST(delivery, every_subscription_gets_every_message_and_a_second_resource_needs_no_code) {
  temp_dir dir;
  auto cfg = dir.write("sluice.toml", two_resources_config);
  sluice_process p("serve", cfg, dir.path());
  ASSERT_TRUE(p.start()) << p.log();
  http_client c(p.port());
  constexpr int n = 50;
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(c.post("/v1/users", user_json("F" + std::to_string(i), "f" + std::to_string(i) + "@fan.test")).status, 202);
  }
  ASSERT_TRUE(eventually([&] {
    return sqlite_int(p.store_path(), "SELECT count(*) FROM users") == n &&
           sqlite_int(p.store_path(), "SELECT count(*) FROM users_audit") == n;
  })) << p.log();
  EXPECT_EQ(sqlite_int(p.store_path(),
                       "SELECT count(*) FROM users u JOIN users_audit a USING (message_id)"), n);

  auto order = c.post("/v1/orders",
                      R"({"sku":"A-1","quantity":3,"price":9.5,"gift":true,"placed_at":"2026-11-29T10:00:00+01:00"})",
                      {{"Prefer", "wait=10"}});
  ASSERT_EQ(order.status, 201) << order.body;
  auto row = parse_json(order.body);
  EXPECT_EQ(row.at("quantity").as_int64(), 3);
  EXPECT_EQ(row.at("gift").as_bool(), true);
  EXPECT_EQ(row.at("placed_at"), "2026-11-29T09:00:00.000000Z");
  EXPECT_EQ(c.post("/v1/orders", R"({"sku":"A-1","quantity":0})").status, 422);
  auto filtered = c.get("/v1/orders?gift=eq.true&placed_at=eq.2026-11-29T09:00:00Z");
  ASSERT_EQ(filtered.status, 200) << filtered.body;
  EXPECT_EQ(parse_json(filtered.body).as_array().size(), 1u);
  EXPECT_EQ(p.stop(), 0);
}

TEST(delivery, api_and_worker_apart_and_dead_letters_when_the_schema_tightens) {
  temp_dir dir;
  // Messages accepted under the default rules (name ≤ 200 characters)…
  sluice_process api("api", default_config(), dir.path(), {{"SLUICE_LOG_ACCESS_LOG", "false"}});
  ASSERT_TRUE(api.start()) << api.log();
  http_client c(api.port());
  auto good = c.post("/v1/users", user_json("Short", "short@dl.test"));
  auto later_bad = c.post("/v1/users", user_json("A rather long name", "long@dl.test"));
  ASSERT_EQ(good.status, 202);
  ASSERT_EQ(later_bad.status, 202);
  std::string good_id(parse_json(good.body).at("id").as_string());
  std::string bad_id(parse_json(later_bad.body).at("id").as_string());
  EXPECT_EQ(parse_json(c.get("/v1/messages/" + good_id).body).at("status"), "pending");

  // …are stored by a worker whose config allows at most 10: one row, one dead letter.
  std::string tight = two_resources_config;
  tight.replace(tight.find("max_length = 200"), 16, "max_length = 10 ");
  auto cfg = dir.write("tight.toml", tight);
  sluice_process worker("worker", cfg, dir.path());
  ASSERT_TRUE(worker.start()) << worker.log();
  ASSERT_TRUE(eventually([&] {
    auto st = c.get("/v1/messages/" + bad_id);
    return st.status == 200 && parse_json(st.body).at("status") == "dead_lettered";
  })) << worker.log();
  auto dl = parse_json(c.get("/v1/messages/" + bad_id).body);
  EXPECT_NE(std::string(dl.at("reason").as_string()).find("/name"), std::string::npos) << dl;
  EXPECT_TRUE(eventually([&] {
    return parse_json(c.get("/v1/messages/" + good_id).body).at("status") == "stored";
  }));
  EXPECT_EQ(sqlite_int(api.store_path(), "SELECT count(*) FROM users"), 1);
  EXPECT_EQ(worker.stop(), 0);
  EXPECT_EQ(api.stop(), 0);
}

TEST(delivery, sigterm_finishes_requests_in_flight_and_exits_0) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(), {{"SLUICE_LOG_ACCESS_LOG", "false"}});
  ASSERT_TRUE(p.start()) << p.log();
  std::atomic<int> accepted{0}, refused{0};
  std::atomic<bool> go{true};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      http_client c(p.port());
      for (int i = 0; i < 5000 && go; ++i) {
        auto r = c.post("/v1/users", user_json("S", "s" + std::to_string(t) + "-" + std::to_string(i) + "@stop.test"));
        if (r.status == 202) ++accepted;
        else if (r.status == 0) break;  // the server closed: it is stopping
        else ++refused;
      }
    });
  }
  ASSERT_TRUE(eventually([&] { return accepted.load() >= 200; }));
  EXPECT_EQ(p.stop(), 0) << p.log();
  go = false;
  for (auto& t : clients) t.join();
  EXPECT_EQ(refused.load(), 0);
  // Everything accepted before the stop is stored after a restart, once.
  sluice_process again("serve", default_config(), dir.path(), {{"SLUICE_LOG_ACCESS_LOG", "false"}});
  ASSERT_TRUE(again.start()) << again.log();
  EXPECT_TRUE(eventually([&] {
    return sqlite_int(again.store_path(), "SELECT count(*) FROM users") >= accepted.load();
  }));
  EXPECT_EQ(sqlite_int(again.store_path(), "SELECT count(*) - count(DISTINCT message_id) FROM users"), 0);
  EXPECT_EQ(again.stop(), 0);
}

}  // namespace
}  // namespace sluice::testing

// Dead letters over HTTP (issue 14) through the real binary: an API process
// with the default rules and a worker with tighter ones make dead letters;
// then one `sluice serve` with the default rules and auth on lists,
// inspects, redrives (idempotent: one row), discards and bulk-redrives them,
// answers 401/403 without the admin scope, 404 and 400 problem+json, and
// exports the gauge and counters.

#include <sys/wait.h>

#include <cstdio>
#include <set>

#include "support/fixtures.hpp"

namespace sluice::testing {
namespace {

using headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* k_pepper = "test-pepper-dead-letters-0123456789";

std::string create_key(const std::filesystem::path& file, const std::string& scopes) {
  const std::string cmd = std::string("SLUICE_AUTH_PEPPER=") + k_pepper + " '" + SLUICE_BINARY +
                          "' keys create --keys-file '" + file.string() + "' --scopes '" + scopes +
                          "' 2>/dev/null";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  EXPECT_EQ(pclose(p), 0) << out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  auto nl = out.rfind('\n');
  return nl == std::string::npos ? out : out.substr(nl + 1);
}

std::string status_of(http_client& c, const std::string& id, const headers& h = {}) {
  auto r = c.get("/v1/messages/" + id, h);
  if (r.status != 200) return "http " + std::to_string(r.status);
  return std::string(parse_json(r.body).at("status").as_string());
}

std::vector<std::string> events_of(http_client& c, const std::string& id, const headers& h = {}) {
  std::vector<std::string> out;
  auto body = parse_json(c.get("/v1/messages/" + id, h).body).as_object();
  if (!body.contains("history")) return out;
  for (const auto& e : body.at("history").as_array()) {
    out.emplace_back(e.at("event").as_string());
  }
  return out;
}

// Makes four dead letters (names too long for the worker's rules) and one
// row; the fourth is redriven while the rules are still tight, so it is dead
// again. Returns the four ids.
std::vector<std::string> make_dead_letters(const temp_dir& dir) {
  sluice_process api("api", default_config(), dir.path(), {{"SLUICE_LOG_ACCESS_LOG", "false"}});
  EXPECT_TRUE(api.start()) << api.log();
  http_client c(api.port());
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    auto r = c.post("/v1/users", user_json("A rather long name " + std::to_string(i),
                                           "long" + std::to_string(i) + "@dl.test"));
    EXPECT_EQ(r.status, 202) << r.body;
    ids.emplace_back(parse_json(r.body).at("id").as_string());
  }
  EXPECT_EQ(c.post("/v1/users", user_json("Short", "short@dl.test")).status, 202);

  std::string tight = R"(
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
  max_length = 10
  [[resources.fields]]
  name = "email"
  type = "email"
  required = true
)";
  sluice_process worker("worker", dir.write("tight.toml", tight), dir.path());
  EXPECT_TRUE(worker.start()) << worker.log();
  for (const auto& id : ids) {
    EXPECT_TRUE(eventually([&] { return status_of(c, id) == "dead_lettered"; })) << worker.log();
  }
  // Redriven into the same tight rules: dead again, with both failures.
  auto redriven = c.post("/v1/dead-letters/" + ids[3] + "/redrive", "");
  EXPECT_EQ(redriven.status, 202) << redriven.body << api.log();
  EXPECT_TRUE(eventually([&] {
    return events_of(c, ids[3]) ==
           std::vector<std::string>{"dead_lettered", "redriven", "dead_lettered"};
  })) << c.get("/v1/messages/" + ids[3]).body;
  EXPECT_EQ(status_of(c, ids[3]), "dead_lettered");
  EXPECT_EQ(worker.stop(), 0);
  EXPECT_EQ(api.stop(), 0);
  return ids;
}

class dead_letters_http : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir();
    ids_ = new std::vector<std::string>(make_dead_letters(*dir_));
    auto keys = dir_->path() / "keys.json";
    admin_ = new std::string(create_key(keys, "admin,status,metrics"));
    reader_ = new std::string(create_key(keys, "read:users,publish:users,status"));
    proc_ = new sluice_process("serve", default_config(), dir_->path(),
                               {{"SLUICE_AUTH_MODE", "required"},
                                {"SLUICE_AUTH_KEYS_FILE", keys.string()},
                                {"SLUICE_AUTH_PEPPER", k_pepper},
                                {"SLUICE_LOG_ACCESS_LOG", "false"}});
    ASSERT_TRUE(proc_->start()) << proc_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(proc_->stop(), 0) << proc_->log();
    delete proc_;
    delete admin_;
    delete reader_;
    delete ids_;
    delete dir_;
  }
  static headers admin() { return {{"Authorization", "Bearer " + *admin_}}; }
  static headers reader() { return {{"Authorization", "Bearer " + *reader_}}; }
  static const std::string& id(int i) { return ids_->at(static_cast<std::size_t>(i)); }
  static std::int64_t rows_of(const std::string& message_id) {
    return sqlite_int(proc_->store_path(),
                      "SELECT count(*) FROM users WHERE message_id = '" + message_id + "'");
  }
  static std::string metric(http_client& c, const std::string& series) {
    auto text = c.get("/metrics", admin()).body;
    auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return "";
    auto end = text.find('\n', at + 1);
    return text.substr(at + series.size() + 2, end - at - series.size() - 2);
  }

  static inline temp_dir* dir_ = nullptr;
  static inline std::vector<std::string>* ids_ = nullptr;
  static inline std::string* admin_ = nullptr;
  static inline std::string* reader_ = nullptr;
  static inline sluice_process* proc_ = nullptr;
};

TEST_F(dead_letters_http, needs_the_admin_scope) {
  http_client c(proc_->port());
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/v1/dead-letters"},
      {"GET", "/v1/dead-letters/" + id(0)},
      {"POST", "/v1/dead-letters/" + id(0) + "/redrive"},
      {"POST", "/v1/dead-letters:redrive"},
      {"DELETE", "/v1/dead-letters/" + id(0)}};
  for (const auto& [method, target] : routes) {
    auto none = c.request(method, target);
    EXPECT_EQ(none.status, 401) << method << " " << target;
    EXPECT_NE(none.header("www-authenticate").find("Bearer"), std::string::npos);
    auto lacking = c.request(method, target, {}, reader());
    EXPECT_EQ(lacking.status, 403) << method << " " << target;
    EXPECT_EQ(lacking.header("content-type"), "application/problem+json");
    EXPECT_EQ(parse_json(lacking.body).at("missing_scope"), "admin");
  }
  EXPECT_EQ(status_of(c, id(0), reader()), "dead_lettered") << "nothing changed";
}

TEST_F(dead_letters_http, bad_filters_are_400_and_unknown_ids_404) {
  http_client c(proc_->port());
  for (const std::string& q : std::vector<std::string>{
           "limit=0", "limit=1001", "limit=x", "since=yesterday", "after=!!", "colour=red",
           "subscription=", "limit=1&limit=2", "reason=", "reason=" + std::string(201, 'x')}) {
    auto r = c.get("/v1/dead-letters?" + q, admin());
    EXPECT_EQ(r.status, 400) << q << " " << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << q;
    EXPECT_FALSE(parse_json(r.body).at("errors").as_array().empty()) << q;
  }
  EXPECT_EQ(c.post("/v1/dead-letters:redrive?limit=5000", "", admin()).status, 400);
  EXPECT_EQ(c.post("/v1/dead-letters/" + id(0) + "/redrive?topic=users", "", admin()).status, 400);
  const std::string unknown = "01900000-0000-7000-8000-000000000999";
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/dead-letters/" + unknown},
           {"POST", "/v1/dead-letters/" + unknown + "/redrive"},
           {"DELETE", "/v1/dead-letters/" + unknown},
           {"GET", "/v1/dead-letters/" + id(0) + "?subscription=nope"}}) {
    auto r = c.request(method, target, {}, admin());
    EXPECT_EQ(r.status, 404) << method << " " << target << " " << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
  }
}

// One test for the stateful story, in order: list, inspect, redrive twice,
// discard, bulk redrive, metrics.
TEST_F(dead_letters_http, list_inspect_redrive_discard_and_bulk) {
  http_client c(proc_->port());
  // The gauge, sampled by the subscriber from the store.
  EXPECT_TRUE(eventually([&] {
    return metric(c, R"(sluice_dead_letters{subscription="users"})") == "4";
  })) << c.get("/metrics", admin()).body;

  // Keyset pages of 3 then 1, following Link: rel="next".
  auto first = c.get("/v1/dead-letters?subscription=users&limit=3", admin());
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.header("content-type"), "application/json");
  auto page1 = parse_json(first.body).as_array();
  ASSERT_EQ(page1.size(), 3u);
  auto link = first.header("link");
  ASSERT_NE(link.find("rel=\"next\""), std::string::npos) << link;
  auto next = link.substr(1, link.find('>') - 1);
  EXPECT_NE(next.find("subscription=users"), std::string::npos) << next;
  auto second = c.get(next, admin());
  ASSERT_EQ(second.status, 200) << second.body;
  auto page2 = parse_json(second.body).as_array();
  ASSERT_EQ(page2.size(), 1u);
  EXPECT_TRUE(second.header("link").empty());
  std::set<std::string> listed;
  for (const auto& e : page1) listed.emplace(e.at("message_id").as_string());
  for (const auto& e : page2) listed.emplace(e.at("message_id").as_string());
  EXPECT_EQ(listed, (std::set<std::string>(ids_->begin(), ids_->end())));
  EXPECT_EQ(parse_json(c.get("/v1/dead-letters?topic=orders", admin()).body).as_array().size(), 0u);
  // ?reason=: contains, ASCII letters without case; %20 is a space, and the
  // next page keeps the filter.
  auto by_reason = c.get("/v1/dead-letters?reason=INVALID%20Record&limit=3", admin());
  ASSERT_EQ(by_reason.status, 200) << by_reason.body;
  EXPECT_EQ(parse_json(by_reason.body).as_array().size(), 3u);
  EXPECT_NE(by_reason.header("link").find("reason=INVALID%20Record"), std::string::npos)
      << by_reason.header("link");
  EXPECT_EQ(parse_json(c.get("/v1/dead-letters?reason=no%20such%20reason", admin()).body)
                .as_array()
                .size(),
            0u);

  // Inspect: reason, attempts, body, subscription, first/last failure.
  auto one = c.get("/v1/dead-letters/" + id(3), admin());
  ASSERT_EQ(one.status, 200) << one.body;
  auto e = parse_json(one.body).as_object();
  EXPECT_EQ(e.at("subscription"), "users");
  EXPECT_EQ(e.at("topic"), "users");
  EXPECT_EQ(e.at("state"), "dead");
  EXPECT_NE(std::string(e.at("reason").as_string()).find("/name"), std::string::npos) << e;
  EXPECT_GE(e.at("attempts").as_int64(), 1);
  EXPECT_EQ(e.at("redrives"), 1);
  EXPECT_NE(std::string(e.at("body").as_string()).find("A rather long name 3"), std::string::npos);
  EXPECT_LT(std::string(e.at("first_failed_at").as_string()),
            std::string(e.at("last_failed_at").as_string()))
      << "failed, redriven, failed again";

  // Redrive twice: one row, and the message's history says so.
  auto r1 = c.post("/v1/dead-letters/" + id(0) + "/redrive", "", admin());
  ASSERT_EQ(r1.status, 202) << r1.body;
  EXPECT_EQ(parse_json(r1.body).at("redriven").as_array().size(), 1u);
  EXPECT_EQ(r1.header("location"), "/v1/messages/" + id(0));
  auto r2 = c.post("/v1/dead-letters/" + id(0) + "/redrive", "", admin());
  ASSERT_EQ(r2.status, 202) << r2.body;
  ASSERT_TRUE(eventually([&] { return status_of(c, id(0), admin()) == "stored"; })) << proc_->log();
  auto story = events_of(c, id(0), admin());
  ASSERT_FALSE(story.empty());
  EXPECT_EQ(story.front(), "dead_lettered");
  EXPECT_EQ(std::count(story.begin(), story.end(), "redriven"), 2);
  EXPECT_EQ(std::count(story.begin(), story.end(), "stored"), 1);
  // Both redrives' deliveries are in (duplicates of the one row): wait until
  // the queue is empty, then count.
  EXPECT_TRUE(eventually([&] {
    return metric(c, R"(sluice_subscription_lag_messages{subscription="users"})") == "0";
  }));
  EXPECT_EQ(rows_of(id(0)), 1);
  auto row_url = parse_json(c.get("/v1/messages/" + id(0), admin()).body).at("row_url");
  EXPECT_FALSE(row_url.as_string().empty());

  // Discard: 204, again 204, final; a redrive of it is refused.
  EXPECT_EQ(c.request("DELETE", "/v1/dead-letters/" + id(1), {}, admin()).status, 204);
  EXPECT_EQ(c.request("DELETE", "/v1/dead-letters/" + id(1), {}, admin()).status, 204);
  EXPECT_EQ(status_of(c, id(1), admin()), "discarded");
  auto refused = c.post("/v1/dead-letters/" + id(1) + "/redrive", "", admin());
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(events_of(c, id(1), admin()), (std::vector<std::string>{"dead_lettered", "discarded"}));
  EXPECT_EQ(c.get("/v1/dead-letters/" + id(1), admin()).status, 200) << "still inspectable";

  // Bulk: the rest (two), bounded by limit, reported.
  auto bulk = c.post("/v1/dead-letters:redrive?subscription=users&limit=1", "", admin());
  ASSERT_EQ(bulk.status, 202) << bulk.body;
  EXPECT_EQ(parse_json(bulk.body).at("redriven"), 1);
  auto rest = c.post("/v1/dead-letters:redrive?subscription=users", "", admin());
  ASSERT_EQ(rest.status, 202) << rest.body;
  EXPECT_EQ(parse_json(rest.body).at("redriven"), 1);
  for (int i : {2, 3}) {
    EXPECT_TRUE(eventually([&] { return status_of(c, id(i), admin()) == "stored"; })) << id(i);
    EXPECT_EQ(rows_of(id(i)), 1);
  }
  EXPECT_EQ(parse_json(c.get("/v1/dead-letters", admin()).body).as_array().size(), 0u);
  auto none = c.post("/v1/dead-letters:redrive", "", admin());
  EXPECT_EQ(parse_json(none.body).at("redriven"), 0);

  // Metrics: the backlog drained, the actions counted.
  EXPECT_TRUE(
      eventually([&] { return metric(c, R"(sluice_dead_letters{subscription="users"})") == "0"; }));
  EXPECT_EQ(metric(c, R"(sluice_dead_letter_redrives_total{subscription="users"})"), "4");
  EXPECT_EQ(metric(c, R"(sluice_dead_letter_discards_total{subscription="users"})"), "1");
}

}  // namespace
}  // namespace sluice::testing

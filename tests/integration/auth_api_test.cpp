// Issue 12 against the real binary: what start-up refuses in [auth]; with
// auth on, each route's decision (allowed / 401 / 403) per scope, bad
// credentials, expired and revoked keys (also on an open keep-alive
// connection), the keys file reloaded without a restart, idempotency keys
// scoped by principal, and a log that never carries a key.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/fixtures.hpp"
#include "support/raw_socket.hpp"

namespace sluice::testing {
namespace {

using headers = std::vector<std::pair<std::string, std::string>>;

TEST(auth_start, mode_none_on_a_non_loopback_listen_is_refused) {
  temp_dir dir;
  // Refused before anything binds, so nothing listens on 0.0.0.0.
  sluice_process p("serve", default_config(), dir.path(),
                   {{"SLUICE_AUTH_MODE", "none"}, {"SLUICE_HTTP_LISTEN", "0.0.0.0:0"}});
  EXPECT_FALSE(p.start()) << p.log();
  p.stop();
  const auto log = p.log();
  EXPECT_NE(log.find("configuration error"), std::string::npos) << log;
  EXPECT_NE(log.find("auth.mode"), std::string::npos) << log;
  EXPECT_NE(log.find("allow_open"), std::string::npos) << log;
  EXPECT_EQ(log.find("\"listening\""), std::string::npos) << log;
}

TEST(auth_start, mode_required_without_keys_is_refused) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(), {{"SLUICE_AUTH_MODE", "required"}});
  EXPECT_FALSE(p.start()) << p.log();
  p.stop();
  const auto log = p.log();
  EXPECT_NE(log.find("auth.keys_file"), std::string::npos) << log;
  EXPECT_EQ(log.find("\"listening\""), std::string::npos) << log;
}

TEST(auth_start, the_log_says_whether_auth_is_on) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path());
  ASSERT_TRUE(p.start()) << p.log();
  EXPECT_EQ(p.stop(), 0);
  EXPECT_NE(p.log().find("authentication is off"), std::string::npos) << p.log();
  EXPECT_NE(p.log().find("\"auth\":\"none\""), std::string::npos) << p.log();
}

constexpr const char* k_pepper = "test-pepper-0123456789abcdef";

// Runs `sluice keys ...` with the test pepper; returns stdout (and the exit code).
std::string keys_cli(const std::string& args, int* rc = nullptr) {
  const std::string cmd = std::string("SLUICE_AUTH_PEPPER=") + k_pepper + " '" + SLUICE_BINARY +
                          "' keys " + args + " 2>/dev/null";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  int status = pclose(p);
  if (rc) *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// The new key: the last line of `sluice keys create`'s stdout.
std::string create_key(const std::filesystem::path& file, const std::string& args) {
  int rc = -1;
  auto out = keys_cli("create --keys-file '" + file.string() + "' " + args, &rc);
  EXPECT_EQ(rc, 0) << out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  auto nl = out.rfind('\n');
  return nl == std::string::npos ? out : out.substr(nl + 1);
}

std::string id_of(const std::string& key) { return key.substr(4, 16); }  // slk_<id>_…

class keyed : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir();
    keys_ = dir_->path() / "keys.json";
    auto& k = *(keys_by_name_ = new std::map<std::string, std::string>());
    k["pub"] = create_key(keys_, "--name pub --scopes publish:users,read:users");
    k["pub_b"] = create_key(keys_, "--name pub_b --scopes publish:users");
    k["status"] = create_key(keys_, "--scopes status");
    k["metrics"] = create_key(keys_, "--scopes metrics");
    k["read_all"] = create_key(keys_, "--scopes 'read:*'");
    k["all"] = create_key(keys_, "--scopes '*'");
    k["expired"] = create_key(keys_, "--scopes '*' --expires 2020-01-01T00:00:00Z");
    k["doomed"] = create_key(keys_, "--name doomed --scopes read:users");  // revoked by tests
    proc_ = new sluice_process("serve", default_config(), dir_->path(),
                               {{"SLUICE_AUTH_MODE", "required"},
                                {"SLUICE_AUTH_KEYS_FILE", keys_.string()},
                                {"SLUICE_AUTH_PEPPER", k_pepper}});
    ASSERT_TRUE(proc_->start()) << proc_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(proc_->stop(), 0) << proc_->log();
    delete proc_;
    delete keys_by_name_;
    delete dir_;
  }
  static const std::string& key(const std::string& name) { return keys_by_name_->at(name); }
  static headers bearer(const std::string& name) {
    return {{"Authorization", "Bearer " + key(name)}};
  }
  static int port() { return proc_->port(); }

  static inline temp_dir* dir_ = nullptr;
  static inline std::filesystem::path keys_;
  static inline std::map<std::string, std::string>* keys_by_name_ = nullptr;
  static inline sluice_process* proc_ = nullptr;
};

void expect_401(const http_result& r, const std::string& what) {
  EXPECT_EQ(r.status, 401) << what << ": " << r.body;
  EXPECT_NE(r.header("www-authenticate").find(R"(Bearer realm="sluice")"), std::string::npos)
      << what;
  EXPECT_EQ(r.header("content-type"), "application/problem+json") << what;
}

TEST_F(keyed, each_route_decides_by_scope) {
  const std::string unknown_message = "/v1/messages/019a0000-0000-7000-8000-000000000000";
  const std::string user = user_json("Ann", "ann@example.com");
  const struct {
    const char* method;
    std::string target;
    const char* key;  // "" = no credential
    int status;       // 0 = allowed (anything but 401/403)
    const char* missing_scope;
  } cases[] = {
      {"GET", "/healthz", "", 200, ""},
      {"GET", "/readyz", "", 200, ""},
      {"GET", "/metrics", "", 401, ""},
      {"GET", "/metrics", "status", 403, "metrics"},
      {"GET", "/metrics", "all", 0, ""},
      {"GET", "/metrics", "metrics", 0, ""},
      {"GET", "/v1/ops/stats", "", 401, ""},
      {"GET", "/v1/ops/stats", "metrics", 403, "admin"},
      {"GET", "/v1/ops/stats", "read_all", 403, "admin"},
      {"GET", "/v1/ops/stats", "all", 0, ""},
      {"GET", unknown_message, "", 401, ""},
      {"GET", unknown_message, "pub", 403, "status"},
      {"GET", unknown_message, "read_all", 403, "status"},
      {"GET", unknown_message, "status", 0, ""},
      {"GET", "/v1/users", "", 401, ""},
      {"GET", "/v1/users", "status", 403, "read:users"},
      {"GET", "/v1/users", "pub_b", 403, "read:users"},
      {"GET", "/v1/users", "pub", 0, ""},
      {"GET", "/v1/users", "read_all", 0, ""},
      {"GET", "/v1/users", "all", 0, ""},
      {"GET", "/v1/users/1", "", 401, ""},
      {"GET", "/v1/users/1", "metrics", 403, "read:users"},
      {"GET", "/v1/users/1", "read_all", 0, ""},
      {"POST", "/v1/users", "", 401, ""},
      {"POST", "/v1/users", "read_all", 403, "publish:users"},
      {"POST", "/v1/users", "status", 403, "publish:users"},
      {"POST", "/v1/users", "pub", 0, ""},
      {"POST", "/v1/users", "all", 0, ""},
      {"GET", "/v1/users", "expired", 401, ""},
  };
  for (const auto& c : cases) {
    http_client client(port());
    headers h;
    if (*c.key) h = bearer(c.key);
    auto r = std::string(c.method) == "POST" ? client.post(c.target, user, h)
                                             : client.get(c.target, h);
    const std::string what = std::string(c.method) + " " + c.target + " with " +
                             (*c.key ? c.key : "no key");
    if (c.status == 401) {
      expect_401(r, what);
    } else if (c.status == 403) {
      EXPECT_EQ(r.status, 403) << what << ": " << r.body;
      EXPECT_EQ(r.header("content-type"), "application/problem+json") << what;
      auto body = parse_json(r.body).as_object();
      EXPECT_EQ(body.at("missing_scope").as_string(), c.missing_scope) << what;
    } else if (c.status == 0) {
      EXPECT_NE(r.status, 401) << what << ": " << r.body;
      EXPECT_NE(r.status, 403) << what << ": " << r.body;
      EXPECT_LT(r.status, 500) << what << ": " << r.body;
    } else {
      EXPECT_EQ(r.status, c.status) << what << ": " << r.body;
    }
  }
}

TEST_F(keyed, x_api_key_works_like_bearer) {
  http_client client(port());
  EXPECT_EQ(client.get("/v1/users", {{"X-API-Key", key("pub")}}).status, 200);
  EXPECT_EQ(client.get("/v1/users", {{"X-API-Key", key("status")}}).status, 403);
}

TEST_F(keyed, bad_credentials_are_401_problems_and_change_nothing) {
  const std::string pub = key("pub");
  std::string wrong_secret = pub;
  wrong_secret[30] = wrong_secret[30] == 'A' ? 'B' : 'A';
  const headers cases[] = {
      {{"Authorization", "Basic dXNlcjpwYXNz"}},
      {{"Authorization", "Bearer"}},
      {{"Authorization", "Bearer " + pub + " extra"}},
      {{"Authorization", "Bearer not-a-key"}},
      {{"Authorization", "Bearer slk_0000000000000000_" + pub.substr(21)}},  // unknown id
      {{"Authorization", "Bearer " + wrong_secret}},
      {{"Authorization", "Bearer a.b.c"}},  // a JWT, and no JWT keys configured
      {{"Authorization", "Bearer " + pub}, {"X-API-Key", pub}},  // two credentials
      {{"X-API-Key", ""}},
      {{"Authorization", "Bearer " + std::string(5000, 'a')}},
  };
  for (const auto& h : cases) {
    http_client client(port());
    auto r = client.post("/v1/users", user_json("Bad", "bad@example.com"), h);
    expect_401(r, h.front().second.substr(0, 60));
    EXPECT_NE(r.header("www-authenticate").find("invalid_token"), std::string::npos);
  }
  // Over the header limit: 431, not a crash or a pass.
  http_client big(port());
  auto r = big.get("/v1/users", {{"Authorization", "Bearer " + std::string(10000, 'a')}});
  EXPECT_EQ(r.status, 431) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  // Nothing was published.
  http_client client(port());
  auto rows = client.get("/v1/users?email=eq.bad@example.com", bearer("pub"));
  ASSERT_EQ(rows.status, 200);
  EXPECT_EQ(parse_json(rows.body).as_array().size(), 0u);
}

TEST_F(keyed, a_revoked_key_is_refused_on_an_open_connection) {
  raw_socket conn(port());
  ASSERT_TRUE(conn.connected());
  const std::string request = "GET /v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                              key("doomed") + "\r\n\r\n";
  ASSERT_TRUE(conn.send(request));
  ASSERT_EQ(statuses(conn.read_response(5000)), "200");
  int rc = -1;
  keys_cli("revoke --keys-file '" + keys_.string() + "' doomed", &rc);
  ASSERT_EQ(rc, 0);
  // The same connection, kept alive: refused once the file was looked at
  // again (at most a second later).
  std::string last;
  EXPECT_TRUE(eventually([&] {
    if (!conn.send(request)) return false;
    last = statuses(conn.read_response(5000));
    return last == "401";
  })) << last;
  // Other keys still work on it.
  ASSERT_TRUE(conn.send("GET /v1/users HTTP/1.1\r\nHost: x\r\nX-API-Key: " + key("read_all") +
                        "\r\n\r\n"));
  EXPECT_EQ(statuses(conn.read_response(5000)), "200");
  const auto log = proc_->log();
  EXPECT_NE(log.find("API key " + id_of(key("doomed")) + " is revoked"), std::string::npos) << log;
}

TEST_F(keyed, keys_created_after_start_are_accepted_without_restart) {
  const std::string fresh = create_key(keys_, "--scopes read:users");
  http_client client(port());
  EXPECT_TRUE(eventually([&] { return client.get("/v1/users", {{"X-API-Key", fresh}}).status == 200; }));
  // SIGHUP reloads too, and does not stop the process.
  const std::string second = create_key(keys_, "--scopes read:users");
  ASSERT_EQ(::kill(proc_->pid(), SIGHUP), 0);
  EXPECT_TRUE(eventually([&] { return client.get("/v1/users", {{"X-API-Key", second}}).status == 200; }));
  EXPECT_EQ(client.get("/healthz").status, 200);
}

TEST_F(keyed, a_broken_keys_file_keeps_the_previous_keys) {
  {
    std::ofstream(keys_, std::ios::trunc) << "{not json";
  }
  ::kill(proc_->pid(), SIGHUP);
  EXPECT_TRUE(eventually([&] {
    return proc_->log().find("API keys not reloaded") != std::string::npos;
  }));
  http_client client(port());
  EXPECT_EQ(client.get("/v1/users", bearer("pub")).status, 200);
}

TEST_F(keyed, an_idempotency_key_is_scoped_by_principal) {
  http_client a(port()), b(port());
  const headers key_a = {{"Authorization", "Bearer " + key("pub")}, {"Idempotency-Key", "order-1"}};
  const headers key_b = {{"Authorization", "Bearer " + key("pub_b")}, {"Idempotency-Key", "order-1"}};
  auto first = a.post("/v1/users", user_json("A", "a@example.com"), key_a);
  ASSERT_EQ(first.status, 202) << first.body;
  const auto id_a = parse_json(first.body).at("id").as_string();
  // B's same key with another body is not A's: no 409, another id.
  auto other = b.post("/v1/users", user_json("B", "b@example.com"), key_b);
  ASSERT_EQ(other.status, 202) << other.body;
  const auto id_b = parse_json(other.body).at("id").as_string();
  EXPECT_NE(id_a, id_b);
  // A's retry is still A's message; A with B's body is A's conflict.
  auto retry = a.post("/v1/users", user_json("A", "a@example.com"), key_a);
  ASSERT_EQ(retry.status, 202) << retry.body;
  EXPECT_EQ(parse_json(retry.body).at("id").as_string(), id_a);
  EXPECT_EQ(a.post("/v1/users", user_json("B", "b@example.com"), key_a).status, 409);
  // Both rows arrive, one each.
  http_client reader(port());
  EXPECT_TRUE(eventually([&] {
    auto r = reader.get("/v1/users?email=eq.a@example.com", bearer("read_all"));
    auto s = reader.get("/v1/users?email=eq.b@example.com", bearer("read_all"));
    return r.status == 200 && s.status == 200 && parse_json(r.body).as_array().size() == 1 &&
           parse_json(s.body).as_array().size() == 1;
  }));
}

TEST_F(keyed, the_log_never_contains_a_key) {
  // Every kind of request, each key presented: allowed, refused, expired,
  // malformed; then the whole process log is searched.
  for (const auto& [name, k] : *keys_by_name_) {
    http_client client(port());
    client.get("/v1/users", {{"Authorization", "Bearer " + k}});
    client.post("/v1/users", user_json("L", "l@example.com"), {{"X-API-Key", k}});
    client.get("/metrics", {{"Authorization", "Bearer " + k + "x"}});
    client.get("/v1/users", {{"Authorization", "Basic " + k}});
  }
  keys_cli("revoke --keys-file '" + keys_.string() + "' " + id_of(key("doomed")));
  http_client client(port());
  eventually([&] { return client.get("/v1/users", bearer("doomed")).status == 401; });
  const auto log = proc_->log();
  EXPECT_NE(log.find("authentication refused"), std::string::npos);
  for (const auto& [name, k] : *keys_by_name_) {
    EXPECT_EQ(log.find(k), std::string::npos) << name;
    EXPECT_EQ(log.find(k.substr(21)), std::string::npos) << name << " (its secret)";
  }
  EXPECT_EQ(log.find(k_pepper), std::string::npos);
}

TEST(auth_keys_cli, list_never_shows_keys_or_hashes) {
  temp_dir dir;
  const auto file = dir.path() / "keys.json";
  const std::string k = create_key(file, "--name ci --scopes publish:users,read:users --rate 50 "
                                         "--expires 2027-01-01T00:00:00Z");
  ASSERT_EQ(k.substr(0, 4), "slk_");
  int rc = -1;
  const auto listed = keys_cli("list --keys-file '" + file.string() + "'", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(listed.find(id_of(k)), std::string::npos) << listed;
  EXPECT_NE(listed.find("ci"), std::string::npos);
  EXPECT_NE(listed.find("publish:users,read:users"), std::string::npos);
  EXPECT_NE(listed.find("2027-01-01T00:00:00Z"), std::string::npos);
  EXPECT_EQ(listed.find(k.substr(21)), std::string::npos);
  const auto stored = [&] {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  EXPECT_EQ(stored.find(k.substr(21)), std::string::npos) << "the key itself is never stored";
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const auto hmac_at = stored.find("\"hmac\":\"");
  ASSERT_NE(hmac_at, std::string::npos);
  EXPECT_EQ(listed.find(stored.substr(hmac_at + 8, 64)), std::string::npos) << "no HMAC listed";
  // Bad requests: exit 2, the file unchanged.
  keys_cli("create --keys-file '" + file.string() + "' --scopes write:users", &rc);
  EXPECT_EQ(rc, 2);
  keys_cli("create --keys-file '" + file.string() + "' --scopes status --expires tomorrow", &rc);
  EXPECT_EQ(rc, 2);
  keys_cli("create --keys-file '" + file.string() + "' --scopes status --name ci", &rc);
  EXPECT_EQ(rc, 2) << "a name is unique among active keys";
  keys_cli("revoke --keys-file '" + file.string() + "' nobody", &rc);
  EXPECT_EQ(rc, 2);
  keys_cli("revoke --keys-file '" + file.string() + "' ci", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(keys_cli("list --keys-file '" + file.string() + "'").find("revoked"), std::string::npos);
}

}  // namespace
}  // namespace sluice::testing

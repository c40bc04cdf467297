// Issue 12 "Hardening defaults" on the wire, against the real binary: the
// security headers on every answer (handlers', the router's 404/405 and the
// server's own 400/408), no-store and `instance` on problem+json, CORS off
// by default and answered properly when http.cors_origins lists origins, and
// `sluice config check`.

#include <sys/wait.h>

#include <cstdio>

#include "support/fixtures.hpp"
#include "support/raw_socket.hpp"

namespace sluice::testing {
namespace {

const std::string k_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string k_parent = "00-" + k_trace + "-00f067aa0ba902b7-01";

// The header names (lower-cased) and values of the first response in `raw`.
std::map<std::string, std::string> head_of(const std::string& raw) {
  std::map<std::string, std::string> out;
  auto end = raw.find("\r\n\r\n");
  std::size_t pos = raw.find("\r\n");
  while (pos != std::string::npos && pos < end) {
    auto next = raw.find("\r\n", pos + 2);
    auto line = raw.substr(pos + 2, next - pos - 2);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      out[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    pos = next;
  }
  return out;
}

std::string get(const std::map<std::string, std::string>& h, const std::string& name) {
  auto it = h.find(name);
  return it == h.end() ? "<none>" : it->second;
}

void expect_hardened(const std::map<std::string, std::string>& h, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(get(h, "x-content-type-options"), "nosniff");
  EXPECT_EQ(get(h, "referrer-policy"), "no-referrer");
  EXPECT_EQ(get(h, "x-frame-options"), "DENY");
  EXPECT_EQ(get(h, "content-security-policy"), "default-src 'none'; frame-ancestors 'none'");
  auto server = get(h, "server");
  EXPECT_TRUE(server == "<none>" || server.find_first_of("0123456789") == std::string::npos) << server;
}

void expect_problem(const std::map<std::string, std::string>& h, const std::string& body,
                    const std::string& what) {
  SCOPED_TRACE(what);
  expect_hardened(h, what);
  EXPECT_EQ(get(h, "content-type"), "application/problem+json");
  EXPECT_EQ(get(h, "cache-control"), "no-store");
  auto p = parse_json(body).as_object();
  ASSERT_TRUE(p.contains("instance")) << body;
  std::string instance(p.at("instance").as_string());
  EXPECT_TRUE(instance.starts_with("urn:sluice:request:")) << instance;
  EXPECT_EQ(instance.size(), std::string("urn:sluice:request:").size() + 32 + 1 + 16) << instance;
}

class security_headers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir();
    open_ = new sluice_process("serve", default_config(), dir_->path() ,
                               {{"SLUICE_LOG_ACCESS_LOG", "false"}, {"SLUICE_HTTP_READ_TIMEOUT_MS", "300"}});
    ASSERT_TRUE(open_->start()) << open_->log();
    cors_dir_ = new temp_dir();
    cors_ = new sluice_process(
        "serve", default_config(), cors_dir_->path(),
        {{"SLUICE_LOG_ACCESS_LOG", "false"},
         {"SLUICE_HTTP_CORS_ORIGINS", "https://app.example, http://localhost:3000"}});
    ASSERT_TRUE(cors_->start()) << cors_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(open_->stop(), 0) << open_->log();
    EXPECT_EQ(cors_->stop(), 0) << cors_->log();
    delete open_;
    delete cors_;
    delete dir_;
    delete cors_dir_;
  }

  static std::map<std::string, std::string> headers_of(const http_result& r) { return r.headers; }

  static inline temp_dir* dir_ = nullptr;
  static inline temp_dir* cors_dir_ = nullptr;
  static inline sluice_process* open_ = nullptr;
  static inline sluice_process* cors_ = nullptr;
};

TEST_F(security_headers, handler_answers_carry_them) {
  http_client c(open_->port());
  auto ok = c.get("/healthz");
  ASSERT_EQ(ok.status, 200);
  expect_hardened(ok.headers, "200 /healthz");
  EXPECT_EQ(ok.header("cache-control"), "");  // a success decides its own caching
  auto page = c.get("/v1/users");
  ASSERT_EQ(page.status, 200);
  expect_hardened(page.headers, "200 /v1/users");
  EXPECT_EQ(page.header("cache-control"), "no-cache");  // cache.control, not overridden
  auto accepted = c.post("/v1/users", user_json("Ann", "ann@example.test"));
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  expect_hardened(accepted.headers, "202 POST");
  auto metrics = c.get("/metrics");
  expect_hardened(metrics.headers, "/metrics");
}

TEST_F(security_headers, error_answers_are_not_cached_and_name_their_request) {
  http_client c(open_->port());
  auto invalid = c.post("/v1/users", R"({"name":"x","email":"not an email"})", {{"traceparent", k_parent}});
  ASSERT_EQ(invalid.status, 422) << invalid.body;
  expect_problem(invalid.headers, invalid.body, "422");
  // The caller's trace continued: the instance names its trace id and this
  // request's own span, as the answer's traceparent does.
  auto instance = std::string(parse_json(invalid.body).at("instance").as_string());
  auto tp = invalid.header("traceparent");
  ASSERT_EQ(tp.size(), 55u) << tp;
  EXPECT_EQ(instance, "urn:sluice:request:" + tp.substr(3, 32) + "-" + tp.substr(36, 16));
  EXPECT_EQ(tp.substr(3, 32), k_trace);

  auto missing = c.get("/nope");
  ASSERT_EQ(missing.status, 404);
  expect_problem(missing.headers, missing.body, "404");
  auto wrong = c.request("DELETE", "/v1/users");
  ASSERT_EQ(wrong.status, 405);
  expect_problem(wrong.headers, wrong.body, "405");
  auto bad_json = c.post("/v1/users", "{\"name\":");
  ASSERT_EQ(bad_json.status, 400);
  expect_problem(bad_json.headers, bad_json.body, "400 json");
  auto bad_filter = c.get("/v1/users?email=zz.1");
  ASSERT_EQ(bad_filter.status, 400);
  expect_problem(bad_filter.headers, bad_filter.body, "400 filter");
}

TEST_F(security_headers, the_servers_own_answers_carry_them) {
  for (const std::string& bytes : {std::string("GET /healthz HTTP/1.1\r\n\r\n"),               // no Host: 400
                                  std::string("GET /healthz HTTP/1.1\r\nHost: t\r\n")}) {  // stalls: 408
    raw_socket s(open_->port());
    s.send(bytes);
    bool closed = false;
    auto out = s.read_until_close(10'000, closed);
    auto body = out.substr(out.find("\r\n\r\n") + 4);
    auto status = statuses(out);
    EXPECT_TRUE(status == "400" || status == "408") << out;
    expect_problem(head_of(out), body, "server's " + status);
  }
}

TEST_F(security_headers, cors_is_off_by_default) {
  http_client c(open_->port());
  auto pre = c.request("OPTIONS", "/v1/users", {},
                       {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(pre.status, 405);
  EXPECT_EQ(pre.header("allow"), "GET, POST");
  EXPECT_EQ(pre.header("access-control-allow-origin"), "");
  auto r = c.get("/v1/users", {{"Origin", "https://app.example"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("access-control-allow-origin"), "");
  // The page varies by Accept and Prefer (formats, counts), never by Origin here.
  EXPECT_EQ(r.header("vary").find("Origin"), std::string::npos) << r.header("vary");
}

TEST_F(security_headers, cors_preflight_from_a_listed_origin) {
  http_client c(cors_->port());
  auto pre = c.request("OPTIONS", "/v1/users", {},
                       {{"Origin", "https://app.example"},
                        {"Access-Control-Request-Method", "POST"},
                        {"Access-Control-Request-Headers", "content-type, idempotency-key"}});
  ASSERT_EQ(pre.status, 204) << pre.body;
  EXPECT_EQ(pre.header("access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(pre.header("access-control-allow-methods"), "GET, POST");
  EXPECT_EQ(pre.header("access-control-allow-headers"),
            "Content-Type, Authorization, X-API-Key, Idempotency-Key, Prefer, If-None-Match, traceparent");
  EXPECT_EQ(pre.header("access-control-max-age"), "600");
  EXPECT_EQ(pre.header("vary"), "Origin");
  expect_hardened(pre.headers, "preflight");
  EXPECT_TRUE(pre.body.empty());
  // Methods come from the route table, path by path.
  auto one = c.request("OPTIONS", "/v1/users/1", {},
                       {{"Origin", "http://localhost:3000"}, {"Access-Control-Request-Method", "GET"}});
  ASSERT_EQ(one.status, 204);
  EXPECT_EQ(one.header("access-control-allow-methods"), "GET");
  EXPECT_EQ(one.header("access-control-allow-origin"), "http://localhost:3000");
  // A path no route has is still 404.
  auto none = c.request("OPTIONS", "/v2/x", {},
                        {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(none.status, 404);
}

TEST_F(security_headers, cors_actual_answers_and_refused_origins) {
  http_client c(cors_->port());
  auto r = c.post("/v1/users", user_json("Cy", "cy@example.test"), {{"Origin", "https://app.example"}});
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.header("access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(r.header("access-control-expose-headers"), "Location, ETag, Link, Retry-After, traceparent");
  EXPECT_EQ(r.header("vary"), "Origin");
  auto err = c.get("/v1/users?email=zz.1", {{"Origin", "https://app.example"}});
  EXPECT_EQ(err.status, 400);
  EXPECT_EQ(err.header("access-control-allow-origin"), "https://app.example");  // the page can read why

  for (const char* origin : {"https://evil.example", "http://app.example", "null"}) {
    SCOPED_TRACE(origin);
    auto denied = c.get("/v1/users", {{"Origin", origin}});
    EXPECT_EQ(denied.status, 200);
    EXPECT_EQ(denied.header("access-control-allow-origin"), "");
    EXPECT_EQ(denied.header("access-control-expose-headers"), "");
    auto pre = c.request("OPTIONS", "/v1/users", {},
                         {{"Origin", origin}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_EQ(pre.status, 405);
    EXPECT_EQ(pre.header("access-control-allow-origin"), "");
    EXPECT_EQ(pre.header("access-control-allow-methods"), "");
    EXPECT_EQ(pre.header("allow"), "GET, POST");
  }
  // OPTIONS without Access-Control-Request-Method is no preflight.
  auto plain = c.request("OPTIONS", "/v1/users", {}, {{"Origin", "https://app.example"}});
  EXPECT_EQ(plain.status, 405);
}

// `sluice config check`: exit status and output of the real binary.
struct run_result {
  int status = -1;
  std::string out;
};

run_result run(const std::string& command) {
  run_result r;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) r.out += buf;
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

TEST(config_check, prints_the_effective_config_masked) {
  temp_dir dir;
  auto secret = dir.write("pg-password", "file-secret-xyz\n");
  auto cfg = dir.write("c.toml", "[store]\npassword_file = \"" + secret.string() +
                                     "\"\n[[resources]]\nname = \"users\"\n  [[resources.fields]]\n"
                                     "  name = \"email\"\n  type = \"email\"\n");
  auto r = run("SLUICE_BROKER_URL='nats://tok-secret-1@n:4222' SLUICE_HTTP_THREADS=2 '" +
               std::string(SLUICE_BINARY) + "' config check --config '" + cfg.string() + "' 2>&1");
  EXPECT_EQ(r.status, 0) << r.out;
  for (const char* line : {"[http]\n", "threads = 2\n", "cors_origins = \"\"\n", "[store]\n",
                           "[broker]\n", "url = \"nats://***@n:4222\"\n", "[cache]\n", "[slo]\n",
                           "[[resources]]\n", "[[subscriptions]]\n"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << " missing in:\n" << r.out;
  }
  EXPECT_NE(r.out.find("password_file = \"" + secret.string() + "\""), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("tok-secret-1"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("file-secret-xyz"), std::string::npos) << r.out;
  // What it printed is a configuration that checks again.
  auto printed = dir.write("printed.toml", r.out);
  auto again = run("'" + std::string(SLUICE_BINARY) + "' config check --config '" + printed.string() + "' 2>&1");
  EXPECT_EQ(again.status, 0) << again.out;
}

TEST(config_check, an_invalid_config_exits_1_with_the_reason) {
  temp_dir dir;
  auto cfg = dir.write("bad.toml", "[http]\nthreads = \"many\"\n");
  auto r = run("'" + std::string(SLUICE_BINARY) + "' config check --config '" + cfg.string() + "' 2>&1");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("bad.toml:2: http.threads: expected"), std::string::npos) << r.out;
  auto cors = dir.write("cors.toml", "[http]\ncors_origins = \"https://a.example/path\"\n");
  r = run("'" + std::string(SLUICE_BINARY) + "' config check --config '" + cors.string() + "' 2>&1");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("http.cors_origins"), std::string::npos) << r.out;
  r = run("'" + std::string(SLUICE_BINARY) + "' config check --config '" + dir.path().string() +
          "/missing.toml' 2>&1");
  EXPECT_EQ(r.status, 1) << r.out;
}

}  // namespace
}  // namespace sluice::testing

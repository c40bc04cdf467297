// The AWS credentials chain: the environment, the shared file with profiles,
// the ECS container endpoint (a loopback HTTP server serving the documented
// JSON, with expiry and refresh, and its authorization token), EC2 IMDSv2 with
// the endpoint override, and the chain's order. The environment is injected;
// no test touches the process's own.

#include "aws/credentials.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "observe/log.hpp"
#include "support/server_process.hpp"
#include "support/stub_http_server.hpp"
#include "support/tls_files.hpp"

namespace sluice::aws {
namespace {

using namespace std::chrono_literals;
using testing::stub_http_server;
using testing::stub_request;
using testing::stub_response;

// An environment that has only what the test gives it (IMDS off unless the
// test turns it on, so nothing ever waits for 169.254.169.254).
chain_options with_env(std::map<std::string, std::string> vars) {
  if (!vars.contains("AWS_EC2_METADATA_DISABLED")) vars["AWS_EC2_METADATA_DISABLED"] = "true";
  chain_options o;
  o.env = [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  o.home = "/nonexistent-home";
  o.http_timeout = 2s;
  return o;
}

std::string iso8601(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string credentials_json(const std::string& id, const std::string& secret,
                             std::chrono::system_clock::time_point expiration) {
  return R"({"AccessKeyId":")" + id + R"(","SecretAccessKey":")" + secret + R"(","Token":"token-)" +
         id + R"(","Expiration":")" + iso8601(expiration) + R"("})";
}

class temp_dir {
 public:
  temp_dir() {
    path_ = std::filesystem::temp_directory_path() /
            ("sluice-creds-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() { std::filesystem::remove_all(path_); }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text) const {
    const auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path path_;
};

constexpr const char* k_two_profiles = R"(# shared credentials, two profiles
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key=secret-default

  ; a comment, indented
[ other ]
AWS_Access_Key_Id   =   AKIDOTHER
	aws_secret_access_key = ignored-continuation
aws_secret_access_key = secret/other+x=
aws_session_token = session-other
region = eu-west-1
)";

TEST(credentials, the_environment_supplies_keys_and_token) {
  auto chain = default_chain(with_env({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                       {"AWS_SECRET_ACCESS_KEY", "secret-env"},
                                       {"AWS_SESSION_TOKEN", "token-env"}}));
  EXPECT_EQ(chain->describe(), "none yet");
  auto c = chain->get();
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->access_key_id, "AKIDENV");
  EXPECT_EQ(c->secret_access_key, "secret-env");
  EXPECT_EQ(c->session_token, "token-env");
  EXPECT_FALSE(c->expiration);
  EXPECT_EQ(chain->describe(), "environment");
}

TEST(credentials, the_shared_file_has_two_profiles) {
  temp_dir dir;
  const std::string file = dir.write("credentials", k_two_profiles);
  {
    auto chain = default_chain(with_env({{"AWS_SHARED_CREDENTIALS_FILE", file}}));
    auto c = chain->get();
    ASSERT_TRUE(c) << c.message();
    EXPECT_EQ(c->access_key_id, "AKIDDEFAULT");
    EXPECT_EQ(c->secret_access_key, "secret-default");
    EXPECT_EQ(c->session_token, "");
    EXPECT_EQ(chain->describe(), "shared file (profile default)");
  }
  {
    auto chain =
        default_chain(with_env({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "other"}}));
    auto c = chain->get();
    ASSERT_TRUE(c) << c.message();
    EXPECT_EQ(c->access_key_id, "AKIDOTHER");
    EXPECT_EQ(c->secret_access_key, "secret/other+x=");
    EXPECT_EQ(c->session_token, "session-other");
    EXPECT_EQ(chain->describe(), "shared file (profile other)");
  }
  {
    // ~/.aws/credentials when AWS_SHARED_CREDENTIALS_FILE is not set.
    temp_dir home;
    home.write(".aws/credentials", k_two_profiles);
    chain_options o = with_env({{"AWS_PROFILE", "other"}});
    o.home = home.path().string();
    auto c = default_chain(o)->get();
    ASSERT_TRUE(c) << c.message();
    EXPECT_EQ(c->access_key_id, "AKIDOTHER");
  }
}

TEST(credentials, shared_file_parsing) {
  EXPECT_EQ(parse_shared_credentials(k_two_profiles, "missing").error(),
            credentials_errc::not_found);
  auto incomplete = parse_shared_credentials("[p]\naws_access_key_id = A\n", "p");
  ASSERT_FALSE(incomplete);
  EXPECT_EQ(incomplete.error(), credentials_errc::bad_file);
  auto crlf =
      parse_shared_credentials("[p]\r\naws_access_key_id=A\r\naws_secret_access_key=B\r\n", "p");
  ASSERT_TRUE(crlf);
  EXPECT_EQ(crlf->secret_access_key, "B");
  // A profile named in a comment or another section's value is not a profile.
  EXPECT_FALSE(parse_shared_credentials("# [p]\n[q]\nx = [p]\n", "p"));
}

TEST(credentials, the_environment_wins_over_the_file) {
  temp_dir dir;
  const std::string file = dir.write("credentials", k_two_profiles);
  auto chain = default_chain(with_env({{"AWS_SHARED_CREDENTIALS_FILE", file},
                                       {"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                       {"AWS_SECRET_ACCESS_KEY", "secret-env"}}));
  auto c = chain->get();
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->access_key_id, "AKIDENV");
  EXPECT_EQ(chain->describe(), "environment");
}

TEST(credentials, the_file_wins_over_the_container_endpoint) {
  temp_dir dir;
  const std::string file = dir.write("credentials", k_two_profiles);
  stub_http_server server([](const stub_request&) {
    return stub_response{
        200, credentials_json("AKIDCONTAINER", "s", std::chrono::system_clock::now() + 1h)};
  });
  auto chain =
      default_chain(with_env({{"AWS_SHARED_CREDENTIALS_FILE", file},
                              {"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/c"}}));
  auto c = chain->get();
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(server.count(), 0U);
}

TEST(credentials, nothing_configured_is_not_found_naming_each_link) {
  auto chain = default_chain(with_env({}));
  auto c = chain->get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), credentials_errc::not_found);
  EXPECT_NE(c.message().find("environment"), std::string::npos) << c.message();
  EXPECT_NE(c.message().find("shared file"), std::string::npos) << c.message();
}

TEST(credentials, the_container_endpoint_is_refreshed_before_expiry) {
  std::atomic<int> calls{0};
  stub_http_server server([&](const stub_request& r) {
    if (r.target != "/v2/credentials/abc" || r.header("authorization") != "token-123") {
      return stub_response{403, R"({"message":"no"})"};
    }
    const int n = ++calls;
    const auto now = std::chrono::system_clock::now();
    // The first keys expire in 4 s; the next ones in an hour.
    return stub_response{200, n == 1 ? credentials_json("AKIDFIRST", "secret-1", now + 4s)
                                     : credentials_json("AKIDSECOND", "secret-2", now + 1h)};
  });
  chain_options o =
      with_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/v2/credentials/abc"},
                {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "token-123"}});
  o.refresh_margin = 2s;
  o.min_refresh_interval = 200ms;
  o.expiry_skew = 0ms;
  auto chain = default_chain(o);
  auto first = chain->get();
  ASSERT_TRUE(first) << first.message();
  EXPECT_EQ(first->access_key_id, "AKIDFIRST");
  EXPECT_EQ(first->session_token, "token-AKIDFIRST");
  ASSERT_TRUE(first->expiration);
  EXPECT_EQ(chain->describe(), "container endpoint");

  // The background refresh replaces them: get() returns the second keys
  // without the caller fetching (bounded wait).
  std::string id;
  for (int i = 0; i < 200 && id != "AKIDSECOND"; ++i) {
    auto c = chain->get();
    ASSERT_TRUE(c) << c.message();
    id = c->access_key_id;
    if (id != "AKIDSECOND") std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(id, "AKIDSECOND");
  EXPECT_GE(server.count(), 2U);
  for (const auto& r : server.requests()) {
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.header("authorization"), "token-123");
  }
}

// Captures what this process writes to stdout (where the logs go) meanwhile.
class stdout_capture {
 public:
  explicit stdout_capture(const std::string& file) : file_(file) {
    std::fflush(stdout);
    saved_ = ::dup(1);
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 1);
    ::close(fd);
  }
  std::string finish() {
    std::fflush(stdout);
    if (saved_ >= 0) {
      ::dup2(saved_, 1);
      ::close(saved_);
      saved_ = -1;
    }
    std::ifstream in(file_, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  ~stdout_capture() { (void)finish(); }
  stdout_capture(const stdout_capture&) = delete;
  stdout_capture& operator=(const stdout_capture&) = delete;

 private:
  std::string file_;
  int saved_ = -1;
};

TEST(credentials, a_failed_refresh_keeps_the_keys_and_logs_no_secret) {
  std::atomic<int> calls{0};
  stub_http_server server([&](const stub_request&) {
    const int n = ++calls;
    const auto now = std::chrono::system_clock::now();
    if (n == 1) return stub_response{200, credentials_json("AKIDFIRST", "secret-first", now + 3s)};
    if (n == 2) return stub_response{500, R"({"SecretAccessKey":"secret-in-error"})"};
    return stub_response{200, credentials_json("AKIDSECOND", "secret-second", now + 1h)};
  });
  temp_dir dir;
  observe::set_level("trace");
  stdout_capture capture((dir.path() / "stdout").string());
  chain_options o = with_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/c"},
                              {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "secret-auth-token"}});
  o.refresh_margin = 2s;
  o.min_refresh_interval = 200ms;
  o.expiry_skew = 0ms;
  std::string id;
  {
    auto chain = default_chain(o);
    for (int i = 0; i < 200 && id != "AKIDSECOND"; ++i) {
      auto c = chain->get();
      ASSERT_TRUE(c) << c.message();  // the first keys stay in use across the failure
      id = c->access_key_id;
      if (id != "AKIDSECOND") std::this_thread::sleep_for(50ms);
    }
  }
  const std::string logs = capture.finish();
  observe::set_level("info");
  EXPECT_EQ(id, "AKIDSECOND");
  EXPECT_GE(calls.load(), 3);
  EXPECT_NE(logs.find("aws credentials refresh failed"), std::string::npos) << logs;
  EXPECT_NE(logs.find("HTTP 500"), std::string::npos) << logs;
  for (const char* secret :
       {"secret-first", "secret-in-error", "secret-second", "secret-auth-token", "token-AKID"}) {
    EXPECT_EQ(logs.find(secret), std::string::npos) << secret << " in " << logs;
  }
}

TEST(credentials, the_container_token_file_wins_over_the_token_variable) {
  temp_dir dir;
  const std::string token_file = dir.write("token", "token-from-file\n");
  stub_http_server server([](const stub_request& r) {
    if (r.header("authorization") != "token-from-file") return stub_response{401, "{}"};
    return stub_response{200,
                         credentials_json("AKIDFILE", "s", std::chrono::system_clock::now() + 1h)};
  });
  auto chain =
      default_chain(with_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/creds"},
                              {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "token-from-variable"},
                              {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file}}));
  auto c = chain->get();
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->access_key_id, "AKIDFILE");
}

TEST(credentials, the_relative_uri_goes_to_the_container_host) {
  stub_http_server server([](const stub_request& r) {
    if (r.target != "/v2/credentials/rel") return stub_response{404, "{}"};
    return stub_response{200,
                         credentials_json("AKIDREL", "s", std::chrono::system_clock::now() + 1h)};
  });
  chain_options o = with_env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/rel"}});
  o.container_host = "127.0.0.1:" + std::to_string(server.port());
  auto c = default_chain(o)->get();
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->access_key_id, "AKIDREL");
  EXPECT_EQ(server.requests().at(0).header("host"), o.container_host);
}

TEST(credentials, a_full_uri_over_plain_http_must_be_loopback) {
  auto c = default_chain(with_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.1/creds"},
                                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "token-secret"}}))
               ->get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), credentials_errc::refused_endpoint);
  EXPECT_EQ(c.message().find("token-secret"), std::string::npos);
}

TEST(credentials, endpoint_failures_never_show_the_body) {
  stub_http_server server([](const stub_request&) {
    return stub_response{500, R"({"SecretAccessKey":"LEAKED-SECRET"})"};
  });
  auto c =
      default_chain(with_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/c"}}))->get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), credentials_errc::endpoint_failed);
  EXPECT_NE(c.message().find("500"), std::string::npos) << c.message();
  EXPECT_EQ(c.message().find("LEAKED"), std::string::npos) << c.message();

  // A 200 that is not credentials: named as such, the body still not shown.
  stub_http_server odd([](const stub_request&) {
    return stub_response{200, R"({"SecretAccessKey":"LEAKED-SECRET"})"};
  });
  auto d =
      default_chain(with_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", odd.url() + "/c"}}))->get();
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), credentials_errc::bad_response);
  EXPECT_EQ(d.message().find("LEAKED"), std::string::npos) << d.message();
}

TEST(credentials, an_unreachable_endpoint_fails_within_the_timeout) {
  // A loopback port nobody listens on (the server is gone when we connect).
  std::string url;
  {
    stub_http_server gone([](const stub_request&) { return stub_response{}; });
    url = gone.url() + "/c";
  }
  chain_options o = with_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", url}});
  o.http_timeout = 500ms;
  auto c = default_chain(o)->get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), credentials_errc::endpoint_failed);
}

TEST(credentials, an_endpoint_that_never_answers_times_out) {
  // Listens (the kernel completes the handshake) but never accepts or answers.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  chain_options o = with_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI",
                               "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/c"}});
  o.http_timeout = 300ms;
  auto c = default_chain(o)->get();
  ::close(fd);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), credentials_errc::endpoint_failed);
  EXPECT_NE(c.message().find("timed out"), std::string::npos) << c.message();
}

TEST(credentials, an_https_container_endpoint_is_verified_against_the_ca) {
  temp_dir dir;
  ASSERT_TRUE(testing::make_ca(dir.path(), "ca"));
  ASSERT_TRUE(testing::make_ca(dir.path(), "other"));
  ASSERT_TRUE(testing::make_leaf(dir.path(), "ca", "server", "/CN=localhost", "1001", true));
  dir.write("www/creds.json",
            credentials_json("AKIDTLS", "secret-tls", std::chrono::system_clock::now() + 1h));
  // openssl's own test web server (-WWW serves files of its working directory).
  const int port = testing::free_port();
  testing::server_process server(
      {{"/usr/bin/openssl", "s_server", "-quiet", "-accept", std::to_string(port), "-cert",
        (dir.path() / "server.crt").string(), "-key", (dir.path() / "server.key").string(), "-WWW"},
       {},
       dir.path() / "s_server.log",
       "",
       dir.path() / "www"});
  ASSERT_TRUE(server.start([&] { return testing::port_open(port); }, 10s)) << server.log();

  chain_options o = with_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI",
                               "https://localhost:" + std::to_string(port) + "/creds.json"}});
  o.http_timeout = 3s;
  o.ca_file = (dir.path() / "ca.crt").string();
  auto c = default_chain(o)->get();
  ASSERT_TRUE(c) << c.message() << "\n" << server.log();
  EXPECT_EQ(c->access_key_id, "AKIDTLS");

  // A certificate from a CA we do not trust is refused.
  o.ca_file = (dir.path() / "other.crt").string();
  auto refused = default_chain(o)->get();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), credentials_errc::endpoint_failed);
  EXPECT_NE(refused.message().find("tls handshake"), std::string::npos) << refused.message();
}

TEST(credentials, imdsv2_token_then_role_then_credentials) {
  stub_http_server server([](const stub_request& r) {
    if (r.method == "PUT" && r.target == "/latest/api/token") {
      if (r.header("x-aws-ec2-metadata-token-ttl-seconds").empty()) return stub_response{400, ""};
      return stub_response{200, "imds-session-token", "text/plain"};
    }
    if (r.header("x-aws-ec2-metadata-token") != "imds-session-token") {
      return stub_response{401, "", "text/plain"};  // IMDSv2 only, as hardened instances are
    }
    if (r.method == "GET" && r.target == "/latest/meta-data/iam/security-credentials/") {
      return stub_response{200, "sluice-role\n", "text/plain"};
    }
    if (r.method == "GET" && r.target == "/latest/meta-data/iam/security-credentials/sluice-role") {
      return stub_response{
          200, R"({"Code":"Success","LastUpdated":"2026-12-02T06:00:00Z","Type":"AWS-HMAC",)"
               R"("AccessKeyId":"AKIDIMDS","SecretAccessKey":"secret-imds","Token":"token-imds",)"
               R"("Expiration":")" +
                   iso8601(std::chrono::system_clock::now() + 6h) + R"("})"};
    }
    return stub_response{404, ""};
  });
  auto chain = default_chain(with_env({{"AWS_EC2_METADATA_DISABLED", "false"},
                                       {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url() + "/"}}));
  auto c = chain->get();
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->access_key_id, "AKIDIMDS");
  EXPECT_EQ(c->secret_access_key, "secret-imds");
  EXPECT_EQ(c->session_token, "token-imds");
  ASSERT_TRUE(c->expiration);
  EXPECT_GT(*c->expiration, std::chrono::system_clock::now() + 5h);
  EXPECT_EQ(chain->describe(), "instance metadata");
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_EQ(seen[0].header("x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(seen[1].target, "/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(seen[2].target, "/latest/meta-data/iam/security-credentials/sluice-role");
}

TEST(credentials, imds_without_a_role_is_not_found) {
  stub_http_server server([](const stub_request& r) {
    if (r.method == "PUT") return stub_response{200, "t", "text/plain"};
    return stub_response{404, ""};
  });
  auto c = default_chain(with_env({{"AWS_EC2_METADATA_DISABLED", "false"},
                                   {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url()}}))
               ->get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), credentials_errc::not_found);
  EXPECT_NE(c.message().find("no IAM role"), std::string::npos) << c.message();
}

TEST(credentials, expiration_times) {
  using std::chrono::system_clock;
  const auto t = system_clock::from_time_t(1764662400);  // 2025-12-02T08:00:00Z
  EXPECT_EQ(parse_iso8601("2025-12-02T08:00:00Z"), t);
  EXPECT_EQ(parse_iso8601("2025-12-02T08:00:00.123Z"), t);
  EXPECT_EQ(parse_iso8601("2025-12-02T10:00:00+02:00"), t);
  EXPECT_EQ(parse_iso8601("2025-12-02T07:30:00-00:30"), t);
  EXPECT_FALSE(parse_iso8601("2025-12-02T08:00:00"));
  EXPECT_FALSE(parse_iso8601("2025-13-02T08:00:00Z"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
  auto bad =
      parse_credentials_json(R"({"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"soon"})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), credentials_errc::bad_response);
  auto failed = parse_credentials_json(R"({"Code":"AssumeRoleUnauthorizedAccess"})");
  ASSERT_FALSE(failed);
}

}  // namespace
}  // namespace sluice::aws

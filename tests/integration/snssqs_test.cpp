// The SNS+SQS broker through the real binary against the fauxqs emulator
// (issue 13), what the contract suite and the POST → row loop (which run on
// sns+sqs too) do not cover:
//  - the emulator stopped: POST answers 503 with Retry-After, never 202, and
//    /readyz names the broker; started again (empty: it keeps nothing), the
//    same Sluice process recovers without a restart (it declares its topics
//    and queues again) and rows flow;
//  - TLS: nginx's stream (TCP) proxy terminating TLS with a test CA in front
//    of the emulator, Sluice trusting that CA alone (broker.aws_ca_file);
//    another CA, a host the certificate does not name and a server that does
//    not speak TLS are refused at start-up, and the log says why in
//    OpenSSL's words.
// A record over SNS's 256 KiB is refused with 413 before publishing.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "support/fauxqs_server.hpp"
#include "support/fixtures.hpp"
#include "support/tls_files.hpp"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

std::map<std::string, std::string> env_for(const fauxqs_server& f, const temp_dir& dir) {
  auto e = f.sluice_env(false);
  e["SLUICE_LOG_ACCESS_LOG"] = "false";
  e["SLUICE_BROKER_VISIBILITY_TIMEOUT_MS"] = "2000";
  std::string ns = "o" + dir.path().filename().string().substr(12);
  for (auto& ch : ns) ch = static_cast<char>(std::tolower(ch));
  e["SLUICE_BROKER_NAMESPACE"] = ns;
  return e;
}

TEST(snssqs, emulator_stopped_answers_503_never_202_and_its_restart_recovers) {
  auto emulator = fauxqs_server::start_own();
  ASSERT_TRUE(emulator);
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(), env_for(*emulator, dir));
  ASSERT_TRUE(p.start()) << p.log();
  http_client c(p.port());
  auto r = c.post("/v1/users", user_json("Before", "before@sqs.test"), {{"Prefer", "wait=20"}});
  ASSERT_EQ(r.status, 201) << r.body << p.log();

  emulator->stop();
  int refused = 0;
  for (int i = 0; i < 20; ++i) {
    r = c.post("/v1/users", user_json("Down", "down" + std::to_string(i) + "@sqs.test"));
    ASSERT_NE(r.status, 202) << "a 202 while the broker is down";
    ASSERT_NE(r.status, 201);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_FALSE(r.header("retry-after").empty());
    ++refused;
  }
  EXPECT_EQ(refused, 20);
  auto ready = c.get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("\"broker\":\"down"), std::string::npos) << ready.body;

  ASSERT_TRUE(emulator->start());
  ASSERT_TRUE(eventually(
      [&] {
        auto again = c.post("/v1/users", user_json("After", "after@sqs.test"),
                            {{"Prefer", "wait=5"}, {"Idempotency-Key", "after"}});
        return again.status == 201;
      },
      60s))
      << p.log();
  EXPECT_EQ(c.get("/readyz").status, 200);
  EXPECT_EQ(p.stop(), 0);
  EXPECT_EQ(sqlite_int(p.store_path(), "SELECT count(*) FROM users WHERE name = 'Down'"), 0);
}

TEST(snssqs, a_record_over_256_kib_is_413_before_publishing) {
  auto* emulator = fauxqs_server::shared();
  ASSERT_TRUE(emulator);
  temp_dir dir;
  // The shipped config plus a resource with a free-text field of no length limit.
  std::ifstream in(default_config());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text +=
      "\n[[resources]]\nname = \"notes\"\n  [[resources.fields]]\n  name = \"text\"\n"
      "  type = \"string\"\n  required = true\n";
  const auto config = dir.path() / "notes.toml";
  std::ofstream(config) << text;
  sluice_process p("serve", config, dir.path(), env_for(*emulator, dir));
  ASSERT_TRUE(p.start()) << p.log();
  http_client c(p.port());
  auto r = c.post("/v1/notes",
                  "[{\"text\":\"small\"},{\"text\":\"" + std::string(300 * 1024, 'x') + "\"}]");
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find("\"/1\""), std::string::npos) << r.body.substr(0, 300);
  // Just under the limit is accepted.
  r = c.post("/v1/notes", "{\"text\":\"" + std::string(250 * 1024, 'y') + "\"}",
             {{"Prefer", "wait=20"}});
  EXPECT_EQ(r.status, 201) << r.body.substr(0, 300);
  EXPECT_EQ(p.stop(), 0);
  EXPECT_EQ(sqlite_int(p.store_path(), "SELECT count(*) FROM notes"), 1);
}

// nginx's stream module (TCP) terminating TLS in front of the emulator on
// 127.0.0.1:`to`, listening on 127.0.0.1 and 127.0.0.2 (the certificate names
// localhost and 127.0.0.1 only: the second address is a wrong host).
constexpr const char* k_stream_module = "/usr/lib/nginx/modules/ngx_stream_module.so";

class tls_proxy {
 public:
  tls_proxy(const temp_dir& dir, int to) : port_(free_port()) {
    auto d = dir.path();
    std::ofstream conf(d / "nginx.conf");
    conf << "load_module " << k_stream_module << ";\n"
         << "daemon off;\nmaster_process off;\npid " << (d / "nginx.pid").string() << ";\n"
         << "error_log " << (d / "nginx-error.log").string() << " warn;\n"
         << "events { worker_connections 256; }\n"
         << "stream {\n"
         << "  server {\n    listen 127.0.0.1:" << port_ << " ssl;\n"
         << "    listen 127.0.0.2:" << port_ << " ssl;\n"
         << "    ssl_certificate " << (d / "server.crt").string() << ";\n"
         << "    ssl_certificate_key " << (d / "server.key").string() << ";\n"
         << "    proxy_pass 127.0.0.1:" << to << ";\n"
         << "    proxy_timeout 60s;\n  }\n}\n";
    conf.close();
    server_process::options o;
    o.argv = {"/usr/sbin/nginx", "-p", d.string(), "-c", (d / "nginx.conf").string()};
    o.log = d / "nginx.log";
    proc_ = std::make_unique<server_process>(o);
    const int port = port_;
    ok_ = proc_->start([port] { return port_open(port); }, 20s);
  }
  bool ok() const { return ok_; }
  int port() const { return port_; }
  std::string log() const { return proc_->log(); }

 private:
  int port_;
  bool ok_ = false;
  std::unique_ptr<server_process> proc_;
};

// `sluice serve` that cannot start over TLS to `endpoint`: its log must say
// why in OpenSSL's words, not only "broker unavailable".
void refused_at_start(const fauxqs_server& emulator, const std::string& endpoint,
                      const std::filesystem::path& ca, const std::vector<std::string>& words) {
  temp_dir dir;
  auto e = env_for(emulator, dir);
  e["SLUICE_BROKER_AWS_ENDPOINT"] = endpoint;
  e["SLUICE_BROKER_AWS_CA_FILE"] = ca.string();
  sluice_process p("serve", default_config(), dir.path(), e);
  // The broker cannot be declared over a connection it does not trust: no start.
  EXPECT_FALSE(p.start()) << endpoint;
  const auto log = p.log();
  EXPECT_NE(log.find("declaring subscriptions failed"), std::string::npos) << log;
  EXPECT_NE(log.find("sns/sqs topology could not be declared"), std::string::npos) << log;
  EXPECT_NE(log.find("TLS handshake with"), std::string::npos) << log;
  for (const auto& w : words) EXPECT_NE(log.find(w), std::string::npos) << w << "\n" << log;
}

TEST(snssqs, tls_to_the_endpoint_with_the_test_ca_and_refusals_in_openssl_words) {
  ASSERT_EQ(::access(k_stream_module, R_OK), 0)
      << k_stream_module << " is missing: install libnginx-mod-stream (scripts/install-deps.sh)";
  auto* emulator = fauxqs_server::shared();
  ASSERT_TRUE(emulator);
  temp_dir certs;
  ASSERT_TRUE(make_ca(certs.path(), "ca"));
  ASSERT_TRUE(make_ca(certs.path(), "other"));
  ASSERT_TRUE(make_leaf(certs.path(), "ca", "server", "/CN=localhost", "0a", true));
  tls_proxy proxy(certs, emulator->port());
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  const auto port = std::to_string(proxy.port());

  {
    temp_dir dir;
    auto e = env_for(*emulator, dir);
    e["SLUICE_BROKER_AWS_ENDPOINT"] = "https://localhost:" + port;
    e["SLUICE_BROKER_AWS_CA_FILE"] = (certs.path() / "ca.crt").string();
    sluice_process p("serve", default_config(), dir.path(), e);
    ASSERT_TRUE(p.start()) << p.log();
    http_client c(p.port());
    auto r = c.post("/v1/users", user_json("Tls", "tls@sqs.test"), {{"Prefer", "wait=20"}});
    EXPECT_EQ(r.status, 201) << r.body << p.log();
    EXPECT_EQ(p.stop(), 0);
  }
  // Another CA: the chain does not verify.
  refused_at_start(*emulator, "https://localhost:" + port, certs.path() / "other.crt",
                   {"certificate verify failed", "unable to get local issuer certificate"});
  // The right CA, a host the certificate does not name.
  refused_at_start(*emulator, "https://127.0.0.2:" + port, certs.path() / "ca.crt",
                   {"certificate verify failed", "IP address mismatch"});
  // Not TLS at all (the emulator's plain HTTP port): the handshake itself fails.
  refused_at_start(*emulator, "https://localhost:" + std::to_string(emulator->port()),
                   certs.path() / "ca.crt", {"(SSL routines)"});
}

}  // namespace
}  // namespace sluice::testing

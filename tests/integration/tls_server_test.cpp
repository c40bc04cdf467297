// The verified client certificate's subject reaches the handler as
// http::request::client_subject (issue 12: "the certificate subject becomes a
// principal"; the auth core reads it). In-process: an http::server over TLS
// with a client CA and a test-only handler that echoes the field, which the
// production handlers never do. Also the subject alternative names
// (request::client_sans) and the peer and client addresses behind trusted
// proxies (request::peer_address, client_address).

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "http/server.hpp"
#include "net/address.hpp"
#include "observe/metrics.hpp"
#include "support/sluice_process.hpp"
#include "support/tls_files.hpp"

namespace sluice::testing {
namespace {

boost::asio::awaitable<http::response> echo_subject(http::request& req) {
  http::response res;
  res.body = req.client_subject.empty() ? "(none)" : req.client_subject;
  res.route = "/echo";
  if (req.target == "/sans") {
    res.body.clear();
    for (const auto& san : req.client_sans) res.body += san + ";";
  } else if (req.target == "/address") {
    res.body = "peer=" + req.peer_address + " client=" + req.client_address;
  }
  co_return res;
}

// An http::server on 127.0.0.1 with `tls`, running on its own thread.
class running_server {
 public:
  explicit running_server(http::tls_files tls, std::vector<net::cidr> trusted = {})
      : metrics_("test") {
    http::server_options o;
    o.trusted_proxies = std::move(trusted);
    o.host = "127.0.0.1";
    o.port = 0;
    o.access_log = false;
    o.tls = std::move(tls);
    server_ = std::make_unique<http::server>(io_, o, echo_subject, metrics_);
    if (o.tls.enabled()) load_error_ = server_->load_tls().value_or("");
    EXPECT_FALSE(server_->listen());
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~running_server() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  int port() const { return server_->port(); }
  const std::string& load_error() const { return load_error_; }

 private:
  boost::asio::io_context io_;
  observe::metrics metrics_;
  std::unique_ptr<http::server> server_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::thread thread_;
  std::string load_error_;
};

TEST(tls_server, verified_client_subject_reaches_the_request) {
  temp_dir dir;
  ASSERT_TRUE(make_ca(dir.path(), "ca"));
  ASSERT_TRUE(make_leaf(dir.path(), "ca", "server", "/CN=localhost", "1001", true));
  ASSERT_TRUE(make_leaf(dir.path(), "ca", "client", "/O=Sluice Tests/CN=ingest-1", "3003", false));
  auto f = [&](const char* name) { return (dir.path() / name).string(); };
  running_server s({f("server.crt"), f("server.key"), f("ca.crt")});
  ASSERT_EQ(s.load_error(), "");
  auto url = " https://localhost:" + std::to_string(s.port()) + "/echo";
  auto r =
      shell("curl -sS --max-time 20 --cacert '" + f("ca.crt") + "' --cert '" + f("client.crt") +
            "' --key '" + f("client.key") + "'" + url + url);  // two requests, one connection
  EXPECT_EQ(r.output, "CN=ingest-1,O=Sluice TestsCN=ingest-1,O=Sluice Tests") << r.output;
}

TEST(tls_server, subject_alternative_names_reach_the_request) {
  temp_dir dir;
  ASSERT_TRUE(make_ca(dir.path(), "ca"));
  ASSERT_TRUE(make_leaf(dir.path(), "ca", "server", "/CN=localhost", "1001", true));
  ASSERT_TRUE(make_leaf(dir.path(), "ca", "client", "/CN=ingest-1", "3003", false,
                        "URI:spiffe://sluice.test/ingest,DNS:ingest-1.sluice.test,"
                        "IP:192.0.2.5,email:ops@sluice.test"));
  auto f = [&](const char* name) { return (dir.path() / name).string(); };
  running_server s({f("server.crt"), f("server.key"), f("ca.crt")});
  ASSERT_EQ(s.load_error(), "");
  auto r = shell("curl -sS --max-time 20 --cacert '" + f("ca.crt") + "' --cert '" +
                 f("client.crt") + "' --key '" + f("client.key") +
                 "' https://localhost:" + std::to_string(s.port()) + "/sans");
  EXPECT_EQ(r.output,
            "URI:spiffe://sluice.test/ingest;DNS:ingest-1.sluice.test;IP:192.0.2.5;"
            "email:ops@sluice.test;")
      << r.output;
}

// X-Forwarded-For is believed only from a trusted peer, and then only its
// rightmost untrusted hop (several fields are one list).
TEST(tls_server, the_client_address_behind_trusted_proxies) {
  const std::string xff = " -H 'X-Forwarded-For: 192.0.2.1, 198.51.100.7' "
                          "-H 'X-Forwarded-For: 127.0.0.9'";
  running_server untrusted({});
  auto r = shell("curl -sS --max-time 20" + xff + " http://127.0.0.1:" +
                 std::to_string(untrusted.port()) + "/address");
  EXPECT_EQ(r.output, "peer=127.0.0.1 client=127.0.0.1");
  running_server trusted({}, {*net::parse_cidr("127.0.0.0/8")});
  r = shell("curl -sS --max-time 20" + xff + " http://127.0.0.1:" + std::to_string(trusted.port()) +
            "/address");
  EXPECT_EQ(r.output, "peer=127.0.0.1 client=198.51.100.7");
  r = shell("curl -sS --max-time 20 http://127.0.0.1:" + std::to_string(trusted.port()) + "/address");
  EXPECT_EQ(r.output, "peer=127.0.0.1 client=127.0.0.1");
}

TEST(tls_server, no_subject_without_client_certificates) {
  temp_dir dir;
  ASSERT_TRUE(make_ca(dir.path(), "ca"));
  ASSERT_TRUE(make_leaf(dir.path(), "ca", "server", "/CN=localhost", "1001", true));
  ASSERT_TRUE(make_leaf(dir.path(), "ca", "client", "/CN=ingest-1", "3003", false));
  auto f = [&](const char* name) { return (dir.path() / name).string(); };
  // TLS without a client CA: a certificate the client sends anyway is not asked
  // for, so never verified, so never a subject.
  running_server s({f("server.crt"), f("server.key"), ""});
  ASSERT_EQ(s.load_error(), "");
  auto r = shell("curl -sS --max-time 20 --cacert '" + f("ca.crt") + "' --cert '" +
                 f("client.crt") + "' --key '" + f("client.key") +
                 "' https://localhost:" + std::to_string(s.port()) + "/echo");
  EXPECT_EQ(r.output, "(none)");
  running_server plain({});
  auto p =
      shell("curl -sS --max-time 20 http://127.0.0.1:" + std::to_string(plain.port()) + "/echo");
  EXPECT_EQ(p.output, "(none)");
}

}  // namespace
}  // namespace sluice::testing

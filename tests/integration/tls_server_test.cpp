// The verified client certificate's subject reaches the handler as
// http::request::client_subject (issue 12: "the certificate subject becomes a
// principal"; the auth core reads it). In-process: an http::server over TLS
// with a client CA and a test-only handler that echoes the field, which the
// production handlers never do.

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "http/server.hpp"
#include "observe/metrics.hpp"
#include "support/sluice_process.hpp"
#include "support/tls_files.hpp"

namespace sluice::testing {
namespace {

boost::asio::awaitable<http::response> echo_subject(http::request& req) {
  http::response res;
  res.body = req.client_subject.empty() ? "(none)" : req.client_subject;
  res.route = "/echo";
  co_return res;
}

// An http::server on 127.0.0.1 with `tls`, running on its own thread.
class running_server {
 public:
  explicit running_server(http::tls_files tls) : metrics_("test") {
    http::server_options o;
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

// TLS on the listener and the ops listener (issue 12, "TLS on the listener"):
// curl and `openssl s_client` over TLS (GET and POST), TLS 1.0/1.1 refused by
// the server, TLS 1.2 without a modern cipher refused, ALPN http/1.1, client
// certificates required with http.tls_client_ca_file, the certificate
// reloaded on SIGHUP while requests flow (none fails, open connections keep
// going, new ones get the new serial; a bad file keeps the old one), start-up
// refusing a file that does not parse (naming the key), and http.ops_listen
// serving probes and metrics only. Certificates are made by the test.

#include <signal.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "support/fixtures.hpp"
#include "support/openapi_record.hpp"
#include "support/tls_files.hpp"

namespace sluice::testing {
namespace {

// A CA, two server certificates of it (serials 1001 and 2002), a client
// certificate of it, and a client certificate of another CA.
class tls : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(make_ca(dir_.path(), "ca"));
    ASSERT_TRUE(make_ca(dir_.path(), "other-ca"));
    ASSERT_TRUE(make_leaf(dir_.path(), "ca", "server1", "/CN=localhost", "1001", true));
    ASSERT_TRUE(make_leaf(dir_.path(), "ca", "server2", "/CN=localhost", "2002", true));
    ASSERT_TRUE(
        make_leaf(dir_.path(), "ca", "client", "/O=Sluice Tests/CN=ingest-1", "3003", false));
    ASSERT_TRUE(make_leaf(dir_.path(), "other-ca", "stranger", "/CN=stranger", "4004", false));
    // The files the server reads; the reload test replaces their contents.
    copy("server1.crt", "tls.crt");
    copy("server1.key", "tls.key");
  }

  void copy(const std::string& from, const std::string& to) {
    // Into a temporary name, then renamed: a reload never reads half a file.
    std::filesystem::copy_file(path(from), path(to + ".tmp"),
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(path(to + ".tmp"), path(to));
  }

  std::string path(const std::string& name) const { return (dir_.path() / name).string(); }

  std::map<std::string, std::string> tls_env(bool client_ca = false) const {
    std::map<std::string, std::string> env = {{"SLUICE_HTTP_TLS_CERT_FILE", path("tls.crt")},
                                              {"SLUICE_HTTP_TLS_KEY_FILE", path("tls.key")}};
    if (client_ca) env["SLUICE_HTTP_TLS_CLIENT_CA_FILE"] = path("ca.crt");
    return env;
  }

  // curl over TLS to `target`, verifying the server against the test CA; its
  // output ends with the status. The response's head (-D) is recorded for
  // the OpenAPI check (support/openapi_record).
  shell_result curl(int port, const std::string& args, const std::string& target) const {
    const std::string head = path("curl-" + std::to_string(++curls_) + ".head");
    auto r = shell("curl -sS --max-time 20 --cacert '" + path("ca.crt") + "' -D '" + head +
                   "' -w '%{http_code}\\n' " + args + " https://localhost:" + std::to_string(port) +
                   target);
    std::ifstream in(head);
    std::stringstream dump;
    dump << in.rdbuf();
    openapi_record::curl(port, args.find("-d '") != std::string::npos ? "POST" : "GET", target,
                         dump.str());
    return r;
  }

  // `openssl s_client` to the server, sending `request` (CRLFs added) and
  // reading until the server closes.
  std::string s_client(int port, const std::string& options,
                       const std::string& request = "") const {
    // With a request, read until the server closes; without, stop at once.
    std::string send =
        request.empty() ? std::string("</dev/null") : "-ign_eof < <(printf '" + request + "')";
    return "bash -c \"timeout 20 openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
           " -servername localhost -CAfile '" + path("ca.crt") + "' -verify_return_error " +
           options + " " + send + "\"";
  }

  // The serial of the certificate a new connection is served.
  std::string served_serial(int port) const {
    auto r = shell(s_client(port, "") + " 2>/dev/null | openssl x509 -noout -serial");
    return r.output;
  }

  temp_dir dir_;
  mutable std::atomic<int> curls_{0};
};

const std::string k_get_close =
    "GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n";

TEST_F(tls, get_and_post_over_tls_with_curl_and_s_client_alpn_http11) {
  sluice_process p("serve", default_config(), dir_.path(), tls_env());
  ASSERT_TRUE(p.start()) << p.log();
  EXPECT_NE(p.log().find(R"("msg":"tls certificate loaded","serial":"1001")"), std::string::npos)
      << p.log();

  auto get = curl(p.port(), "-o /dev/null", "/healthz");
  EXPECT_EQ(get.output, "200\n");
  auto post = curl(p.port(), "-o /dev/null -H 'Content-Type: application/json' -d '" +
                                       user_json("Ada", "ada@example.com") + "'", "/v1/users");
  EXPECT_EQ(post.output, "202\n");
  EXPECT_TRUE(eventually([&] {
    auto r = curl(p.port(), "", "/v1/users");
    return r.output.find("ada@example.com") != std::string::npos;
  }));
  // curl offers h2 and http/1.1; the server chooses http/1.1.
  auto verbose = curl(p.port(), "-v -o /dev/null", "/healthz");
  EXPECT_NE(verbose.output.find("ALPN: server accepted http/1.1"), std::string::npos)
      << verbose.output;

  auto s = shell(s_client(p.port(), "-alpn h2,http/1.1", k_get_close));
  EXPECT_EQ(s.status, 0) << s.output;
  EXPECT_NE(s.output.find("ALPN protocol: http/1.1"), std::string::npos) << s.output;
  EXPECT_NE(s.output.find("Verify return code: 0 (ok)"), std::string::npos) << s.output;
  EXPECT_NE(s.output.find("HTTP/1.1 200 OK"), std::string::npos) << s.output;
  // A client that offers only protocols other than HTTP/1.1 is refused (RFC 7301).
  auto h2 = shell(s_client(p.port(), "-alpn h2"));
  EXPECT_NE(h2.status, 0) << h2.output;
  EXPECT_NE(h2.output.find("no application protocol"), std::string::npos) << h2.output;
  // Plain HTTP on the TLS port gets no answer.
  http_client plain(p.port());
  EXPECT_NE(plain.get("/healthz").status, 200);
  EXPECT_EQ(p.stop(), 0) << p.log();
}

TEST_F(tls, tls_10_and_11_and_old_ciphers_are_refused_by_the_server) {
  sluice_process p("serve", default_config(), dir_.path(), tls_env());
  ASSERT_TRUE(p.start()) << p.log();
  // SECLEVEL=0 lets the client offer them, so the refusal is the server's.
  for (const char* version : {"-tls1", "-tls1_1"}) {
    auto r = shell(s_client(p.port(), std::string(version) + " -cipher 'DEFAULT:@SECLEVEL=0'"));
    EXPECT_NE(r.status, 0) << version << r.output;
    EXPECT_NE(r.output.find("alert protocol version"), std::string::npos) << version << r.output;
  }
  // TLS 1.2: a CBC suite without forward secrecy is refused, ECDHE + GCM served.
  auto cbc = shell(s_client(p.port(), "-tls1_2 -cipher 'AES128-SHA:@SECLEVEL=0'"));
  EXPECT_NE(cbc.status, 0) << cbc.output;
  auto gcm =
      shell(s_client(p.port(), "-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256", k_get_close));
  EXPECT_EQ(gcm.status, 0) << gcm.output;
  EXPECT_NE(gcm.output.find("Protocol  : TLSv1.2"), std::string::npos) << gcm.output;
  EXPECT_NE(gcm.output.find("HTTP/1.1 200 OK"), std::string::npos) << gcm.output;
  auto v13 = shell(s_client(p.port(), "-tls1_3", k_get_close));
  EXPECT_NE(v13.output.find("Protocol  : TLSv1.3"), std::string::npos) << v13.output;
  EXPECT_EQ(p.stop(), 0) << p.log();
}

TEST_F(tls, client_certificate_required_with_a_client_ca) {
  sluice_process p("serve", default_config(), dir_.path(), tls_env(true));
  ASSERT_TRUE(p.start()) << p.log();
  auto none = curl(p.port(), "-o /dev/null", "/healthz");
  EXPECT_NE(none.status, 0) << none.output;
  EXPECT_EQ(none.output.find("200"), std::string::npos) << none.output;
  auto stranger = curl(p.port(), "-o /dev/null --cert '" + path("stranger.crt") +
                                           "' --key '" + path("stranger.key") + "'", "/healthz");
  EXPECT_NE(stranger.status, 0) << stranger.output;
  EXPECT_EQ(stranger.output.find("200"), std::string::npos) << stranger.output;
  auto good = curl(p.port(), "-o /dev/null --cert '" + path("client.crt") + "' --key '" +
                                       path("client.key") + "'", "/healthz");
  EXPECT_EQ(good.output, "200\n");
  EXPECT_EQ(p.stop(), 0) << p.log();
}

TEST_F(tls, sighup_reloads_the_certificate_while_requests_flow) {
  sluice_process p("serve", default_config(), dir_.path(), tls_env());
  ASSERT_TRUE(p.start()) << p.log();
  ASSERT_EQ(served_serial(p.port()), "serial=1001\n");

  // One connection kept alive across the reload (40 requests at 10/s), and
  // new connections one after another meanwhile.
  std::string urls;
  for (int i = 0; i < 40; ++i) {
    urls += " -o /dev/null https://localhost:" + std::to_string(p.port()) + "/healthz";
  }
  shell_result kept;
  std::thread keep([&] {
    kept = shell("curl -sS --max-time 60 --rate 10/s --cacert '" + path("ca.crt") +
                 "' -w '%{http_code} %{num_connects}\\n'" + urls);
  });
  std::atomic<bool> done{false};
  std::atomic<int> fresh_ok{0}, fresh_failed{0};
  std::thread fresh([&] {
    for (int i = 0; i < 200 && !done; ++i) {
      auto r = curl(p.port(), "-o /dev/null", "/healthz");
      (r.output == "200\n" ? fresh_ok : fresh_failed)++;
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  copy("server2.crt", "tls.crt");
  copy("server2.key", "tls.key");
  ::kill(p.pid(), SIGHUP);
  EXPECT_TRUE(eventually([&] { return served_serial(p.port()) == "serial=2002\n"; }));
  keep.join();
  done = true;
  fresh.join();

  std::istringstream lines(kept.output);
  std::string line;
  int answered = 0, connects = 0;
  while (std::getline(lines, line)) {
    EXPECT_EQ(line.substr(0, 4), "200 ") << kept.output;
    ++answered;
    connects += std::stoi(line.substr(4));
  }
  EXPECT_EQ(answered, 40) << kept.output;
  EXPECT_EQ(connects, 1) << kept.output;  // the connection was never dropped
  EXPECT_EQ(fresh_failed.load(), 0);
  EXPECT_GT(fresh_ok.load(), 0);
  EXPECT_NE(p.log().find(R"("msg":"tls certificate loaded","serial":"2002")"), std::string::npos);

  // A reload that fails keeps the certificate in use and says why.
  std::ofstream(path("tls.crt")) << "not a certificate\n";
  ::kill(p.pid(), SIGHUP);
  EXPECT_TRUE(eventually([&] { return p.log().find("TLS reload failed") != std::string::npos; }));
  EXPECT_NE(p.log().find("http.tls_cert_file: " + path("tls.crt")), std::string::npos) << p.log();
  EXPECT_EQ(served_serial(p.port()), "serial=2002\n");
  EXPECT_EQ(curl(p.port(), "-o /dev/null", "/healthz").output, "200\n");
  EXPECT_EQ(p.stop(), 0) << p.log();
}

TEST_F(tls, start_refuses_files_that_do_not_parse_naming_the_key) {
  std::ofstream(path("tls.crt")) << "not a certificate\n";
  sluice_process bad_cert("serve", default_config(), dir_.path(), tls_env());
  EXPECT_FALSE(bad_cert.start());
  EXPECT_NE(bad_cert.log().find("http.tls_cert_file: " + path("tls.crt")), std::string::npos)
      << bad_cert.log();
  // A key that is not the certificate's.
  copy("server1.crt", "tls.crt");
  copy("server2.key", "tls.key");
  sluice_process mismatch("serve", default_config(), dir_.path(), tls_env());
  EXPECT_FALSE(mismatch.start());
  EXPECT_NE(mismatch.log().find("http.tls_key_file: " + path("tls.key") +
                                ": does not match the certificate of http.tls_cert_file"),
            std::string::npos)
      << mismatch.log();
}

TEST_F(tls, ops_listen_serves_probes_and_metrics_only_in_plain_http) {
  auto env = tls_env();
  env["SLUICE_HTTP_OPS_LISTEN"] = "127.0.0.1:0";
  sluice_process p("serve", default_config(), dir_.path(), env);
  ASSERT_TRUE(p.start()) << p.log();
  std::smatch m;
  std::string log = p.log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"("msg":"ops listening".*"port":(\d+))")))
      << log;
  http_client ops(std::stoi(m[1]));
  EXPECT_EQ(ops.get("/healthz").status, 200);
  EXPECT_EQ(ops.get("/readyz").status, 200);
  auto metrics = ops.get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("http_server_request_duration_seconds"), std::string::npos);
  auto users = ops.get("/v1/users");
  EXPECT_EQ(users.status, 404);
  EXPECT_EQ(users.header("content-type"), "application/problem+json");
  EXPECT_EQ(ops.post("/v1/users", user_json("Ada", "ada@example.com")).status, 404);
  auto post_metrics = ops.post("/metrics", "{}");
  EXPECT_EQ(post_metrics.status, 405);
  EXPECT_EQ(post_metrics.header("allow"), "GET, HEAD");
  EXPECT_EQ(ops.request("HEAD", "/healthz").status, 200);
  EXPECT_EQ(sqlite_int(p.store_path(), "SELECT count(*) FROM users"), 0);
  // The main listener still speaks TLS.
  EXPECT_EQ(curl(p.port(), "-o /dev/null", "/healthz").output, "200\n");
  EXPECT_EQ(p.stop(), 0) << p.log();
}

}  // namespace
}  // namespace sluice::testing

// Issue 12, client certificates as principals: with http.tls_client_ca_file
// and [[auth.client_certs]], a verified certificate whose subject (RFC 2253)
// or subject alternative name a mapping names speaks for that mapping's
// principal (its scopes, its rate, [auth.rates] otherwise); a verified
// certificate no mapping names is 403 problem+json; a header credential on
// the same connection decides instead of the certificate. curl over TLS,
// certificates made by the test (support/tls_files).

#include <fstream>
#include <sstream>

#include "support/fixtures.hpp"
#include "support/openapi_record.hpp"
#include "support/tls_files.hpp"

namespace sluice::testing {
namespace {

struct curl_result {
  int status = 0;       // the HTTP status; 0 when curl failed
  std::string headers;  // lower-cased
  std::string body;
};

class client_certs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir();
    const auto& d = dir_->path();
    ASSERT_TRUE(make_ca(d, "ca"));
    ASSERT_TRUE(make_leaf(d, "ca", "tls", "/CN=localhost", "1001", true));
    ASSERT_TRUE(make_leaf(d, "ca", "ingest", "/O=Sluice Tests/CN=ingest-1", "2002", false));
    ASSERT_TRUE(make_leaf(d, "ca", "reader", "/O=Sluice Tests/CN=reader-9", "3003", false,
                          "URI:spiffe://sluice.test/reader,DNS:reader.sluice.test"));
    ASSERT_TRUE(make_leaf(d, "ca", "stranger", "/O=Sluice Tests/CN=stranger", "4004", false));
    // The default configuration with the tables appended ([auth] is in it).
    std::ifstream in(default_config());
    std::stringstream text;
    text << in.rdbuf() << R"(
[auth.rates]
"publish:*" = 1000
"read:*" = 2

[[auth.client_certs]]
subject = "CN=ingest-1,O=Sluice Tests"
name = "ingest-1"
scopes = ["publish:users", "status"]

[[auth.client_certs]]
san = "URI:spiffe://sluice.test/reader"
name = "reader"
scopes = ["read:users"]
rate = 50
)";
    const auto config = dir_->write("sluice.toml", text.str());
    proc_ = new sluice_process("serve", config, d,
                               {{"SLUICE_AUTH_MODE", "required"},
                                {"SLUICE_HTTP_TLS_CERT_FILE", path("tls.crt")},
                                {"SLUICE_HTTP_TLS_KEY_FILE", path("tls.key")},
                                {"SLUICE_HTTP_TLS_CLIENT_CA_FILE", path("ca.crt")}});
    ASSERT_TRUE(proc_->start()) << proc_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(proc_->stop(), 0) << proc_->log();
    delete proc_;
    delete dir_;
  }
  static std::string path(const std::string& name) { return (dir_->path() / name).string(); }

  // One request with `cert`'s certificate; `args` are more curl options.
  static curl_result curl(const std::string& cert, const std::string& target,
                          const std::string& args = "") {
    const auto head = path(cert + ".head");
    const auto body = path(cert + ".body");
    auto r = shell("curl -sS --max-time 20 --cacert '" + path("ca.crt") + "' --cert '" +
                   path(cert + ".crt") + "' --key '" + path(cert + ".key") + "' -D '" + head +
                   "' -o '" + body + "' -w '%{http_code}' " + args + " 'https://localhost:" +
                   std::to_string(proc_->port()) + target + "'");
    curl_result out;
    if (r.status != 0) return out;
    out.status = std::stoi(r.output);
    std::ifstream h(head), b(body);
    std::stringstream hs, bs;
    hs << h.rdbuf();
    bs << b.rdbuf();
    out.headers = hs.str();
    out.body = bs.str();
    openapi_record::curl(proc_->port(), args.find("-d '") != std::string::npos ? "POST" : "GET",
                         target, out.headers, &out.body);
    for (auto& c : out.headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }
  static curl_result post(const std::string& cert, const std::string& body) {
    return curl(cert, "/v1/users", "-H 'Content-Type: application/json' -d '" + body + "'");
  }

  static inline temp_dir* dir_ = nullptr;
  static inline sluice_process* proc_ = nullptr;
};

TEST_F(client_certs, a_subject_mapping_gives_its_scopes) {
  auto posted = post("ingest", user_json("Cy", "cy@cert.test"));
  ASSERT_EQ(posted.status, 202) << posted.body;
  // No rate of its own: [auth.rates]'s "publish:*" applies to publish:users.
  EXPECT_NE(posted.headers.find("ratelimit-policy: \"publish:*\";q=1000;w=1"), std::string::npos)
      << posted.headers;
  auto read = curl("ingest", "/v1/users?limit=1");
  EXPECT_EQ(read.status, 403) << read.body;
  EXPECT_NE(read.body.find("read:users"), std::string::npos) << read.body;
  EXPECT_EQ(curl("ingest", "/healthz").status, 200);
}

TEST_F(client_certs, a_san_mapping_gives_its_scopes_and_its_own_rate) {
  auto read = curl("reader", "/v1/users?limit=1");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_NE(read.headers.find("ratelimit-policy: \"principal\";q=50;w=1"), std::string::npos)
      << read.headers;
  auto posted = post("reader", user_json("Ro", "ro@cert.test"));
  EXPECT_EQ(posted.status, 403) << posted.body;
  EXPECT_NE(posted.body.find("publish:users"), std::string::npos) << posted.body;
}

TEST_F(client_certs, a_verified_certificate_without_a_mapping_is_403) {
  auto r = curl("stranger", "/v1/users?limit=1");
  ASSERT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.headers.find("content-type: application/problem+json"), std::string::npos);
  EXPECT_NE(r.body.find("client certificate"), std::string::npos) << r.body;
  // The operator can tell which subject to map from the log.
  EXPECT_TRUE(eventually([] {
    return proc_->log().find("CN=stranger,O=Sluice Tests") != std::string::npos;
  })) << proc_->log();
  // Probes need no principal.
  EXPECT_EQ(curl("stranger", "/healthz").status, 200);
}

TEST_F(client_certs, a_header_credential_decides_over_the_certificate) {
  // No keys file: an API key cannot verify, whatever the certificate maps to.
  auto r = curl("ingest", "/v1/users?limit=1", "-H 'X-API-Key: slk_nope'");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(r.headers.find("www-authenticate: bearer"), std::string::npos) << r.headers;
}

TEST_F(client_certs, config_check_prints_the_tables) {
  auto r = shell("SLUICE_HTTP_TLS_CLIENT_CA_FILE='" + path("ca.crt") +
                 "' SLUICE_HTTP_TLS_CERT_FILE='" + path("tls.crt") + "' SLUICE_HTTP_TLS_KEY_FILE='" +
                 path("tls.key") + "' '" + SLUICE_BINARY + "' config check -c '" +
                 path("sluice.toml") + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("[auth.rates]\n\"publish:*\" = 1000\n\"read:*\" = 2\n"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("[[auth.client_certs]]\nsubject = \"CN=ingest-1,O=Sluice Tests\"\n"
                          "name = \"ingest-1\"\nscopes = [\"publish:users\", \"status\"]\n"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("san = \"URI:spiffe://sluice.test/reader\"\nname = \"reader\"\n"
                          "scopes = [\"read:users\"]\nrate = 50\n"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("anonymous_rate = 0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("trusted_proxies = []"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace sluice::testing

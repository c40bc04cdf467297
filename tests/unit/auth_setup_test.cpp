// Issue 12: what start-up refuses in [auth]: mode none off loopback (unless
// allow_open), mode required with nothing to verify credentials against.

#include "app/auth_setup.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sluice::app {
namespace {

TEST(auth_setup, loopback_listens) {
  for (const char* yes : {"127.0.0.1:8080", "127.0.0.1:0", "127.1.2.3:80", "localhost:9000",
                          "[::1]:8080"}) {
    EXPECT_TRUE(is_loopback_listen(yes)) << yes;
  }
  for (const char* no : {"0.0.0.0:8080", "[::]:8080", "10.0.0.1:80", "192.168.1.2:80",
                         "example.com:80", "127.0.0.1.example.com:80", "127.0.0:80",
                         "127.0.0.256:80", "128.0.0.1:80", "localhost.evil:80", "[::2]:80", ""}) {
    EXPECT_FALSE(is_loopback_listen(no)) << no;
  }
}

std::string refusal_of(const config::config& cfg) {
  try {
    make_authenticator(cfg);
  } catch (const config::config_error& e) {
    return e.what();
  }
  return "";
}

TEST(auth_setup, mode_none_needs_loopback_or_allow_open) {
  config::config cfg;
  cfg.auth.mode = config::auth_mode::none;
  cfg.http.listen = "127.0.0.1:8080";
  EXPECT_EQ(refusal_of(cfg), "");
  cfg.http.listen = "0.0.0.0:8080";
  auto why = refusal_of(cfg);
  EXPECT_NE(why.find("auth.mode"), std::string::npos) << why;
  EXPECT_NE(why.find("allow_open"), std::string::npos) << why;
  cfg.auth.allow_open = true;
  EXPECT_EQ(refusal_of(cfg), "");
}

TEST(auth_setup, mode_required_needs_keys_or_jwt_keys) {
  config::config cfg;
  cfg.auth.mode = config::auth_mode::required;
  auto why = refusal_of(cfg);
  EXPECT_NE(why.find("keys_file"), std::string::npos) << why;
  EXPECT_NE(why.find("jwks_file"), std::string::npos) << why;
  EXPECT_NE(why.find("auth.client_certs"), std::string::npos) << why;
}

// Client certificate mappings alone are enough to admit requests.
TEST(auth_setup, mode_required_with_client_certs_only) {
  config::config cfg;
  cfg.auth.mode = config::auth_mode::required;
  cfg.auth.client_certs.push_back({"CN=ingest-1,O=Acme", "", "ingest-1", {"publish:users"}, 7});
  EXPECT_EQ(refusal_of(cfg), "");
  auto authn = make_authenticator(cfg, [](const std::string&) { return std::nullopt; });
  http::request req;
  req.client_subject = "CN=ingest-1,O=Acme";
  auto who = authn.authenticator->authenticate(req);
  ASSERT_TRUE(std::holds_alternative<auth::principal>(who));
  EXPECT_EQ(std::get<auth::principal>(who).id, "ingest-1");
  EXPECT_EQ(std::get<auth::principal>(who).rate, std::optional<double>(7.0));
}

}  // namespace
}  // namespace sluice::app

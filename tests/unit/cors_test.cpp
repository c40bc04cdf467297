// Issue 12 "CORS off unless http.cors_origins lists origins": the policy's
// decisions (exact origins, "*" only when listed, no headers for an origin
// not listed) and the config key's validation. The wire (preflight through
// the route table, 405 without CORS) is in integration/hardening_test.

#include "api/cors.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "config/config.hpp"

namespace sluice::api {
namespace {

std::string header(const http::response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<none>";
}

TEST(cors, off_by_default) {
  cors_policy off("");
  EXPECT_FALSE(off.enabled());
  EXPECT_EQ(off.allow_origin("https://app.example"), std::nullopt);
  http::response r;
  off.decorate(r, std::nullopt);
  EXPECT_TRUE(r.headers.empty());
}

TEST(cors, origins_match_exactly) {
  cors_policy p(" https://app.example , http://localhost:3000");
  EXPECT_TRUE(p.enabled());
  EXPECT_EQ(p.allow_origin("https://app.example"), "https://app.example");
  EXPECT_EQ(p.allow_origin("http://localhost:3000"), "http://localhost:3000");
  for (const char* refused : {"http://app.example", "https://app.example:443", "https://evil.app.example",
                              "https://app.example.evil", "null", "", "https://APP.example"}) {
    EXPECT_EQ(p.allow_origin(refused), std::nullopt) << refused;
  }
  http::response denied;
  p.decorate(denied, p.allow_origin("https://evil.example"));
  EXPECT_EQ(header(denied, "Access-Control-Allow-Origin"), "<none>");
  EXPECT_EQ(header(denied, "Access-Control-Expose-Headers"), "<none>");
  EXPECT_EQ(header(denied, "Vary"), "Origin");  // caches must still key on it

  http::response allowed;
  p.decorate(allowed, p.allow_origin("https://app.example"));
  EXPECT_EQ(header(allowed, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(header(allowed, "Access-Control-Expose-Headers"),
            "Location, ETag, Link, Retry-After, traceparent");
}

TEST(cors, star_only_when_listed) {
  cors_policy p("https://app.example,*");
  EXPECT_EQ(p.allow_origin("https://app.example"), "https://app.example");
  EXPECT_EQ(p.allow_origin("https://other.example"), "*");
  EXPECT_EQ(p.allow_origin(""), std::nullopt);  // not a CORS request
}

TEST(cors, preflight_answer) {
  cors_policy p("https://app.example");
  auto r = p.preflight("https://app.example", "GET, POST");
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(header(r, "Access-Control-Allow-Methods"), "GET, POST");
  EXPECT_EQ(header(r, "Access-Control-Allow-Headers"),
            "Content-Type, Authorization, X-API-Key, Idempotency-Key, Prefer, If-None-Match, traceparent");
  EXPECT_EQ(header(r, "Access-Control-Max-Age"), "600");
  EXPECT_EQ(header(r, "Vary"), "Origin");
}

std::string error_of(const std::string& origins) {
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  try {
    config::parse("[http]\ncors_origins = \"" + origins +
                      "\"\n[[resources]]\nname = \"users\"\n  [[resources.fields]]\n  name = \"email\"\n",
                  "cors.toml", no_env);
  } catch (const config::config_error& e) {
    return e.what();
  }
  return "";
}

TEST(cors, config_key_is_validated) {
  for (const char* ok : {"", "*", "https://a.example", "http://localhost:3000, https://b.example:8443",
                         "http://[::1]:8080", "https://a.example,*"}) {
    EXPECT_EQ(error_of(ok), "") << ok;
  }
  for (const char* bad : {"a.example", "https://a.example/", "https://a.example/path", "ftp://a.example",
                          "https://", "https://a.example,,https://b.example", ",", "https://A.example",
                          "https://a.example,", "https://a.example?x"}) {
    auto e = error_of(bad);
    EXPECT_NE(e.find("cors.toml:2: http.cors_origins: must be a comma-separated list"), std::string::npos)
        << bad << " -> " << e;
  }
}

}  // namespace
}  // namespace sluice::api

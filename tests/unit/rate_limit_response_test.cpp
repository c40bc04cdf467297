// Issue 12, rate limits as answered: the 429 is problem+json with
// Retry-After, RateLimit-Policy and RateLimit (draft-10) and
// "violated-policies"; an allowed request under a limit gets the two fields;
// refusals are counted by principal with a bounded label set.

#include "api/rate_limits.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "observe/metrics.hpp"

namespace sluice::api {
namespace {

std::string header(const http::header_list& h, std::string_view name) {
  for (const auto& [k, v] : h)
    if (k == name) return v;
  return {};
}

TEST(rate_limit_response, refused_is_429_problem_with_the_fields_and_counted) {
  std::int64_t now = 0;
  auth::rate_limiter limiter(1024, [&] { return now; });
  observe::metrics metrics("test");
  const rate_subject who{"jwt:alice", "alice", {"default", 3}};
  http::header_list headers;
  EXPECT_FALSE(charge(limiter, metrics, who, 2, headers));
  EXPECT_EQ(header(headers, "RateLimit-Policy"), R"("default";q=3;w=1;sluice-unit="records")");
  EXPECT_EQ(header(headers, "RateLimit"), R"("default";r=1;t=1)");

  headers.clear();
  auto refused = charge(limiter, metrics, who, 2, headers);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429u);
  EXPECT_EQ(header(refused->headers, "Content-Type"), "application/problem+json");
  EXPECT_EQ(header(refused->headers, "Retry-After"), "1");
  EXPECT_EQ(header(refused->headers, "RateLimit"), R"("default";r=1;t=1)");
  EXPECT_EQ(header(refused->headers, "RateLimit-Policy"),
            R"("default";q=3;w=1;sluice-unit="records")");
  const auto body = boost::json::parse(refused->body).as_object();
  EXPECT_EQ(body.at("status"), 429);
  EXPECT_EQ(body.at("violated-policies").as_array().at(0), "default");
  EXPECT_NE(metrics.scrape().find(R"(sluice_rate_limited_requests_total{principal="alice"} 1)"),
            std::string::npos)
      << metrics.scrape();
}

TEST(rate_limit_response, unlimited_adds_nothing) {
  auth::rate_limiter limiter;
  observe::metrics metrics("test");
  http::header_list headers;
  EXPECT_FALSE(charge(limiter, metrics, {"key:k", "k", {"default", 0}}, 1000, headers));
  EXPECT_TRUE(headers.empty());
}

TEST(rate_limit_response, principal_labels_are_bounded) {
  observe::metrics metrics("test");
  for (int i = 0; i < 500; ++i) metrics.rate_limited("subject-" + std::to_string(i));
  const auto text = metrics.scrape();
  std::size_t series = 0;
  for (auto pos = text.find("sluice_rate_limited_requests_total{"); pos != std::string::npos;
       pos = text.find("sluice_rate_limited_requests_total{", pos + 1))
    ++series;
  EXPECT_EQ(series, 101u);  // 100 principals and "_other"
  EXPECT_NE(text.find(R"(sluice_rate_limited_requests_total{principal="_other"} 400)"),
            std::string::npos);
}

TEST(rate_limit_response, whose_bucket_and_which_rate) {
  config::auth_config a;
  a.default_rate = 100;
  auth::principal key{"k1", "key", {}, 7.0};
  auto s = subject_of(key, "read:users", a, "127.0.0.1");
  EXPECT_EQ(s.key, "key:k1");
  EXPECT_EQ(s.label, "k1");
  EXPECT_EQ(s.policy.name, "principal");
  EXPECT_EQ(s.policy.rate, 7.0);
  EXPECT_FALSE(s.by_address);
  auth::principal jwt{"k1", "jwt", {}, std::nullopt};
  s = subject_of(jwt, "read:users", a, "127.0.0.1");
  EXPECT_EQ(s.key, "jwt:k1");  // not the API key's bucket
  EXPECT_EQ(s.policy.name, "default");
  EXPECT_EQ(s.policy.rate, 100.0);
}

// Issue 12: the anonymous principal (mode none) is charged by client address,
// at auth.anonymous_rate, in the address table; IPv6 by its /64.
TEST(rate_limit_response, anonymous_requests_are_charged_by_address) {
  config::auth_config a;
  a.default_rate = 100;
  a.anonymous_rate = 4;
  auto s = subject_of(auth::anonymous(), "read:users", a, "203.0.113.9");
  EXPECT_EQ(s.key, "ip:203.0.113.9");
  EXPECT_EQ(s.label, "anonymous");
  EXPECT_EQ(s.policy.name, "anonymous");
  EXPECT_EQ(s.policy.rate, 4.0);
  EXPECT_TRUE(s.by_address);
  EXPECT_EQ(address_subject(a, "2001:db8:1:2:3:4:5:6").key, "ip:2001:db8:1:2::/64");
  EXPECT_EQ(address_subject(a, "2001:db8:1:2:ffff::1").key, address_subject(a, "2001:db8:1:2::9").key);
  a.anonymous_rate = 0;
  s = subject_of(auth::anonymous(), "read:users", a, "::1");
  EXPECT_EQ(s.policy.rate, 0.0);  // unlimited: no bucket, no key
  EXPECT_TRUE(s.key.empty());
}

// [auth.rates]: the most specific entry covering the route's scope; a
// principal's own rate first; default_rate last.
TEST(rate_limit_response, scope_rates_precedence) {
  const std::map<std::string, std::uint64_t> rates = {
      {"publish:users", 500}, {"publish:*", 50}, {"read:*", 2000}, {"*", 9}};
  auto at = [&](std::string_view scope) {
    auto e = scope_rate(rates, scope);
    return e ? e->first + "=" + std::to_string(e->second) : std::string("none");
  };
  EXPECT_EQ(at("publish:users"), "publish:users=500");  // exact
  EXPECT_EQ(at("publish:orders"), "publish:*=50");      // then the action's wildcard
  EXPECT_EQ(at("read:users"), "read:*=2000");
  EXPECT_EQ(at("status"), "*=9");                       // then *
  EXPECT_EQ(at("admin"), "*=9");
  EXPECT_EQ(at(""), "none");                            // a route that needs no scope
  EXPECT_EQ(scope_rate({{"read:users", 5}}, "publish:users"), std::nullopt);

  config::auth_config a;
  a.default_rate = 100;
  a.rates = {{"read:*", 2000}};
  auth::principal jwt{"ann", "jwt", {"read:users", "publish:users"}, std::nullopt};
  auto s = subject_of(jwt, "read:users", a, "127.0.0.1");
  EXPECT_EQ(s.policy.name, "read:*");
  EXPECT_EQ(s.policy.rate, 2000.0);
  EXPECT_EQ(s.key, "jwt:ann|read:*");  // a bucket per entry
  s = subject_of(jwt, "publish:users", a, "127.0.0.1");
  EXPECT_EQ(s.policy.name, "default");  // no entry covers publish:users
  EXPECT_EQ(s.key, "jwt:ann");
  jwt.rate = 3;  // the key's own rate wins over every entry
  s = subject_of(jwt, "read:users", a, "127.0.0.1");
  EXPECT_EQ(s.policy.name, "principal");
  EXPECT_EQ(s.key, "jwt:ann");
}

// refuse_if_empty() decides without taking: what a failed authentication is
// checked against before the credential is looked at.
TEST(rate_limit_response, refuse_if_empty_takes_nothing) {
  std::int64_t now = 0;
  auth::rate_limiter limiter(1024, [&] { return now; });
  observe::metrics metrics("test");
  const rate_subject who{"ip:192.0.2.1", "anonymous", {"anonymous", 2}, true};
  EXPECT_FALSE(refuse_if_empty(limiter, metrics, who, 1));
  EXPECT_FALSE(refuse_if_empty(limiter, metrics, who, 1));  // still full: nothing taken
  http::header_list h;
  EXPECT_FALSE(charge(limiter, metrics, who, 1, h));
  EXPECT_FALSE(charge(limiter, metrics, who, 1, h));
  auto refused = refuse_if_empty(limiter, metrics, who, 1);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429u);
  EXPECT_EQ(header(refused->headers, "Retry-After"), "1");
  EXPECT_EQ(header(refused->headers, "RateLimit-Policy"),
            R"("anonymous";q=2;w=1;sluice-unit="records")");
  now += 500'000'000;  // half a second: one token back
  EXPECT_FALSE(refuse_if_empty(limiter, metrics, who, 1));
}

// auth.anonymous_max_addresses bounds the address table however many
// addresses a client uses (IPv6 hosts within one /64 share one bucket).
TEST(rate_limit_response, the_address_table_stays_bounded) {
  config::auth_config a;
  a.anonymous_rate = 1;
  auth::rate_limiter addresses(64);
  for (int i = 0; i < 10'000; ++i) {
    const auto who = address_subject(
        a, "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256));
    addresses.charge(who.key, who.policy, 1);
  }
  EXPECT_LE(addresses.buckets(), 64u);
  auth::rate_limiter v6(64);
  for (int i = 0; i < 1000; ++i) {
    const auto who = address_subject(a, "2001:db8:0:1::" + std::to_string(i + 1));
    v6.charge(who.key, who.policy, 1);
  }
  EXPECT_EQ(v6.buckets(), 1u);
}

}  // namespace
}  // namespace sluice::api

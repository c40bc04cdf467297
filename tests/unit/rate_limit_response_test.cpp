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
  auth::principal key{"k1", "key", {}, 7.0};
  auto s = subject_of(key, 100);
  EXPECT_EQ(s.key, "key:k1");
  EXPECT_EQ(s.label, "k1");
  EXPECT_EQ(s.policy.name, "principal");
  EXPECT_EQ(s.policy.rate, 7.0);
  auth::principal jwt{"k1", "jwt", {}, std::nullopt};
  s = subject_of(jwt, 100);
  EXPECT_EQ(s.key, "jwt:k1");  // not the API key's bucket
  EXPECT_EQ(s.policy.name, "default");
  EXPECT_EQ(s.policy.rate, 100.0);
  EXPECT_EQ(subject_of(auth::anonymous(), 100).policy.rate, 0.0);
}

}  // namespace
}  // namespace sluice::api

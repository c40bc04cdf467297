// api/request_parts: the typed parts of a request, by tables.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "api/request_parts.hpp"

namespace sluice::api {
namespace {

TEST(request_parts, content_type) {
  const std::pair<const char*, body_format> cases[] = {
      {"application/json", body_format::json},
      {"Application/JSON", body_format::json},
      {" application/json ; charset=utf-8", body_format::json},
      {"application/json; charset=\"UTF-8\"", body_format::json},
      {"application/json; charset=latin1", body_format::unsupported},
      {"application/x-ndjson", body_format::ndjson},
      {"application/ndjson", body_format::ndjson},
      {"text/plain", body_format::unsupported},
      {"", body_format::unsupported},
      {"application/jsonx", body_format::unsupported},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(format_of(in), want) << in;
}

TEST(request_parts, prefer_wait) {
  const std::pair<const char*, std::optional<unsigned>> cases[] = {
      {"wait=5", 5u},
      {"WAIT=5", 5u},
      {"respond-async, wait=3", 3u},
      {"wait=3; foo=bar", 3u},
      {"handling=strict, wait=0", 0u},
      {"wait=999", 30u},  // clamped
      {"wait=", std::nullopt},
      {"wait=-1", std::nullopt},
      {"wait=1x", std::nullopt},
      {"wait=99999999999", std::nullopt},
      {"return=minimal", std::nullopt},
      {"", std::nullopt},
      {"wait=2, wait=4", 2u},  // the first one counts
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(parse_prefer(in, 30).wait, want) << in;
}

TEST(request_parts, prefer_count) {
  using c = count_preference;
  const std::pair<const char*, std::optional<count_preference>> cases[] = {
      {"count=exact", c::exact},
      {"COUNT=Estimated", c::estimated},
      {"count=planned", c::planned},
      {"wait=3, count=exact", c::exact},
      {"count=exact; foo=bar", c::exact},
      {"count=", std::nullopt},  // a bad value is ignored (RFC 7240)
      {"count=all", std::nullopt},
      {"count=exactly", std::nullopt},
      {"count", std::nullopt},
      {"", std::nullopt},
      {"count=estimated, count=exact", c::estimated},  // the first one counts
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(parse_prefer(in, 30).count, want) << in;
  EXPECT_EQ(to_string(c::estimated), "estimated");
}

TEST(request_parts, accept_picks_the_row_format) {
  using f = model::row_format;
  const std::pair<const char*, std::optional<model::row_format>> cases[] = {
      {"", f::json},
      {"*/*", f::json},
      {"application/json", f::json},
      {"text/csv", f::csv},
      {"Text/CSV; charset=utf-8", f::csv},
      {"application/x-ndjson", f::ndjson},
      {"application/ndjson", f::ndjson},
      {"text/*", f::csv},
      {"application/*", f::json},
      {"text/csv, */*", f::csv},  // the specific range over the wildcard
      {"*/*, text/csv", f::csv},
      {"application/json;q=0.5, text/csv", f::csv},
      {"application/json, text/csv;q=0.9", f::json},
      {"text/csv;q=0, */*", f::json},
      {"application/x-ndjson;q=0.8, text/csv;q=0.2", f::ndjson},
      {"text/html", std::nullopt},
      {"application/xml, text/html;q=0.9", std::nullopt},
      {"text/csv;q=0", std::nullopt},
      {"text/csv;q=2", std::nullopt},    // a malformed range matches nothing
      {"text/csv;q=abc", std::nullopt},
      {"csv", std::nullopt},
      {",, text/csv ,", f::csv},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(row_format_of(in), want) << in;
}

TEST(request_parts, idempotency_key) {
  EXPECT_TRUE(valid_idempotency_key("k"));
  EXPECT_TRUE(valid_idempotency_key(std::string(255, 'k')));
  EXPECT_TRUE(valid_idempotency_key("order-42/!~"));
  for (const std::string& bad : {std::string(), std::string(256, 'k'), std::string("a b"),
                                 std::string("a\tb"), std::string("caf\xc3\xa9")}) {
    EXPECT_FALSE(valid_idempotency_key(bad)) << bad;
  }
}

TEST(request_parts, if_none_match) {
  const std::string etag = "\"abc\"";
  const std::pair<const char*, bool> cases[] = {
      {"\"abc\"", true},   {"W/\"abc\"", true}, {"\"x\", \"abc\"", true},
      {"\"x\",\"abc\" ", true}, {"*", true},   {" * ", true},
      {"\"abd\"", false},  {"abc", false},     {"", false},
      {"\"x\", W/\"y\"", false},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(etag_matches(in, etag), want) << in;
}

// Issue 11 #19: a key twice in one object is found, at any depth; the same
// key in sibling or nested objects is not a duplicate.
TEST(request_parts, duplicate_keys) {
  const std::pair<const char*, std::optional<std::string>> cases[] = {
      {R"({"name":"a","name":"b"})", "name"},
      {R"({"name":"a","email":"e","name":"a"})", "name"},
      {R"([{"a":1},{"a":2}])", std::nullopt},
      {R"({"a":{"a":1},"b":{"a":2}})", std::nullopt},
      {R"({"x":[{"k":1,"k":2}]})", "k"},
      {R"({"\u006e":1,"n":2})", "n"},  // equal once unescaped
      {R"({"n":1,"N":2})", std::nullopt},
      {R"({})", std::nullopt},
      {R"("text")", std::nullopt},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(parse_strict_json(in, 64).duplicate_key, want) << in;
  }
}

}  // namespace
}  // namespace sluice::api

namespace sluice::api {
namespace {

// One pass builds the value and refuses what json::parse would accept
// silently (issue 11 #19, without a second parse of every body).
TEST(request_parts, strict_json_builds_the_value_in_one_pass) {
  auto ok = parse_strict_json(R"({"a":[1,-2,3.5,true,null,"x\u00e9"],"b":{"a":{}}})", 64);
  ASSERT_FALSE(ok.error) << ok.error.message();
  ASSERT_FALSE(ok.duplicate_key);
  EXPECT_EQ(ok.value, boost::json::parse(R"({"a":[1,-2,3.5,true,null,"xé"],"b":{"a":{}}})"));

  auto dup = parse_strict_json(R"({"name":"a","name":"b"})", 64);
  ASSERT_TRUE(dup.duplicate_key);
  EXPECT_EQ(*dup.duplicate_key, "name");
  EXPECT_FALSE(dup.error);

  EXPECT_EQ(parse_strict_json("[[[1]]]", 2).error, boost::json::error::too_deep);
  EXPECT_TRUE(parse_strict_json(R"({"a":1} x)", 64).error);
  EXPECT_TRUE(parse_strict_json(R"({"a":)", 64).error);
  EXPECT_TRUE(parse_strict_json("", 64).error);
}

}  // namespace
}  // namespace sluice::api

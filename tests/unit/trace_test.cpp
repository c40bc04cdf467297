// W3C traceparent parsing and continuation.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "observe/trace.hpp"

namespace sluice::observe {
namespace {

const std::string k_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string k_span = "00f067aa0ba902b7";
const std::string k_valid = "00-" + k_trace + "-" + k_span + "-01";

bool is_lower_hex(const std::string& s, std::size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos &&
         s.find_first_not_of('0') != std::string::npos;
}

TEST(traceparent, parses_valid_headers) {
  struct row {
    std::string header, flags;
  };
  const row rows[] = {
      {k_valid, "01"},
      {"00-" + k_trace + "-" + k_span + "-00", "00"},
      // A future version may append fields after a '-'.
      {"01-" + k_trace + "-" + k_span + "-01-extra", "01"},
      {"cc-" + k_trace + "-" + k_span + "-01", "01"},
  };
  for (const auto& r : rows) {
    auto t = parse_traceparent(r.header);
    ASSERT_TRUE(t) << r.header;
    EXPECT_EQ(t->trace_id, k_trace);
    EXPECT_EQ(t->span_id, k_span);
    EXPECT_EQ(t->flags, r.flags);
  }
}

TEST(traceparent, refuses_malformed_headers) {
  const std::string rows[] = {
      "",
      "garbage",
      k_valid.substr(0, 54),                                        // too short
      k_valid + "-",                                                // version 00 is exactly 55
      "ff-" + k_trace + "-" + k_span + "-01",                       // forbidden version
      "00-" + std::string(32, '0') + "-" + k_span + "-01",          // all-zero trace id
      "00-" + k_trace + "-" + std::string(16, '0') + "-01",         // all-zero span id
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + k_span + "-01",      // upper case
      "00-" + k_trace + "-" + k_span + "-0g",                       // bad flags
      "00_" + k_trace + "-" + k_span + "-01",                       // bad separator
      "00-" + k_trace.substr(0, 31) + "x-" + k_span + "-01",        // non-hex trace id
      "01-" + k_trace + "-" + k_span + "-01x",                      // future version, no '-'
  };
  for (const auto& h : rows) EXPECT_FALSE(parse_traceparent(h)) << h;
}

TEST(traceparent, continue_keeps_the_trace_and_makes_a_new_span) {
  auto t = continue_or_start(k_valid);
  EXPECT_EQ(t.trace_id, k_trace);
  EXPECT_NE(t.span_id, k_span);
  EXPECT_TRUE(is_lower_hex(t.span_id, 16)) << t.span_id;
  EXPECT_EQ(t.flags, "01");
  EXPECT_EQ(t.traceparent(), "00-" + k_trace + "-" + t.span_id + "-01");
  EXPECT_TRUE(parse_traceparent(t.traceparent()));
}

TEST(traceparent, starts_a_new_trace_when_absent_or_invalid) {
  std::set<std::string> traces;
  const std::vector<std::string> headers = {"", "nonsense", "ff-" + k_trace + "-" + k_span + "-01"};
  for (const auto& h : headers) {
    auto t = continue_or_start(h);
    EXPECT_TRUE(is_lower_hex(t.trace_id, 32)) << t.trace_id;
    EXPECT_TRUE(is_lower_hex(t.span_id, 16)) << t.span_id;
    EXPECT_EQ(t.flags, "01");
    EXPECT_TRUE(parse_traceparent(t.traceparent()));
    traces.insert(t.trace_id);
  }
  EXPECT_EQ(traces.size(), 3u);
}

}  // namespace
}  // namespace sluice::observe

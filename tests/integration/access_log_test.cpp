// Issue 10 "Logs that correlate": every access-log line of the real binary
// carries its request's trace_id and span_id — a POST's is the trace of the
// traceparent it sent (or of the one it was answered with), a GET's too, and
// a request the server refused before dispatch has one as well; the
// subscriber's "row stored" line (debug) carries the same trace id.

#include <string>
#include <vector>

#include "support/fixtures.hpp"

namespace sluice::testing {
namespace {

namespace json = boost::json;

bool is_lower_hex(const std::string& s, std::size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string field(const json::object& line, const char* key) {
  const auto* v = line.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The log's JSON lines whose msg is `msg`.
std::vector<json::object> lines_of(const std::string& log, const std::string& msg) {
  std::vector<json::object> out;
  std::size_t pos = 0;
  while (pos < log.size()) {
    auto end = log.find('\n', pos);
    if (end == std::string::npos) end = log.size();
    boost::system::error_code ec;
    auto v = json::parse(log.substr(pos, end - pos), ec);
    pos = end + 1;
    if (!ec && v.is_object() && field(v.as_object(), "msg") == msg) out.push_back(v.as_object());
  }
  return out;
}

// The access lines for one method, route and status.
std::vector<json::object> access(const std::vector<json::object>& lines, const std::string& method,
                                 const std::string& route, std::int64_t status) {
  std::vector<json::object> out;
  for (const auto& l : lines) {
    const auto* st = l.if_contains("status");
    if (field(l, "method") == method && field(l, "route") == route && st && st->is_int64() &&
        st->as_int64() == status) {
      out.push_back(l);
    }
  }
  return out;
}

TEST(access_log, every_line_carries_its_requests_trace_and_span) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(),
                   {{"SLUICE_LOG_ACCESS_LOG", "true"}, {"SLUICE_LOG_LEVEL", "debug"}});
  ASSERT_TRUE(p.start()) << p.log();
  const std::string sent_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  std::string unsent_trace;
  {
    http_client c(p.port());
    // Prefer: wait, so that the row is stored before the log is read.
    auto posted = c.post("/v1/users", user_json("Ada", "ada@trace.test"),
                         {{"Prefer", "wait=10"},
                          {"traceparent", "00-" + sent_trace + "-00f067aa0ba902b7-01"}});
    ASSERT_EQ(posted.status, 201) << posted.body;
    ASSERT_EQ(c.get("/v1/users?email=eq.ada@trace.test").status, 200);
    // No traceparent sent: the line names the trace the answer started.
    auto fresh = c.post("/v1/users", user_json("Bob", "bob@trace.test"));
    ASSERT_EQ(fresh.status, 202) << fresh.body;
    auto tp = fresh.header("traceparent");
    ASSERT_EQ(tp.size(), 55u) << tp;
    unsent_trace = tp.substr(3, 32);
    ASSERT_EQ(c.get("/nowhere").status, 404);
  }
  {
    http_client c(p.port());  // refused by the server (no Host), then closed
    ASSERT_EQ(c.raw("GET /healthz HTTP/1.1\r\n\r\n").status, 400);
  }
  EXPECT_EQ(p.stop(), 0);
  const auto log = p.log();
  const auto lines = lines_of(log, "request");

  auto post = access(lines, "POST", "/v1/users", 201);
  ASSERT_EQ(post.size(), 1u) << log;
  EXPECT_EQ(field(post[0], "trace_id"), sent_trace) << log;
  EXPECT_TRUE(is_lower_hex(field(post[0], "span_id"), 16)) << log;
  EXPECT_NE(field(post[0], "span_id"), "00f067aa0ba902b7") << "a new span in the caller's trace";

  auto get = access(lines, "GET", "/v1/users", 200);
  ASSERT_EQ(get.size(), 1u) << log;
  EXPECT_TRUE(is_lower_hex(field(get[0], "trace_id"), 32)) << log;
  EXPECT_TRUE(is_lower_hex(field(get[0], "span_id"), 16)) << log;
  EXPECT_NE(field(get[0], "trace_id"), sent_trace) << "a GET without traceparent starts a trace";

  auto fresh = access(lines, "POST", "/v1/users", 202);
  ASSERT_EQ(fresh.size(), 1u) << log;
  EXPECT_EQ(field(fresh[0], "trace_id"), unsent_trace) << log;

  ASSERT_EQ(access(lines, "GET", "(unmatched)", 404).size(), 1u) << log;
  ASSERT_EQ(access(lines, "GET", "(unread)", 400).size(), 1u) << log;
  for (const auto& l : lines) {
    EXPECT_TRUE(is_lower_hex(field(l, "trace_id"), 32)) << json::serialize(l);
    EXPECT_TRUE(is_lower_hex(field(l, "span_id"), 16)) << json::serialize(l);
  }

  bool stored_with_trace = false;
  for (const auto& l : lines_of(log, "row stored")) {
    stored_with_trace = stored_with_trace || field(l, "trace_id") == sent_trace;
  }
  EXPECT_TRUE(stored_with_trace) << log;
}

}  // namespace
}  // namespace sluice::testing

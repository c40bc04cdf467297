// GET /v1/{resource} in other formats (Accept: text/csv, application/x-ndjson)
// and with counts (Prefer: count=…), through the real binary (issue 14).

#include <algorithm>
#include <fstream>
#include <iterator>

#include "support/fixtures.hpp"
#include "support/page_walk.hpp"

namespace sluice::testing {
namespace {

namespace json = boost::json;

// RFC 4180, strictly: records end in CRLF, quoted fields may hold anything.
// Fails the test on a malformed document.
std::vector<std::vector<std::optional<std::string>>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::optional<std::string>>> out;
  std::vector<std::optional<std::string>> record;
  std::size_t i = 0;
  while (i < text.size()) {
    std::optional<std::string> field;
    if (text[i] == '"') {
      field.emplace();
      for (++i;; ++i) {
        if (i >= text.size()) {
          ADD_FAILURE() << "unterminated quoted field";
          return out;
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            *field += '"';
            ++i;
          } else {
            ++i;
            break;
          }
        } else {
          *field += text[i];
        }
      }
    } else {
      auto end = text.find_first_of(",\r\n", i);
      if (end == std::string::npos) end = text.size();
      if (end > i) field = text.substr(i, end - i);  // empty and unquoted: NULL
      EXPECT_EQ(text.substr(i, end - i).find('"'), std::string::npos) << "a bare quote";
      i = end;
    }
    record.push_back(std::move(field));
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    EXPECT_EQ(text.compare(i, 2, "\r\n"), 0) << "a record not ended by CRLF at " << i;
    i += 2;
    out.push_back(std::move(record));
    record.clear();
  }
  return out;
}

std::optional<std::string> text_of(const json::value& v) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return std::string(v.as_string());
  return json::serialize(v);
}

class rows_http : public served_suite {
 protected:
  static void SetUpTestSuite() {
    served_suite::SetUpTestSuite();
    http_client c(port());
    // Names that need CSV quoting: a comma, quotes, a line break, non-ASCII.
    const char* names[] = {"Plain", "Comma, Inc", "Say \"hi\"", "Two\nlines", "Caf\xc3\xa9"};
    std::string body = "[";
    for (int i = 0; i < 5; ++i) {
      json::object o{{"name", names[i]}, {"email", "r" + std::to_string(i) + "@rows.test"}};
      body += (i ? "," : "") + json::serialize(o);
    }
    body += "]";
    auto r = c.post("/v1/users", body, {{"Prefer", "wait=20"}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
};

TEST_F(rows_http, csv_holds_the_same_rows_as_json) {
  http_client c(port());
  auto as_json = c.get("/v1/users?limit=10");
  ASSERT_EQ(as_json.status, 200);
  auto rows = parse_json(as_json.body).as_array();
  ASSERT_EQ(rows.size(), 5u);
  auto as_csv = c.get("/v1/users?limit=10", {{"Accept", "text/csv"}});
  ASSERT_EQ(as_csv.status, 200) << as_csv.body;
  EXPECT_EQ(as_csv.header("content-type"), "text/csv; charset=utf-8; header=present");
  EXPECT_EQ(as_csv.header("vary"), "Accept, Prefer");
  auto records = parse_csv(as_csv.body);
  ASSERT_EQ(records.size(), rows.size() + 1);
  const std::vector<std::optional<std::string>> header = {
      "id", "message_id", "received_at", "stored_at", "name", "email"};
  EXPECT_EQ(records[0], header);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& obj = rows[r].as_object();
    ASSERT_EQ(records[r + 1].size(), header.size());
    for (std::size_t col = 0; col < header.size(); ++col) {
      EXPECT_EQ(records[r + 1][col], text_of(obj.at(*header[col])))
          << "row " << r << " column " << *header[col];
    }
  }
  EXPECT_NE(as_csv.body.find("\"Two\nlines\""), std::string::npos);
  EXPECT_NE(as_csv.body.find("\"Say \"\"hi\"\"\""), std::string::npos);
}

TEST_F(rows_http, ndjson_is_one_row_object_per_line) {
  http_client c(port());
  auto rows = parse_json(c.get("/v1/users?order=id.desc&limit=10").body).as_array();
  auto nd = c.get("/v1/users?order=id.desc&limit=10", {{"Accept", "application/x-ndjson"}});
  ASSERT_EQ(nd.status, 200);
  EXPECT_EQ(nd.header("content-type"), "application/x-ndjson");
  std::vector<json::value> lines;
  for (std::size_t pos = 0; pos < nd.body.size();) {
    auto end = nd.body.find('\n', pos);
    ASSERT_NE(end, std::string::npos) << "the last line lacks its newline";
    lines.push_back(parse_json(nd.body.substr(pos, end - pos)));
    pos = end + 1;
  }
  ASSERT_EQ(lines.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(lines[i], rows[i]);
}

TEST_F(rows_http, formats_share_filters_limit_and_link_but_not_etags) {
  http_client c(port());
  const std::string target = "/v1/users?limit=2&email=eq.r1@rows.test";
  auto j = c.get("/v1/users?limit=2");
  auto csv = c.get("/v1/users?limit=2", {{"Accept", "text/csv"}});
  auto nd = c.get("/v1/users?limit=2", {{"Accept", "application/x-ndjson"}});
  ASSERT_EQ(csv.status, 200);
  ASSERT_FALSE(j.header("link").empty());
  EXPECT_EQ(csv.header("link"), j.header("link"));
  EXPECT_EQ(nd.header("link"), j.header("link"));
  EXPECT_EQ(parse_csv(csv.body).size(), 3u);  // header + 2
  EXPECT_EQ(std::count(nd.body.begin(), nd.body.end(), '\n'), 2);
  EXPECT_NE(csv.header("etag"), j.header("etag"));
  EXPECT_NE(nd.header("etag"), j.header("etag"));
  EXPECT_NE(nd.header("etag"), csv.header("etag"));
  // Each format revalidates with its own ETag only (and from the cache:
  // the second CSV answer is the cached page, still CSV).
  EXPECT_EQ(c.get("/v1/users?limit=2", {{"Accept", "text/csv"}, {"If-None-Match", csv.header("etag")}})
                .status,
            304);
  auto other = c.get("/v1/users?limit=2", {{"Accept", "text/csv"}, {"If-None-Match", j.header("etag")}});
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body, csv.body);
  EXPECT_EQ(c.get("/v1/users?limit=2").body, j.body);
  // Filters apply.
  auto one = parse_csv(c.get(target, {{"Accept", "text/csv"}}).body);
  ASSERT_EQ(one.size(), 2u);
  EXPECT_EQ(one[1][5], "r1@rows.test");
  EXPECT_EQ(one[1][4], "Comma, Inc");
  // An empty page: the header line alone; NDJSON: no bytes.
  auto none = c.get("/v1/users?email=eq.nobody@rows.test", {{"Accept", "text/csv"}});
  EXPECT_EQ(none.body, "id,message_id,received_at,stored_at,name,email\r\n");
  auto none_nd = c.get("/v1/users?email=eq.nobody@rows.test", {{"Accept", "application/x-ndjson"}});
  EXPECT_EQ(none_nd.status, 200);
  EXPECT_EQ(none_nd.body, "");
}

TEST_F(rows_http, an_unsupported_accept_is_406_problem_json) {
  http_client c(port());
  for (const char* accept : {"text/html", "application/xml, text/plain;q=0.5", "text/csv;q=0"}) {
    auto r = c.get("/v1/users", {{"Accept", accept}});
    EXPECT_EQ(r.status, 406) << accept;
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    auto p = parse_json(r.body);
    EXPECT_EQ(p.at("status"), 406);
    EXPECT_NE(std::string(p.at("detail").as_string()).find("text/csv"), std::string::npos);
  }
  // A wildcard or a preference list with an offered type is served.
  EXPECT_EQ(c.get("/v1/users", {{"Accept", "*/*"}}).header("content-type"), "application/json");
  EXPECT_EQ(c.get("/v1/users", {{"Accept", "text/html, text/*;q=0.1"}}).header("content-type"),
            "text/csv; charset=utf-8; header=present");
}

// The next page's target from a Link header ("</v1/…>; rel=\"next\"").
std::string next_of(const http_result& r) { return link_target(r.header("link"), "next"); }

TEST_F(rows_http, prefer_count_exact_gives_content_range_on_every_page) {
  http_client c(port());
  const std::vector<std::pair<std::string, std::string>> exact = {{"Prefer", "count=exact"}};
  auto first = c.get("/v1/users?limit=2", exact);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.header("content-range"), "0-1/5");
  EXPECT_EQ(first.header("preference-applied"), "count=exact");
  auto second = c.get(next_of(first), exact);
  EXPECT_EQ(second.header("content-range"), "2-3/5");
  auto third = c.get(next_of(second), exact);
  EXPECT_EQ(third.header("content-range"), "4-4/5");
  // Descending, the same positions from the other end.
  auto down = c.get("/v1/users?order=id.desc&limit=3", exact);
  EXPECT_EQ(down.header("content-range"), "0-2/5");
  EXPECT_EQ(c.get(next_of(down), exact).header("content-range"), "3-4/5");
  // Counts apply the page's filters; an empty page is */total.
  EXPECT_EQ(c.get("/v1/users?email=eq.r1@rows.test", exact).header("content-range"), "0-0/1");
  EXPECT_EQ(c.get("/v1/users?email=eq.nobody@rows.test", exact).header("content-range"), "*/0");
  // Past the last row: nothing on the page, all five before it.
  auto rows = parse_json(c.get("/v1/users?order=id.desc&limit=1").body).as_array();
  const auto last = rows[0].at("id").as_int64();
  EXPECT_EQ(c.get("/v1/users?after=" + std::to_string(last), exact).header("content-range"), "*/5");
  // Any format: the same Content-Range.
  auto csv = c.get("/v1/users?limit=2", {{"Prefer", "count=exact"}, {"Accept", "text/csv"}});
  EXPECT_EQ(csv.header("content-range"), "0-1/5");
  EXPECT_EQ(csv.header("content-type"), "text/csv; charset=utf-8; header=present");
}

TEST_F(rows_http, estimated_below_the_threshold_and_planned_counts) {
  http_client c(port());
  // store.count_exact_max (10000) is far above 5 rows: exact.
  auto est = c.get("/v1/users?limit=2", {{"Prefer", "count=estimated"}});
  EXPECT_EQ(est.header("content-range"), "0-1/5");
  EXPECT_EQ(est.header("preference-applied"), "count=estimated");
  // planned: the statistics alone (never analyzed: max(id), here 5).
  auto planned = c.get("/v1/users?limit=2", {{"Prefer", "count=planned"}});
  EXPECT_EQ(planned.header("preference-applied"), "count=planned");
  EXPECT_EQ(planned.header("content-range").rfind("0-1/", 0), 0u) << planned.header("content-range");
}

TEST_F(rows_http, counted_and_uncounted_pages_are_cached_apart) {
  http_client c(port());
  auto counted = c.get("/v1/users?limit=3", {{"Prefer", "count=exact"}});
  auto plain = c.get("/v1/users?limit=3");
  auto again = c.get("/v1/users?limit=3", {{"Prefer", "count=exact"}});
  EXPECT_EQ(plain.header("content-range"), "");
  EXPECT_EQ(plain.header("preference-applied"), "");
  EXPECT_EQ(again.header("content-range"), "0-2/5");
  EXPECT_EQ(plain.body, counted.body);
  EXPECT_NE(plain.header("etag"), counted.header("etag"));
  EXPECT_EQ(again.header("etag"), counted.header("etag"));
}

TEST_F(rows_http, a_prefer_count_not_understood_is_ignored) {
  http_client c(port());
  for (const char* prefer : {"count=all", "count=", "count", "counts=exact", "return=minimal"}) {
    auto r = c.get("/v1/users?limit=2", {{"Prefer", prefer}});
    EXPECT_EQ(r.status, 200) << prefer;
    EXPECT_EQ(r.header("content-range"), "") << prefer;
    EXPECT_EQ(r.header("preference-applied"), "") << prefer;
  }
}

// A resource with its own page limits (default_limit, max_limit) and a low
// store.count_exact_max, in a process of its own.
class rows_limits : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir();
    std::ifstream in(default_config());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string anchor = "name = \"users\"\n";
    auto at = text.find(anchor);
    ASSERT_NE(at, std::string::npos);
    text.insert(at + anchor.size(), "default_limit = 2\nmax_limit = 3\n");
    auto config = dir_->write("limits.toml", text);
    proc_ = new sluice_process("serve", config, dir_->path(),
                               {{"SLUICE_LOG_ACCESS_LOG", "false"},
                                {"SLUICE_STORE_COUNT_EXACT_MAX", "3"}});
    ASSERT_TRUE(proc_->start()) << proc_->log();
    http_client c(proc_->port());
    std::string body = "[";
    for (int i = 0; i < 5; ++i) body += (i ? "," : "") + user_json("L", "l" + std::to_string(i) + "@limits.test");
    auto r = c.post("/v1/users", body + "]", {{"Prefer", "wait=20"}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(proc_->stop(), 0) << proc_->log();
    delete proc_;
    delete dir_;
  }
  static inline temp_dir* dir_ = nullptr;
  static inline sluice_process* proc_ = nullptr;
};

TEST_F(rows_limits, the_resource_default_and_max_limit_apply) {
  http_client c(proc_->port());
  auto page = c.get("/v1/users");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(parse_json(page.body).as_array().size(), 2u);  // default_limit
  EXPECT_NE(page.header("link").find("limit=2&"), std::string::npos) << page.header("link");
  EXPECT_EQ(parse_json(c.get("/v1/users?limit=3").body).as_array().size(), 3u);
  for (const char* q : {"limit=4", "limit=1000", "limit=0"}) {
    auto r = c.get(std::string("/v1/users?") + q);
    EXPECT_EQ(r.status, 400) << q;
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    auto p = parse_json(r.body);
    EXPECT_EQ(p.at("errors").as_array()[0].at("pointer"), "limit") << r.body;
    EXPECT_NE(std::string(p.at("detail").as_string()).find("from 1 to 3"), std::string::npos)
        << r.body;
  }
  // The OpenAPI document tells the same limits.
  auto doc = parse_json(c.get("/openapi.json").body);
  const auto& params = doc.at("paths").at("/v1/users").at("get").at("parameters").as_array();
  bool seen = false;
  for (const auto& p : params) {
    if (p.as_object().contains("name") && p.at("name") == "limit") {
      seen = true;
      EXPECT_EQ(p.at("schema").at("maximum"), 3);
      EXPECT_EQ(p.at("schema").at("default"), 2);
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(rows_limits, estimated_past_count_exact_max_is_an_estimate) {
  http_client c(proc_->port());
  // 5 rows > store.count_exact_max (3): the estimate (SQLite, never
  // analyzed: max(id)), never less than 4.
  auto r = c.get("/v1/users", {{"Prefer", "count=estimated"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("preference-applied"), "count=estimated");
  const auto range = r.header("content-range");
  ASSERT_EQ(range.rfind("0-1/", 0), 0u) << range;
  EXPECT_GE(std::stoll(range.substr(4)), 4);
  // Filtered to fewer rows than the threshold: exact again.
  EXPECT_EQ(c.get("/v1/users?email=eq.l2@limits.test", {{"Prefer", "count=estimated"}})
                .header("content-range"),
            "0-0/1");
}

}  // namespace
}  // namespace sluice::testing

// The POST → queue → subscriber → store → GET loop, through the real binary.

#include <algorithm>

#include "support/fixtures.hpp"
#include "support/page_walk.hpp"

namespace sluice::testing {
namespace {

namespace json = boost::json;

class api : public served_suite {};

TEST_F(api, post_then_get_returns_the_row) {
  http_client c(port());
  auto posted = c.post("/v1/users", user_json("Ada Lovelace", "ada@loop.test"));
  ASSERT_EQ(posted.status, 202) << posted.body;
  auto ack = parse_json(posted.body).as_object();
  std::string id(ack.at("id").as_string());
  EXPECT_EQ(posted.header("location"), "/v1/messages/" + id);
  EXPECT_FALSE(posted.header("traceparent").empty());

  ASSERT_TRUE(eventually([&] {
    auto st = c.get("/v1/messages/" + id);
    return st.status == 200 && parse_json(st.body).at("status") == "stored";
  }));
  auto page = c.get("/v1/users?email=eq.ada@loop.test");
  ASSERT_EQ(page.status, 200);
  auto rows = parse_json(page.body).as_array();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("name"), "Ada Lovelace");
  EXPECT_EQ(rows[0].at("message_id"), id.c_str());

  auto status = parse_json(c.get("/v1/messages/" + id).body);
  std::string row_url(status.at("row_url").as_string());
  auto one = c.get(row_url);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(parse_json(one.body).at("email"), "ada@loop.test");
}

TEST_F(api, prefer_wait_answers_201_with_the_committed_row) {
  http_client c(port());
  auto r = c.post("/v1/users", user_json("Grace", "grace@wait.test"), {{"Prefer", "wait=10"}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto row = parse_json(r.body);
  EXPECT_EQ(row.at("email"), "grace@wait.test");
  EXPECT_EQ(r.header("location"), "/v1/users/" + std::to_string(row.at("id").as_int64()));
  // Read-your-writes: the row is there for the next GET.
  auto page = c.get("/v1/users?email=eq.grace@wait.test");
  EXPECT_EQ(parse_json(page.body).as_array().size(), 1u);
}

TEST_F(api, array_and_ndjson_bodies_publish_every_record) {
  http_client c(port());
  auto r = c.post("/v1/users",
                  "[" + user_json("A", "a1@batch.test") + "," + user_json("B", "b1@batch.test") + "]",
                  {{"Prefer", "wait=10"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(parse_json(r.body).as_array().size(), 2u);

  auto nd = c.post("/v1/users",
                   user_json("C", "c1@batch.test") + "\n" + user_json("D", "d1@batch.test") + "\n",
                   {{"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(nd.status, 202) << nd.body;
  auto acks = parse_json(nd.body).as_array();
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_TRUE(eventually([&] { return count_rows("email LIKE '%@batch.test'") == 4; }));
}

TEST_F(api, keyset_pages_follow_the_link_header_in_both_orders) {
  http_client c(port());
  std::string body = "[";
  for (int i = 0; i < 7; ++i) body += (i ? "," : "") + user_json("P" + std::to_string(i), "p" + std::to_string(i) + "@page.test");
  body += "]";
  ASSERT_EQ(c.post("/v1/users", body, {{"Prefer", "wait=10"}}).status, 201);

  for (std::string order : {"id.asc", "id.desc"}) {
    std::vector<std::int64_t> ids;
    std::string next = "/v1/users?limit=3&order=" + order;
    for (int guard = 0; guard < 100 && !next.empty(); ++guard) {
      auto page = c.get(next);
      ASSERT_EQ(page.status, 200) << page.body;
      auto rows = parse_json(page.body);
      for (const auto& row : rows.as_array()) {
        if (std::string(row.at("email").as_string()).ends_with("@page.test")) {
          ids.push_back(row.at("id").as_int64());
        }
      }
      next = link_target(page.header("link"), "next");
    }
    ASSERT_EQ(ids.size(), 7u) << order;
    EXPECT_TRUE(order == "id.asc" ? std::is_sorted(ids.begin(), ids.end())
                                  : std::is_sorted(ids.rbegin(), ids.rend()));
  }
}

// Issue 14: operators, groups, select and order over HTTP, with the Link
// header's signed cursor for a field order.
TEST_F(api, operators_groups_select_and_order_on_an_indexed_field) {
  http_client c(port());
  std::string body = "[";
  for (int i = 0; i < 5; ++i) {
    body += (i ? "," : "") + user_json("Q" + std::to_string(i), "q" + std::to_string(4 - i) + "@ops.test");
  }
  body += "," + user_json("Other", "Q@OPS.test") + "]";
  ASSERT_EQ(c.post("/v1/users", body, {{"Prefer", "wait=10"}}).status, 201);
  auto names_of = [&](const std::string& target) {
    auto r = c.get(target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    std::vector<std::string> out;
    if (r.status != 200) return out;
    const auto rows = parse_json(r.body);
    for (const auto& row : rows.as_array()) out.emplace_back(row.at("name").as_string());
    return out;
  };
  using names = std::vector<std::string>;
  EXPECT_EQ(names_of("/v1/users?email=like.*@ops.test&name=in.(Q1,Q3,Other)"), (names{"Q1", "Q3"}));
  EXPECT_EQ(names_of("/v1/users?email=ilike.*@ops.test&name=not.like.Q*"), (names{"Other"}));
  EXPECT_EQ(names_of("/v1/users?or=(name.eq.Q0,email.eq.q0@ops.test)&email=like.*ops.test"),
            (names{"Q0", "Q4"}));
  EXPECT_EQ(names_of("/v1/users?email=ilike.*@ops.test&order=email.asc"),
            (names{"Other", "Q4", "Q3", "Q2", "Q1", "Q0"}));  // bytewise: 'Q' < 'q'
  // select: only those members.
  auto sel = c.get("/v1/users?select=name&email=eq.q2@ops.test");
  ASSERT_EQ(sel.status, 200) << sel.body;
  EXPECT_EQ(sel.body, R"([{"name":"Q2"}])");
  // Pages ordered by email, descending, through the Link header's cursor.
  names got;
  std::string next = "/v1/users?limit=2&order=email.desc&email=ilike.*@ops.test&select=name";
  for (int guard = 0; guard < 10 && !next.empty(); ++guard) {
    auto page = c.get(next);
    ASSERT_EQ(page.status, 200) << next << ": " << page.body;
    const auto rows = parse_json(page.body);
    for (const auto& row : rows.as_array()) got.emplace_back(row.at("name").as_string());
    next = link_target(page.header("link"), "next");
    if (!next.empty()) {
      EXPECT_NE(next.find("&cursor="), std::string::npos) << next;
    }
  }
  EXPECT_EQ(got, (names{"Q0", "Q1", "Q2", "Q3", "Q4", "Other"}));
  // A cursor altered by the client is refused.
  auto first = c.get("/v1/users?limit=2&order=email.desc&email=like.*@ops.test");
  std::string link = first.header("link");
  ASSERT_FALSE(link.empty());
  std::string target = link.substr(1, link.find('>') - 1);
  auto at = target.find("&cursor=") + 8;
  target[at] = target[at] == 'A' ? 'B' : 'A';
  auto tampered = c.get(target);
  EXPECT_EQ(tampered.status, 400) << tampered.body;
  EXPECT_NE(tampered.body.find("cursor"), std::string::npos) << tampered.body;
}

// Issue 14: keyset pages in both directions. Every next page links back
// (rel="prev") to the page before it, read backwards from its first row:
// walking next to the end and prev back to the start gives the same pages,
// in id and field orders, ascending and descending, with a filter and a
// select. A prev cursor altered by the client is a 400 problem.
TEST_F(api, prev_links_walk_back_through_the_same_pages) {
  http_client c(port());
  ASSERT_EQ(post_walk_rows(c), 201);
  for (const char* order : {"id.asc", "id.desc", "email.asc", "email.desc"}) {
    for (const char* limit : {"2", "3"}) {
      auto bodies = expect_prev_walks_back(
          c, std::string("/v1/users?limit=") + limit + "&order=" + order +
                 "&email=like.*@walk.test&select=id,name,email");
      std::size_t rows = 0;
      for (const auto& b : bodies) rows += parse_json(b).as_array().size();
      EXPECT_EQ(rows, 7u) << order << " limit " << limit;
    }
  }
  // The first page has no prev; a page past a position has.
  auto first = c.get("/v1/users?limit=3&email=like.*@walk.test");
  EXPECT_EQ(link_target(first.header("link"), "prev"), "");
  auto second = c.get(link_target(first.header("link"), "next"));
  std::string prev = link_target(second.header("link"), "prev");
  ASSERT_FALSE(prev.empty()) << second.header("link");
  EXPECT_NE(prev.find("&cursor="), std::string::npos) << prev;
  // Counted, a prev page is where it is in the whole result.
  auto counted = c.get(prev, {{"Prefer", "count=exact"}});
  EXPECT_EQ(counted.header("content-range"), "0-2/7");
  auto third = c.get(link_target(second.header("link"), "next"), {{"Prefer", "count=exact"}});
  EXPECT_EQ(third.header("content-range"), "6-6/7");
  auto back_to_second =
      c.get(link_target(third.header("link"), "prev"), {{"Prefer", "count=exact"}});
  EXPECT_EQ(back_to_second.header("content-range"), "3-5/7");
  auto at = prev.find("&cursor=") + 8;
  prev[at] = prev[at] == 'A' ? 'B' : 'A';
  auto tampered = c.get(prev);
  EXPECT_EQ(tampered.status, 400) << tampered.body;
  EXPECT_EQ(tampered.header("content-type"), "application/problem+json");
  EXPECT_NE(tampered.body.find("cursor"), std::string::npos) << tampered.body;
}

TEST_F(api, etag_and_if_none_match_give_304) {
  http_client c(port());
  ASSERT_EQ(c.post("/v1/users", user_json("E", "e@etag.test"), {{"Prefer", "wait=10"}}).status, 201);
  auto first = c.get("/v1/users?email=eq.e@etag.test");
  std::string etag = first.header("etag");
  ASSERT_FALSE(etag.empty());
  auto again = c.get("/v1/users?email=eq.e@etag.test", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
}

// Issue 11 #17: one row revalidates like a page (ETag, If-None-Match, Cache-Control).
TEST_F(api, one_row_honours_if_none_match_and_sends_cache_control) {
  http_client c(port());
  auto posted = c.post("/v1/users", user_json("R", "r@etag.test"), {{"Prefer", "wait=10"}});
  ASSERT_EQ(posted.status, 201) << posted.body;
  std::string url(posted.header("location"));
  ASSERT_FALSE(url.empty());
  auto first = c.get(url);
  ASSERT_EQ(first.status, 200);
  std::string etag = first.header("etag");
  ASSERT_FALSE(etag.empty());
  auto page = c.get("/v1/users?email=eq.r@etag.test");
  EXPECT_FALSE(first.header("cache-control").empty());
  EXPECT_EQ(first.header("cache-control"), page.header("cache-control"));
  for (const std::string& inm : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    auto again = c.get(url, {{"If-None-Match", inm}});
    EXPECT_EQ(again.status, 304) << inm;
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(again.header("etag"), etag);
    EXPECT_EQ(again.header("cache-control"), first.header("cache-control"));
  }
  EXPECT_EQ(c.get(url, {{"If-None-Match", "\"other\""}}).status, 200);
}

TEST_F(api, messages_status_reports_unknown_ids_as_404) {
  http_client c(port());
  EXPECT_EQ(c.get("/v1/messages/01900000-0000-7000-8000-000000000000").status, 404);
  EXPECT_EQ(c.get("/v1/messages/not-a-uuid").status, 404);
  EXPECT_EQ(c.get("/v1/users/999999999").status, 404);
  EXPECT_EQ(c.get("/v1/users/abc").status, 404);
  EXPECT_EQ(c.get("/v1/nothing").status, 404);
}

TEST_F(api, head_sends_the_headers_of_get_without_the_body) {
  http_client c(port());
  auto get = c.get("/v1/users?limit=1");
  auto head = c.request("HEAD", "/v1/users?limit=1");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), std::to_string(get.body.size()));
  EXPECT_TRUE(head.body.empty());
  // The connection stays usable: no stray body bytes were sent.
  EXPECT_EQ(c.get("/healthz").status, 200);
}

TEST_F(api, wrong_methods_get_405_with_allow) {
  http_client c(port());
  auto r = c.request("DELETE", "/v1/users");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "GET, POST");
  EXPECT_EQ(c.request("POST", "/healthz").status, 405);
}

TEST_F(api, health_readiness_and_metrics) {
  http_client c(port());
  EXPECT_EQ(c.get("/healthz").status, 200);
  auto ready = c.get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  ASSERT_EQ(c.post("/v1/users", user_json("M", "m@metrics.test"), {{"Prefer", "wait=10"}}).status, 201);
  // The subscriber records its batch just after the commit the 201 waited for.
  const std::vector<std::string> names = {
      "http_server_request_duration_seconds_bucket", "http_server_active_requests",
      "sluice_published_messages_total", "sluice_deliveries_total", "sluice_sink_batch_rows",
      "sluice_end_to_end_duration_seconds", "sluice_build_info", "process_resident_memory_bytes",
      "sluice_cache_requests_total"};
  http_result m;
  eventually([&] {
    m = c.get("/metrics");
    return std::all_of(names.begin(), names.end(),
                       [&](const auto& n) { return m.body.find(n) != std::string::npos; });
  }, std::chrono::seconds(5));
  ASSERT_EQ(m.status, 200);
  for (const auto& name : names) EXPECT_NE(m.body.find(name), std::string::npos) << name;
}

TEST_F(api, traceparent_is_continued) {
  http_client c(port());
  std::string parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  auto r = c.post("/v1/users", user_json("T", "t@trace.test"), {{"traceparent", parent}});
  ASSERT_EQ(r.status, 202);
  EXPECT_EQ(r.header("traceparent").substr(0, 36), parent.substr(0, 36));
}

// Waits until message `id` is stored; `st` is then its status object.
bool stored_status(http_client& c, const std::string& id, json::object& st) {
  return eventually([&] {
    auto got = c.get("/v1/messages/" + id);
    if (got.status != 200) return false;
    st = parse_json(got.body).as_object();
    return st.at("status") == "stored";
  });
}

// Issue 18: the message status carries the trace id of the request that
// accepted the message — the caller's, continued from a valid traceparent.
TEST_F(api, message_status_carries_the_trace_id_of_the_accepting_request) {
  http_client c(port());
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto r = c.post("/v1/users", user_json("Tracy", "tracy@trace.test"),
                  {{"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}});
  ASSERT_EQ(r.status, 202) << r.body;
  json::object st;
  ASSERT_TRUE(stored_status(c, std::string(parse_json(r.body).at("id").as_string()), st));
  ASSERT_TRUE(st.contains("trace_id")) << json::serialize(st);
  EXPECT_EQ(st.at("trace_id"), trace.c_str());
  // The row's JSON does not grow a trace_id member.
  auto row = parse_json(c.get(std::string(st.at("row_url").as_string())).body).as_object();
  EXPECT_FALSE(row.contains("trace_id"));
}

// A malformed traceparent is not continued (still 202, as before): the server
// starts a trace, names it in the answer's traceparent, and the status
// carries that one — nothing of the malformed header.
TEST_F(api, a_malformed_traceparent_gives_the_status_the_trace_the_server_started) {
  http_client c(port());
  const std::string bad_trace = "zzf92f3577b34da6a3ce929d0e0e4736";
  auto r = c.post("/v1/users", user_json("Mal", "mal@trace.test"),
                  {{"traceparent", "00-" + bad_trace + "-00f067aa0ba902b7-01"}});
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string answered = r.header("traceparent");
  ASSERT_EQ(answered.size(), 55u) << answered;
  const std::string started = answered.substr(3, 32);
  json::object st;
  ASSERT_TRUE(stored_status(c, std::string(parse_json(r.body).at("id").as_string()), st));
  ASSERT_TRUE(st.contains("trace_id")) << json::serialize(st);
  EXPECT_EQ(st.at("trace_id"), started.c_str());
  EXPECT_NE(started, bad_trace);
}

}  // namespace
}  // namespace sluice::testing

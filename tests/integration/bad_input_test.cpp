// Every class of bad input gets its 4xx as application/problem+json, and
// changes nothing: no message is published, no row appears.

#include "support/fixtures.hpp"

namespace sluice::testing {
namespace {

class bad_input : public served_suite {
 protected:
  // Asserts a problem+json answer with `status`, and (optionally) a field pointer.
  static void expect_problem(const http_result& r, int status, const std::string& pointer = "") {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << r.body;
    if (r.body.empty()) return;
    auto p = parse_json(r.body).as_object();
    EXPECT_EQ(p.at("status").as_int64(), status);
    EXPECT_FALSE(p.at("detail").as_string().empty());
    if (!pointer.empty()) {
      bool found = false;
      for (const auto& e : p.at("errors").as_array()) found = found || e.at("pointer") == pointer.c_str();
      EXPECT_TRUE(found) << "no error at " << pointer << " in " << r.body;
    }
  }

  // After the bad requests, a good one round-trips and no bad row exists.
  void TearDown() override {
    http_client c(port());
    auto ok = c.post("/v1/users", user_json("Barrier", "barrier@ok.test"), {{"Prefer", "wait=10"}});
    ASSERT_EQ(ok.status, 201) << ok.body;
    EXPECT_EQ(count_rows("email LIKE '%bad.test%' OR name LIKE 'bad%'"), 0);
    EXPECT_EQ(sqlite_int(proc_->store_path(), "SELECT count(*) FROM sluice_dead_letters"), 0);
  }
};

TEST_F(bad_input, malformed_json_is_400) {
  http_client c(port());
  expect_problem(c.post("/v1/users", R"({"name":"bad","email":"x@bad.test")"), 400);
  expect_problem(c.post("/v1/users", "nonsense"), 400);
  expect_problem(c.post("/v1/users", ""), 400);
}

TEST_F(bad_input, invalid_utf8_is_400) {
  http_client c(port());
  expect_problem(c.post("/v1/users", "{\"name\":\"bad\xff\xfe\",\"email\":\"u@bad.test\"}"), 400);
}

// Issue 11 #19: a key twice in one record is refused, naming the key.
TEST_F(bad_input, duplicate_keys_are_400_naming_the_key) {
  http_client c(port());
  for (const char* body : {R"({"name":"bad","name":"bad2","email":"d@bad.test"})",
                           R"([{"name":"bad","email":"d@bad.test","name":"bad2"}])"}) {
    auto r = c.post("/v1/users", body);
    expect_problem(r, 400);
    EXPECT_NE(r.body.find("duplicate key \\\"name\\\""), std::string::npos) << r.body;
  }
  auto nd = c.post("/v1/users", "{\"name\":\"bad\",\"email\":\"d@bad.test\"}\n"
                                "{\"email\":\"e@bad.test\",\"email\":\"f@bad.test\"}\n",
                   {{"Content-Type", "application/x-ndjson"}});
  expect_problem(nd, 400);
  EXPECT_NE(nd.body.find("line 2"), std::string::npos) << nd.body;
}

TEST_F(bad_input, json_nested_too_deep_is_400) {
  http_client c(port());
  std::string deep(100, '[');
  deep += std::string(100, ']');
  expect_problem(c.post("/v1/users", deep), 400);
}

TEST_F(bad_input, body_over_the_limit_is_413) {
  http_client c(port());
  std::string big = R"({"name":")" + std::string(2 * 1024 * 1024, 'a') + R"(","email":"big@bad.test"})";
  expect_problem(c.post("/v1/users", big), 413);
}

TEST_F(bad_input, too_many_records_is_413) {
  http_client c(port());
  std::string body = "[";
  for (int i = 0; i < 1001; ++i) body += (i ? "," : "") + user_json("bad", "n@bad.test");
  expect_problem(c.post("/v1/users", body + "]"), 413);
}

TEST_F(bad_input, missing_or_wrong_content_type_is_415) {
  http_client c(port());
  std::string body = user_json("bad", "ct@bad.test");
  expect_problem(c.request("POST", "/v1/users", body), 415);
  expect_problem(c.post("/v1/users", body, {{"Content-Type", "text/plain"}}), 415);
  expect_problem(c.post("/v1/users", body, {{"Content-Type", "application/json; charset=latin1"}}), 415);
}

TEST_F(bad_input, headers_over_the_limit_are_431) {
  http_client c(port());
  expect_problem(c.get("/v1/users", {{"X-Filler", std::string(10 * 1024, 'h')}}), 431);
}

TEST_F(bad_input, unparseable_http_is_400) {
  http_client c(port());
  auto r = c.raw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(r.status, 400);
}

TEST_F(bad_input, validation_failures_are_422_with_pointers) {
  http_client c(port());
  expect_problem(c.post("/v1/users", R"({"name":"bad","email":"u@bad.test","admin":true})"), 422, "/admin");
  expect_problem(c.post("/v1/users", R"({"name":"bad"})"), 422, "/email");
  expect_problem(c.post("/v1/users", R"({"name":42,"email":"u@bad.test"})"), 422, "/name");
  expect_problem(c.post("/v1/users", R"({"name":"","email":"u@bad.test"})"), 422, "/name");
  expect_problem(c.post("/v1/users", R"({"name":")" + std::string(201, 'x') + R"(","email":"u@bad.test"})"), 422, "/name");
  expect_problem(c.post("/v1/users", R"({"name":"bad","email":"not-an-email"})"), 422, "/email");
  expect_problem(c.post("/v1/users", R"({"name":"bad","email":null})"), 422, "/email");
  expect_problem(c.post("/v1/users", "[]"), 422);
  expect_problem(c.post("/v1/users", "42"), 422);
  expect_problem(c.post("/v1/users", "[" + user_json("bad", "ok@bad.test") + R"(,{"name":"bad","email":"nope"}])"), 422, "/1/email");
}

TEST_F(bad_input, invalid_idempotency_key_is_400) {
  http_client c(port());
  expect_problem(c.post("/v1/users", user_json("bad", "k@bad.test"), {{"Idempotency-Key", std::string(300, 'k')}}), 400);
}

TEST_F(bad_input, bad_query_parameters_are_400) {
  http_client c(port());
  // One of each class (tests/unit/list_query_test.cpp has them all): a
  // bad limit, an order on a field without an index, a bad position or
  // cursor, an unknown field, operator or column, a bad literal, a
  // malformed or nested group, like on a non-text field, a duplicate.
  for (const char* q : {"limit=0", "limit=1001", "limit=abc", "order=name.asc", "after=x",
                        "order=email&after=3", "cursor=x.y", "colour=eq.red", "email=foo.x",
                        "id=eq.abc", "id=like.1*", "id=in.()", "email=is.true",
                        "or=(id.lt.3", "or=(id.lt.3,and(id.eq.1,id.eq.2))", "select=nope",
                        "limit=1&limit=2", "email"}) {
    auto r = c.get(std::string("/v1/users?") + q);
    EXPECT_EQ(r.status, 400) << q << ": " << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << q;
    EXPECT_NE(r.body.find("\"pointer\""), std::string::npos) << q << ": " << r.body;
  }
  // The refusal names the parameter and what is wrong.
  auto order = c.get("/v1/users?order=name.asc");
  EXPECT_NE(order.body.find("can order by id, email"), std::string::npos) << order.body;
}

// Each filter shape is a statement the store prepares: their number is bounded.
TEST_F(bad_input, more_filters_than_the_maximum_is_400) {
  http_client c(port());
  std::string sixteen;
  for (int i = 0; i < 16; ++i) sixteen += "&name=eq.n" + std::to_string(i);
  EXPECT_EQ(c.get("/v1/users?limit=1" + sixteen).status, 200);
  auto r = c.get("/v1/users?limit=1" + sixteen + "&email=eq.x@y.test");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  EXPECT_NE(r.body.find("too many filters"), std::string::npos) << r.body;
}

// Issue 11 #18: a parameter name that is not UTF-8 is not echoed raw; every
// problem body parses as (UTF-8-validating) JSON.
TEST_F(bad_input, invalid_utf8_in_a_parameter_name_gives_a_valid_json_body) {
  http_client c(port());
  for (const char* q : {"%FF%FE=eq.x", "na%C3me=eq.x", "%ED%A0%80=eq.x", "a%F4%90%80%80=1"}) {
    auto r = c.get(std::string("/v1/users?") + q);
    expect_problem(r, 400);
    boost::system::error_code ec;
    auto v = boost::json::parse(r.body, ec);
    EXPECT_FALSE(ec) << q << ": " << r.body;
  }
}

}  // namespace
}  // namespace sluice::testing

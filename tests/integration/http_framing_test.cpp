// HTTP framing and limits (issue 11 items 1, 3, 4), driven over raw sockets:
// a request whose framing cannot be trusted is answered once as problem+json
// and the connection closed, so bytes after it are never run as a request;
// a request that stalls mid-way gets 408 after read_timeout_ms.

#include "support/fixtures.hpp"
#include "support/raw_socket.hpp"

namespace sluice::testing {
namespace {

class http_framing : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir();
    // The idle timeout stays long: a stalled request must get 408 from
    // read_timeout_ms, not a silent close from the idle timeout.
    proc_ = new sluice_process("serve", default_config(), dir_->path(),
                               {{"SLUICE_LOG_ACCESS_LOG", "false"},
                                {"SLUICE_HTTP_READ_TIMEOUT_MS", "300"},
                                {"SLUICE_HTTP_IDLE_TIMEOUT_MS", "60000"},
                                {"SLUICE_HTTP_QUERY_LIMIT", "100"}});
    ASSERT_TRUE(proc_->start()) << proc_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(proc_->stop(), 0) << proc_->log();
    delete proc_;
    delete dir_;
  }

  // After the bad requests, a good one round-trips and no smuggled row exists.
  void TearDown() override {
    http_client c(proc_->port());
    auto ok = c.post("/v1/users", user_json("Barrier", "barrier@ok.test"), {{"Prefer", "wait=10"}});
    ASSERT_EQ(ok.status, 201) << ok.body;
    EXPECT_EQ(sqlite_int(proc_->store_path(), "SELECT count(*) FROM users WHERE email LIKE '%smuggled%'"), 0);
  }

  // Sends `bytes` on a fresh connection; returns everything until the server
  // closes (at most 10 s without a byte), requiring that it did close.
  static std::string exchange(const std::string& bytes) {
    raw_socket s(proc_->port());
    EXPECT_TRUE(s.connected());
    s.send(bytes);
    bool closed = false;
    auto out = s.read_until_close(10'000, closed);
    EXPECT_TRUE(closed) << "the connection stayed open after: " << out;
    return out;
  }

  static std::string smuggled_request() {
    std::string body = user_json("smuggled", "x@smuggled.test");
    return "POST /v1/users HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  static std::string post_head(const std::string& extra) {
    return "POST /v1/users HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" + extra;
  }

  static inline temp_dir* dir_ = nullptr;
  static inline sluice_process* proc_ = nullptr;
};

// #1: a body whose framing is not a final `chunked` is never run as a request.
TEST_F(http_framing, transfer_encoding_other_than_final_chunked_is_refused_and_closed) {
  const auto next = smuggled_request();
  EXPECT_EQ(statuses(exchange(post_head("Transfer-Encoding: gzip\r\n\r\n") + next)), "400");
  EXPECT_EQ(statuses(exchange(post_head("Transfer-Encoding: identity\r\n\r\n") + next)), "400");
  EXPECT_EQ(statuses(exchange(post_head("Transfer-Encoding: chunked, gzip\r\n\r\n") + next)), "400");
  EXPECT_EQ(statuses(exchange(post_head("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n") + next)),
            "400");
  EXPECT_EQ(statuses(exchange(post_head("Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n") + next)), "501");
  EXPECT_EQ(statuses(exchange(post_head("Transfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n") + next)), "501");
}

TEST_F(http_framing, transfer_encoding_with_content_length_is_refused_and_closed) {
  const auto next = smuggled_request();
  auto out = exchange(post_head("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") + next);
  EXPECT_EQ(statuses(out), "400");
  EXPECT_NE(out.find("application/problem+json"), std::string::npos) << out;
}

TEST_F(http_framing, plain_chunked_body_still_works) {
  std::string body = user_json("chunky", "chunky@ok.test");
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  raw_socket s(proc_->port());
  s.send(post_head("Transfer-Encoding: chunked\r\n\r\n") + size + "\r\n" + body + "\r\n0\r\n\r\n");
  EXPECT_EQ(statuses(s.read_response(10'000)), "202");
}

// #3: read_timeout_ms bounds the whole request once its first byte arrived.
TEST_F(http_framing, partial_headers_get_408_then_close) {
  auto out = exchange("GET /healthz HTTP/1.1\r\nHost: t\r\n");
  EXPECT_EQ(statuses(out), "408") << out;
}

TEST_F(http_framing, body_shorter_than_content_length_gets_408_then_close) {
  auto out = exchange(post_head("Content-Length: 100\r\n\r\n{\"name\":"));
  EXPECT_EQ(statuses(out), "408") << out;
}

TEST_F(http_framing, chunk_larger_than_its_data_gets_408_then_close) {
  auto out = exchange(post_head("Transfer-Encoding: chunked\r\n\r\n64\r\n{\"name\":"));
  EXPECT_EQ(statuses(out), "408") << out;
}

TEST_F(http_framing, idle_connection_is_not_answered_408) {
  // Nothing sent: only the (long) idle timeout applies, so nothing comes back.
  raw_socket s(proc_->port());
  bool closed = false;
  auto out = s.read_until_close(1'000, closed);
  EXPECT_TRUE(out.empty()) << out;
  EXPECT_FALSE(closed);
}

// #4: Host, target forms, query length, Content-Encoding.
TEST_F(http_framing, missing_or_duplicate_host_is_400) {
  EXPECT_EQ(statuses(exchange("GET /healthz HTTP/1.1\r\n\r\n")), "400");
  EXPECT_EQ(statuses(exchange("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")), "400");
  raw_socket s(proc_->port());  // HTTP/1.0 needs no Host
  s.send("GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(statuses(s.read_response(10'000)), "200");
}

TEST_F(http_framing, absolute_form_target_is_served_as_its_path) {
  raw_socket s(proc_->port());
  s.send("GET http://t/healthz HTTP/1.1\r\nHost: t\r\n\r\nGET HTTP://t:80/v1/users?limit=1 HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(statuses(s.read_response(10'000)), "200");
  EXPECT_EQ(statuses(s.read_response(10'000)), "200");
}

TEST_F(http_framing, query_over_the_limit_is_414) {
  auto out = exchange("GET /v1/users?name=eq." + std::string(200, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(statuses(out), "414") << out;
  http_client c(proc_->port());
  EXPECT_EQ(c.get("/v1/users?name=eq.short").status, 200);
}

TEST_F(http_framing, content_encoding_other_than_identity_is_415) {
  http_client c(proc_->port());
  auto body = user_json("smuggled", "gz@smuggled.test");
  auto r = c.post("/v1/users", body, {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 415) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  EXPECT_NE(r.body.find("identity"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("accept-encoding"), "identity");
  http_client d(proc_->port());
  EXPECT_EQ(d.post("/v1/users", user_json("ident", "ident@ok.test"), {{"Content-Type", "application/json"},
                                                                       {"Content-Encoding", "identity"}})
                .status,
            202);
}

}  // namespace
}  // namespace sluice::testing

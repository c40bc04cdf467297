// http/wire: the bytes of an answer. The integration suites (http_framing,
// security_headers, api) check the same answers on a real connection.

#include "http/wire.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sluice::http {
namespace {

response answer(unsigned status, std::string body = {}) {
  response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(wire, an_answer_is_status_line_server_headers_length_and_body) {
  auto r = answer(202, R"({"id":"x"})");
  r.set("Content-Type", "application/json");
  r.set("Location", "/v1/messages/x");
  EXPECT_EQ(serialize(r, {}),
            "HTTP/1.1 202 Accepted\r\n"
            "Server: sluice\r\n"
            "Content-Type: application/json\r\n"
            "Location: /v1/messages/x\r\n"
            "Content-Length: 10\r\n"
            "\r\n"
            R"({"id":"x"})");
}

TEST(wire, the_connection_field_follows_the_version_and_keep_alive) {
  const auto r = answer(200, "ok");
  EXPECT_NE(serialize(r, {.version = 11, .keep_alive = false}).find("\r\nConnection: close\r\n"),
            std::string::npos);
  EXPECT_EQ(serialize(r, {.version = 11, .keep_alive = true}).find("Connection"),
            std::string::npos);
  const auto old = serialize(r, {.version = 10, .keep_alive = true});
  EXPECT_TRUE(old.starts_with("HTTP/1.0 200 OK\r\n"));
  EXPECT_NE(old.find("\r\nConnection: keep-alive\r\n"), std::string::npos);
  EXPECT_EQ(serialize(r, {.version = 10, .keep_alive = false}).find("Connection"),
            std::string::npos);
}

TEST(wire, head_sends_the_length_of_the_body_it_leaves_out) {
  const auto bytes = serialize(answer(200, "12345"), {.head = true});
  EXPECT_NE(bytes.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_TRUE(bytes.ends_with("\r\n\r\n"));
}

TEST(wire, no_content_and_not_modified_carry_no_length_and_no_body) {
  for (unsigned status : {204u, 304u}) {
    const auto bytes = serialize(answer(status, "ignored"), {});
    SCOPED_TRACE(bytes);
    EXPECT_EQ(bytes.find("Content-Length"), std::string::npos);
    EXPECT_TRUE(bytes.ends_with("\r\n\r\n"));
  }
  EXPECT_TRUE(serialize(answer(304), {}).starts_with("HTTP/1.1 304 Not Modified\r\n"));
}

TEST(wire, the_server_owns_the_framing_fields) {
  auto r = answer(200, "abc");
  r.set("content-length", "999");
  r.set("Transfer-Encoding", "chunked");
  r.set("Connection", "upgrade");
  const auto bytes = serialize(r, {});
  EXPECT_EQ(bytes.find("999"), std::string::npos);
  EXPECT_EQ(bytes.find("chunked"), std::string::npos);
  EXPECT_EQ(bytes.find("upgrade"), std::string::npos);
  EXPECT_NE(bytes.find("Content-Length: 3\r\n"), std::string::npos);
}

TEST(wire, a_field_that_would_split_the_answer_is_not_written) {
  auto r = answer(200, "ok");
  r.set("Location", "/a\r\nSet-Cookie: stolen=1");
  r.set("X-Bad\nName", "v");
  r.set("X-Nul", std::string("a\0b", 3));
  r.set("X-Good", "kept");
  const auto bytes = serialize(r, {});
  EXPECT_EQ(bytes.find("stolen"), std::string::npos);
  EXPECT_EQ(bytes.find("X-Bad"), std::string::npos);
  EXPECT_EQ(bytes.find("X-Nul"), std::string::npos);
  EXPECT_NE(bytes.find("\r\nX-Good: kept\r\n"), std::string::npos);
}

TEST(wire, an_unusual_status_still_has_a_reason_phrase) {
  EXPECT_TRUE(serialize(answer(429), {}).starts_with("HTTP/1.1 429 Too Many Requests\r\n"));
  EXPECT_TRUE(serialize(answer(599), {}).starts_with("HTTP/1.1 599 "));
}

}  // namespace
}  // namespace sluice::http

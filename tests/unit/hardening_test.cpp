// Issue 12 "Hardening defaults": the security headers every answer gets, the
// no-store and `instance` of error answers (http/hardening), and errors that
// never carry a store's own words (api/errors). Table-driven, no server; the
// integration suite (hardening_test) checks the same on the wire.

#include "http/hardening.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <string>

#include "api/errors.hpp"
#include "http/problem.hpp"
#include "store/store.hpp"

namespace sluice::http {
namespace {

std::string header(const response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<none>";
}

int count(const response& r, std::string_view name) {
  int n = 0;
  for (const auto& h : r.headers) n += h.first == name ? 1 : 0;
  return n;
}

observe::trace_context a_trace() {
  return {"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "01"};
}

TEST(hardening, every_answer_gets_the_security_headers) {
  response ok;
  ok.set("Content-Type", "application/json");
  ok.body = "{}";
  harden(ok, a_trace());
  EXPECT_EQ(header(ok, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(ok, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(header(ok, "X-Frame-Options"), "DENY");
  EXPECT_EQ(header(ok, "Content-Security-Policy"), "default-src 'none'; frame-ancestors 'none'");
  // A success decides its own caching (GET pages carry cache.control).
  EXPECT_EQ(header(ok, "Cache-Control"), "<none>");
  EXPECT_EQ(ok.body, "{}");
}

TEST(hardening, an_error_is_not_stored_and_names_its_request) {
  auto p = problem(422, "bad");
  harden(p, a_trace());
  EXPECT_EQ(header(p, "Cache-Control"), "no-store");
  EXPECT_EQ(header(p, "X-Content-Type-Options"), "nosniff");
  auto body = boost::json::parse(p.body).as_object();
  EXPECT_EQ(body.at("instance").as_string(),
            "urn:sluice:request:4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7");
  EXPECT_EQ(body.at("status").as_int64(), 422);
  EXPECT_EQ(body.at("detail").as_string(), "bad");
}

TEST(hardening, what_the_answer_set_itself_stays) {
  auto p = problem(503, "later", {}, {{"instance", "urn:x"}});
  p.set("Cache-Control", "max-age=5");
  p.set("X-Frame-Options", "SAMEORIGIN");
  harden(p, a_trace());
  EXPECT_EQ(count(p, "Cache-Control"), 1);
  EXPECT_EQ(header(p, "Cache-Control"), "max-age=5");
  EXPECT_EQ(count(p, "X-Frame-Options"), 1);
  EXPECT_EQ(boost::json::parse(p.body).as_object().at("instance").as_string(), "urn:x");
  // Applied twice (e.g. a refused request) it adds nothing more.
  harden(p, a_trace());
  EXPECT_EQ(count(p, "X-Content-Type-Options"), 1);
}

// An error category whose messages are what a database driver would say.
class chatty_category : public std::error_category {
 public:
  const char* name() const noexcept override { return "chatty"; }
  std::string message(int) const override {
    return "ERROR: syntax error at or near \"FROM\" in SELECT password FROM users WHERE id = 1\n"
           "#0 0x7f00 in sluice::store::query() store.cpp:42";
  }
};

TEST(hardening, a_store_error_text_never_reaches_the_body) {
  static const chatty_category chatty;
  const std::error_code cases[] = {std::error_code(7, chatty),
                                   store::make_error_code(store::errc::unavailable),
                                   store::make_error_code(store::errc::bad_query),
                                   store::make_error_code(store::errc::unknown_table),
                                   store::make_error_code(store::errc::unsupported)};
  for (const auto& ec : cases) {
    auto r = api::error_response(ec);
    harden(r, a_trace());
    SCOPED_TRACE(ec.message());
    EXPECT_GE(r.status, 400u);
    for (const char* leak : {"SELECT", "FROM", "syntax", "store.cpp", "#0", "password",
                             "unknown table", "not supported"}) {
      EXPECT_EQ(r.body.find(leak), std::string::npos) << leak << " in " << r.body;
    }
    EXPECT_EQ(header(r, "Cache-Control"), "no-store");
  }
}

}  // namespace
}  // namespace sluice::http

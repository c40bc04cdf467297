// The console's file answers (issue 18): gzip only when accepted, 304 on a
// matching If-None-Match, immutable caching only under the current version,
// the CSP on every answer, nothing but the embedded files.

#include <gtest/gtest.h>

#include <string>

#include "console/assets.hpp"
#include "console/serve.hpp"

namespace sluice::console {
namespace {

std::string header(const http::response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<none>";
}

http::request get(std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::request req;
  req.method = "GET";
  req.target = "/console";
  req.headers = std::move(headers);
  return req;
}

TEST(console_serve, the_page_names_its_assets_under_the_version) {
  auto r = page(get());
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(header(r, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(r, "Content-Security-Policy"), std::string(k_csp));
  EXPECT_EQ(header(r, "Content-Encoding"), "<none>");
  EXPECT_NE(r.body.find("/console/" + std::string(version()) + "/app.js"), std::string::npos);
  EXPECT_EQ(r.body.find("@CONSOLE_VERSION@"), std::string::npos);
}

TEST(console_serve, gzip_only_when_the_client_accepts_it) {
  const struct {
    const char* accept;
    bool gzip;
  } cases[] = {{"gzip", true},        {"br, gzip;q=0.5", true}, {"*", true},         {"GZIP", true},
               {"gzip;q=0", false},   {"gzip; q=0.000", false}, {"identity", false}, {"", false},
               {"deflate, br", false}};
  for (const auto& c : cases) {
    auto r = file(get({{"accept-encoding", c.accept}}), version(), "app.js");
    ASSERT_EQ(r.status, 200u) << c.accept;
    EXPECT_EQ(header(r, "Content-Encoding"), c.gzip ? "gzip" : "<none>") << c.accept;
    EXPECT_EQ(header(r, "Vary"), "Accept-Encoding");
    EXPECT_EQ(r.body.substr(0, 2) == "\x1f\x8b", c.gzip) << c.accept;
  }
}

TEST(console_serve, etag_revalidates_and_versions_decide_caching) {
  auto first = file(get(), version(), "style.css");
  ASSERT_EQ(first.status, 200u);
  EXPECT_EQ(header(first, "Cache-Control"), "public, max-age=31536000, immutable");
  const auto etag = header(first, "ETag");
  ASSERT_EQ(etag.front(), '"');
  for (const auto& inm : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    auto again = file(get({{"if-none-match", inm}}), version(), "style.css");
    EXPECT_EQ(again.status, 304u) << inm;
    EXPECT_TRUE(again.body.empty());
  }
  EXPECT_EQ(file(get({{"if-none-match", "\"other\""}}), version(), "style.css").status, 200u);
  // An old page's path gets today's bytes, never cached for good.
  EXPECT_EQ(header(file(get(), "0123456789ab", "style.css"), "Cache-Control"), "no-cache");
}

TEST(console_serve, only_embedded_files_and_never_the_page_under_a_version) {
  EXPECT_EQ(file(get(), version(), "nope.js").status, 404u);
  EXPECT_EQ(file(get(), version(), "index.html").status, 404u);
  EXPECT_EQ(file(get(), version(), "../CMakeLists.txt").status, 404u);
  for (const auto& a : assets()) {
    EXPECT_FALSE(a.plain.empty()) << a.name;
    EXPECT_LT(a.gzip.size(), a.plain.size()) << a.name;
  }
}

}  // namespace
}  // namespace sluice::console

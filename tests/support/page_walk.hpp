#pragma once
// Keyset pages over HTTP in both directions (GET /v1/{resource}'s Link
// header): walk rel="next" from a first page to the end, then rel="prev"
// back, and hold the pages read backwards to the ones read forwards.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"

namespace sluice::testing {

// The target of `rel` in a Link header ("<a>; rel=\"next\", <b>; rel=\"prev\""), or "".
inline std::string link_target(const std::string& link, std::string_view rel) {
  const std::string mark = "; rel=\"" + std::string(rel) + "\"";
  const auto at = link.find(mark);
  if (at == std::string::npos) return "";
  const auto open = link.rfind('<', at);
  if (open == std::string::npos) return "";
  return link.substr(open + 1, link.find('>', open) - open - 1);
}

// POSTs (Prefer: wait) the rows the walks read: 7 users with emails
// "w<n>@walk.test" out of id order, and one the filter
// `email=like.*@walk.test` leaves out. Returns the POST's status.
inline int post_walk_rows(http_client& c) {
  std::string body = "[";
  for (int i = 0; i < 7; ++i) {
    body += (i ? "," : "") + user_json("W" + std::to_string(i),
                                       "w" + std::to_string((i * 3) % 7) + "@walk.test");
  }
  body += "," + user_json("Out", "out@elsewhere.test") + "]";
  return c.post("/v1/users", body, {{"Prefer", "wait=10"}}).status;
}

// Walks `first` (a page with no position) forwards to its last page that
// has rows, then backwards; each page read backwards must have the same body
// as the one read forwards, the first page no prev link. Returns the bodies
// of the forward pages.
inline std::vector<std::string> expect_prev_walks_back(http_client& c, const std::string& first) {
  std::vector<std::string> bodies, prevs;
  std::string next = first;
  for (int guard = 0; guard < 50 && !next.empty(); ++guard) {
    auto page = c.get(next);
    EXPECT_EQ(page.status, 200) << next << ": " << page.body;
    if (page.status != 200 || page.body == "[]") break;
    bodies.push_back(page.body);
    prevs.push_back(link_target(page.header("link"), "prev"));
    EXPECT_EQ(prevs.back().empty(), bodies.size() == 1) << next << ": " << page.header("link");
    next = link_target(page.header("link"), "next");
  }
  EXPECT_GE(bodies.size(), 2u) << first;
  std::string prev = prevs.empty() ? "" : prevs.back();
  for (std::size_t i = bodies.size() - 1; i-- > 0;) {
    EXPECT_FALSE(prev.empty()) << first << " page " << i;
    if (prev.empty()) break;
    auto page = c.get(prev);
    EXPECT_EQ(page.status, 200) << prev << ": " << page.body;
    EXPECT_EQ(page.body, bodies[i]) << first << " page " << i << " from " << prev;
    // A page read backwards links on to the page it came from.
    const std::string on = link_target(page.header("link"), "next");
    EXPECT_FALSE(on.empty()) << prev;
    if (!on.empty()) {
      EXPECT_EQ(c.get(on).body, bodies[i + 1]) << on;
    }
    prev = link_target(page.header("link"), "prev");
  }
  EXPECT_TRUE(prev.empty()) << first << ": the first page read backwards has a prev: " << prev;
  return bodies;
}

}  // namespace sluice::testing

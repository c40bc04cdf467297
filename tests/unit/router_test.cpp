// Issue 10 "Thin handlers": the route table is declared once. Its matcher
// gives the `route` label of metrics and logs and 405's Allow; a target and
// method the table does not serve is "(unmatched)" (404) or a 405 naming the
// path's methods. Table-driven, no server.

#include "api/router.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "config/config.hpp"

namespace sluice::api {
namespace {

config::config two_resources() {
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return config::parse(R"(
[[resources]]
name = "users"
  [[resources.fields]]
  name = "email"
  type = "email"
[[resources]]
name = "orders"
  [[resources.fields]]
  name = "note"
  type = "string"
)",
                       "router_test.toml", no_env);
}

struct route_case {
  const char* method;
  const char* target;
  const char* label;
  const char* allow;
  bool allowed;
};

TEST(router, label_and_methods_come_from_the_table) {
  const auto cfg = two_resources();
  const route_case cases[] = {
      {"GET", "/healthz", "/healthz", "GET", true},
      {"HEAD", "/readyz", "/readyz", "GET", true},
      {"GET", "/metrics?x=1", "/metrics", "GET", true},
      {"POST", "/healthz", "/healthz", "GET", false},
      {"GET", "/v1/messages/0190-abc", "/v1/messages/{id}", "GET", true},
      {"DELETE", "/v1/messages/x", "/v1/messages/{id}", "GET", false},
      {"GET", "/v1/users?email=eq.a@b.c", "/v1/users", "GET, POST", true},
      {"POST", "/v1/orders", "/v1/orders", "GET, POST", true},
      {"HEAD", "/v1/users", "/v1/users", "GET, POST", true},
      {"PUT", "/v1/users", "/v1/users", "GET, POST", false},
      {"GET", "/v1/users/42", "/v1/users/{id}", "GET", true},
      {"POST", "/v1/users/42", "/v1/users/{id}", "GET", false},
      {"GET", "/v1/us%65rs/7", "/v1/users/{id}", "GET", true},  // segments are decoded
      {"GET", "/v1/users/", "/v1/users/{id}", "GET", true},     // an empty id is the handler's 404
      // Unmatched: the label never carries a raw path.
      {"GET", "/", "(unmatched)", "", false},
      {"GET", "/healthz/", "(unmatched)", "", false},
      {"GET", "/v1/nope", "(unmatched)", "", false},
      {"GET", "/v1/nope/1", "(unmatched)", "", false},
      {"GET", "/v1/users/1/2", "(unmatched)", "", false},
      {"GET", "/v1/messages", "(unmatched)", "", false},
      {"GET", "/v2/users", "(unmatched)", "", false},
      {"GET", "/v1/users/%zz", "(unmatched)", "", false},  // not a valid target: 400
  };
  for (const auto& c : cases) {
    auto m = match_route(cfg, c.method, c.target);
    EXPECT_EQ(m.label, c.label) << c.method << ' ' << c.target;
    EXPECT_EQ(m.allow, c.allow) << c.method << ' ' << c.target;
    EXPECT_EQ(m.allowed, c.allowed) << c.method << ' ' << c.target;
  }
}

// Issue 12: each route declares the scope it needs in the table; probes need
// none, a resource's routes need the action on that resource.
TEST(router, each_route_declares_its_scope) {
  const auto cfg = two_resources();
  const struct {
    const char* method;
    const char* target;
    const char* scope;
  } table[] = {
      {"GET", "/healthz", ""},
      {"HEAD", "/readyz", ""},
      {"GET", "/readyz", ""},
      {"GET", "/metrics", "metrics"},
      {"GET", "/v1/messages/0190-abc", "status"},
      {"GET", "/v1/ops/stats", "admin"},
      // The console's files need none (its sign-in form is one of them).
      {"GET", "/console", ""},
      {"GET", "/console/0123abcd/app.js", ""},
      {"GET", "/v1/users?limit=1", "read:users"},
      {"HEAD", "/v1/users", "read:users"},
      {"POST", "/v1/users", "publish:users"},
      {"POST", "/v1/orders", "publish:orders"},
      {"GET", "/v1/orders/7", "read:orders"},
      {"GET", "/v1/us%65rs/7", "read:users"},
      // Nothing serves these: no scope (404/405 are answered without one).
      {"PUT", "/v1/users", ""},
      {"GET", "/v1/nope", ""},
  };
  for (const auto& c : table) {
    EXPECT_EQ(match_route(cfg, c.method, c.target).scope, c.scope) << c.method << ' ' << c.target;
  }
}

}  // namespace
}  // namespace sluice::api

// Issue 14: the OpenAPI document is generated from the route table and the
// configured resources. Every route of the table is listed and described;
// schemas follow the field rules; [auth] decides the security schemes and
// the per-route scopes; GET /openapi.json revalidates with its ETag.
// (redocly lint runs on the document as the ctest openapi_lint_*.)

#include "api/openapi.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "api/router.hpp"
#include "config/config.hpp"

namespace sluice::api {
namespace {

namespace json = boost::json;

config::config load(const std::string& extra) {
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return config::parse(extra + R"(
[[resources]]
name = "readings"
  [[resources.fields]]
  name = "sensor"
  type = "string"
  required = true
  min_length = 2
  max_length = 64
  index = true
  [[resources.fields]]
  name = "count"
  type = "integer"
  minimum = 0
  maximum = 1000
  [[resources.fields]]
  name = "value"
  type = "number"
  [[resources.fields]]
  name = "ok"
  type = "boolean"
  [[resources.fields]]
  name = "owner"
  type = "email"
  [[resources.fields]]
  name = "taken_at"
  type = "timestamp"
  required = true
)",
                       "openapi_test.toml", no_env);
}

const json::object& at(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* cur = &v;
  for (auto k : path) cur = &cur->as_object().at(k);
  return cur->as_object();
}

TEST(openapi, every_route_of_the_table_is_listed_and_described) {
  const auto cfg = load("[auth]\nmode = \"none\"\n");
  EXPECT_TRUE(undescribed_routes(cfg).empty())
      << "describe it in api/openapi.cpp: " << undescribed_routes(cfg).front();
  const json::value doc = openapi_json(cfg);
  EXPECT_EQ(doc.at("openapi").as_string(), "3.1.0");
  const auto& paths = doc.at("paths").as_object();
  std::size_t operations = 0;
  for (const auto& r : route_table(cfg)) {
    std::string method(r.method);
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ASSERT_TRUE(paths.contains(r.path)) << r.path;
    ASSERT_TRUE(paths.at(r.path).as_object().contains(method)) << r.method << ' ' << r.path;
    const auto& op = paths.at(r.path).at(method).as_object();
    EXPECT_FALSE(op.contains("x-sluice-undescribed")) << r.path;
    EXPECT_TRUE(op.contains("operationId")) << r.path;
    // Every operation states the server's own refusals, as problem+json.
    for (auto s : {"400", "413", "414", "431", "500", "503"}) {
      EXPECT_TRUE(op.at("responses").as_object().contains(s)) << r.path << ' ' << s;
    }
    // Mode none: nothing needs a credential, and the document says so.
    EXPECT_TRUE(op.at("security").as_array().empty()) << r.path;
    ++operations;
  }
  EXPECT_EQ(operations, 16u);  // 13 fixed routes, 3 of the one resource
  EXPECT_TRUE(paths.contains("/v1/readings/{id}"));
  EXPECT_TRUE(paths.contains("/openapi.json"));
  EXPECT_FALSE(doc.at("components").as_object().contains("securitySchemes"));
}

TEST(openapi, schemas_follow_the_field_rules) {
  const json::value doc = openapi_json(load(""));
  const auto& rec = at(doc, {"components", "schemas", "readings_record"});
  EXPECT_EQ(rec.at("additionalProperties"), false);
  EXPECT_EQ(rec.at("required"), (json::array{"sensor", "taken_at"}));
  const auto& p = rec.at("properties").as_object();
  EXPECT_EQ(p.at("sensor"), json::parse(R"({"type":"string","minLength":2,"maxLength":64})"));
  EXPECT_EQ(
      p.at("count"),
      json::parse(R"({"format":"int64","type":["integer","null"],"minimum":0,"maximum":1000})"));
  EXPECT_EQ(p.at("value").at("type"), json::parse(R"(["number","null"])"));
  EXPECT_EQ(p.at("ok"), json::parse(R"({"type":["boolean","null"]})"));
  EXPECT_EQ(p.at("owner").at("format"), "email");
  EXPECT_EQ(p.at("taken_at").at("format"), "date-time");
  EXPECT_EQ(p.at("taken_at").at("type"), "string");
  // A row has every column, NULL for an absent optional field.
  const auto& row = at(doc, {"components", "schemas", "readings_row"});
  EXPECT_EQ(row.at("required").as_array().size(), 1u + 6u + 3u);
  EXPECT_EQ(row.at("properties").at("id").at("type"), "integer");
  // POST takes an object, an array or NDJSON; 202 and 201 name their bodies.
  const auto& post = at(doc, {"paths", "/v1/readings", "post"});
  const auto& content = post.at("requestBody").at("content").as_object();
  EXPECT_TRUE(content.contains("application/json"));
  EXPECT_TRUE(content.contains("application/x-ndjson"));
  for (auto s : {"201", "202", "409", "415", "422"}) {
    EXPECT_TRUE(post.at("responses").as_object().contains(s)) << s;
  }
  EXPECT_EQ(content.at("application/json").at("schema").at("oneOf").at(1).at("maxItems"), 1000);
}

TEST(openapi, auth_required_gives_schemes_and_per_route_scopes) {
  const json::value doc = openapi_json(load(R"(
[auth]
mode = "required"
keys_file = "/x/keys.json"
jwks_file = "/x/jwks.json"
)"));
  const auto& schemes = at(doc, {"components", "securitySchemes"});
  EXPECT_EQ(schemes.at("api_key").at("name"), "X-API-Key");
  EXPECT_EQ(schemes.at("bearer").at("bearerFormat"), "JWT");
  const auto& post = at(doc, {"paths", "/v1/readings", "post"});
  EXPECT_EQ(post.at("security"),
            json::parse(R"([{"api_key":["publish:readings"]},{"bearer":["publish:readings"]}])"));
  for (auto s : {"401", "403", "429"})
    EXPECT_TRUE(post.at("responses").as_object().contains(s)) << s;
  EXPECT_EQ(at(doc, {"paths", "/v1/dead-letters", "get"}).at("security").at(0).at("api_key").at(0),
            "admin");
  EXPECT_EQ(at(doc, {"paths", "/v1/messages/{id}", "get"}).at("security").at(1).at("bearer").at(0),
            "status");
  // Probes, the console's files and the document itself need none.
  for (auto p : {"/healthz", "/readyz", "/openapi.json", "/console"}) {
    const auto& op = at(doc, {"paths", p, "get"});
    EXPECT_TRUE(op.at("security").as_array().empty()) << p;
    EXPECT_FALSE(op.at("responses").as_object().contains("401")) << p;
  }
}

// auth.anonymous_rate in mode none limits every route that has a scope per
// client address: those operations declare 429 (found by the integration
// suite's OpenAPI check, open_by_address); probes stay unlimited. CORS
// origins add a preflight operation per path.
TEST(openapi, anonymous_rate_and_cors_origins_are_in_the_document) {
  auto cfg = load(R"(
[auth]
mode = "none"
anonymous_rate = 5
[http]
cors_origins = "https://app.example"
)");
  const json::value doc = openapi_json(cfg);
  for (auto method : {"get", "post"}) {
    const auto& op = at(doc, {"paths", "/v1/readings", method});
    EXPECT_TRUE(op.at("responses").as_object().contains("429")) << method;
    EXPECT_FALSE(op.at("responses").as_object().contains("401")) << method;
  }
  EXPECT_FALSE(at(doc, {"paths", "/healthz", "get"}).at("responses").as_object().contains("429"));
  const auto& pre = at(doc, {"paths", "/v1/readings/{id}", "options"});
  EXPECT_TRUE(pre.at("responses").as_object().contains("204"));
  EXPECT_EQ(pre.at("parameters").at(0).at("name"), "id");
  cfg.auth.anonymous_rate = 0;
  cfg.http.cors_origins.clear();
  const json::value plain = openapi_json(cfg);
  EXPECT_FALSE(at(plain, {"paths", "/v1/readings", "get"}).at("responses").as_object().contains("429"));
  EXPECT_FALSE(at(plain, {"paths", "/v1/readings/{id}"}).contains("options"));
}

// Issue 12: client certificates alone ([[auth.client_certs]]) are an OAS 3.1
// mutualTLS scheme, and no bearer scheme is claimed without keys or JWT keys.
TEST(openapi, client_certificates_are_a_mutual_tls_scheme) {
  auto cfg = load(R"(
[auth]
mode = "required"
)");
  cfg.auth.client_certs.push_back({"CN=ingest-1,O=Acme", "", "ingest-1", {"publish:readings"}, {}});
  const json::value doc = openapi_json(cfg);
  const auto& schemes = at(doc, {"components", "securitySchemes"});
  EXPECT_EQ(schemes.at("client_cert").at("type"), "mutualTLS");
  EXPECT_FALSE(schemes.contains("bearer"));
  EXPECT_FALSE(schemes.contains("api_key"));
  EXPECT_EQ(at(doc, {"paths", "/v1/readings", "post"}).at("security"),
            json::parse(R"([{"client_cert":["publish:readings"]}])"));
}

TEST(openapi, served_with_an_etag_and_revalidated) {
  const auto cfg = load("");
  const auto doc = make_openapi_document(cfg);
  EXPECT_EQ(make_openapi_document(cfg).body, doc.body);  // same config, same bytes
  http::request req;
  auto first = openapi_response(doc, req);
  EXPECT_EQ(first.status, 200u);
  EXPECT_EQ(first.body, doc.body);
  req.headers.emplace_back("if-none-match", doc.etag);
  auto again = openapi_response(doc, req);
  EXPECT_EQ(again.status, 304u);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(match_route(cfg, "GET", "/openapi.json").scope, "");
}

}  // namespace
}  // namespace sluice::api

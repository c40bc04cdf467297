// The OpenAPI document: the paths come from the route table (route_table()),
// each operation from the description of its route below, then the answers
// every route may give (the server's own problem+json refusals, and 401, 403
// and 429 on a route that needs a scope when [auth] mode is required) and its
// security requirement. A route of the table with no description here is
// still listed (x-sluice-undescribed; undescribed_routes() names it and a
// unit test fails on it).

#include "api/openapi.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "api/openapi_parts.hpp"
#include "api/request_parts.hpp"
#include "api/router.hpp"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.0.0"
#endif

namespace sluice::api {
namespace {

namespace json = boost::json;
using json::array;
using json::object;
using openapi_parts::json_content;
using openapi_parts::problem_content;
using openapi_parts::ref;

// What every operation may be answered by the server before or around its
// handler: framing (400, 408, 413, 414, 415, 431, 501), a handler's bug
// (500), overload (503: http.max_connections, or the backends).
constexpr unsigned k_server_problems[] = {400, 408, 413, 414, 415, 431, 500, 501, 503};
// What a route that needs a scope adds when [auth] mode is required.
constexpr unsigned k_auth_problems[] = {401, 403, 429};

struct builder {
  const config::config& cfg;
  std::set<unsigned> problems;  // the components.responses used

  object problem(unsigned status) {
    problems.insert(status);
    return ref("responses", openapi_parts::problem_response_name(status));
  }
  bool auth() const { return cfg.auth.mode == config::auth_mode::required; }
};

object path_param(std::string_view name, object schema, std::string_view description) {
  return {{"name", name},
          {"in", "path"},
          {"required", true},
          {"schema", std::move(schema)},
          {"description", description}};
}

object response(std::string_view description, object content = {}, object headers = {}) {
  object r{{"description", description}};
  if (!content.empty()) r["content"] = std::move(content);
  if (!headers.empty()) r["headers"] = std::move(headers);
  return r;
}

object not_modified() {
  return response(
      "Not Modified: the client's If-None-Match matches", {},
      {{"ETag", ref("headers", "ETag")}, {"Cache-Control", ref("headers", "Cache-Control")}});
}

object cached_headers() {
  return {{"ETag", openapi_parts::required_header("ETag")},
          {"Cache-Control", ref("headers", "Cache-Control")}};
}

object text_content(std::initializer_list<std::string_view> types) {
  object c;
  for (auto t : types) c[t] = object{{"schema", object{{"type", "string"}}}};
  return c;
}

// A valid value of a field, for the request body's example (tools such as
// openapi-to-postmanv2 send it).
json::value example_of(const config::field_def& f) {
  using config::field_type;
  switch (f.type) {
    case field_type::email:
      return "ada@example.com";
    case field_type::integer:
      return f.minimum ? static_cast<std::int64_t>(*f.minimum) : 1;
    case field_type::number:
      return f.minimum ? *f.minimum : 1.5;
    case field_type::boolean:
      return true;
    case field_type::timestamp:
      return "2026-01-01T00:00:00Z";
    case field_type::string:
      break;
  }
  std::string s = "Ada";
  if (f.min_length && s.size() < *f.min_length) s.append(*f.min_length - s.size(), 'a');
  if (f.max_length && s.size() > *f.max_length) s.resize(*f.max_length);
  return json::value(s);
}

object record_example(const config::resource_def& r) {
  object o;
  for (const auto& f : r.fields) o[f.name] = example_of(f);
  return o;
}

// --- the routes ---------------------------------------------------------

using describe_fn = void (*)(builder&, const route_info&, object&);

void healthz(builder&, const route_info&, object& op) {
  op["summary"] = "Liveness";
  op["description"] = "200 while the process serves; never needs a credential.";
  op["tags"] = array{"operations"};
  op["responses"] = object{{"200", response("alive", json_content(ref("schemas", "Health")))}};
}

void readyz(builder&, const route_info&, object& op) {
  op["summary"] = "Readiness: store and broker reachable, not stopping";
  op["tags"] = array{"operations"};
  op["responses"] =
      object{{"200", response("ready", json_content(ref("schemas", "Readiness")))},
             {"503", response("not ready (a backend is down, or the process is stopping)",
                              json_content(ref("schemas", "Readiness")),
                              {{"Retry-After", openapi_parts::required_header("Retry-After")}})}};
}

void metrics_route(builder&, const route_info&, object& op) {
  op["summary"] = "Prometheus metrics (text exposition format 0.0.4)";
  op["tags"] = array{"operations"};
  op["responses"] = object{{"200", response("the metrics", text_content({"text/plain"}))}};
}

void openapi_route(builder&, const route_info&, object& op) {
  op["summary"] = "This document";
  op["description"] =
      "OpenAPI 3.1, generated from the configuration; needs no credential (it names the "
      "security schemes a client needs before it has a credential).";
  op["tags"] = array{"meta"};
  op["parameters"] = array{ref("parameters", "If-None-Match")};
  op["responses"] = object{
      {"200", response("the document", json_content(object{{"type", "object"}}), cached_headers())},
      {"304", not_modified()}};
}

void console_page(builder&, const route_info&, object& op) {
  op["summary"] = "The operator console (HTML page)";
  op["description"] =
      "Needs no credential; everything it shows comes from routes that do. Sent gzip-encoded "
      "when the client accepts it.";
  op["tags"] = array{"console"};
  op["parameters"] = array{ref("parameters", "If-None-Match")};
  op["responses"] =
      object{{"200", response("the page", text_content({"text/html"}), cached_headers())},
             {"304", not_modified()}};
}

void console_file(builder& b, const route_info&, object& op) {
  op["summary"] = "A file of the console (script, style sheet, image)";
  op["tags"] = array{"console"};
  op["parameters"] =
      array{path_param("version", object{{"type", "string"}},
                       "the console's build version (immutable under the current one)"),
            path_param("id", object{{"type", "string"}}, "the file's name"),
            ref("parameters", "If-None-Match")};
  op["responses"] = object{
      {"200", response("the file", text_content({"text/javascript", "text/css", "image/svg+xml"}),
                       cached_headers())},
      {"304", not_modified()},
      {"404", b.problem(404)}};
}

void ops_stats(builder&, const route_info&, object& op) {
  op["summary"] = "The server's own rates and percentiles over 60 s, 5 min and 1 h";
  op["tags"] = array{"operations"};
  op["responses"] =
      object{{"200", response("the stats", json_content(ref("schemas", "OpsStats")))}};
}

void message_status(builder& b, const route_info&, object& op) {
  op["summary"] = "Delivery status of one message: pending, stored, dead-lettered, discarded";
  op["tags"] = array{"messages"};
  op["parameters"] = array{path_param("id", object{{"type", "string"}, {"format", "uuid"}},
                                      "the message id a 202 answered")};
  op["responses"] = object{{"200", response("the status and its history",
                                            json_content(ref("schemas", "MessageStatus")))},
                           {"404", b.problem(404)}};
}

array dead_letter_filters(bool with_after) {
  array p{ref("parameters", "dead_letter_subscription"), ref("parameters", "dead_letter_topic"),
          ref("parameters", "dead_letter_reason"), ref("parameters", "dead_letter_since"),
          ref("parameters", "dead_letter_limit")};
  if (with_after) p.push_back(ref("parameters", "dead_letter_after"));
  return p;
}

array dead_letter_id_params() {
  return {path_param("id", object{{"type", "string"}, {"minLength", 1}, {"maxLength", 200}},
                     "the dead-lettered message's id"),
          ref("parameters", "dead_letter_subscription")};
}

void list_dead_letters(builder& b, const route_info&, object& op) {
  op["summary"] = "Dead letters, in keyset pages";
  op["tags"] = array{"dead-letters"};
  op["parameters"] = dead_letter_filters(true);
  op["responses"] = object{
      {"200",
       response(
           "one page",
           json_content(object{{"type", "array"}, {"items", ref("schemas", "DeadLetter")}}),
           {{"Link", ref("headers", "Link")}, {"Cache-Control", ref("headers", "Cache-Control")}})},
      {"400", b.problem(400)}};
}

void redrive_dead_letters(builder& b, const route_info&, object& op) {
  op["summary"] = "Redrive the dead letters matching the filters (at most `limit`)";
  op["tags"] = array{"dead-letters"};
  op["parameters"] = dead_letter_filters(false);
  op["responses"] = object{
      {"202", response("re-published; how many", json_content(ref("schemas", "RedrivenMany")))},
      {"400", b.problem(400)}};
}

void get_dead_letter(builder& b, const route_info&, object& op) {
  op["summary"] = "One dead letter: reason, attempts, body, first and last failure";
  op["tags"] = array{"dead-letters"};
  op["parameters"] = dead_letter_id_params();
  op["responses"] =
      object{{"200", response("the dead letter", json_content(ref("schemas", "DeadLetter")))},
             {"404", b.problem(404)},
             {"409", response("dead letters in several subscriptions: name one (subscriptions[])",
                              problem_content())}};
}

void discard_dead_letter(builder& b, const route_info&, object& op) {
  op["summary"] = "Discard a dead letter (recorded in the message's history)";
  op["tags"] = array{"dead-letters"};
  op["parameters"] = dead_letter_id_params();
  op["responses"] =
      object{{"204", response("discarded (also when it was already)")},
             {"404", b.problem(404)},
             {"409", response("redriven: its new outcome is pending", problem_content())}};
}

void redrive_dead_letter(builder& b, const route_info&, object& op) {
  op["summary"] = "Re-publish a dead-lettered message with a fresh attempt count";
  op["description"] =
      "Idempotent: the store keeps one row per message, however often it is redriven.";
  op["tags"] = array{"dead-letters"};
  op["parameters"] = dead_letter_id_params();
  op["responses"] =
      object{{"202", response("re-published", json_content(ref("schemas", "Redriven")),
                              {{"Location", openapi_parts::required_header("Location")}})},
             {"404", b.problem(404)},
             {"409", response("discarded: it cannot be redriven", problem_content())}};
}

const char* k_operator_text =
    "PostgREST syntax: `[not.]<op>.<value>`, op one of eq, neq, gt, gte, lt, lte, like, ilike "
    "(text fields; `*` = any run of characters, ilike folds ASCII letters only), "
    "`in.(a,b,\"c,d\")`, `is.null|not_null|true|false`; the value typed as the field";

std::string field_filter_text(const config::field_def& f) {
  std::string t = std::string("filter (") + k_operator_text + ": ";
  t += config::to_string(f.type);
  t += ")";
  if (f.indexed) t += "; indexed: `order` may use it";
  return t;
}

object filter_param(std::string_view name, std::string description) {
  return {{"name", name},
          {"in", "query"},
          {"required", false},
          {"schema", object{{"type", "string"},
                            {"pattern", "^(not\\.)?(eq|neq|gt|gte|lt|lte|like|ilike|in|is)\\."}}},
          {"description", std::move(description)}};
}

// order=<column>[.asc|.desc][.nullsfirst|.nullslast] on id or an indexed field.
object order_param(const config::resource_def& res) {
  array columns{"id"};
  std::string alternatives = "id";
  for (const auto& f : res.fields) {
    if (!f.indexed) continue;
    columns.emplace_back(f.name);
    alternatives += "|" + f.name;
  }
  return {{"name", "order"},
          {"in", "query"},
          {"required", false},
          {"schema", object{{"type", "string"},
                            {"pattern", "^(" + alternatives +
                                            ")(\\.(asc|desc))?(\\.(nullsfirst|nullslast))?$"}}},
          {"description",
           "the page's order, then id in the same direction; keyset pages follow it. NULLs last "
           "ascending, first descending unless told. Columns: id and the indexed fields"}};
}

void list_rows(builder& b, const route_info& r, object& op) {
  const auto& res = *r.resource;
  op["summary"] = "Rows of " + res.name + ", filtered, in keyset pages";
  op["description"] =
      "Every condition (each field parameter, and each group's members) holds together; at most "
      "16 conditions per query. Pages are keyset ranges of the order's index (never OFFSET): "
      "follow the Link header's next page.";
  op["tags"] = array{"records"};
  array params{openapi_parts::limit_parameter(res),
               order_param(res),
               ref("parameters", "after"),
               ref("parameters", "cursor"),
               ref("parameters", "select"),
               ref("parameters", "or"),
               ref("parameters", "and"),
               ref("parameters", "not.or"),
               ref("parameters", "not.and"),
               filter_param("id", std::string("filter (") + k_operator_text + ": the row id)")};
  for (const auto& f : res.fields) params.push_back(filter_param(f.name, field_filter_text(f)));
  params.push_back(ref("parameters", "If-None-Match"));
  params.push_back(ref("parameters", "Sluice-Min-Version"));
  params.push_back(ref("parameters", "Prefer_count"));
  op["parameters"] = std::move(params);
  object headers = cached_headers();
  headers["Link"] = ref("headers", "Link");
  headers["Content-Range"] = ref("headers", "Content-Range");
  headers["Preference-Applied"] = ref("headers", "Preference-Applied");
  // The same rows in the format Accept asks for (406 when none fits).
  object content = json_content(
      object{{"type", "array"}, {"items", ref("schemas", openapi_parts::row_name(res))}});
  content["text/csv"] = object{
      {"schema", object{{"type", "string"},
                        {"description",
                         "RFC 4180: a header line of the columns (id, message_id, received_at, "
                         "stored_at, the fields), then one line per row, CRLF line ends; NULL "
                         "is an empty field, an empty text \"\""}}}};
  content["application/x-ndjson"] =
      object{{"schema", object{{"type", "string"},
                               {"description", "one row object (as in the JSON array) per line"}}}};
  op["responses"] = object{
      {"200", response("one page of rows (with select=, each row holds only the members asked for)",
                       std::move(content), std::move(headers))},
      {"304", not_modified()},
      {"400", b.problem(400)},
      {"406", b.problem(406)}};
}

void get_row(builder& b, const route_info& r, object& op) {
  const auto& res = *r.resource;
  op["summary"] = "One " + res.name + " row";
  op["tags"] = array{"records"};
  op["parameters"] =
      array{path_param("id", object{{"type", "integer"}, {"format", "int64"}}, "the row id"),
            ref("parameters", "If-None-Match")};
  op["responses"] =
      object{{"200", response("the row", json_content(ref("schemas", openapi_parts::row_name(res))),
                              cached_headers())},
             {"304", not_modified()},
             {"404", b.problem(404)}};
}

void post_records(builder& b, const route_info& r, object& op) {
  const auto& res = *r.resource;
  const auto record = ref("schemas", openapi_parts::record_name(res));
  const auto row = ref("schemas", openapi_parts::row_name(res));
  auto one_or_many = [](const object& one, std::size_t max) {
    return object{
        {"oneOf",
         array{one,
               object{{"type", "array"}, {"items", one}, {"minItems", 1}, {"maxItems", max}}}}};
  };
  op["summary"] = "Publish " + res.name + " records: one object, an array, or NDJSON";
  op["description"] =
      "202 only once the broker has the messages durably; with `Prefer: wait=N`, 201 and the "
      "rows once committed. An array or NDJSON body is answered with one item per record, in "
      "order.";
  op["tags"] = array{"records"};
  op["parameters"] = array{ref("parameters", "Prefer"), ref("parameters", "Idempotency-Key")};
  object ndjson{{"schema", object{{"type", "string"},
                                  {"description", "one " + openapi_parts::record_name(res) +
                                                      " JSON object per line"}}}};
  op["requestBody"] = object{
      {"required", true},
      {"content",
       object{{"application/json", object{{"schema", one_or_many(record, b.cfg.http.max_batch)},
                                          {"example", record_example(res)}}},
              {"application/x-ndjson", ndjson},
              {"application/ndjson", ndjson}}}};
  object common{{"traceparent", ref("headers", "traceparent")},
                {"Preference-Applied", ref("headers", "Preference-Applied")}};
  object accepted_headers = common;
  accepted_headers["Location"] = ref("headers", "Location");
  object created_headers = std::move(common);
  created_headers["Location"] = ref("headers", "Location");
  created_headers["Sluice-Version"] = ref("headers", "Sluice-Version");
  op["responses"] = object{
      {"201",
       response("Prefer: wait and the rows are committed: the row (an object sent) or "
                "the rows (an array or NDJSON sent)",
                json_content(one_or_many(row, b.cfg.http.max_batch)), std::move(created_headers))},
      {"202", response("the broker has the messages: their ids and status URLs (Location: the "
                       "single record's status URL)",
                       json_content(one_or_many(ref("schemas", "Accepted"), b.cfg.http.max_batch)),
                       std::move(accepted_headers))},
      {"400", b.problem(400)},
      {"409", b.problem(409)},
      {"413", b.problem(413)},
      {"415", b.problem(415)},
      {"422", b.problem(422)}};
}

struct description {
  std::string_view method;
  std::string_view pattern;
  std::string_view operation_id;  // "{resource}" replaced by the resource's name
  describe_fn fn;
};

constexpr description k_descriptions[] = {
    {"GET", "/healthz", "healthz", healthz},
    {"GET", "/readyz", "readyz", readyz},
    {"GET", "/metrics", "metrics", metrics_route},
    {"GET", "/openapi.json", "openapi", openapi_route},
    {"GET", "/console", "console_page", console_page},
    {"GET", "/console/{version}/{id}", "console_file", console_file},
    {"GET", "/v1/ops/stats", "ops_stats", ops_stats},
    {"GET", "/v1/messages/{id}", "message_status", message_status},
    {"GET", "/v1/dead-letters", "list_dead_letters", list_dead_letters},
    {"POST", "/v1/dead-letters:redrive", "redrive_dead_letters", redrive_dead_letters},
    {"GET", "/v1/dead-letters/{id}", "get_dead_letter", get_dead_letter},
    {"DELETE", "/v1/dead-letters/{id}", "discard_dead_letter", discard_dead_letter},
    {"POST", "/v1/dead-letters/{id}/redrive", "redrive_dead_letter", redrive_dead_letter},
    {"GET", "/v1/{resource}", "list_{resource}", list_rows},
    {"POST", "/v1/{resource}", "post_{resource}", post_records},
    {"GET", "/v1/{resource}/{id}", "get_{resource}_row", get_row},
};

const description* find_description(const route_info& r) {
  for (const auto& d : k_descriptions) {
    if (d.method == r.method && d.pattern == r.pattern) return &d;
  }
  return nullptr;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string operation_id(const route_info& r, const description* d) {
  std::string id;
  if (d) {
    id = d->operation_id;
  } else {
    id = lower(r.method) + std::string(r.path);
  }
  if (auto at = id.find("{resource}"); at != std::string::npos && r.resource) {
    id.replace(at, std::string_view("{resource}").size(), r.resource->name);
  }
  for (auto& c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  }
  return id;
}

// Responses in status order ("200" < "304" < "400" …).
object sorted(const object& responses) {
  std::map<std::string, json::value> by_status;
  for (const auto& kv : responses) by_status.emplace(kv.key(), kv.value());
  object out;
  for (auto& [k, v] : by_status) out[k] = std::move(v);
  return out;
}

// The security requirement of a route: the schemes [auth] configures, each
// with the route's scope; [] (none) for a route without one or in mode none.
array security_of(const config::config& cfg, const route_info& r) {
  if (cfg.auth.mode != config::auth_mode::required || r.scope.empty()) return {};
  array any_of;
  const array scopes{json::value(r.scope)};
  const bool jwt = !cfg.auth.jwks_file.empty() || !cfg.auth.jwt_pem_file.empty();
  if (!cfg.auth.keys_file.empty()) any_of.push_back(object{{"api_key", scopes}});
  if (!cfg.auth.keys_file.empty() || jwt) any_of.push_back(object{{"bearer", scopes}});
  if (!cfg.auth.client_certs.empty()) any_of.push_back(object{{"client_cert", scopes}});
  return any_of;
}

object operation(builder& b, const route_info& r) {
  object op;
  const description* d = find_description(r);
  if (d) {
    d->fn(b, r, op);
  } else {
    op["summary"] = std::string(r.method) + " " + r.path;
    op["x-sluice-undescribed"] = true;
    op["responses"] = object{};
  }
  op["operationId"] = operation_id(r, d);
  auto& responses = op["responses"].as_object();
  for (unsigned s : k_server_problems) {
    auto key = std::to_string(s);
    if (!responses.contains(key)) responses[key] = b.problem(s);
  }
  const bool scoped = b.auth() && !r.scope.empty();
  // In mode none, auth.anonymous_rate limits every such route per client
  // address (api/rate_limits.cpp): 429 and the quota headers there too.
  const bool limited_anonymous = !b.auth() && b.cfg.auth.anonymous_rate > 0 && !r.scope.empty();
  if (limited_anonymous && !responses.contains("429")) responses["429"] = b.problem(429);
  if (scoped) {
    for (unsigned s : k_auth_problems) {
      auto key = std::to_string(s);
      if (!responses.contains(key)) responses[key] = b.problem(s);
    }
  }
  if (scoped || limited_anonymous) {
    // A principal with a rate (its own or auth.default_rate), or a client
    // address under auth.anonymous_rate, is told its quota.
    for (auto& kv : responses) {
      auto& resp = kv.value().as_object();
      if (kv.key().starts_with("2") && !resp.contains("$ref")) {
        if (!resp.contains("headers")) resp["headers"] = object{};
        auto& h = resp["headers"].as_object();
        h["RateLimit"] = ref("headers", "RateLimit");
        h["RateLimit-Policy"] = ref("headers", "RateLimit-Policy");
      }
    }
  }
  if (scoped) {
    std::string text =
        op.contains("description") ? std::string(op["description"].as_string()) + " " : "";
    op["description"] = text + "Needs the scope `" + r.scope + "`.";
  }
  op["responses"] = sorted(responses);
  op["security"] = security_of(b.cfg, r);
  return op;
}

// The CORS preflight of a path (http.cors_origins set): api/cors.cpp answers
// an OPTIONS with Origin (a listed one) and Access-Control-Request-Method
// 204 before any handler or credential; any other OPTIONS is the 405 every
// method the path does not serve gets.
object preflight(builder& b, std::string_view path) {
  auto h = [](std::string_view text, bool required = true) {
    object o{{"schema", object{{"type", "string"}}}, {"description", text}};
    if (required) o["required"] = true;
    return o;
  };
  object headers{{"Access-Control-Allow-Origin", h("the request's Origin (one listed)")},
                 {"Access-Control-Allow-Methods", h("the path's methods")},
                 {"Access-Control-Allow-Headers", h("the request headers a page may send")},
                 {"Access-Control-Max-Age", h("seconds the browser may reuse this answer")},
                 {"Vary", h("Origin")}};
  object responses{{"204", response("preflight of a listed origin", {}, std::move(headers))},
                   {"405", response("not a preflight of a listed origin: the methods the path "
                                    "serves are in Allow",
                                    problem_content())}};
  for (unsigned s : k_server_problems) responses[std::to_string(s)] = b.problem(s);
  std::string id = "preflight" + std::string(path);
  for (auto& c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return {{"summary", "CORS preflight (http.cors_origins)"},
          {"tags", array{"cors"}},
          {"operationId", id},
          {"parameters", array{object{{"name", "Origin"},
                                      {"in", "header"},
                                      {"required", true},
                                      {"schema", object{{"type", "string"}}}},
                               object{{"name", "Access-Control-Request-Method"},
                                      {"in", "header"},
                                      {"required", true},
                                      {"schema", object{{"type", "string"}}}}}},
          {"responses", sorted(responses)},
          {"security", array{}}};
}

object security_schemes(const config::config& cfg) {
  object s;
  if (!cfg.auth.keys_file.empty()) {
    s["api_key"] = object{{"type", "apiKey"},
                          {"in", "header"},
                          {"name", "X-API-Key"},
                          {"description", "an API key (`sluice keys create`)"}};
  }
  const bool jwt = !cfg.auth.jwks_file.empty() || !cfg.auth.jwt_pem_file.empty();
  object bearer{{"type", "http"}, {"scheme", "bearer"}};
  if (jwt) bearer["bearerFormat"] = "JWT";
  std::string text = jwt && !cfg.auth.keys_file.empty() ? "an API key or a JWT"
                     : jwt                              ? "a JWT"
                                                        : "an API key";
  text += " as `Authorization: Bearer <token>`; a JWT's scopes are its `" +
          cfg.auth.jwt_scope_claim + "` claim";
  bearer["description"] = text;
  if (!cfg.auth.keys_file.empty() || jwt) s["bearer"] = std::move(bearer);
  if (!cfg.auth.client_certs.empty()) {
    s["client_cert"] =
        object{{"type", "mutualTLS"},
               {"description",
                "a client certificate of http.tls_client_ca_file that [[auth.client_certs]] "
                "maps to a principal (by subject or subject alternative name)"}};
  }
  return s;
}

std::string server_url(const config::config& cfg) {
  std::string listen = cfg.http.listen;
  auto colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  std::string port = colon == std::string::npos ? "" : listen.substr(colon);
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]") host = "localhost";
  return (cfg.http.tls_cert_file.empty() ? "http://" : "https://") + host + port;
}

array tags(bool cors) {
  auto tag = [](std::string_view name, std::string_view text) {
    return object{{"name", name}, {"description", text}};
  };
  array out{tag("records", "publish records of the configured resources and read their rows"),
            tag("messages", "delivery status of published messages"),
            tag("dead-letters", "inspect, redrive and discard messages that could not be stored"),
            tag("operations", "probes, metrics and stats"),
            tag("console", "the operator console's files"),
            tag("meta", "this document")};
  if (cors) out.push_back(tag("cors", "CORS preflights of the listed origins (http.cors_origins)"));
  return out;
}

// Every "$ref" under `v`, into `out`.
void collect_refs(const json::value& v, std::set<std::string>& out) {
  if (const auto* o = v.if_object()) {
    for (const auto& kv : *o) {
      if (kv.key() == "$ref" && kv.value().is_string()) {
        out.emplace(kv.value().as_string());
      } else {
        collect_refs(kv.value(), out);
      }
    }
  } else if (const auto* a = v.if_array()) {
    for (const auto& e : *a) collect_refs(e, out);
  }
}

// Drops the shared headers no operation uses (an inline required copy, or
// the routes [auth] leaves out, can leave some unused).
void drop_unused_headers(object& doc) {
  std::set<std::string> refs;
  collect_refs(doc, refs);
  auto& headers = doc["components"].as_object()["headers"].as_object();
  std::vector<std::string> unused;
  for (const auto& kv : headers) {
    if (!refs.count("#/components/headers/" + std::string(kv.key()))) unused.emplace_back(kv.key());
  }
  for (const auto& k : unused) headers.erase(k);
}

}  // namespace

json::object openapi_json(const config::config& cfg) {
  builder b{cfg, {}};
  object paths;
  for (const auto& r : route_table(cfg)) {
    if (!paths.contains(r.path)) paths[r.path] = object{};
    paths[r.path].as_object()[lower(r.method)] = operation(b, r);
  }
  const bool cors = !config::cors_origin_list(cfg.http.cors_origins).empty();
  if (cors) {
    for (auto& kv : paths) {
      auto& item = kv.value().as_object();
      auto op = preflight(b, kv.key());
      // The path's parameters, as its other operations declare them.
      array path_params;
      for (const auto& m : item) {
        if (!m.value().as_object().contains("parameters") || !path_params.empty()) continue;
        for (const auto& p : m.value().as_object().at("parameters").as_array()) {
          const auto* po = p.if_object();
          if (po && po->contains("in") && po->at("in") == "path") path_params.push_back(p);
        }
      }
      auto& params = op["parameters"].as_array();
      params.insert(params.begin(), path_params.begin(), path_params.end());
      item["options"] = std::move(op);
    }
  }
  object responses;
  for (unsigned s : b.problems) {
    responses[openapi_parts::problem_response_name(s)] = openapi_parts::problem_response(s);
  }
  object components{{"schemas", openapi_parts::schemas(cfg)},
                    {"parameters", openapi_parts::parameters()},
                    {"headers", openapi_parts::headers()},
                    {"responses", std::move(responses)}};
  if (b.auth()) components["securitySchemes"] = security_schemes(cfg);
  object doc{{"openapi", "3.1.0"},
             {"info", object{{"title", "Sluice"},
                             {"version", SLUICE_VERSION},
                             {"description",
                              "HTTP API → durable topic → subscribers → SQL store → HTTP read API. "
                              "Generated from this server's configuration: its resources, their "
                              "field rules and its [auth] section. Every error is "
                              "application/problem+json (RFC 9457)."}}},
             {"servers", array{object{{"url", server_url(cfg)}, {"description", "http.listen"}}}},
             {"tags", tags(cors)},
             {"paths", std::move(paths)},
             {"components", std::move(components)}};
  drop_unused_headers(doc);
  return doc;
}

openapi_document make_openapi_document(const config::config& cfg) {
  openapi_document d;
  d.body = json::serialize(openapi_json(cfg));
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a, as the pages' ETags
  for (unsigned char c : d.body) h = (h ^ c) * 1099511628211ULL;
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  d.etag = buf;
  return d;
}

http::response openapi_response(const openapi_document& doc, const http::request& req) {
  http::response r;
  if (etag_matches(req.header("if-none-match"), doc.etag)) {
    r.status = 304;
  } else {
    r.status = 200;
    r.set("Content-Type", "application/json");
    r.body = doc.body;
  }
  r.set("ETag", doc.etag);
  r.set("Cache-Control", "no-cache");
  return r;
}

std::vector<std::string> undescribed_routes(const config::config& cfg) {
  std::vector<std::string> out;
  for (const auto& r : route_table(cfg)) {
    if (!find_description(r)) out.push_back(std::string(r.method) + " " + std::string(r.pattern));
  }
  return out;
}

}  // namespace sluice::api

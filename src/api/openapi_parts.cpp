#include "api/openapi_parts.hpp"

#include <boost/json/array.hpp>
#include <cmath>

#include "api/dead_letters.hpp"
#include "http/problem.hpp"

namespace sluice::api::openapi_parts {
namespace {

namespace json = boost::json;
using json::array;
using json::object;
using json::value;

using config::field_type;

// A bound of a field rule: an integer when it is one, so `minimum: 1` reads
// as the config wrote it.
value bound(double v) {
  if (std::floor(v) == v && std::fabs(v) < 9.0e15) return static_cast<std::int64_t>(v);
  return v;
}

object string_schema(std::string_view description = {}) {
  object s{{"type", "string"}};
  if (!description.empty()) s["description"] = description;
  return s;
}

object array_of(object items) {
  return {{"type", "array"}, {"items", std::move(items)}};
}

// One field's schema from its rules; `nullable` when the value may be null
// (an optional field: absent or null in a record, NULL in a row).
object field_schema(const config::field_def& f, bool nullable) {
  object s;
  std::string_view type = "string";
  switch (f.type) {
    case field_type::string:
      break;
    case field_type::email:
      s["format"] = "email";
      break;
    case field_type::integer:
      type = "integer";
      s["format"] = "int64";
      break;
    case field_type::number:
      type = "number";
      s["format"] = "double";
      break;
    case field_type::boolean:
      type = "boolean";
      break;
    case field_type::timestamp:
      s["format"] = "date-time";
      s["description"] = "RFC 3339; rows hold it in UTC with microseconds";
      break;
  }
  if (nullable) {
    s["type"] = array{type, "null"};
  } else {
    s["type"] = type;
  }
  if (f.min_length) s["minLength"] = *f.min_length;
  if (f.max_length) s["maxLength"] = *f.max_length;
  if (f.minimum) s["minimum"] = bound(*f.minimum);
  if (f.maximum) s["maximum"] = bound(*f.maximum);
  return s;
}

object record_schema(const config::resource_def& r) {
  object props;
  array required;
  for (const auto& f : r.fields) {
    props[f.name] = field_schema(f, !f.required);
    if (f.required) required.emplace_back(f.name);
  }
  object s{{"type", "object"},
           {"description", "One " + r.name +
                               " record as POSTed: unknown fields are refused (422), lengths "
                               "count Unicode code points"},
           {"properties", std::move(props)},
           {"additionalProperties", false}};
  if (!required.empty()) s["required"] = std::move(required);
  return s;
}

object row_schema(const config::resource_def& r) {
  object props{{"id", object{{"type", "integer"}, {"format", "int64"}, {"minimum", 1}}}};
  array required{"id"};
  for (const auto& f : r.fields) {
    props[f.name] = field_schema(f, !f.required);
    required.emplace_back(f.name);
  }
  props["message_id"] = string_schema("the id of the message the row was written from");
  props["received_at"] = object{{"type", "string"}, {"format", "date-time"}};
  props["stored_at"] = object{{"type", "string"}, {"format", "date-time"}};
  for (auto k : {"message_id", "received_at", "stored_at"}) required.emplace_back(k);
  return {{"type", "object"},
          {"description", "One stored " + r.name + " row"},
          {"properties", std::move(props)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

object problem_schema() {
  object field_error{{"type", "object"},
                     {"required", array{"pointer", "detail"}},
                     {"properties", object{{"pointer", string_schema("RFC 6901 JSON pointer")},
                                           {"detail", string_schema()}}},
                     {"additionalProperties", false}};
  object props{
      {"type", object{{"type", "string"}, {"const", "about:blank"}}},
      {"title", string_schema("the status's reason phrase")},
      {"status", object{{"type", "integer"}, {"minimum", 400}, {"maximum", 599}}},
      {"detail", string_schema()},
      {"instance", string_schema("urn:sluice:request:<trace id>-<span id>: this request's trace")},
      {"errors", array_of(std::move(field_error))},
      {"missing_scope", string_schema("403: the scope the route needs")},
      {"violated-policies", array_of(string_schema())},
      {"outcome", object{{"type", "string"},
                         {"const", "unknown"},
                         {"description", "503 of a publish the broker did not confirm"}}},
      {"message_ids", array_of(string_schema())},
      {"status_urls", array_of(string_schema())},
      {"subscriptions", array_of(string_schema())}};
  return {{"type", "object"},
          {"description",
           "RFC 9457 problem details; members past the standard ones are "
           "extensions some answers add"},
          {"required", array{"type", "title", "status", "detail"}},
          {"properties", std::move(props)}};
}

object closed_object(object props, array required) {
  return {{"type", "object"},
          {"properties", std::move(props)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

object fixed_schemas() {
  object out;
  out["Problem"] = problem_schema();
  out["Accepted"] =
      closed_object({{"id", object{{"type", "string"}, {"format", "uuid"}}},
                     {"status", object{{"type", "string"}, {"const", "accepted"}}},
                     {"status_url", string_schema("GET it for the message's delivery status")}},
                    {"id", "status", "status_url"});
  out["MessageEvent"] = closed_object(
      {{"event", object{{"type", "string"},
                        {"enum", array{"dead_lettered", "redriven", "discarded", "stored"}}}},
       {"at", object{{"type", "string"}, {"format", "date-time"}}},
       {"subscription", string_schema()},
       {"table", string_schema()},
       {"reason", string_schema()},
       {"attempts", object{{"type", "integer"}, {"minimum", 0}}}},
      {"event", "at"});
  out["MessageStatus"] = closed_object(
      {{"id", object{{"type", "string"}, {"format", "uuid"}}},
       {"status", object{{"type", "string"},
                         {"enum", array{"pending", "stored", "dead_lettered", "discarded"}}}},
       {"row_url", string_schema("stored: the row")},
       {"subscription", string_schema()},
       {"reason", string_schema()},
       {"attempts", object{{"type", "integer"}, {"minimum", 0}}},
       {"trace_id",
        object{{"type", "string"},
               {"pattern", "^[0-9a-f]{32}$"},
               {"description",
                "W3C trace id of the request that accepted the message (its "
                "traceparent, continued or started by the server), kept with the "
                "row or dead letter; absent before either is written or when unknown (a message "
                "published without a valid traceparent, or stored before this field)"}}},
       {"history", array_of(ref("schemas", "MessageEvent"))}},
      {"id", "status"});
  object count{{"type", "integer"}, {"minimum", 0}};
  object when{{"type", "string"}, {"format", "date-time"}};
  out["DeadLetter"] = closed_object(
      {{"message_id", string_schema()},
       {"subscription", string_schema()},
       {"topic", string_schema()},
       {"state", object{{"type", "string"}, {"enum", array{"dead", "redriven", "discarded"}}}},
       {"reason", string_schema()},
       {"attempts", count},
       {"redrives", count},
       {"first_failed_at", when},
       {"last_failed_at", when},
       {"body", string_schema("the message's body as published")},
       {"status_url", string_schema()}},
      {"message_id", "subscription", "topic", "state", "reason", "attempts", "redrives",
       "first_failed_at", "last_failed_at", "body", "status_url"});
  out["Redriven"] = closed_object({{"message_id", string_schema()},
                                   {"redriven", array_of(string_schema("a subscription"))},
                                   {"status_url", string_schema()}},
                                  {"message_id", "redriven", "status_url"});
  out["RedrivenMany"] = closed_object(
      {{"redriven", count}, {"limit", count}, {"message_ids", array_of(string_schema())}},
      {"redriven", "limit", "message_ids"});
  out["Health"] =
      closed_object({{"status", object{{"type", "string"}, {"const", "ok"}}}}, {"status"});
  out["Readiness"] =
      closed_object({{"status", object{{"type", "string"}, {"enum", array{"ready", "not ready"}}}},
                     {"store", string_schema("up, or down: <why>")},
                     {"broker", string_schema("up, or down: <why>")},
                     {"stopping", object{{"type", "boolean"}}}},
                    {"status", "store", "broker", "stopping"});
  object any_object{{"type", "object"}};
  out["OpsStats"] = object{
      {"type", "object"},
      {"description", "the server's own metrics over sliding windows (README, \"The console\")"},
      {"properties",
       object{
           {"config", any_object},
           {"totals", any_object},
           {"windows", object{{"type", "object"},
                              {"properties",
                               object{{"60s", any_object}, {"5m", any_object}, {"1h", any_object}}},
                              {"required", array{"60s", "5m", "1h"}}}},
           {"series",
            object{{"type", "object"},
                   {"description", "per rate, the last 60 seconds' values, one a second"},
                   {"additionalProperties", array_of(object{{"type", array{"number", "null"}}})}}},
           {"subscriptions", object{{"type", "array"}}},
           {"health", any_object},
           {"slo", any_object}}},
      {"required",
       array{"config", "totals", "windows", "series", "subscriptions", "health", "slo"}}};
  return out;
}

object header_param(std::string_view name, object schema, std::string_view description) {
  return {{"name", name},
          {"in", "header"},
          {"required", false},
          {"schema", std::move(schema)},
          {"description", description}};
}

object query_param(std::string_view name, object schema, std::string_view description) {
  return {{"name", name},
          {"in", "query"},
          {"required", false},
          {"schema", std::move(schema)},
          {"description", description}};
}

object limit_schema(std::size_t deflt, std::size_t max) {
  return {{"type", "integer"}, {"minimum", 1}, {"maximum", max}, {"default", deflt}};
}

}  // namespace

object limit_parameter(const config::resource_def& r) {
  return query_param("limit", limit_schema(r.default_limit, r.max_limit),
                     "rows per page (the resource's default_limit and max_limit; more is 400)");
}

object ref(std::string_view kind, std::string_view name) {
  std::string to = "#/components/";
  to.append(kind).append("/").append(name);
  return {{"$ref", to}};
}

std::string record_name(const config::resource_def& r) {
  return r.name + "_record";
}
std::string row_name(const config::resource_def& r) {
  return r.name + "_row";
}

object schemas(const config::config& cfg) {
  object out = fixed_schemas();
  for (const auto& r : cfg.resources) {
    out[record_name(r)] = record_schema(r);
    out[row_name(r)] = row_schema(r);
  }
  return out;
}

object parameters() {
  object p;
  p["after"] = query_param("after", object{{"type", "integer"}, {"format", "int64"}},
                           "id order: rows past this id, in the page's order (the Link header's "
                           "next page sets it)");
  p["cursor"] = query_param("cursor", string_schema(),
                            "the signed position of the Link header's next page (order on a "
                            "field) or prev page (any order); opaque: altered, or with another "
                            "order, it is a 400");
  p["select"] = query_param(
      "select", object{{"type", "string"}, {"pattern", "^[a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*$"}},
      "only these members in each row object, in this order: id, the fields, message_id, "
      "received_at, stored_at (another name is a 400)");
  const char* group_text =
      "a group of conditions `(<field>.[not.]<op>.<value>,…)`, one level deep; values holding "
      ", ( ) or \" in double quotes";
  p["or"] = query_param("or", object{{"type", "string"}, {"pattern", "^\\(.*\\)$"}},
                        std::string("any holds: ") + group_text);
  p["and"] = query_param("and", object{{"type", "string"}, {"pattern", "^\\(.*\\)$"}},
                         std::string("all hold: ") + group_text);
  p["not.or"] = query_param("not.or", object{{"type", "string"}, {"pattern", "^\\(.*\\)$"}},
                            std::string("none holds: ") + group_text);
  p["not.and"] = query_param("not.and", object{{"type", "string"}, {"pattern", "^\\(.*\\)$"}},
                             std::string("not all hold: ") + group_text);
  p["If-None-Match"] = header_param("If-None-Match", string_schema(),
                                    "ETags the client holds: 304 when one matches");
  p["Sluice-Min-Version"] =
      header_param("Sluice-Min-Version", object{{"type", "string"}, {"pattern", "^[0-9]+$"}},
                   "read-your-writes: a page reflecting at least this table version (a 201's "
                   "Sluice-Version)");
  p["Prefer"] = header_param(
      "Prefer", string_schema(),
      "RFC 7240; `wait=N`: hold the answer until the rows are committed (201) or N seconds "
      "pass (202); N is capped by http.max_wait_seconds");
  p["Prefer_count"] = header_param(
      "Prefer", object{{"type", "string"}, {"pattern", "count=(exact|planned|estimated)"}},
      "RFC 7240; `count=exact|planned|estimated` (PostgREST's): the page gets Content-Range "
      "with the total of the rows the filters select. exact: count(*); planned: the "
      "database's estimate; estimated: exact up to store.count_exact_max rows, the estimate "
      "past it. Another value is ignored (a preference), the page then has no Content-Range");
  p["Idempotency-Key"] = header_param(
      "Idempotency-Key",
      object{{"type", "string"}, {"minLength", 1}, {"maxLength", 255}, {"pattern", "^[!-~]+$"}},
      "a retried POST with the same key (for the same principal) gets the same message ids "
      "and makes no second row; the same key with another body is 409");
  p["dead_letter_subscription"] =
      query_param("subscription", object{{"type", "string"}, {"minLength", 1}},
                  "only this subscription's dead letters");
  p["dead_letter_topic"] = query_param("topic", object{{"type", "string"}, {"minLength", 1}},
                                       "only dead letters of this topic (resource)");
  p["dead_letter_reason"] = query_param(
      "reason",
      object{{"type", "string"}, {"minLength", 1}, {"maxLength", dead_letter_max_reason_filter}},
      "only dead letters whose reason contains this text (ASCII letters without case)");
  p["dead_letter_since"] = query_param("since", object{{"type", "string"}, {"format", "date-time"}},
                                       "only dead letters since this RFC 3339 time");
  p["dead_letter_limit"] =
      query_param("limit", limit_schema(dead_letter_default_limit, dead_letter_max_limit),
                  "entries per page (bulk redrive: at most this many)");
  p["dead_letter_after"] =
      query_param("after", string_schema(), "the cursor of the Link header's next page (opaque)");
  return p;
}

object headers() {
  auto h = [](object schema, std::string_view description) {
    return object{{"schema", std::move(schema)}, {"description", description}};
  };
  object out;
  out["ETag"] = h(string_schema(), "a strong validator of the body (send it as If-None-Match)");
  out["Cache-Control"] = h(string_schema(), "cache.control for reads; no-store for errors");
  out["Link"] = h(string_schema(),
                  "RFC 8288: `<…>; rel=\"next\"` when a next page may exist, then "
                  "`, <…>; rel=\"prev\"` on a GET /v1/{resource} page past a position "
                  "with rows before it");
  out["Location"] = h(string_schema(), "the message's status URL (202) or the row's URL (201)");
  out["Retry-After"] =
      h(object{{"type", "integer"}, {"minimum", 0}}, "seconds to wait before retrying");
  out["RateLimit"] =
      h(string_schema(), "the principal's remaining quota (IETF RateLimit header fields draft)");
  out["RateLimit-Policy"] = h(string_schema(), "the principal's quota policy");
  out["traceparent"] = h(string_schema(), "W3C trace context of this request");
  out["Preference-Applied"] =
      h(string_schema(), "the Prefer tokens honoured (wait=N; count=… on a counted page)");
  out["Content-Range"] = h(object{{"type", "string"}, {"pattern", "^([0-9]+-[0-9]+|\\*)/[0-9]+$"}},
                           "with Prefer: count=…: `first-last/total` by position in the whole "
                           "result (the rows a cursor skipped come first), `*/total` for an "
                           "empty page");
  out["Sluice-Version"] =
      h(object{{"type", "string"}, {"pattern", "^[0-9]+$"}},
        "the table's version once the rows are committed (send it as Sluice-Min-Version)");
  out["WWW-Authenticate"] = h(string_schema(), "RFC 6750 Bearer challenge");
  return out;
}

object required_header(std::string_view name) {
  object h = headers().at(name).as_object();
  h["required"] = true;
  return h;
}

std::string problem_response_name(unsigned status) {
  return "Problem" + std::to_string(status);
}

object problem_response(unsigned status) {
  std::string description(http::reason_phrase(status));
  object headers;
  auto required = [](std::string_view name) { return required_header(name); };
  switch (status) {
    case 400:
      description += ": the request is malformed (framing, target, query, JSON)";
      break;
    case 401:
      description += ": this route needs a credential (none, or one not accepted)";
      headers["WWW-Authenticate"] = required("WWW-Authenticate");
      break;
    case 403:
      description += ": the credential lacks the route's scope (missing_scope)";
      break;
    case 404:
      description += ": no such thing";
      break;
    case 408:
      description += ": the request did not arrive within http.read_timeout_ms";
      break;
    case 406:
      description +=
          ": no format the Accept header allows (application/json, text/csv, "
          "application/x-ndjson)";
      break;
    case 409:
      description += ": conflicts with an earlier request";
      break;
    case 413:
      description += ": body over http.body_limit, or too many or too large records";
      break;
    case 414:
      description += ": query string over http.query_limit";
      break;
    case 415:
      description += ": a body type or Content-Encoding this route does not take";
      break;
    case 422:
      description += ": the records are invalid (errors[] points at each)";
      break;
    case 429:
      description += ": the principal's rate limit (records/s) is spent";
      headers["Retry-After"] = required("Retry-After");
      headers["RateLimit"] = ref("headers", "RateLimit");
      headers["RateLimit-Policy"] = ref("headers", "RateLimit-Policy");
      break;
    case 431:
      description += ": headers over http.header_limit";
      break;
    case 500:
      description += ": a logged bug";
      break;
    case 501:
      description += ": a Transfer-Encoding other than chunked";
      break;
    case 503:
      description +=
          ": ours (broker, store, overload, shutting down): nothing was accepted "
          "unless `outcome` is `unknown`; retry after Retry-After";
      headers["Retry-After"] = required("Retry-After");
      break;
    default:
      break;
  }
  object out{{"description", description}, {"content", problem_content()}};
  if (!headers.empty()) out["headers"] = std::move(headers);
  return out;
}

object problem_content() {
  return {{"application/problem+json", object{{"schema", ref("schemas", "Problem")}}}};
}

object json_content(object schema) {
  return {{"application/json", object{{"schema", std::move(schema)}}}};
}

}  // namespace sluice::api::openapi_parts

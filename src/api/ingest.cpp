// POST /v1/{resource}: parse the request into its typed parts, hand the
// records to the pipeline's ingest (which validates, publishes durably and
// waits), and serialise its answer: 202 with the message ids once the broker
// has them, 201 with the rows on Prefer: wait, or a problem+json.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <optional>

#include "api/errors.hpp"
#include "api/handlers.hpp"
#include "api/rate_limits.hpp"
#include "api/request_parts.hpp"
#include "api/version_reader.hpp"
#include "http/problem.hpp"
#include "observe/log.hpp"
#include "observe/trace.hpp"
#include "pipeline/ingest.hpp"

namespace sluice::api {
namespace {

namespace json = boost::json;

// Parses the body into the records to validate, or answers why it cannot.
std::optional<http::response> parse_body(const http::request& req, body_format format,
                                         unsigned depth, std::vector<json::value>& items,
                                         bool& single) {
  auto parse_one = [&](std::string_view text, std::string_view where) -> std::optional<http::response> {
    auto parsed = parse_strict_json(text, depth);
    if (parsed.duplicate_key) {
      // A repeated key would silently lose a value: refused, naming the key.
      std::string detail = std::string(where) + "duplicate key ";
      observe::append_json_string(detail, *parsed.duplicate_key);
      detail += " in a JSON object";
      return http::problem(400, detail);
    }
    if (parsed.error) {
      const auto& ec = parsed.error;
      std::string detail = ec == json::error::too_deep
                               ? "JSON nested deeper than " + std::to_string(depth) + " levels"
                               : "malformed JSON: " + ec.message();
      return http::problem(400, std::string(where) + detail);
    }
    json::value v = std::move(parsed.value);
    items.push_back(std::move(v));
    return std::nullopt;
  };
  if (format == body_format::json) {
    if (auto bad = parse_one(req.body, "")) return bad;
    if (items.front().is_array()) {
      single = false;
      json::array arr = std::move(items.front().as_array());
      items.assign(std::make_move_iterator(arr.begin()), std::make_move_iterator(arr.end()));
    }
    return std::nullopt;
  }
  single = false;
  std::string_view rest = req.body;
  for (std::size_t line = 1; !rest.empty(); ++line) {
    auto nl = rest.find('\n');
    std::string_view text = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (auto bad = parse_one(text, "line " + std::to_string(line) + ": ")) return bad;
  }
  return std::nullopt;
}

std::string status_url(std::string_view id) { return "/v1/messages/" + std::string(id); }

// 202: one status object per message (one object for a single record).
std::string accepted_body(const std::vector<std::string>& ids, bool single) {
  auto one = [](const std::string& id) {
    return json::object{{"id", id}, {"status", "accepted"}, {"status_url", status_url(id)}};
  };
  if (single) return json::serialize(one(ids.front()));
  json::array list;
  list.reserve(ids.size());
  for (const auto& id : ids) list.push_back(one(id));
  return json::serialize(list);
}

}  // namespace

awaitable<http::response> post_records(context& ctx, const config::resource_def& resource,
                                       http::request& req, const auth::principal& who) {
  const auto& limits = ctx.cfg.http;
  // The server continued or started this request's trace: the answer, the
  // access-log line and every message carry the same trace and span.
  const auto& trace = req.trace;
  auto reject = [&](http::response r) {
    ctx.metrics.published(resource.name, "rejected", 1);
    r.set("traceparent", trace.traceparent());
    return r;
  };

  body_format format = format_of(req.header("content-type"));
  if (format == body_format::unsupported) {
    co_return reject(http::problem(
        415, "send application/json (an object or an array) or application/x-ndjson, UTF-8"));
  }
  std::string_view idem_key = req.header("idempotency-key");
  if (req.has_header("idempotency-key") && !valid_idempotency_key(idem_key)) {
    co_return reject(http::problem(400, "Idempotency-Key must be 1 to 255 visible ASCII characters",
                                   {{"/headers/idempotency-key", "invalid"}}));
  }

  pipeline::ingest_request in;
  in.resource = &resource;
  if (auto bad = parse_body(req, format, limits.json_depth, in.records, in.single)) {
    co_return reject(std::move(*bad));
  }
  // The rate limit counts records: known only now, and nothing is validated
  // or published yet, so a refused POST changes nothing. Every request costs
  // at least 1.
  http::header_list rate_headers;
  const auto subject =
      subject_of(who, auth::publish_scope(resource.name), ctx.cfg.auth, req.client_address);
  if (auto over = charge(ctx.limiter_for(subject.by_address), ctx.metrics, subject,
                         std::max<std::size_t>(1, in.records.size()), rate_headers)) {
    co_return reject(std::move(*over));
  }
  auto with_rate = [&](http::response r) {
    for (auto& h : rate_headers) r.headers.push_back(h);
    return r;
  };
  in.idempotency_key = std::string(idem_key);
  in.principal_id = who.id;
  in.traceparent = trace.traceparent();
  in.trace_id = trace.trace_id;
  in.wait = parse_prefer(req.header("prefer"), limits.max_wait_seconds).wait;
  const bool single = in.single;
  const auto wait = in.wait;

  auto out = co_await ctx.ingest.accept(std::move(in));
  if (out.refused) {
    auto r = refusal_response(*out.refused, limits.max_batch);
    r.set("traceparent", trace.traceparent());
    co_return with_rate(std::move(r));
  }

  http::response res;
  res.set("traceparent", trace.traceparent());
  res.set("Content-Type", "application/json");
  if (wait) res.set("Preference-Applied", "wait=" + std::to_string(*wait));
  if (out.rows) {
    res.status = 201;
    // The read-your-writes token: the table's version now that the rows are
    // committed. A GET sending it as Sluice-Min-Version is served a page at
    // least this new (from a replica only once it has replayed it).
    auto version = co_await ctx.version_reads.current(resource.name, ctx.cfg.store.read_timeout);
    if (version) res.set("Sluice-Version", std::to_string(*version));
    if (single) {
      res.set("Location", "/v1/" + resource.name + "/" + std::to_string(out.rows->front().id));
      res.body = std::move(out.rows->front().json);
    } else {
      // The rows are JSON objects already: joined, not re-serialised.
      res.body = "[";
      for (std::size_t i = 0; i < out.rows->size(); ++i) {
        if (i > 0) res.body += ',';
        res.body += (*out.rows)[i].json;
      }
      res.body += ']';
    }
    co_return with_rate(std::move(res));
  }
  res.status = 202;
  if (single) res.set("Location", status_url(out.ids.front()));
  res.body = accepted_body(out.ids, single);
  co_return with_rate(std::move(res));
}

}  // namespace sluice::api

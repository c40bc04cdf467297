// POST /v1/{resource}: validate strictly, publish durably, answer 202 only
// once the broker has the messages (or 201 with the rows, on Prefer: wait).

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <optional>

#include "api/errors.hpp"
#include "api/handlers.hpp"
#include "api/offload.hpp"
#include "api/request_parts.hpp"
#include "core/clock.hpp"
#include "http/problem.hpp"
#include "model/uuid.hpp"
#include "model/validate.hpp"
#include "observe/log.hpp"
#include "observe/trace.hpp"

namespace sluice::api {
namespace {

namespace json = boost::json;
constexpr std::size_t max_reported_problems = 100;

// Parses the body into the records to validate, or answers why it cannot.
std::optional<http::response> parse_body(const http::request& req, body_format format,
                                         unsigned depth, std::vector<json::value>& items,
                                         bool& single) {
  json::parse_options opts;
  opts.max_depth = depth;
  auto parse_one = [&](std::string_view text, std::string_view where) -> std::optional<http::response> {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec, {}, opts);
    if (ec) {
      std::string detail = ec == json::error::too_deep
                               ? "JSON nested deeper than " + std::to_string(depth) + " levels"
                               : "malformed JSON: " + ec.message();
      return http::problem(400, std::string(where) + detail);
    }
    if (auto key = first_duplicate_key(text)) {
      // A repeated key would silently lose a value: refused, naming the key.
      std::string detail = std::string(where) + "duplicate key ";
      observe::append_json_string(detail, *key);
      detail += " in a JSON object";
      return http::problem(400, detail);
    }
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

// Waits until every message has a final outcome or the deadline passes;
// returns the row JSON of each when all were stored.
awaitable<std::optional<std::vector<std::pair<std::int64_t, std::string>>>> wait_for_rows(
    context& ctx, const std::vector<broker::message>& msgs, unsigned seconds) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + std::chrono::seconds(seconds);
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  std::chrono::milliseconds interval{1};
  std::vector<store::message_status> done(msgs.size());
  std::size_t pending = msgs.size();
  for (;;) {
    for (std::size_t i = 0; i < msgs.size(); ++i) {
      if (done[i].status != store::message_status::state::unknown) continue;
      auto st = co_await offload(ctx.blocking, [&] { return ctx.store.status(msgs[i].id); });
      if (!st) co_return std::nullopt;
      if (st->status == store::message_status::state::unknown) break;
      done[i] = *st;
      --pending;
    }
    if (pending == 0) break;
    if (clock::now() + interval > deadline) co_return std::nullopt;
    timer.expires_after(interval);
    co_await timer.async_wait(boost::asio::use_awaitable);
    interval = std::min(interval * 2, std::chrono::milliseconds(50));
  }
  std::vector<std::pair<std::int64_t, std::string>> rows;
  for (const auto& st : done) {
    if (st.status != store::message_status::state::stored) co_return std::nullopt;
    auto row = co_await offload(ctx.blocking, [&] { return ctx.store.get(st.table, st.row_id); });
    if (!row || !*row) co_return std::nullopt;
    rows.emplace_back(st.row_id, std::move(**row));
  }
  co_return rows;
}

}  // namespace

awaitable<http::response> post_records(context& ctx, const config::resource_def& resource,
                                       http::request& req) {
  const auto& limits = ctx.cfg.http;
  auto trace = observe::continue_or_start(req.header("traceparent"));
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

  std::vector<json::value> items;
  bool single = true;
  if (auto bad = parse_body(req, format, limits.json_depth, items, single)) {
    co_return reject(std::move(*bad));
  }
  if (items.size() > limits.max_batch) {
    co_return reject(http::problem(413, "at most " + std::to_string(limits.max_batch) +
                                            " records per request"));
  }
  if (items.empty()) co_return reject(http::problem(422, "no records in the request"));

  std::vector<model::problem> problems;
  std::vector<broker::message> msgs(items.size());
  const auto accepted_at = now_us();
  for (std::size_t i = 0; i < items.size(); ++i) {
    model::record rec;
    std::string prefix = single ? "" : "/" + std::to_string(i);
    if (!model::validate(resource, items[i], prefix, rec, problems)) continue;
    auto& m = msgs[i];
    m.id = idem_key.empty() ? model::uuid_v7() : model::uuid_v5(resource.name, idem_key, i);
    m.topic = resource.name;
    m.body = model::to_json(resource, rec);
    m.accepted_at_us = accepted_at;
    m.deduplicate = !idem_key.empty();
    m.headers = {{"content-type", "application/json"}, {"traceparent", trace.traceparent()}};
    if (!idem_key.empty()) m.headers.emplace_back("idempotency-key", std::string(idem_key));
  }
  if (!problems.empty()) {
    std::vector<http::field_error> errors;
    for (std::size_t i = 0; i < problems.size() && i < max_reported_problems; ++i) {
      errors.push_back({problems[i].pointer, problems[i].detail});
    }
    co_return reject(http::problem(422, "the request has invalid records", errors));
  }

  if (auto ec = co_await publish(ctx.broker, msgs)) {
    // A full broker disk is told apart: it is an operator's alert, not a blip.
    const bool full = ec == broker::errc::storage_full;
    ctx.metrics.published(resource.name, full ? "storage_full" : "failed", msgs.size());
    observe::warn("publish failed", {{"topic", resource.name},
                                     {"error", ec.message()},
                                     {"trace_id", trace.trace_id}});
    auto r = error_response(ec);
    r.set("traceparent", trace.traceparent());
    co_return r;
  }
  ctx.metrics.published(resource.name, "accepted", msgs.size());

  http::response res;
  res.set("traceparent", trace.traceparent());
  auto wait = parse_prefer(req.header("prefer"), ctx.cfg.http.max_wait_seconds).wait;
  if (wait) {
    res.set("Preference-Applied", "wait=" + std::to_string(*wait));
    if (auto rows = co_await wait_for_rows(ctx, msgs, *wait)) {
      res.status = 201;
      res.set("Content-Type", "application/json");
      if (single) {
        res.set("Location", "/v1/" + resource.name + "/" + std::to_string(rows->front().first));
        res.body = std::move(rows->front().second);
      } else {
        res.body = "[";
        for (std::size_t i = 0; i < rows->size(); ++i) {
          if (i > 0) res.body += ',';
          res.body += (*rows)[i].second;
        }
        res.body += ']';
      }
      co_return res;
    }
  }
  res.status = 202;
  res.set("Content-Type", "application/json");
  if (single) res.set("Location", status_url(msgs.front().id));
  std::string& b = res.body;
  b = single ? "" : "[";
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    if (i > 0) b += ',';
    b += "{\"id\":\"" + msgs[i].id + "\",\"status\":\"accepted\",\"status_url\":\"" +
         status_url(msgs[i].id) + "\"}";
  }
  if (!single) b += ']';
  co_return res;
}

}  // namespace sluice::api

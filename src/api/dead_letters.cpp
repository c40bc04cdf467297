// The dead-letter endpoints (scope admin):
//   GET    /v1/dead-letters?subscription=&topic=&since=&limit=&after=
//   GET    /v1/dead-letters/{message_id}[?subscription=]
//   POST   /v1/dead-letters/{message_id}/redrive[?subscription=]
//   POST   /v1/dead-letters:redrive?subscription=&topic=&since=&limit=
//   DELETE /v1/dead-letters/{message_id}[?subscription=]
// A redrive first marks the entries redriven in the store (one transaction,
// recorded in the message's history), then publishes the messages again; if
// the publish fails the marks are undone. A redrive whose answer was lost can
// be repeated: it publishes again, and the store keeps one row per message.
// Store calls have the request's deadline (store/call_within.hpp); their
// lambdas are named locals that own what they use (see reads.cpp).

#include "api/dead_letters.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse_query.hpp>
#include <charconv>
#include <set>

#include "api/errors.hpp"
#include "auth/base64url.hpp"
#include "http/problem.hpp"
#include "model/validate.hpp"
#include "observe/log.hpp"
#include "store/call_within.hpp"

namespace sluice::api {
namespace {

namespace json = boost::json;

constexpr std::size_t k_default_limit = dead_letter_default_limit;
constexpr std::size_t k_max_limit = dead_letter_max_limit;
constexpr std::size_t k_max_id = 200;  // bytes of a message id in a path
constexpr std::size_t k_max_reason_filter = dead_letter_max_reason_filter;

template <class Fn>
awaitable<std::invoke_result_t<Fn>> store_call(context& ctx, Fn fn) {
  return store::call_within(ctx.blocking, ctx.cfg.store.read_timeout, &ctx.store_health,
                            std::move(fn));
}

http::response bad_parameter(const std::string& name, const std::string& detail) {
  return http::problem(400, name + ": " + detail, {{name, detail}});
}

std::string cursor_of(const store::dead_letter_entry& e) {
  return auth::base64url_encode(e.message_id + '\n' + e.subscription);
}

std::optional<std::pair<std::string, std::string>> parse_cursor(std::string_view text) {
  auto raw = auth::base64url_decode(text);
  if (!raw) return std::nullopt;
  auto nl = raw->find('\n');
  if (nl == std::string::npos) return std::nullopt;
  return std::pair{raw->substr(0, nl), raw->substr(nl + 1)};
}

struct filters {
  store::dead_letter_query q;
  std::string link_params;  // the filters again, for Link: rel="next" (encoded)
};

// Parses the query string; `allowed` names the parameters this route takes.
std::optional<filters> parse_filters(std::string_view query,
                                     const std::set<std::string_view>& allowed,
                                     http::response& error) {
  filters out;
  out.q.limit = k_default_limit;
  // NUL-terminated: Boost.URL 1.81's parse_query reads through strlen (see
  // list_query.cpp).
  const std::string text(query);
  auto params = boost::urls::parse_query(text);
  if (!params) {
    error = http::problem(400, "malformed query string");
    return std::nullopt;
  }
  std::set<std::string, std::less<>> seen;
  for (auto it = params->begin(); it != params->end(); ++it) {
    auto p = *it;
    const std::string key = p.key.decode();
    const std::string value = p.value.decode();
    if (!allowed.count(key)) {
      std::string names;
      for (auto a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
      error = bad_parameter(key, "unknown parameter; this endpoint takes " + names);
      return std::nullopt;
    }
    if (!seen.insert(key).second) {
      error = bad_parameter(key, "given more than once");
      return std::nullopt;
    }
    if (key == "subscription" || key == "topic") {
      if (value.empty()) {
        error = bad_parameter(key, "must not be empty");
        return std::nullopt;
      }
      (key == "subscription" ? out.q.subscription : out.q.topic) = value;
      out.link_params += "&" + key + "=" + std::string(p.value);
    } else if (key == "reason") {
      if (value.empty() || value.size() > k_max_reason_filter) {
        error = bad_parameter(key, "text of 1 to " + std::to_string(k_max_reason_filter) +
                                       " bytes that the reason contains");
        return std::nullopt;
      }
      out.q.reason = value;
      out.link_params += "&reason=" + std::string(p.value);
    } else if (key == "since") {
      out.q.since_us = model::timestamp_micros(value);
      if (!out.q.since_us) {
        error = bad_parameter(key, "not an RFC 3339 timestamp (2026-12-02T06:00:00Z)");
        return std::nullopt;
      }
      out.link_params += "&since=" + std::string(p.value);
    } else if (key == "limit") {
      std::size_t n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || ptr != value.data() + value.size() || n < 1 || n > k_max_limit) {
        error = bad_parameter(key, "an integer from 1 to " + std::to_string(k_max_limit));
        return std::nullopt;
      }
      out.q.limit = n;
    } else if (key == "after") {
      out.q.after = parse_cursor(value);
      if (!out.q.after) {
        error = bad_parameter(key, "not a cursor from a Link: rel=\"next\" of this endpoint");
        return std::nullopt;
      }
    }
  }
  return out;
}

// A message id from the path: any non-empty text up to k_max_id bytes (a
// dead letter may hold a broker message whose id is no UUID).
bool plausible_id(std::string_view id) {
  return !id.empty() && id.size() <= k_max_id;
}

json::object entry_json(const store::dead_letter_entry& e) {
  return {{"message_id", observe::valid_utf8(e.message_id)},
          {"subscription", e.subscription},
          {"topic", e.topic},
          {"state", store::to_string(e.state)},
          {"reason", observe::valid_utf8(e.reason)},
          {"attempts", e.attempts},
          {"redrives", e.redrives},
          {"first_failed_at", e.first_failed_at},
          {"last_failed_at", e.last_failed_at},
          {"body", observe::valid_utf8(e.body)},
          {"status_url", "/v1/messages/" + observe::valid_utf8(e.message_id)}};
}

http::response json_answer(unsigned status, const json::value& v) {
  return json_response(status, json::serialize(v));
}

// Publishes `entries` again (one message per message id: the topic's fan-out
// reaches every subscription) or, when that fails, puts them back as they
// were. Answers what the client is told on failure; nullopt on success.
awaitable<std::optional<http::response>> publish_again(
    context& ctx, const http::request& req, const std::vector<store::dead_letter_entry>& entries) {
  std::vector<pipeline::republish_item> items;
  std::set<std::string, std::less<>> ids;
  for (const auto& e : entries) {
    if (ids.insert(e.message_id).second) items.push_back({e.message_id, e.topic, e.body});
  }
  auto ec = co_await ctx.ingest.republish(std::move(items), req.trace.traceparent());
  if (!ec) {
    for (const auto& e : entries) ctx.metrics.redriven(e.subscription, 1);
    co_return std::nullopt;
  }
  auto undo = [&store = ctx.store, entries]() -> std::error_code {
    for (const auto& e : entries) {
      if (auto uec = store.unmark_redriven(e.message_id, e.subscription)) return uec;
    }
    return {};
  };
  auto undone = co_await store_call(ctx, std::move(undo));
  if (undone) {
    observe::warn("redrive undo failed: entries stay redriven until redriven again",
                  {{"error", undone.message()}});
  }
  auto r = http::problem(503,
                         "the broker did not take the redrive; the dead letters are "
                         "unchanged, retry later");
  r.set("Retry-After", "1");
  co_return r;
}

}  // namespace

awaitable<http::response> list_dead_letters(context& ctx, const http::request& /*req*/,
                                            std::string_view query) {
  http::response error;
  auto f =
      parse_filters(query, {"subscription", "topic", "reason", "since", "limit", "after"}, error);
  if (!f) co_return error;
  auto list = [&store = ctx.store, q = f->q] { return store.dead_letters(q); };
  auto page = co_await store_call(ctx, std::move(list));
  if (!page) co_return error_response(page.error(), ctx.cfg.store.read_timeout);
  json::array out;
  for (const auto& e : page->entries) out.push_back(entry_json(e));
  auto r = json_answer(200, out);
  r.set("Cache-Control", "no-store");
  if (page->entries.size() == f->q.limit && !page->entries.empty()) {
    r.set("Link", "</v1/dead-letters?limit=" + std::to_string(f->q.limit) + "&after=" +
                      cursor_of(page->entries.back()) + f->link_params + ">; rel=\"next\"");
  }
  co_return r;
}

awaitable<http::response> get_dead_letter(context& ctx, std::string_view id,
                                          std::string_view query) {
  if (!plausible_id(id)) co_return http::problem(404, "no such dead letter");
  http::response error;
  auto f = parse_filters(query, {"subscription"}, error);
  if (!f) co_return error;
  auto look = [&store = ctx.store, mid = std::string(id)] { return store.dead_letters_of(mid); };
  auto found = co_await store_call(ctx, std::move(look));
  if (!found) co_return error_response(found.error(), ctx.cfg.store.read_timeout);
  std::vector<store::dead_letter_entry> match;
  for (auto& e : *found) {
    if (!f->q.subscription || e.subscription == *f->q.subscription) match.push_back(std::move(e));
  }
  if (match.empty()) co_return http::problem(404, "no dead letter of message " + std::string(id));
  if (match.size() > 1) {
    json::array subs;
    for (const auto& e : match) subs.emplace_back(e.subscription);
    co_return http::problem(409,
                            "the message has dead letters in several subscriptions; name one "
                            "with ?subscription=",
                            {}, {{"subscriptions", std::move(subs)}});
  }
  auto r = json_answer(200, entry_json(match.front()));
  r.set("Cache-Control", "no-store");
  co_return r;
}

awaitable<http::response> redrive_dead_letter(context& ctx, const http::request& req,
                                              std::string_view id, std::string_view query) {
  if (!plausible_id(id)) co_return http::problem(404, "no such dead letter");
  http::response error;
  auto f = parse_filters(query, {"subscription"}, error);
  if (!f) co_return error;
  auto mark = [&store = ctx.store, mid = std::string(id), sub = f->q.subscription] {
    return store.mark_redriven(mid, sub);
  };
  auto marked = co_await store_call(ctx, std::move(mark));
  if (!marked) co_return error_response(marked.error(), ctx.cfg.store.read_timeout);
  if (marked->empty()) {
    // Nothing to redrive: discarded, or never dead-lettered (here).
    auto look = [&store = ctx.store, mid = std::string(id)] { return store.dead_letters_of(mid); };
    auto found = co_await store_call(ctx, std::move(look));
    if (!found) co_return error_response(found.error(), ctx.cfg.store.read_timeout);
    for (const auto& e : *found) {
      if (!f->q.subscription || e.subscription == *f->q.subscription) {
        co_return http::problem(409, "the dead letter was discarded; it cannot be redriven");
      }
    }
    co_return http::problem(404, "no dead letter of message " + std::string(id));
  }
  if (auto failed = co_await publish_again(ctx, req, *marked)) co_return std::move(*failed);
  json::array subs;
  for (const auto& e : *marked) subs.emplace_back(e.subscription);
  const std::string mid = marked->front().message_id;
  auto r =
      json_answer(202, json::object{{"message_id", observe::valid_utf8(mid)},
                                    {"redriven", std::move(subs)},
                                    {"status_url", "/v1/messages/" + observe::valid_utf8(mid)}});
  r.set("Location", "/v1/messages/" + observe::valid_utf8(mid));
  co_return r;
}

awaitable<http::response> redrive_dead_letters(context& ctx, const http::request& req,
                                               std::string_view query) {
  http::response error;
  auto f = parse_filters(query, {"subscription", "topic", "reason", "since", "limit"}, error);
  if (!f) co_return error;
  auto mark = [&store = ctx.store, q = f->q] { return store.mark_redriven_matching(q); };
  auto marked = co_await store_call(ctx, std::move(mark));
  if (!marked) co_return error_response(marked.error(), ctx.cfg.store.read_timeout);
  if (auto failed = co_await publish_again(ctx, req, *marked)) co_return std::move(*failed);
  json::array ids;
  for (const auto& e : *marked) ids.emplace_back(observe::valid_utf8(e.message_id));
  co_return json_answer(202, json::object{{"redriven", marked->size()},
                                          {"limit", f->q.limit},
                                          {"message_ids", std::move(ids)}});
}

awaitable<http::response> discard_dead_letter(context& ctx, std::string_view id,
                                              std::string_view query) {
  if (!plausible_id(id)) co_return http::problem(404, "no such dead letter");
  http::response error;
  auto f = parse_filters(query, {"subscription"}, error);
  if (!f) co_return error;
  auto drop = [&store = ctx.store, mid = std::string(id), sub = f->q.subscription] {
    return store.discard(mid, sub);
  };
  auto dropped = co_await store_call(ctx, std::move(drop));
  if (!dropped) co_return error_response(dropped.error(), ctx.cfg.store.read_timeout);
  for (const auto& e : *dropped) ctx.metrics.discarded(e.subscription, 1);
  if (dropped->empty()) {
    auto look = [&store = ctx.store, mid = std::string(id)] { return store.dead_letters_of(mid); };
    auto found = co_await store_call(ctx, std::move(look));
    if (!found) co_return error_response(found.error(), ctx.cfg.store.read_timeout);
    bool any = false, pending = false;
    for (const auto& e : *found) {
      if (f->q.subscription && e.subscription != *f->q.subscription) continue;
      any = true;
      pending = pending || e.state == store::dead_letter_state::redriven;
    }
    if (!any) co_return http::problem(404, "no dead letter of message " + std::string(id));
    if (pending) {
      co_return http::problem(409, "the dead letter was redriven; its new outcome is pending");
    }
    // Discarded already: the same answer as the first time.
  }
  http::response r;
  r.status = 204;
  co_return r;
}

}  // namespace sluice::api

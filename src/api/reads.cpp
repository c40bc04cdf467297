// GET endpoints over the store: pages of rows, one row, one message's status.

#include <charconv>

#include "api/errors.hpp"
#include "api/handlers.hpp"
#include "api/list_query.hpp"
#include "api/offload.hpp"
#include "http/problem.hpp"
#include "model/uuid.hpp"
#include "observe/log.hpp"

namespace sluice::api {
namespace {

// A strong validator of the exact bytes served (FNV-1a, 64 bits).
std::string etag_of(std::string_view body) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : body) h = (h ^ c) * 1099511628211ull;
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match == "*") return true;
  for (std::size_t pos = 0; pos < if_none_match.size();) {
    auto end = if_none_match.find(',', pos);
    if (end == std::string_view::npos) end = if_none_match.size();
    auto tag = if_none_match.substr(pos, end - pos);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.rfind("W/", 0) == 0) tag.remove_prefix(2);  // weak comparison (RFC 9110)
    if (tag == etag) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace

http::response json_response(unsigned status, std::string body) {
  http::response r;
  r.status = status;
  r.set("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

awaitable<http::response> list_rows(context& ctx, const config::resource_def& resource,
                                    const http::request& req, std::string_view query) {
  http::field_error error;
  auto parsed = parse_list_query(resource, query, error);
  if (!parsed) co_return http::problem(400, error.pointer + ": " + error.detail, {error});
  auto page = co_await offload(ctx.blocking,
                               [&] { return ctx.store.query(resource.name, parsed->query); });
  if (!page) co_return error_response(page.error());

  std::string etag = etag_of(page->json);
  if (etag_matches(req.header("if-none-match"), etag)) {
    http::response r;
    r.status = 304;
    r.set("ETag", etag);
    co_return r;
  }
  auto r = json_response(200, std::move(page->json));
  r.set("ETag", etag);
  r.set("Cache-Control", "no-cache");
  if (page->count == parsed->query.limit && page->last_id) {
    r.set("Link", "</v1/" + resource.name + "?limit=" + std::to_string(parsed->query.limit) +
                      "&after=" + std::to_string(*page->last_id) + parsed->filter_params +
                      ">; rel=\"next\"");
  }
  co_return r;
}

awaitable<http::response> get_row(context& ctx, const config::resource_def& resource,
                                  std::string_view id_text) {
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc{} || p != id_text.data() + id_text.size()) {
    co_return http::problem(404, "no such " + resource.name + " row: ids are integers");
  }
  auto row = co_await offload(ctx.blocking, [&] { return ctx.store.get(resource.name, id); });
  if (!row) co_return error_response(row.error());
  if (!*row) co_return http::problem(404, "no " + resource.name + " row with id " + std::string(id_text));
  auto r = json_response(200, std::move(**row));
  r.set("ETag", etag_of(r.body));
  co_return r;
}

awaitable<http::response> message_status(context& ctx, std::string_view id) {
  if (!model::is_uuid(id)) co_return http::problem(404, "no such message: ids are UUIDs");
  std::string mid(id);
  auto st = co_await offload(ctx.blocking, [&] { return ctx.store.status(mid); });
  if (!st) co_return error_response(st.error());
  using state = store::message_status::state;
  std::string body = "{\"id\":";
  observe::append_json_string(body, mid);
  switch (st->status) {
    case state::stored:
      body += ",\"status\":\"stored\",\"row_url\":\"/v1/" + st->table + "/" +
              std::to_string(st->row_id) + "\"}";
      break;
    case state::dead_lettered:
      body += ",\"status\":\"dead_lettered\",\"subscription\":";
      observe::append_json_string(body, st->subscription);
      body += ",\"reason\":";
      observe::append_json_string(body, st->reason);
      body += ",\"attempts\":" + std::to_string(st->attempts) + "}";
      break;
    case state::unknown: {
      auto held = co_await offload(ctx.blocking, [&] { return ctx.broker.holds(mid); });
      if (held && *held && !**held) co_return http::problem(404, "no such message: " + mid);
      body += ",\"status\":\"pending\"}";
      break;
    }
  }
  co_return json_response(200, std::move(body));
}

}  // namespace sluice::api

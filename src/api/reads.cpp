// GET endpoints over the store: pages of rows, one row, one message's status.

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>

#include "api/errors.hpp"
#include "api/handlers.hpp"
#include "api/list_query.hpp"
#include "api/request_parts.hpp"
#include "api/version_reader.hpp"
#include "cache/page_cache.hpp"
#include "core/offload.hpp"
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

}  // namespace

http::response json_response(unsigned status, std::string body) {
  http::response r;
  r.status = status;
  r.set("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

namespace {

// The table's version for the cache: known fresh enough, or read now; nullopt
// when the store cannot say (the page is then served uncached).
awaitable<std::optional<std::int64_t>> current_version(context& ctx, const std::string& table) {
  if (auto v = ctx.versions.fresh(table)) co_return v;
  auto read = co_await ctx.version_reads.current(table);
  if (read) ctx.versions.observe(table, *read);
  co_return read;
}

// 200 with the body, or 304 when the client holds it; ETag and Cache-Control
// on both, so pages and single rows revalidate the same way.
http::response conditional_json(const http::request& req, std::string body, const std::string& etag,
                                const std::string& cache_control) {
  http::response r;
  if (etag_matches(req.header("if-none-match"), etag)) {
    r.status = 304;
  } else {
    r = json_response(200, std::move(body));
  }
  r.set("ETag", etag);
  r.set("Cache-Control", cache_control);
  return r;
}

http::response page_response(const cache::page& p, const http::request& req,
                             const std::string& cache_control) {
  auto r = conditional_json(req, p.body, p.etag, cache_control);
  if (r.status == 200 && !p.link.empty()) r.set("Link", p.link);
  return r;
}

}  // namespace

awaitable<http::response> list_rows(context& ctx, const config::resource_def& resource,
                                    const http::request& req, std::string_view query) {
  http::field_error error;
  auto parsed = parse_list_query(resource, query, error);
  if (!parsed) co_return http::problem(400, error.pointer + ": " + error.detail, {error});

  // Versioned cache: a hit needs only the (cheap) version read, never the query.
  std::optional<std::int64_t> version;
  std::string key;
  if (ctx.pages.max_bytes() > 0) {
    version = co_await current_version(ctx, resource.name);
    key = cache_key(resource.name, parsed->query);
    if (version) {
      if (auto hit = ctx.pages.get(key, *version)) {
        co_return page_response(**hit, req, ctx.cfg.cache.control);
      }
    }
  }

  // One hop to the blocking pool: the shared cache, else the store (and then
  // the shared cache is filled for the other replicas).
  cache::shared_pages* shared = version ? ctx.shared_pages : nullptr;
  auto built = co_await offload(ctx.blocking, [&]() -> result<cache::page> {
    if (shared) {
      if (auto hit = shared->get(key, *version)) return std::move(*hit);
    }
    auto rows = ctx.store.query(resource.name, parsed->query);
    if (!rows) return rows.error();
    cache::page p;
    p.etag = etag_of(rows->json);
    if (rows->count == parsed->query.limit && rows->last_id) {
      p.link = "</v1/" + resource.name + "?limit=" + std::to_string(parsed->query.limit) +
               "&after=" + std::to_string(*rows->last_id) + parsed->filter_params +
               ">; rel=\"next\"";
    }
    p.body = std::move(rows->json);
    if (shared) shared->put(key, *version, p);
    return p;
  });
  if (!built) co_return error_response(built.error());
  auto p = std::make_shared<const cache::page>(std::move(*built));
  auto r = page_response(*p, req, ctx.cfg.cache.control);
  // Built at `version` or later: stored under `version`, it is served only to
  // readers who saw that version, for whom it is fresh enough.
  if (version) ctx.pages.put(key, *version, std::move(p));
  co_return r;
}

awaitable<http::response> get_row(context& ctx, const config::resource_def& resource,
                                  const http::request& req, std::string_view id_text) {
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc{} || p != id_text.data() + id_text.size()) {
    co_return http::problem(404, "no such " + resource.name + " row: ids are integers");
  }
  auto row = co_await offload(ctx.blocking, [&] { return ctx.store.get(resource.name, id); });
  if (!row) co_return error_response(row.error());
  if (!*row) co_return http::problem(404, "no " + resource.name + " row with id " + std::string(id_text));
  std::string etag = etag_of(**row);
  co_return conditional_json(req, std::move(**row), etag, ctx.cfg.cache.control);
}

awaitable<http::response> message_status(context& ctx, std::string_view id) {
  if (!model::is_uuid(id)) co_return http::problem(404, "no such message: ids are UUIDs");
  std::string mid(id);
  auto found = co_await offload(ctx.blocking, [&] { return ctx.ingest.locate(mid); });
  if (!found) co_return error_response(found.error());
  if (found->unknown) co_return http::problem(404, "no such message: " + mid);
  const auto& st = found->status;
  using state = store::message_status::state;
  boost::json::object body{{"id", mid}};
  switch (st.status) {
    case state::stored:
      body["status"] = "stored";
      body["row_url"] = "/v1/" + st.table + "/" + std::to_string(st.row_id);
      break;
    case state::dead_lettered:
      body["status"] = "dead_lettered";
      body["subscription"] = st.subscription;
      body["reason"] = observe::valid_utf8(st.reason);
      body["attempts"] = st.attempts;
      break;
    case state::unknown:
      body["status"] = "pending";
      break;
  }
  co_return json_response(200, boost::json::serialize(body));
}

}  // namespace sluice::api

// GET endpoints over the store: pages of rows, one row, one message's status.
// Every store call made here has the request's client-side deadline
// (store.read_timeout_ms, store/call_within.hpp): its lambda owns what it
// uses, since past the deadline it runs on after the handler has answered.
// Each such lambda is a named local, never a temporary inside the co_await
// expression: GCC 12 destroys a temporary with a non-trivial destructor
// there twice (a double free, seen in store_deadline_test).

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <system_error>

#include "api/errors.hpp"
#include "api/handlers.hpp"
#include "api/list_query.hpp"
#include "api/request_parts.hpp"
#include "api/version_reader.hpp"
#include "cache/page_cache.hpp"
#include "http/problem.hpp"
#include "model/row_format.hpp"
#include "model/uuid.hpp"
#include "observe/log.hpp"
#include "store/call_within.hpp"
#include "store/page_before.hpp"

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

// A store call for this request, bounded by store.read_timeout_ms.
template <class Fn>
awaitable<std::invoke_result_t<Fn>> store_call(context& ctx, Fn fn) {
  return store::call_within(ctx.blocking, ctx.cfg.store.read_timeout, &ctx.store_health,
                            std::move(fn));
}

// Sluice-Min-Version: absent = 0; nullopt when it is not a non-negative integer.
std::optional<std::int64_t> min_version_of(const http::request& req) {
  auto h = req.header("sluice-min-version");
  if (h.empty()) return 0;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(h.data(), h.data() + h.size(), v);
  if (ec != std::errc{} || p != h.data() + h.size() || v < 0) return std::nullopt;
  return v;
}

http::response store_error(const context& ctx, std::error_code ec) {
  return error_response(ec, ctx.cfg.store.read_timeout);
}

// The table's version for the cache: known fresh enough, or read now within
// the request's deadline. An error other than errc::timed_out means the
// store cannot say (the page is then served uncached).
awaitable<result<std::int64_t>> current_version(context& ctx, const std::string& table) {
  if (auto v = ctx.versions.fresh(table)) co_return *v;
  auto read = co_await ctx.version_reads.current(table, ctx.cfg.store.read_timeout);
  if (read) {
    ctx.versions.observe(table, *read);
  } else if (read.error() == store::errc::timed_out) {
    ctx.store_health.record(store::health::side::reads, read.error());
  }
  co_return read;
}

// 200 with the body, or 304 when the client holds it; ETag and Cache-Control
// on both, so pages and single rows revalidate the same way.
http::response conditional(const http::request& req, std::string body, const std::string& etag,
                           const std::string& cache_control,
                           model::row_format format = model::row_format::json) {
  http::response r;
  if (etag_matches(req.header("if-none-match"), etag)) {
    r.status = 304;
  } else {
    r.status = 200;
    r.set("Content-Type", std::string(model::media_type(format)));
    r.body = std::move(body);
  }
  r.set("ETag", etag);
  r.set("Cache-Control", cache_control);
  return r;
}

http::response page_response(const cache::page& p, const http::request& req,
                             const std::string& cache_control, model::row_format format,
                             std::optional<count_preference> count) {
  auto r = conditional(req, p.body, p.etag, cache_control, format);
  // The answer depends on Accept (its format) and Prefer (its count):
  // shared caches must key on them.
  r.set("Vary", "Accept, Prefer");
  if (r.status == 200 && !p.link.empty()) r.set("Link", p.link);
  if (r.status == 200 && !p.content_range.empty()) {
    r.set("Content-Range", p.content_range);
    r.set("Preference-Applied", "count=" + std::string(to_string(*count)));
  }
  return r;
}

// How a page is served besides its query: the format (Accept) and the count
// (Prefer: count=…).
struct page_form {
  model::row_format format = model::row_format::json;
  std::optional<count_preference> count;
  std::uint64_t count_exact_max = 0;
};

store::count_mode count_mode_of(count_preference c) {
  switch (c) {
    case count_preference::planned:
      return store::count_mode::planned;
    case count_preference::estimated:
      return store::count_mode::estimated;
    case count_preference::exact:
      break;
  }
  return store::count_mode::exact;
}

// The page cache's key of a query in a form: a plain JSON page keeps the bare key.
std::string form_key(std::string key, const page_form& form) {
  if (form.format != model::row_format::json) {
    key += "\nformat=";
    key += form.format == model::row_format::csv ? "csv" : "ndjson";
  }
  if (form.count) {
    key += "\ncount=";
    key += to_string(*form.count);
  }
  return key;
}

// Content-Range of a counted page of `rows` rows (RFC 9110 §14.4, as
// PostgREST writes it): "first-last/total" by position in the whole result,
// "*/total" for an empty page. The total is never less than the rows seen.
std::string content_range(const store::row_count& c, std::size_t rows) {
  const std::uint64_t total = std::max<std::uint64_t>(c.total, c.before + rows);
  if (rows == 0) return "*/" + std::to_string(total);
  return std::to_string(c.before) + "-" + std::to_string(c.before + rows - 1) + "/" +
         std::to_string(total);
}

// On the blocking pool: the shared cache's page, else one built from the store
// (and then shared with the other replicas). `version` is set when `shared` is.
result<cache::page> build_page(store::store& store, cache::shared_pages* shared,
                               const std::string& key, std::optional<std::int64_t> version,
                               const config::resource_def& resource, const list_query& q,
                               const page_form& form) {
  const std::string& table = resource.name;
  if (shared) {
    if (auto hit = shared->get(key, *version)) return std::move(*hit);
  }
  // A prev link's page is read backwards from its position (store/page_before.hpp).
  bool more_before = false;
  auto rows = [&]() -> result<store::page> {
    if (!q.before) return store.query(table, q.query);
    auto back = store::query_before(store, table, q.query);
    if (!back) return back.error();
    more_before = back->more_before;
    return std::move(back->rows);
  }();
  if (!rows) return rows.error();
  cache::page p;
  if (form.count) {
    // The same filters as the page; a store without counts serves the page
    // without Content-Range. The rows before a page read backwards are the
    // ones at or before its first row, that row aside.
    store::page_query counted_query = q.query;
    if (q.before) counted_query.after = rows->first;
    auto counted = store.count(table, counted_query, count_mode_of(*form.count),
                               form.count_exact_max);
    if (counted) {
      if (q.before && rows->first && counted->before > 0) --counted->before;
      p.content_range = content_range(*counted, rows->count);
    } else if (counted.error() != store::errc::unsupported) {
      return counted.error();
    }
  }
  if (form.format != model::row_format::json) {
    // The same rows in another format (model/row_format: the export's
    // formatter); CSV lines end in CRLF, as RFC 4180 has them.
    std::string text;
    if (!model::format_rows(form.format, q.query.select.empty() ? model::row_columns(resource) : q.query.select, rows->json, "\r\n", text)) {
      // Not a JSON array of objects: the store's bug, a logged 500.
      return std::make_error_code(std::errc::bad_message);
    }
    rows->json = std::move(text);
  }
  if (form.format == model::row_format::json && p.content_range.empty()) {
    p.etag = etag_of(rows->json);
  } else {
    // Distinct per format and count even for equal bytes: an If-None-Match
    // of one never validates another, nor a page whose total has moved.
    p.etag = etag_of(std::string(model::media_type(form.format)) + '\n' + p.content_range +
                     '\n' + rows->json);
  }
  // next: a full page may have rows past it; a page read backwards always
  // has (the one its cursor came from). prev: a page past a position has
  // rows before it, one read backwards when the probe saw one; the first
  // page and an empty one have none. One Link header, next first (RFC 8288 §3).
  if (rows->last && (q.before || rows->count == q.query.limit)) {
    p.link = "<" + next_page_target(table, q, *rows->last) + ">; rel=\"next\"";
  }
  if (rows->first && (q.before ? more_before : q.query.after.has_value())) {
    if (!p.link.empty()) p.link += ", ";
    p.link += "<" + prev_page_target(table, q, *rows->first) + ">; rel=\"prev\"";
  }
  p.body = std::move(rows->json);
  if (shared) shared->put(key, *version, p);
  return p;
}

}  // namespace

// A GCC 12 false positive: it inlines Asio's coroutine-frame allocator
// (aligned_alloc) into this coroutine's ramp but not the frame's own
// operator delete that frees it, and flags the pair as mismatched.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
awaitable<http::response> list_rows(context& ctx, const config::resource_def& resource,
                                    const http::request& req, std::string_view query) {
  http::field_error error;
  auto parsed = parse_list_query(resource, query, error);
  if (!parsed) co_return http::problem(400, error.pointer + ": " + error.detail, {error});
  page_form form;
  if (auto format = row_format_of(req.header("accept"))) {
    form.format = *format;
  } else {
    co_return http::problem(406,
                            "Accept: pages are served as application/json, text/csv or "
                            "application/x-ndjson");
  }
  // Prefer is a preference (RFC 7240): a count value not understood is ignored.
  form.count = parse_prefer(req.header("prefer"), ctx.cfg.http.max_wait_seconds).count;
  form.count_exact_max = ctx.cfg.store.count_exact_max;
  // Read-your-writes across a replica: the page reflects at least the
  // client's Sluice-Min-Version (a 201's Sluice-Version); see store.read_url.
  auto wanted = min_version_of(req);
  if (!wanted) co_return http::problem(400, "Sluice-Min-Version must be a non-negative integer");

  // Versioned cache: a hit needs only the (cheap) version read, never the query.
  std::optional<std::int64_t> version;
  std::string key;
  if (ctx.pages.max_bytes() > 0) {
    auto read = co_await current_version(ctx, resource.name);
    if (!read && read.error() == store::errc::timed_out) co_return store_error(ctx, read.error());
    if (read) version = *read;
    key = form_key(cache_key(resource.name, parsed->query, parsed->before), form);
    if (version && *version >= *wanted) {
      if (auto hit = ctx.pages.get(key, *version)) {
        co_return page_response(**hit, req, ctx.cfg.cache.control, form.format, form.count);
      }
    }
  }

  // One hop to the blocking pool: the shared cache, else the store (and then
  // the shared cache is filled for the other replicas).
  cache::shared_pages* shared = version && *version >= *wanted ? ctx.shared_pages : nullptr;
  parsed->query.min_version = std::max(version.value_or(0), *wanted);
  // `shared`, the store and the resource (of the configuration) belong to
  // app/, which joins the pool before destroying them; the rest is copied.
  auto build = [&store = ctx.store, shared, key, version, &resource, q = *parsed, form] {
    return build_page(store, shared, key, version, resource, q, form);
  };
  auto built = co_await store_call(ctx, std::move(build));
  if (!built) co_return store_error(ctx, built.error());
  auto p = std::make_shared<const cache::page>(std::move(*built));
  auto r = page_response(*p, req, ctx.cfg.cache.control, form.format, form.count);
  // Built at `version` or later: stored under `version`, it is served only to
  // readers who saw that version, for whom it is fresh enough.
  if (version) ctx.pages.put(key, *version, std::move(p));
  co_return r;
}
#pragma GCC diagnostic pop

awaitable<http::response> get_row(context& ctx, const config::resource_def& resource,
                                  const http::request& req, std::string_view id_text) {
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc{} || p != id_text.data() + id_text.size()) {
    co_return http::problem(404, "no such " + resource.name + " row: ids are integers");
  }
  auto fetch = [&store = ctx.store, table = resource.name, id] { return store.get(table, id); };
  auto row = co_await store_call(ctx, std::move(fetch));
  if (!row) co_return store_error(ctx, row.error());
  if (!*row) co_return http::problem(404, "no " + resource.name + " row with id " + std::string(id_text));
  std::string etag = etag_of(**row);
  co_return conditional(req, std::move(**row), etag, ctx.cfg.cache.control);
}

awaitable<http::response> message_status(context& ctx, std::string_view id) {
  if (!model::is_uuid(id)) co_return http::problem(404, "no such message: ids are UUIDs");
  std::string mid(id);
  auto look = [&ingest = ctx.ingest, &store = ctx.store,
               mid]() -> result<std::pair<pipeline::message_lookup, std::vector<store::message_event>>> {
    auto where = ingest.locate(mid);
    if (!where) return where.error();
    // The story so far (dead-lettered, redriven, stored…); a backend
    // without it has none to tell.
    auto story = store.history(mid);
    if (!story && story.error() != store::errc::unsupported) return story.error();
    return std::pair{std::move(*where), story ? std::move(*story) : std::vector<store::message_event>{}};
  };
  auto looked = co_await store_call(ctx, std::move(look));
  if (!looked) co_return store_error(ctx, looked.error());
  auto* found = &looked->first;
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
    case state::redriven:  // re-published, its new outcome not in yet
    case state::unknown:
      body["status"] = "pending";
      break;
    case state::discarded:
      body["status"] = "discarded";
      body["subscription"] = st.subscription;
      body["reason"] = observe::valid_utf8(st.reason);
      body["attempts"] = st.attempts;
      break;
  }
  // Known once the row or dead letter is written (store::message_status::trace_id).
  if (!st.trace_id.empty()) body["trace_id"] = st.trace_id;
  if (!looked->second.empty()) {
    boost::json::array history;
    for (const auto& e : looked->second) {
      boost::json::object item{{"event", e.event}, {"at", e.at}};
      if (!e.subscription.empty()) item["subscription"] = e.subscription;
      if (!e.table.empty()) item["table"] = e.table;
      if (e.event == "dead_lettered") {
        item["reason"] = observe::valid_utf8(e.reason);
        item["attempts"] = e.attempts;
      }
      history.push_back(std::move(item));
    }
    body["history"] = std::move(history);
  }
  co_return json_response(200, boost::json::serialize(body));
}

}  // namespace sluice::api

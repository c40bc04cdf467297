#include "api/router.hpp"

#include <boost/url/parse.hpp>

#include <vector>

#include "api/handlers.hpp"
#include "http/problem.hpp"

namespace sluice::api {
namespace {

// What a matched path hands its handler.
struct route_args {
  const config::resource_def* resource = nullptr;  // the {resource} segment
  std::string id;                                  // the {id} segment, decoded
  std::string_view query;                          // encoded, views the request target
};

using route_fn = awaitable<http::response> (*)(context&, const route_args&, http::request&);

// One endpoint: a method on a path template. Template segments are literals,
// "{resource}" (the name of a configured resource) or "{id}" (any segment,
// even empty). A GET route serves HEAD too. Routes of one path are adjacent,
// in the order 405's Allow lists them. Per-route policy (e.g. the scope an
// auth check needs) is one more field here.
struct route {
  std::string_view method;
  std::string_view path;
  route_fn handle;
};

// Wraps the non-coroutine handlers so every entry has one shape.
awaitable<http::response> ready(http::response r) { co_return r; }

// First match wins: /v1/messages/{id} before a resource that could be named so.
constexpr route k_routes[] = {
    {"GET", "/healthz",
     [](context&, const route_args&, http::request&) { return ready(healthz()); }},
    {"GET", "/readyz", [](context& ctx, const route_args&, http::request&) { return readyz(ctx); }},
    {"GET", "/metrics",
     [](context& ctx, const route_args&, http::request&) { return ready(metrics(ctx)); }},
    {"GET", "/v1/messages/{id}",
     [](context& ctx, const route_args& a, http::request&) { return message_status(ctx, a.id); }},
    {"GET", "/v1/{resource}",
     [](context& ctx, const route_args& a, http::request& req) {
       return list_rows(ctx, *a.resource, req, a.query);
     }},
    {"POST", "/v1/{resource}",
     [](context& ctx, const route_args& a, http::request& req) {
       return post_records(ctx, *a.resource, req);
     }},
    {"GET", "/v1/{resource}/{id}",
     [](context& ctx, const route_args& a, http::request& req) {
       return get_row(ctx, *a.resource, req, a.id);
     }},
};

constexpr std::string_view k_unmatched = "(unmatched)";

// Whether the decoded `segments` fit `path`; fills `args` and `label` if so.
bool fits(const config::config& cfg, std::string_view path, const std::vector<std::string>& segments,
          route_args& args, std::string& label) {
  std::size_t i = 0;
  label.clear();
  for (std::size_t pos = 1; pos <= path.size(); ++i) {  // path starts with '/'
    auto end = std::min(path.find('/', pos), path.size());
    auto part = path.substr(pos, end - pos);
    pos = end + 1;
    if (i >= segments.size()) return false;
    const std::string& seg = segments[i];
    label += '/';
    if (part == "{resource}") {
      args.resource = cfg.find_resource(seg);
      if (!args.resource) return false;
      label += args.resource->name;
    } else if (part == "{id}") {
      args.id = seg;
      label += part;
    } else if (part == seg) {
      label += part;
    } else {
      return false;
    }
  }
  return i == segments.size();
}

bool serves(const route& r, std::string_view method) {
  return r.method == method || (r.method == "GET" && method == "HEAD");
}

struct resolved {
  route_match match;
  const route* chosen = nullptr;  // set when match.allowed
  route_args args;
  bool parsed = false;  // the target is a valid origin-form
  std::string path;     // encoded, for the 404's detail
};

resolved resolve(const config::config& cfg, std::string_view method, std::string_view target) {
  resolved out;
  out.match.label = k_unmatched;
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return out;
  out.parsed = true;
  out.path = url->encoded_path();
  std::vector<std::string> segments;
  for (auto s : url->segments()) segments.push_back(s);  // decoded
  std::string label;
  for (const auto& r : k_routes) {
    route_args args;
    if (!fits(cfg, r.path, segments, args, label)) continue;
    // The first route whose path fits names the path; its neighbours of the
    // same path are the other methods.
    out.match.label = label;
    for (const auto& same : k_routes) {
      if (same.path != r.path) continue;
      if (!out.match.allow.empty()) out.match.allow += ", ";
      out.match.allow += same.method;
      if (!out.chosen && serves(same, method)) out.chosen = &same;
    }
    out.match.allowed = out.chosen != nullptr;
    out.args = std::move(args);
    out.args.query = url->encoded_query();
    break;
  }
  return out;
}

awaitable<http::response> dispatch(context& ctx, http::request& req) {
  auto r = resolve(ctx.cfg, req.method, req.target);
  http::response res;
  if (!r.parsed) {
    res = http::problem(400, "malformed request target");
  } else if (r.chosen) {
    res = co_await r.chosen->handle(ctx, r.args, req);
  } else if (!r.match.allow.empty()) {
    res = http::problem(405, "method not allowed; allowed: " + r.match.allow);
    res.set("Allow", r.match.allow);
  } else {
    res = http::problem(404, "no such endpoint: " + r.path);
  }
  res.route = std::move(r.match.label);
  co_return res;
}

}  // namespace

route_match match_route(const config::config& cfg, std::string_view method,
                        std::string_view target) {
  return resolve(cfg, method, target).match;
}

http::handler make_handler(context& ctx) {
  return [&ctx](http::request& req) { return dispatch(ctx, req); };
}

}  // namespace sluice::api

#include "api/router.hpp"

#include <boost/url/parse.hpp>

#include <memory>
#include <optional>
#include <vector>

#include "api/cors.hpp"
#include "api/dead_letters.hpp"
#include "api/handlers.hpp"
#include "api/openapi.hpp"
#include "api/rate_limits.hpp"
#include "auth/authenticator.hpp"
#include "auth/principal.hpp"
#include "console/serve.hpp"
#include "http/problem.hpp"
#include "observe/log.hpp"

namespace sluice::api {
namespace {

// What a matched path hands its handler.
struct route_args {
  const config::resource_def* resource = nullptr;  // the {resource} segment
  std::string id;                                  // the {id} segment, decoded
  std::string version;                             // the {version} segment, decoded
  std::string_view query;                          // encoded, views the request target
  // Who asked: set before the handler runs (anonymous() in mode none, or for
  // a route that needs no scope).
  const auth::principal* who = nullptr;
  // The OpenAPI document make_handler built (set for every request).
  const openapi_document* openapi = nullptr;
};

using route_fn = awaitable<http::response> (*)(context&, const route_args&, http::request&);
// The scope a route needs, given its matched arguments; "" = none (served
// without reading any credential).
using scope_fn = std::string (*)(const route_args&);

// One endpoint: a method on a path template. Template segments are literals,
// "{resource}" (the name of a configured resource), "{id}" or "{version}" (any segment,
// even empty). A GET route serves HEAD too. Routes of one path are adjacent,
// in the order 405's Allow lists them. Per-route policy is a field here: the
// scope the route needs (issue 12).
struct route {
  std::string_view method;
  std::string_view path;
  scope_fn needs;
  route_fn handle;
};

std::string no_scope(const route_args&) { return {}; }
std::string publish_of(const route_args& a) { return auth::publish_scope(a.resource->name); }
std::string read_of(const route_args& a) { return auth::read_scope(a.resource->name); }
std::string fixed_status(const route_args&) { return "status"; }
std::string fixed_metrics(const route_args&) { return "metrics"; }
std::string fixed_admin(const route_args&) { return "admin"; }

// Wraps the non-coroutine handlers so every entry has one shape.
awaitable<http::response> ready(http::response r) { co_return r; }

// First match wins: /v1/messages/{id} and /v1/dead-letters… before a resource
// that could be named so (resource names cannot hold '-' or ':' anyway).
constexpr route k_routes[] = {
    {"GET", "/healthz", no_scope,
     [](context&, const route_args&, http::request&) { return ready(healthz()); }},
    {"GET", "/readyz", no_scope, [](context& ctx, const route_args&, http::request&) { return readyz(ctx); }},
    {"GET", "/metrics", fixed_metrics,
     [](context& ctx, const route_args&, http::request&) { return ready(metrics(ctx)); }},
    // Public: clients and tools read it before they hold a credential (it
    // names the security schemes), and it tells nothing that the routes'
    // own 401/404/422 answers do not (README, "OpenAPI").
    {"GET", "/openapi.json", no_scope,
     [](context&, const route_args& a, http::request& req) {
       return ready(openapi_response(*a.openapi, req));
     }},
    // The console's files need no credential (the login form is one of
    // them); everything it shows comes from routes that do.
    {"GET", "/console", no_scope,
     [](context&, const route_args&, http::request& req) { return ready(console::page(req)); }},
    {"GET", "/console/{version}/{id}", no_scope,
     [](context&, const route_args& a, http::request& req) {
       return ready(console::file(req, a.version, a.id));
     }},
    {"GET", "/v1/ops/stats", fixed_admin,
     [](context& ctx, const route_args&, http::request&) { return ops_stats(ctx); }},
    {"GET", "/v1/messages/{id}", fixed_status,
     [](context& ctx, const route_args& a, http::request&) { return message_status(ctx, a.id); }},
    {"GET", "/v1/dead-letters", fixed_admin,
     [](context& ctx, const route_args& a, http::request& req) {
       return list_dead_letters(ctx, req, a.query);
     }},
    {"POST", "/v1/dead-letters:redrive", fixed_admin,
     [](context& ctx, const route_args& a, http::request& req) {
       return redrive_dead_letters(ctx, req, a.query);
     }},
    {"GET", "/v1/dead-letters/{id}", fixed_admin,
     [](context& ctx, const route_args& a, http::request&) {
       return get_dead_letter(ctx, a.id, a.query);
     }},
    {"DELETE", "/v1/dead-letters/{id}", fixed_admin,
     [](context& ctx, const route_args& a, http::request&) {
       return discard_dead_letter(ctx, a.id, a.query);
     }},
    {"POST", "/v1/dead-letters/{id}/redrive", fixed_admin,
     [](context& ctx, const route_args& a, http::request& req) {
       return redrive_dead_letter(ctx, req, a.id, a.query);
     }},
    {"GET", "/v1/{resource}", read_of,
     [](context& ctx, const route_args& a, http::request& req) {
       return list_rows(ctx, *a.resource, req, a.query);
     }},
    {"POST", "/v1/{resource}", publish_of,
     [](context& ctx, const route_args& a, http::request& req) {
       return post_records(ctx, *a.resource, req, *a.who);
     }},
    {"GET", "/v1/{resource}/{id}", read_of,
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
    } else if (part == "{version}") {
      args.version = seg;
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
    if (out.chosen) out.match.scope = out.chosen->needs(out.args);
    break;
  }
  return out;
}

// 401 (RFC 6750 §3): the challenge names the realm, and the error when a
// credential was presented and refused. The detail never quotes the credential.
http::response unauthenticated(const auth::refusal& why) {
  auto res = http::problem(401, why.presented ? "the credential was not accepted"
                                              : "this endpoint needs a credential: "
                                                "Authorization: Bearer <key> or X-API-Key");
  res.set("WWW-Authenticate", why.presented ? R"(Bearer realm="sluice", error="invalid_token")"
                                            : R"(Bearer realm="sluice")");
  return res;
}

http::response forbidden(std::string_view scope) {
  boost::json::object extra;
  extra["missing_scope"] = scope;
  return http::problem(403, std::string("this credential lacks the scope ").append(scope),
                       {}, extra);
}

http::response unmapped_certificate() {
  return http::problem(403, "the client certificate is verified but no auth.client_certs entry "
                            "maps it to a principal");
}

// Who may run the chosen route: nullopt when `who` is set and may, else the
// answer (401/403/429). The refusal's reason goes to the log with the trace,
// so an operator can tell an unknown key from an expired one; the client is
// not told which.
//
// With auth.anonymous_rate in mode required, a failed authentication (401)
// costs its client address 1, and an address whose bucket is empty gets 429
// before its credential is even looked at — so guessing keys or tokens runs
// at that rate at most, and a right guess is no quicker to tell from a 429
// than a wrong one. A request that authenticates costs its address nothing
// (its principal's bucket applies).
std::optional<http::response> admit(context& ctx, const http::request& req,
                                    const std::string& scope, auth::principal& who) {
  if (scope.empty()) {
    who = auth::anonymous();
    return std::nullopt;
  }
  const auto& a = ctx.cfg.auth;
  const bool guarded = a.mode == config::auth_mode::required && a.anonymous_rate > 0;
  const auto address = guarded ? address_subject(a, req.client_address) : rate_subject{};
  auto& addresses = ctx.limiter_for(true);
  if (guarded) {
    if (auto over = refuse_if_empty(addresses, ctx.metrics, address, 1)) return over;
  }
  auto result = ctx.auth.authenticate(req);
  if (auto* no = std::get_if<auth::refusal>(&result)) {
    observe::info("authentication refused", {{"reason", no->reason},
                                             {"client", req.client_address},
                                             {"trace_id", req.trace.trace_id}});
    if (no->forbidden) return unmapped_certificate();
    auto res = unauthenticated(*no);
    if (guarded) {
      http::header_list fields;
      if (auto over = charge(addresses, ctx.metrics, address, 1, fields)) return over;
      for (auto& h : fields) res.headers.push_back(std::move(h));
    }
    return res;
  }
  who = std::move(std::get<auth::principal>(result));
  if (!auth::allows(who, scope)) return forbidden(scope);
  return std::nullopt;
}

// A CORS preflight: OPTIONS from an allowed origin naming the method it wants.
bool is_preflight(const http::request& req, const std::optional<std::string>& allowed_origin) {
  return req.method == "OPTIONS" && allowed_origin && req.has_header("access-control-request-method");
}

// What make_handler builds once for all requests.
struct handler_state {
  cors_policy cors;
  openapi_document openapi;
};

awaitable<http::response> dispatch(context& ctx, const handler_state& state, http::request& req) {
  const cors_policy& cors = state.cors;
  auto r = resolve(ctx.cfg, req.method, req.target);
  r.args.openapi = &state.openapi;
  auto allowed_origin = cors.allow_origin(req.header("origin"));
  http::response res;
  auth::principal who;
  if (!r.parsed) {
    res = http::problem(400, "malformed request target");
  } else if (!r.match.allow.empty() && is_preflight(req, allowed_origin)) {
    // The path's methods from the route table; without CORS (or from an
    // origin not listed) OPTIONS stays the 405 below.
    res = cors.preflight(*allowed_origin, r.match.allow);
    res.route = std::move(r.match.label);
    co_return res;
  } else if (r.chosen) {
    if (auto refused = admit(ctx, req, r.match.scope, who)) {
      res = std::move(*refused);
    } else {
      r.args.who = &who;
      // Charged after authentication, before the handler: 1 per request,
      // except a POST, which its handler charges its record count once the
      // body is parsed. Probes (no scope) are never limited.
      http::header_list rate_headers;
      std::optional<http::response> over;
      if (!r.match.scope.empty() && r.chosen->method != "POST") {
        const auto subject = subject_of(who, r.match.scope, ctx.cfg.auth, req.client_address);
        over = charge(ctx.limiter_for(subject.by_address), ctx.metrics, subject, 1, rate_headers);
      }
      if (over) {
        res = std::move(*over);
      } else {
        res = co_await r.chosen->handle(ctx, r.args, req);
        for (auto& h : rate_headers) res.headers.push_back(std::move(h));
      }
    }
  } else if (!r.match.allow.empty()) {
    res = http::problem(405, "method not allowed; allowed: " + r.match.allow);
    res.set("Allow", r.match.allow);
  } else {
    res = http::problem(404, "no such endpoint: " + r.path);
  }
  cors.decorate(res, allowed_origin);
  res.route = std::move(r.match.label);
  co_return res;
}

}  // namespace

route_match match_route(const config::config& cfg, std::string_view method,
                        std::string_view target) {
  return resolve(cfg, method, target).match;
}

std::vector<route_info> route_table(const config::config& cfg) {
  std::vector<route_info> out;
  for (const auto& r : k_routes) {
    auto add = [&](const config::resource_def* resource) {
      route_info info{r.method, r.path, std::string(r.path), resource, {}};
      route_args args;
      args.resource = resource;
      if (resource) {
        auto at = info.path.find("{resource}");
        info.path.replace(at, std::string_view("{resource}").size(), resource->name);
      }
      info.scope = r.needs(args);
      out.push_back(std::move(info));
    };
    if (r.path.find("{resource}") == std::string_view::npos) {
      add(nullptr);
    } else {
      for (const auto& res : cfg.resources) add(&res);
    }
  }
  return out;
}

http::handler make_handler(context& ctx) {
  // Built once; the handler (held by the server) keeps it alive.
  auto state = std::make_shared<const handler_state>(
      handler_state{cors_policy(ctx.cfg.http.cors_origins), make_openapi_document(ctx.cfg)});
  return [&ctx, state](http::request& req) { return dispatch(ctx, *state, req); };
}

}  // namespace sluice::api

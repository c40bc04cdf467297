#include "api/router.hpp"

#include <boost/url/parse.hpp>

#include "api/handlers.hpp"
#include "http/problem.hpp"

namespace sluice::api {
namespace {

awaitable<http::response> route(context& ctx, http::request& req) {
  auto target = boost::urls::parse_origin_form(req.target);
  if (!target) co_return http::problem(400, "malformed request target");
  std::vector<std::string> seg;
  for (auto s : target->segments()) seg.push_back(s);  // decoded
  std::string_view query = target->encoded_query();
  const bool get = req.method == "GET" || req.method == "HEAD";
  auto method_not_allowed = [](std::string allow) {
    auto r = http::problem(405, "method not allowed; allowed: " + allow);
    r.set("Allow", std::move(allow));
    return r;
  };

  if (seg.size() == 1 && (seg[0] == "healthz" || seg[0] == "readyz" || seg[0] == "metrics")) {
    if (!get) co_return method_not_allowed("GET");
    if (seg[0] == "healthz") co_return healthz();
    if (seg[0] == "metrics") co_return metrics(ctx);
    co_return co_await readyz(ctx);
  }
  if (seg.size() >= 2 && seg.size() <= 3 && seg[0] == "v1") {
    if (seg[1] == "messages" && seg.size() == 3) {
      if (!get) co_return method_not_allowed("GET");
      co_return co_await message_status(ctx, seg[2]);
    }
    if (const config::resource_def* res = ctx.cfg.find_resource(seg[1])) {
      if (seg.size() == 2) {
        if (req.method == "POST") co_return co_await post_records(ctx, *res, req);
        if (get) co_return co_await list_rows(ctx, *res, req, query);
        co_return method_not_allowed("GET, POST");
      }
      if (!get) co_return method_not_allowed("GET");
      co_return co_await get_row(ctx, *res, req, seg[2]);
    }
  }
  co_return http::problem(404, "no such endpoint: " + std::string(target->encoded_path()));
}

// The route template for metrics and logs: bounded by the configured resources.
std::string route_label(const context& ctx, std::string_view target) {
  auto path = target.substr(0, target.find('?'));
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") return std::string(path);
  if (path.rfind("/v1/messages/", 0) == 0) return "/v1/messages/{id}";
  if (path.rfind("/v1/", 0) == 0) {
    auto rest = path.substr(4);
    auto slash = rest.find('/');
    auto name = rest.substr(0, slash);
    if (ctx.cfg.find_resource(name)) {
      return "/v1/" + std::string(name) + (slash == std::string_view::npos ? "" : "/{id}");
    }
  }
  return "(unmatched)";
}

}  // namespace

http::handler make_handler(context& ctx) {
  return [&ctx](http::request& req) -> awaitable<http::response> {
    auto res = co_await route(ctx, req);
    res.route = route_label(ctx, req.target);
    co_return res;
  };
}

}  // namespace sluice::api

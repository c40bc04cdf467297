#include "api/ops_listener.hpp"

#include <string_view>

#include "api/handlers.hpp"
#include "http/problem.hpp"

namespace sluice::api {
namespace {

awaitable<http::response> ops_route(context& ctx, http::request& req) {
  std::string_view target = req.target;
  std::string_view path = target.substr(0, target.find('?'));
  http::response res;
  if (path != "/healthz" && path != "/readyz" && path != "/metrics") {
    res = http::problem(404, "the ops listener serves /healthz, /readyz and /metrics only");
    res.route = "(unmatched)";
    co_return res;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    res = http::problem(405, "method not allowed");
    res.set("Allow", "GET, HEAD");
  } else if (path == "/healthz") {
    res = healthz();
  } else if (path == "/readyz") {
    res = co_await readyz(ctx);
  } else {
    res = metrics(ctx);
  }
  res.route = std::string(path);
  co_return res;
}

}  // namespace

http::handler make_ops_handler(context& ctx) {
  return [&ctx](http::request& req) { return ops_route(ctx, req); };
}

}  // namespace sluice::api

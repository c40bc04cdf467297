// Liveness, readiness and metrics.

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/handlers.hpp"
#include "core/offload.hpp"
#include "cache/metrics_text.hpp"

namespace sluice::api {

http::response healthz() { return json_response(200, R"({"status":"ok"})"); }

awaitable<http::response> readyz(context& ctx) {
  auto checks = co_await offload(ctx.blocking, [&] {
    return std::pair{ctx.store.ping(), ctx.ingest.broker_health()};
  });
  bool stopping = ctx.stopping.load();
  bool ready = !checks.first && !checks.second && !stopping;
  auto state = [](std::error_code ec) { return ec ? "down: " + ec.message() : std::string("up"); };
  boost::json::object body{{"status", ready ? "ready" : "not ready"},
                           {"store", state(checks.first)},
                           {"broker", state(checks.second)},
                           {"stopping", stopping}};
  auto r = json_response(ready ? 200 : 503, boost::json::serialize(body));
  if (!ready) r.set("Retry-After", "1");
  co_return r;
}

http::response metrics(context& ctx) {
  http::response r;
  r.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  r.body = ctx.metrics.scrape();
  if (ctx.pages.max_bytes() > 0) r.body += cache::prometheus_text(ctx.pages.snapshot(), ctx.pages.max_bytes());
  if (ctx.shared_pages) r.body += cache::prometheus_text(*ctx.shared_pages);
  return r;
}

}  // namespace sluice::api

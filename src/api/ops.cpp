// Liveness, readiness and metrics.

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/handlers.hpp"
#include "api/health_probe.hpp"
#include "cache/metrics_text.hpp"
#include "core/deadline.hpp"
#include "store/call_within.hpp"

namespace sluice::api {

http::response healthz() { return json_response(200, R"({"status":"ok"})"); }

// Ready = the store answers a ping within store.read_timeout_ms and has not
// been failing its calls (store/health.hpp: a store that answers SELECT 1 can
// still refuse every write), the broker answers its ping, and not stopping.
// Both pings are bounded: a stalled backend holds blocking-pool threads, and
// the probe must answer anyway.
awaitable<health_report> probe_health(context& ctx) {
  const auto limit = ctx.cfg.store.read_timeout;
  auto store_ec = co_await store::call_within(ctx.blocking, limit, &ctx.store_health,
                                              [&s = ctx.store] { return s.ping(); });
  auto broker_ec = co_await offload_within(ctx.blocking, limit,
                                           [&i = ctx.ingest] { return i.broker_health(); });
  const std::string late = "did not answer within " + std::to_string(limit.count()) + " ms";
  health_report out;
  if (store_ec == store::errc::timed_out) {
    out.store_down = late;
  } else if (store_ec) {
    out.store_down = store_ec.message();
  } else {
    out.store_down = ctx.store_health.trouble();
  }
  if (!broker_ec) {
    out.broker_down = late;
  } else if (*broker_ec) {
    out.broker_down = broker_ec->message();
  }
  out.stopping = ctx.stopping.load();
  co_return out;
}

std::string health_text(const std::optional<std::string>& down) {
  return down ? "down: " + *down : std::string("up");
}

awaitable<http::response> readyz(context& ctx) {
  auto h = co_await probe_health(ctx);
  const bool ready = h.ready();
  boost::json::object body{{"status", ready ? "ready" : "not ready"},
                           {"store", health_text(h.store_down)},
                           {"broker", health_text(h.broker_down)},
                           {"stopping", h.stopping}};
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

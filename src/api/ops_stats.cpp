// GET /v1/ops/stats (scope admin, issue 18): the server's own metrics as a
// small JSON, rates and percentiles over sliding windows (observe/windows.hpp)
// computed here so the console needs no Prometheus. Fields (README, "The
// console"): config (resources, subscriptions), totals, windows {60s, 5m, 1h}, series (the last 60
// seconds, one entry a second), subscriptions, health, slo.

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <fmt/format.h>
#include <string_view>

#include "api/handlers.hpp"
#include "api/health_probe.hpp"
#include "observe/windows.hpp"

namespace sluice::api {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;
using observe::sample;
using observe::window;

struct span {
  std::string_view name;
  int seconds;
};
constexpr std::array<span, 3> k_spans = {{{"60s", 60}, {"5m", 300}, {"1h", 3600}}};

// JSON has no NaN: an empty histogram's percentile is null.
value number(double v) {
  if (!std::isfinite(v)) return nullptr;
  return std::round(v * 1000.0) / 1000.0;  // three decimals are plenty for a page
}

value ms(const observe::latency_counts& c, double q) {
  return number(observe::quantile(c, q) * 1e3);
}

double per_s(std::uint64_t n, const window& w) {
  return static_cast<double>(n) / w.seconds;
}

object latency(const observe::latency_counts& c) {
  return {{"count", c.count()},
          {"p50_ms", ms(c, 0.5)},
          {"p95_ms", ms(c, 0.95)},
          {"p99_ms", ms(c, 0.99)}};
}

double ratio(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

object window_json(const window& w) {
  const auto& d = w.delta;
  return {{"seconds", number(w.seconds)},
          {"accepted", d.accepted},
          {"stored", d.stored},
          {"dead_lettered", d.dead_lettered},
          {"rejected", d.rejected},
          {"accepted_per_s", number(per_s(d.accepted, w))},
          {"stored_per_s", number(per_s(d.stored, w))},
          {"dead_lettered_per_s", number(per_s(d.dead_lettered, w))},
          {"requests", d.requests},
          {"errors", d.errors},
          {"requests_per_s", number(per_s(d.requests, w))},
          {"error_rate", number(ratio(d.errors, d.requests))},
          {"post", latency(d.post)},
          {"get", latency(d.get)},
          {"freshness_p99_ms", ms(d.e2e, 0.99)}};
}

object totals_json(const sample& s) {
  return {{"accepted", s.accepted},
          {"rejected", s.rejected},
          {"failed", s.failed},
          {"stored", s.stored},
          {"duplicate", s.duplicate},
          {"retried", s.retried},
          {"dead_lettered", s.dead_lettered},
          {"requests", s.requests},
          {"errors", s.errors}};
}

// The last 60 seconds, one value a second, oldest first: what the overview's
// charts draw (the whole minute again each second). Latency at the three
// percentiles the [slo] section has objectives for.
object series_json(const std::vector<window>& secs) {
  array accepted, stored, dead, error_rate, freshness;
  constexpr std::array<std::pair<std::string_view, double>, 3> k_pct = {
      {{"p50", 0.5}, {"p95", 0.95}, {"p99", 0.99}}};
  std::array<array, 3> post, get;
  for (const auto& w : secs) {
    accepted.push_back(number(per_s(w.delta.accepted, w)));
    stored.push_back(number(per_s(w.delta.stored, w)));
    dead.push_back(number(per_s(w.delta.dead_lettered, w)));
    for (std::size_t i = 0; i < k_pct.size(); ++i) {
      post[i].push_back(ms(w.delta.post, k_pct[i].second));
      get[i].push_back(ms(w.delta.get, k_pct[i].second));
    }
    error_rate.push_back(number(ratio(w.delta.errors, w.delta.requests)));
    freshness.push_back(ms(w.delta.e2e, 0.99));
  }
  object out{{"accepted_per_s", std::move(accepted)},
             {"stored_per_s", std::move(stored)},
             {"dead_lettered_per_s", std::move(dead)},
             {"error_rate", std::move(error_rate)},
             {"freshness_p99_ms", std::move(freshness)}};
  for (std::size_t i = 0; i < k_pct.size(); ++i) {
    out[fmt::format("post_{}_ms", k_pct[i].first)] = std::move(post[i]);
    out[fmt::format("get_{}_ms", k_pct[i].first)] = std::move(get[i]);
  }
  return out;
}

// Each [slo] objective over 5 min and 1 h: its value, whether it is met, and
// what is left of its error budget if the window's rate went on (1 − bad
// share ÷ allowed share; below 0 when overspent). The 30-day budget of
// `sluice slo rules` needs Prometheus's history; the process keeps an hour.
array slo_json(const config::slo_config& o, const window& w5, const window& w60) {
  array out;
  struct latency_objective {
    std::string_view name;
    double q;
    double allowed;
    unsigned ms;
  };
  const std::array<latency_objective, 3> lat = {{{"latency_p50", 0.5, 0.5, o.latency_p50_ms},
                                                 {"latency_p95", 0.95, 0.05, o.latency_p95_ms},
                                                 {"latency_p99", 0.99, 0.01, o.latency_p99_ms}}};
  for (const auto& l : lat) {
    object windows;
    for (const auto* w : {&w5, &w60}) {
      const auto& c = w->delta.slo;
      const double bad = observe::share_above(c, l.ms / 1000.0);
      const double v = observe::quantile(c, l.q) * 1e3;
      windows[w == &w5 ? "5m" : "1h"] = object{{"value", number(v)},
                                               {"requests", c.count()},
                                               {"met", !std::isfinite(v) || v <= l.ms},
                                               {"bad_share", number(bad)},
                                               {"budget_remaining", number(1 - bad / l.allowed)}};
    }
    out.push_back(object{{"name", l.name},
                         {"unit", "ms"},
                         {"target", l.ms},
                         {"allowed_share", l.allowed},
                         {"windows", std::move(windows)}});
  }
  {
    object windows;
    for (const auto* w : {&w5, &w60}) {
      const double r = ratio(w->delta.errors, w->delta.requests);
      windows[w == &w5 ? "5m" : "1h"] =
          object{{"value", number(r)},
                 {"requests", w->delta.requests},
                 {"met", r <= o.error_rate},
                 {"bad_share", number(r)},
                 {"budget_remaining", number(o.error_rate > 0 ? 1 - r / o.error_rate : 0)}};
    }
    out.push_back(object{{"name", "error_rate"},
                         {"unit", "ratio"},
                         {"target", o.error_rate},
                         {"allowed_share", o.error_rate},
                         {"windows", std::move(windows)}});
  }
  if (o.throughput_max_per_minute > 0 || o.throughput_min_per_minute > 0) {
    object windows;
    for (const auto* w : {&w5, &w60}) {
      const double per_min = per_s(w->delta.requests, *w) * 60.0;
      const bool within =
          per_min >= o.throughput_min_per_minute &&
          (o.throughput_max_per_minute == 0 || per_min <= o.throughput_max_per_minute);
      windows[w == &w5 ? "5m" : "1h"] = object{{"value", number(per_min)},
                                               {"requests", w->delta.requests},
                                               {"met", within},
                                               {"budget_remaining", nullptr}};
    }
    out.push_back(object{{"name", "throughput"},
                         {"unit", "per_minute"},
                         {"target", object{{"min", o.throughput_min_per_minute},
                                           {"max", o.throughput_max_per_minute}}},
                         {"windows", std::move(windows)}});
  }
  return out;
}

// What the console's pickers offer: the configured resources, their fields
// and subscriptions.
object config_json(const config::config& cfg) {
  array resources;
  for (const auto& r : cfg.resources) {
    array fields;
    for (const auto& f : r.fields) {
      fields.push_back(
          object{{"name", f.name}, {"type", config::to_string(f.type)}, {"indexed", f.indexed}});
    }
    resources.push_back(object{{"name", r.name}, {"fields", std::move(fields)}});
  }
  array subs;
  for (const auto& s : cfg.subscriptions) {
    subs.push_back(object{{"name", s.name}, {"resource", s.resource}, {"table", s.table}});
  }
  return {{"resources", std::move(resources)}, {"subscriptions", std::move(subs)}};
}

}  // namespace

awaitable<http::response> ops_stats(context& ctx) {
  const sample now = ctx.metrics.sample_now();
  const auto& ring = ctx.metrics.windows();
  std::array<window, k_spans.size()> wins;
  object windows;
  for (std::size_t i = 0; i < k_spans.size(); ++i) {
    auto base = ring.at_or_before(now.at_ms - k_spans[i].seconds * 1000LL);
    wins[i] = observe::between(base ? *base : sample{}, now);
    windows[k_spans[i].name] = window_json(wins[i]);
  }
  array subs;
  for (const auto& s : wins[0].delta.subscriptions) {
    subs.push_back(object{{"name", s.name},
                          {"lag", s.lag},
                          {"stored_per_s", number(per_s(s.stored, wins[0]))},
                          {"dead_lettered_per_s", number(per_s(s.dead_lettered, wins[0]))}});
  }
  auto health = co_await probe_health(ctx);
  object body{{"config", config_json(ctx.cfg)},
              {"totals", totals_json(now)},
              {"windows", std::move(windows)},
              {"series", series_json(ring.last(60))},
              {"subscriptions", std::move(subs)},
              {"health", object{{"ready", health.ready()},
                                {"store", health_text(health.store_down)},
                                {"broker", health_text(health.broker_down)},
                                {"stopping", health.stopping}}},
              {"slo", object{{"error_rate_budget", ctx.cfg.slo.error_rate},
                             {"objectives", slo_json(ctx.cfg.slo, wins[1], wins[2])}}}};
  auto r = json_response(200, boost::json::serialize(body));
  r.set("Cache-Control", "no-store");
  co_return r;
}

}  // namespace sluice::api

#include "observe/metrics.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "observe/buckets.hpp"
#include "observe/family.hpp"
#include "observe/instruments.hpp"
#include "observe/process_stats.hpp"

namespace sluice::observe {

namespace {

// Status codes as label values without allocating: "100".."599" fit in 3 chars.
std::string_view status_text(unsigned status, char (&buf)[8]) {
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, status);
  (void)ec;  // an unsigned always fits in 8 chars
  return {buf, static_cast<std::size_t>(end - buf)};
}

family<histogram>::factory buckets(std::span<const double> bounds) {
  return [bounds] { return std::make_unique<histogram>(bounds); };
}

}  // namespace

// Families are recorded into lock-free (see family.hpp); scrape() serializes
// them with prometheus-cpp's text serializer, so the exposition format is the
// library's, not ours.
struct metrics::impl {
  family<histogram> http_duration{"http_server_request_duration_seconds",
                                  "Duration of HTTP server requests.",
                                  {"method", "route", "status_code"},
                                  buckets(latency_buckets_seconds)};
  family<gauge> http_active{"http_server_active_requests", "Number of HTTP requests in flight.",
                            {}};
  family<counter> published{"sluice_published_messages_total",
                            "Messages published by topic and outcome.", {"topic", "outcome"}};
  family<counter> deliveries{"sluice_deliveries_total",
                             "Messages handled by subscribers, by outcome.",
                             {"subscription", "outcome"}};
  family<counter> dead_letters{"sluice_dead_letters_total",
                               "Messages dead-lettered by subscribers.", {"subscription"}};
  family<histogram> batch_rows{"sluice_sink_batch_rows", "Rows per sink batch.",
                               {"subscription"}, buckets(batch_row_buckets)};
  family<histogram> write_duration{"sluice_sink_write_duration_seconds",
                                   "Duration of one sink batch transaction.",
                                   {"subscription"},
                                   buckets(latency_buckets_seconds)};
  family<histogram> e2e{"sluice_end_to_end_duration_seconds",
                        "From POST accepted to row committed.",
                        {"subscription"},
                        buckets(latency_buckets_seconds)};
  family<gauge> lag{"sluice_subscription_lag_messages", "Messages waiting in a subscription.",
                    {"subscription"}};
  family<gauge> dead_letter_backlog{"sluice_dead_letters",
                                    "Dead letters not yet redriven or discarded.",
                                    {"subscription"}};
  family<counter> redrives{"sluice_dead_letter_redrives_total",
                           "Dead letters redriven by operators.", {"subscription"}};
  family<counter> discards{"sluice_dead_letter_discards_total",
                           "Dead letters discarded by operators.", {"subscription"}};
  family<gauge> build_info{"sluice_build_info", "Build information; value is 1.", {"version"}};
  family<counter> rate_limited{"sluice_rate_limited_requests_total",
                               "Requests refused with 429 by the per-principal rate limit.",
                               {"principal"}};
  // The principal label values in use, at most k_max_principals (refusals are
  // rare; a mutex is cheap there).
  static constexpr std::size_t k_max_principals = 100;
  std::mutex principals_mu;
  std::set<std::string, std::less<>> principals;

  gauge& active = http_active.with({});

  // Stats windows: an hour of one-second samples (and the one at start).
  sample_ring ring{3601};
  // [slo] routes and what it says of each route label seen (route labels are
  // bounded by the route table and the configured resources).
  mutable std::mutex routes_mu;
  std::optional<std::regex> slo_routes;  // unset: routes under /v1/
  mutable std::map<std::string, bool, std::less<>> route_counts;
  std::mutex sampler_mu;
  std::condition_variable sampler_wake;
  bool sampler_stop = false;  // guarded by sampler_mu
  std::thread sampler;

  impl() {
    sample zero;
    zero.at_ms = now_ms();
    ring.push(std::move(zero));
  }
  ~impl() {
    {
      std::lock_guard lock(sampler_mu);
      sampler_stop = true;
    }
    sampler_wake.notify_all();
    if (sampler.joinable()) sampler.join();
  }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  static std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  bool counted(const std::string& route) const {
    std::lock_guard lock(routes_mu);
    auto it = route_counts.find(route);
    if (it != route_counts.end()) return it->second;
    bool yes = slo_routes ? std::regex_match(route, *slo_routes) : route.starts_with("/v1/");
    route_counts.emplace(route, yes);
    return yes;
  }

  void sample_loop() {
    std::unique_lock lock(sampler_mu);
    auto next = std::chrono::steady_clock::now();
    while (!sampler_stop) {
      next += std::chrono::seconds(1);
      if (sampler_wake.wait_until(lock, next, [this] { return sampler_stop; })) return;
      lock.unlock();
      ring.push(take_sample());
      lock.lock();
    }
  }

  sample take_sample() const;

  // Exposition order: as declared.
  std::vector<const family_base*> all() const {
    return {&http_duration, &http_active, &published, &deliveries, &dead_letters,
            &batch_rows,    &write_duration, &e2e,    &lag,        &build_info,
            &rate_limited, &dead_letter_backlog, &redrives, &discards};
  }
};

metrics::metrics(std::string_view version) : impl_(std::make_unique<impl>()) {
  impl_->build_info.with({version}).set(1);
}

metrics::~metrics() = default;

namespace {

std::string_view method_label(std::string_view method) {
  // RFC 9110 §9 and PATCH (RFC 5789); anything else is one series, as
  // OpenTelemetry's http.request.method does, so clients cannot grow them.
  static constexpr std::string_view known[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                               "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (auto k : known) {
    if (method == k) return k;
  }
  return "_OTHER";
}

}  // namespace

void metrics::http_request(std::string_view method, std::string_view route, unsigned status,
                           double seconds) {
  char buf[8];
  impl_->http_duration.with({method_label(method), route, status_text(status, buf)})
      .observe(seconds);
}

void metrics::http_active(int delta) { impl_->active.add(delta); }

void metrics::published(std::string_view topic, std::string_view outcome, std::size_t n) {
  impl_->published.with({topic, outcome}).add(n);
}

void metrics::delivered(std::string_view subscription, std::string_view outcome, std::size_t n) {
  // Resolving the series even when n is 0 makes it appear (at 0) after a
  // subscriber's first batch, so rate() and absent-based alerts have a series
  // before the first dead letter ever happens.
  impl_->deliveries.with({subscription, outcome}).add(n);
  if (outcome == "dead_lettered") impl_->dead_letters.with({subscription}).add(n);
}

void metrics::sink_batch(std::string_view subscription, std::size_t rows, double write_seconds) {
  impl_->batch_rows.with({subscription}).observe(static_cast<double>(rows));
  impl_->write_duration.with({subscription}).observe(write_seconds);
}

void metrics::end_to_end(std::string_view subscription, double seconds) {
  impl_->e2e.with({subscription}).observe(seconds);
}

void metrics::lag(std::string_view subscription, std::uint64_t messages) {
  impl_->lag.with({subscription}).set(static_cast<std::int64_t>(messages));
}

void metrics::dead_letters(std::string_view subscription, std::uint64_t entries) {
  impl_->dead_letter_backlog.with({subscription}).set(static_cast<std::int64_t>(entries));
}

void metrics::redriven(std::string_view subscription, std::size_t n) {
  impl_->redrives.with({subscription}).add(n);
}

void metrics::discarded(std::string_view subscription, std::size_t n) {
  impl_->discards.with({subscription}).add(n);
}

void metrics::rate_limited(std::string_view principal) {
  {
    std::lock_guard lock(impl_->principals_mu);
    auto& seen = impl_->principals;
    if (seen.find(principal) == seen.end()) {
      if (seen.size() >= impl::k_max_principals)
        principal = "_other";
      else
        seen.emplace(principal);
    }
  }
  impl_->rate_limited.with({principal}).add();
}

namespace {

void add_to(latency_counts& out, const histogram& h) {
  // read() gives cumulative counts; the windows keep them per bucket.
  auto s = h.read();
  std::uint64_t prev = 0;
  for (std::size_t i = 0; i < s.cumulative.size() && i < out.buckets.size(); ++i) {
    out.buckets[i] += s.cumulative[i] - prev;
    prev = s.cumulative[i];
  }
  out.sum += s.sum;
}

}  // namespace

sample metrics::impl::take_sample() const {
  sample out;
  out.at_ms = now_ms();
  published.each([&](const std::vector<std::string>& v, const counter& c) {
    const auto& outcome = v.at(1);
    if (outcome == "accepted") {
      out.accepted += c.value();
    } else if (outcome == "rejected") {
      out.rejected += c.value();
    } else {
      out.failed += c.value();
    }
  });
  std::map<std::string, subscription_counts, std::less<>> subs;
  auto sub = [&subs](const std::string& name) -> subscription_counts& {
    auto [it, added] = subs.try_emplace(name);
    if (added) it->second.name = name;
    return it->second;
  };
  deliveries.each([&](const std::vector<std::string>& v, const counter& c) {
    const auto& outcome = v.at(1);
    const auto n = c.value();
    if (outcome == "stored") {
      out.stored += n;
      sub(v.at(0)).stored += n;
    } else if (outcome == "duplicate") {
      out.duplicate += n;
    } else if (outcome == "retried") {
      out.retried += n;
    } else if (outcome == "dead_lettered") {
      out.dead_lettered += n;
      sub(v.at(0)).dead_lettered += n;
    }
  });
  lag.each([&](const std::vector<std::string>& v, const gauge& g) { sub(v.at(0)).lag = g.value(); });
  for (auto& [name, counts] : subs) out.subscriptions.push_back(std::move(counts));
  http_duration.each([&](const std::vector<std::string>& v, const histogram& h) {
    // {method, route, status_code}
    if (!counted(v.at(1))) return;
    latency_counts c;
    add_to(c, h);
    const auto n = c.count();
    out.requests += n;
    if (v.at(2).starts_with('5')) out.errors += n;
    out.slo += c;
    if (v.at(0) == "POST") out.post += c;
    if (v.at(0) == "GET") out.get += c;
  });
  e2e.each([&](const std::vector<std::string>&, const histogram& h) { add_to(out.e2e, h); });
  return out;
}

void metrics::start_windows(std::string_view slo_routes) {
  {
    std::lock_guard lock(impl_->routes_mu);
    try {
      impl_->slo_routes.emplace(std::string(slo_routes));
    } catch (const std::regex_error&) {
      // config check validates [slo] routes; a pattern std::regex cannot
      // read falls back to every /v1/ route rather than to none.
      impl_->slo_routes.reset();
    }
    impl_->route_counts.clear();
  }
  auto* self = impl_.get();
  impl_->sampler = std::thread([self] { self->sample_loop(); });
}

sample metrics::sample_now() const { return impl_->take_sample(); }

const sample_ring& metrics::windows() const { return impl_->ring; }

std::string metrics::scrape() const {
  std::vector<prometheus::MetricFamily> families;
  for (const auto* f : impl_->all()) families.push_back(f->collect());
  prometheus::TextSerializer serializer;
  std::string out = serializer.Serialize(families);
  out += process_stats_text();
  return out;
}

}  // namespace sluice::observe

#include "observe/metrics.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <charconv>
#include <mutex>
#include <set>

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

  // Exposition order: as declared.
  std::vector<const family_base*> all() const {
    return {&http_duration, &http_active, &published, &deliveries, &dead_letters,
            &batch_rows,    &write_duration, &e2e,    &lag,        &build_info,
            &rate_limited};
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

std::string metrics::scrape() const {
  std::vector<prometheus::MetricFamily> families;
  for (const auto* f : impl_->all()) families.push_back(f->collect());
  prometheus::TextSerializer serializer;
  std::string out = serializer.Serialize(families);
  out += process_stats_text();
  return out;
}

}  // namespace sluice::observe

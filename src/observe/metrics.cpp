#include "observe/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <mutex>

#include "observe/process_stats.hpp"

namespace sluice::observe {

namespace pm = prometheus;

namespace {

// Latency buckets from 0.5 ms to 5 s, about four per decade and finer where
// the SLOs sit, so P50/P95/P99 read well from histogram_quantile.
const pm::Histogram::BucketBoundaries latency_buckets = {
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075,
    0.1,    0.15,  0.2,   0.25,  0.3,   0.4,    0.5,  0.75,  1.0,  2.5,   5.0};
const pm::Histogram::BucketBoundaries batch_buckets = {1,  2,   5,   10,   25,   50,
                                                       100, 250, 500, 1000, 2500, 5000};

// Family::Add hashes every label set under the family's lock; a small map
// from a pre-joined key keeps that work to the first call for each series.
template <class T>
class child_cache {
 public:
  explicit child_cache(pm::Family<T>& family) : family_(family) {}
  template <class... Args>
  T& get(const std::string& key, const pm::Labels& labels, Args&&... args) {
    std::lock_guard lock(mu_);
    auto it = children_.find(key);
    if (it != children_.end()) return *it->second;
    T& child = family_.Add(labels, std::forward<Args>(args)...);
    children_.emplace(key, &child);
    return child;
  }

 private:
  pm::Family<T>& family_;
  std::mutex mu_;
  std::map<std::string, T*, std::less<>> children_;
};

}  // namespace

struct metrics::impl {
  std::shared_ptr<pm::Registry> registry = std::make_shared<pm::Registry>();
  pm::Family<pm::Histogram>& http_duration =
      pm::BuildHistogram()
          .Name("http_server_request_duration_seconds")
          .Help("Duration of HTTP server requests.")
          .Register(*registry);
  pm::Family<pm::Gauge>& http_active =
      pm::BuildGauge()
          .Name("http_server_active_requests")
          .Help("Number of HTTP requests in flight.")
          .Register(*registry);
  pm::Family<pm::Counter>& published =
      pm::BuildCounter()
          .Name("sluice_published_messages_total")
          .Help("Messages published by topic and outcome.")
          .Register(*registry);
  pm::Family<pm::Counter>& deliveries =
      pm::BuildCounter()
          .Name("sluice_deliveries_total")
          .Help("Messages handled by subscribers, by outcome.")
          .Register(*registry);
  pm::Family<pm::Histogram>& batch_rows = pm::BuildHistogram()
                                              .Name("sluice_sink_batch_rows")
                                              .Help("Rows per sink batch.")
                                              .Register(*registry);
  pm::Family<pm::Histogram>& write_duration =
      pm::BuildHistogram()
          .Name("sluice_sink_write_duration_seconds")
          .Help("Duration of one sink batch transaction.")
          .Register(*registry);
  pm::Family<pm::Histogram>& e2e = pm::BuildHistogram()
                                       .Name("sluice_end_to_end_duration_seconds")
                                       .Help("From POST accepted to row committed.")
                                       .Register(*registry);
  pm::Family<pm::Gauge>& lag = pm::BuildGauge()
                                   .Name("sluice_subscription_lag_messages")
                                   .Help("Messages waiting in a subscription.")
                                   .Register(*registry);
  pm::Family<pm::Gauge>& build_info = pm::BuildGauge()
                                          .Name("sluice_build_info")
                                          .Help("Build information; value is 1.")
                                          .Register(*registry);

  child_cache<pm::Histogram> http_duration_c{http_duration};
  child_cache<pm::Counter> published_c{published};
  child_cache<pm::Counter> deliveries_c{deliveries};
  child_cache<pm::Histogram> batch_rows_c{batch_rows};
  child_cache<pm::Histogram> write_duration_c{write_duration};
  child_cache<pm::Histogram> e2e_c{e2e};
  child_cache<pm::Gauge> lag_c{lag};
  pm::Gauge& active = http_active.Add({});
};

metrics::metrics(std::string_view version) : impl_(std::make_unique<impl>()) {
  impl_->build_info.Add({{"version", std::string(version)}}).Set(1);
}

metrics::~metrics() = default;

void metrics::http_request(std::string_view method, std::string_view route, unsigned status,
                           double seconds) {
  std::string key = std::string(method) + ' ' + std::string(route) + ' ' + std::to_string(status);
  impl_->http_duration_c
      .get(key,
           {{"method", std::string(method)},
            {"route", std::string(route)},
            {"status_code", std::to_string(status)}},
           latency_buckets)
      .Observe(seconds);
}

void metrics::http_active(int delta) { impl_->active.Increment(delta); }

void metrics::published(std::string_view topic, std::string_view outcome, std::size_t n) {
  std::string key = std::string(topic) + ' ' + std::string(outcome);
  impl_->published_c.get(key, {{"topic", std::string(topic)}, {"outcome", std::string(outcome)}})
      .Increment(static_cast<double>(n));
}

void metrics::delivered(std::string_view subscription, std::string_view outcome, std::size_t n) {
  if (n == 0) return;
  std::string key = std::string(subscription) + ' ' + std::string(outcome);
  impl_->deliveries_c
      .get(key, {{"subscription", std::string(subscription)}, {"outcome", std::string(outcome)}})
      .Increment(static_cast<double>(n));
}

void metrics::sink_batch(std::string_view subscription, std::size_t rows, double write_seconds) {
  std::string sub(subscription);
  impl_->batch_rows_c.get(sub, {{"subscription", sub}}, batch_buckets)
      .Observe(static_cast<double>(rows));
  impl_->write_duration_c.get(sub, {{"subscription", sub}}, latency_buckets).Observe(write_seconds);
}

void metrics::end_to_end(std::string_view subscription, double seconds) {
  std::string sub(subscription);
  impl_->e2e_c.get(sub, {{"subscription", sub}}, latency_buckets).Observe(seconds);
}

void metrics::lag(std::string_view subscription, std::uint64_t messages) {
  std::string sub(subscription);
  impl_->lag_c.get(sub, {{"subscription", sub}}).Set(static_cast<double>(messages));
}

std::string metrics::scrape() const {
  pm::TextSerializer serializer;
  std::string out = serializer.Serialize(impl_->registry->Collect());
  out += process_stats_text();
  return out;
}

}  // namespace sluice::observe

#pragma once
// The process's Prometheus metrics (names in ../shared/DESIGN.md). Components
// record through this one object so that handlers stay free of metric code.
// Thread-safe; recording takes no lock once a thread has used a series
// (instruments.hpp, family.hpp). prometheus-cpp types stay in the .cpp.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "observe/windows.hpp"

namespace sluice::observe {

class metrics {
 public:
  explicit metrics(std::string_view version);
  ~metrics();
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  // HTTP server. `route` is the route template (/v1/{resource}), never a raw path.
  void http_request(std::string_view method, std::string_view route, unsigned status,
                    double seconds);
  void http_active(int delta);

  // Publishing: outcome = accepted | rejected | failed | storage_full (the
  // broker's disk is full: refused until the backlog drains).
  void published(std::string_view topic, std::string_view outcome, std::size_t n);

  // Subscribers: outcome = stored | duplicate | retried | dead_lettered;
  // dead_lettered also counts in sluice_dead_letters_total{subscription}.
  // n may be 0: the series then exists at 0.
  void delivered(std::string_view subscription, std::string_view outcome, std::size_t n);
  void sink_batch(std::string_view subscription, std::size_t rows, double write_seconds);
  void end_to_end(std::string_view subscription, double seconds);
  void lag(std::string_view subscription, std::uint64_t messages);
  // Dead letters (issue 14): the entries of a subscription still dead
  // (sluice_dead_letters, sampled by its subscriber), and operators' actions
  // on them: sluice_dead_letter_redrives_total / _discards_total.
  void dead_letters(std::string_view subscription, std::uint64_t entries);
  void redriven(std::string_view subscription, std::size_t n);
  void discarded(std::string_view subscription, std::size_t n);

  // Rate limits (issue 12): a request refused with 429, counted in
  // sluice_rate_limited_requests_total{principal}. `principal` is a
  // principal's id (API key id, JWT subject) or "anonymous" for client IPs;
  // past 100 distinct ids the others count under "_other", so that a flood of
  // subjects cannot grow the series without bound.
  void rate_limited(std::string_view principal);

  // The Prometheus text exposition of everything, process metrics included.
  std::string scrape() const;

  // Stats windows (windows.hpp, issue 18). `slo_routes` is [slo] routes (a
  // regex over the route label, matched whole): the requests that the
  // request totals and latencies count. Starts a thread that samples once a
  // second into windows() until the metrics are destroyed. Call once.
  void start_windows(std::string_view slo_routes);
  // The totals now (what the sampler pushes once a second).
  sample sample_now() const;
  // The last hour of samples, one a second; its first is all zeros at the
  // time the metrics were made.
  const sample_ring& windows() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::observe

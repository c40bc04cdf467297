#pragma once
// The results of a `sluice bench` run, their text and JSON forms, and the
// verdict against the SLOs.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/histogram.hpp"
#include "bench/options.hpp"

namespace sluice::bench {

struct op_stats {
  histogram latency;                       // µs, from each request's intended send time
  std::map<unsigned, std::uint64_t> statuses;  // 0 = connection error or timeout
  std::uint64_t count() const { return latency.count(); }
  // Failures as the SLO counts them: 5xx and transport errors (status 0);
  // 4xx answers are the client's doing (all statuses are reported anyway).
  std::uint64_t failures() const;
};

struct sample {  // one request, for plots
  std::uint32_t at_ms;   // since the measured start
  std::uint32_t latency_us;
};

struct report {
  options opts;
  double elapsed_s = 0;
  std::map<std::string, op_stats> ops;     // "post", "get"
  histogram freshness;                     // µs from a 202 to the row being readable
  std::uint64_t freshness_timeouts = 0;
  std::uint64_t freshness_polls = 0;       // GET /v1/messages/{id} sent to sample it
  std::uint64_t accepted = 0;              // POSTs answered 202/201
  std::vector<sample> samples;

  histogram all() const;
  std::uint64_t total() const;
  std::uint64_t failures() const;
  double per_second() const { return elapsed_s > 0 ? static_cast<double>(total()) / elapsed_s : 0; }
};

// The SLOs a run is checked against; unset ones are not checked.
struct objectives {
  std::optional<double> p50_ms, p95_ms, p99_ms;
  std::optional<double> error_rate;  // fraction, e.g. 0.01
  std::optional<double> min_per_minute, max_per_minute;
};

struct breach {
  std::string objective;  // "p99", "error_rate", …
  double observed = 0, limit = 0;
  std::string text;       // "p99 612.0 ms > 500 ms (22.4 % over)"
};

std::vector<breach> verdict(const report& r, const objectives& o);

std::string to_text(const report& r, const std::vector<breach>& breaches);
std::string to_json(const report& r, const std::vector<breach>& breaches);
// An SVG with latency over time (per-second P50/P99/max) and the percentile spectrum.
std::string to_svg(const report& r);

}  // namespace sluice::bench

#pragma once
// SLOs as code: the Prometheus rules that the [slo] section implies, as the
// text of a rule file (YAML). A pure function of the configuration, so the
// checked-in ops/prometheus/sluice-rules.yml can be compared with it.
//
// What the rules are (names are the recording rules' `record`):
//   sluice:http_requests:rate5m, sluice:http_requests:per_minute     throughput
//   sluice:http_request_duration_seconds:p50|p95|p99                 histogram_quantile
//   sluice:http_errors:ratio_rate{5m,30m,1h,6h}                      5xx / all (4xx = success)
//   sluice:http_slow_p50|p95|p99:ratio_rate{5m,30m,1h,6h}            share slower than the objective
//   sluice:http_requests:per_minute:avg_1d|stddev_1d                 the throughput band
// and alerts: error-budget burn (fast: 1h & 5m at 14.4x, slow: 6h & 30m at
// 6x for a 30-day window, as in the Google SRE workbook) for availability
// and for the P99 latency objective; P50/P95 objective missed; throughput
// outside the configured band and outside mean ± 2σ of the last day; dead
// letters; target down or absent.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace sluice::slo {

// Why `o` cannot be turned into rules (a latency objective that is not a
// bucket bound of http_server_request_duration_seconds), or nullopt.
std::optional<std::string> check(const config::slo_config& o);

// The rule file. Throws std::invalid_argument with check()'s reason when
// check(o) fails.
std::string prometheus_rules(const config::slo_config& o);

// The names of the recording rules prometheus_rules() defines (for tests and
// for the dashboard check).
std::vector<std::string> recording_rule_names();

}  // namespace sluice::slo

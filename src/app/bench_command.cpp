#include "app/bench_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "bench/load.hpp"

namespace sluice::app {

bench::objectives objectives_of(const config::slo_config& slo, bool check_throughput) {
  // The throughput band is checked only when asked for: a benchmark usually
  // runs far above (or below) a production band on purpose.
  bench::objectives o;
  o.p50_ms = slo.latency_p50_ms;
  o.p95_ms = slo.latency_p95_ms;
  o.p99_ms = slo.latency_p99_ms;
  o.error_rate = slo.error_rate;
  if (check_throughput) {
    if (slo.throughput_min_per_minute > 0) o.min_per_minute = slo.throughput_min_per_minute;
    if (slo.throughput_max_per_minute > 0) o.max_per_minute = slo.throughput_max_per_minute;
  }
  return o;
}

int run_bench(const bench_request& request) {
  const bool tty = isatty(STDERR_FILENO) && request.load.progress;
  auto progress = [tty](const std::string& line) {
    if (tty) std::fprintf(stderr, "\r\033[K%s", line.c_str());
  };
  auto report = bench::run(request.load, tty ? std::function<void(const std::string&)>(progress)
                                             : std::function<void(const std::string&)>());
  if (tty) std::fprintf(stderr, "\r\033[K");
  auto breaches = bench::verdict(report, request.slo);
  std::cout << (request.json ? bench::to_json(report, breaches) : bench::to_text(report, breaches));
  if (!request.load.plot_file.empty()) {
    std::ofstream(request.load.plot_file) << bench::to_svg(report);
  }
  if (report.total() == 0) {
    std::cerr << "sluice bench: no request completed\n";
    return 1;
  }
  return breaches.empty() ? 0 : 3;
}

}  // namespace sluice::app

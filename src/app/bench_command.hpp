#pragma once
// `sluice bench`: runs the load generator against a live Sluice, prints the
// report (text, or JSON with --json), writes the SVG plot, and checks the
// result against the SLOs: exit 0 when they hold, 3 when one is breached.

#include <string>

#include "bench/options.hpp"
#include "bench/report.hpp"
#include "config/config.hpp"

namespace sluice::app {

struct bench_request {
  bench::options load;
  bench::objectives slo;
  bool json = false;
  bool check_throughput = false;  // also hold the run to the SLO's throughput band
};

// The objectives the configuration's SLOs set for a benchmark run.
bench::objectives objectives_of(const config::slo_config& slo, bool check_throughput);

int run_bench(const bench_request& request);

}  // namespace sluice::app

#pragma once
// Process metrics in Prometheus text format, read from /proc/self at scrape
// time: process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_start_time_seconds.

#include <string>

namespace sluice::observe {

std::string process_stats_text();

}  // namespace sluice::observe

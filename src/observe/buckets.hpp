#pragma once
// Histogram bucket bounds, shared by the metrics (which record into them) and
// the SLO rule generator (whose latency SLIs read the bucket at an objective's
// threshold, so every latency objective must be one of these bounds).

#include <array>

namespace sluice::observe {

// Seconds, from 0.5 ms to 5 s, about four per decade and finer where the SLOs
// sit (0.1, 0.3, 0.5), so P50/P95/P99 read well from histogram_quantile.
inline constexpr std::array<double, 21> latency_buckets_seconds = {
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1,
    0.15,   0.2,   0.25,  0.3,   0.4,   0.5,    0.75, 1.0,   2.5,  5.0};

// Rows per sink batch.
inline constexpr std::array<double, 12> batch_row_buckets = {1,   2,   5,   10,   25,   50,
                                                             100, 250, 500, 1000, 2500, 5000};

}  // namespace sluice::observe

#pragma once
// The load generator behind `sluice bench`: Asio coroutines, one HTTP/1.1
// keep-alive connection per worker.
//
// Open loop (rate > 0): ticket n is due at start + n/rate whatever the server
// does; a worker takes the next ticket, waits for its due time (or sends at
// once if late) and measures latency from the due time — so queueing behind a
// slow server is counted, not hidden (no coordinated omission). Closed loop
// (rate = 0): each worker sends its next request as soon as the previous
// answer arrives, measuring from the send; this finds the maximum rate.
//
// A sample of accepted POSTs (every freshness_every-th) is followed through
// GET /v1/messages/{id} until stored: the freshness from the 202 to the row
// being readable.

#include <functional>

#include "bench/report.hpp"

namespace sluice::bench {

// Runs the load; `progress` (may be empty) is called about once a second
// with a one-line summary. Blocks until done.
report run(const options& o, const std::function<void(const std::string&)>& progress);

}  // namespace sluice::bench

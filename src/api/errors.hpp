#pragma once
// The one place where domain errors become HTTP answers. Our trouble (the
// broker's or the store's) is 503 + Retry-After: retry later, nothing was
// accepted — except a publish whose outcome is unknown, whose 503 says so and
// names the message ids to look up. The client's is 4xx (409 for a reused
// Idempotency-Key, 422 for invalid records); anything else is a logged 500.
// A store call past its client-side deadline (store::errc::timed_out) is a
// 503 naming `store_deadline` when given.

#include <chrono>
#include <cstddef>
#include <system_error>

#include "http/message.hpp"
#include "pipeline/ingest.hpp"

namespace sluice::api {

// A store error (reads, lookups, readiness).
http::response error_response(std::error_code ec, std::chrono::milliseconds store_deadline = {});

// Why ingest refused a request.
http::response refusal_response(const pipeline::refusal& r, std::size_t max_batch);

}  // namespace sluice::api

#pragma once
// Per-principal rate limits applied to requests (issue 12): after
// authentication, each request is charged to its principal's token bucket
// (auth/rate_limit.hpp) — 1 for a GET, its record count for a POST. A POST is
// charged after its body is parsed (only then is the count known) and before
// anything is validated or published, so a refused POST publishes nothing.
//
// Refused: 429 problem+json with Retry-After, RateLimit-Policy and
// RateLimit (draft-ietf-httpapi-ratelimit-headers-10), and
// sluice_rate_limited_requests_total{principal} counts it. Allowed under a
// limit: the answer carries RateLimit-Policy and RateLimit too.

#include <cstdint>
#include <optional>
#include <string>

#include "auth/principal.hpp"
#include "auth/rate_limit.hpp"
#include "http/message.hpp"

namespace sluice::observe {
class metrics;
}

namespace sluice::api {

// Whose bucket a request is charged to.
struct rate_subject {
  std::string key;    // the bucket: the principal's id, or "ip:<address>" without one
  std::string label;  // the metric's principal label: the id, or "anonymous"
  auth::rate_policy policy;
};

// Whose bucket a request of `who` is charged to: "<kind>:<id>" (an API key
// and a JWT subject of the same name stay apart), at the principal's own
// rate (policy "principal") or else `default_rate` (policy "default"). The
// anonymous principal of mode none is not limited: its buckets would be per
// client IP, which the server does not hand to handlers yet.
rate_subject subject_of(const auth::principal& who, std::uint64_t default_rate);

// Charges `cost`; the 429 to answer when refused. Either way, `headers`
// receives the RateLimit fields to send when a limit applies.
std::optional<http::response> charge(auth::rate_limiter& limiter, observe::metrics& metrics,
                                     const rate_subject& who, std::uint64_t cost,
                                     http::header_list& headers);

}  // namespace sluice::api

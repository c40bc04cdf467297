#pragma once
// Rate limits applied to requests (issue 12). Each request is charged to a
// token bucket (auth/rate_limit.hpp) — 1 for a GET, its record count for a
// POST. A POST is charged after its body is parsed (only then is the count
// known) and before anything is validated or published, so a refused POST
// publishes nothing.
//
// Whose bucket:
//  - a principal's (API key, JWT, client certificate): "<kind>:<id>", at
//    the rate of the first that applies: the principal's own (a key's
//    --rate, a certificate mapping's rate; policy "principal"), the most
//    specific [auth.rates] entry covering the route's scope (exact, then
//    "<action>:*", then "*"; policy = the entry, one bucket per entry), or
//    auth.default_rate (policy "default");
//  - no principal: the client address's ("ip:<address>", an IPv6 address
//    by its /64, which one host commonly holds whole) at auth.anonymous_rate
//    (policy "anonymous"), in a table of its own bounded by
//    auth.anonymous_max_addresses. That is every request in mode none, and
//    in mode required every failed authentication (api/router.cpp).
//
// Refused: 429 problem+json with Retry-After, RateLimit-Policy and
// RateLimit (draft-ietf-httpapi-ratelimit-headers-10), and
// sluice_rate_limited_requests_total{principal} counts it ("anonymous" for
// address buckets). Allowed under a limit: the answer carries
// RateLimit-Policy and RateLimit too.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "auth/principal.hpp"
#include "auth/rate_limit.hpp"
#include "config/config.hpp"
#include "http/message.hpp"

namespace sluice::observe {
class metrics;
}

namespace sluice::api {

// Whose bucket a request is charged to.
struct rate_subject {
  std::string key;    // the bucket: "<kind>:<id>[|<rates entry>]", or "ip:<address>"
  std::string label;  // the metric's principal label: the id, or "anonymous"
  auth::rate_policy policy;
  bool by_address = false;  // in the address table (auth.anonymous_max_addresses)
};

// The [auth.rates] entry that sets the rate for a route needing `scope`:
// the entry named `scope`, else "<action>:*" for publish:/read: scopes,
// else "*"; nullopt when none is configured. "" (a route needing no scope)
// has none.
std::optional<std::pair<std::string, std::uint64_t>> scope_rate(
    const std::map<std::string, std::uint64_t>& rates, std::string_view scope);

// The bucket of requests without a principal from `client_address`.
rate_subject address_subject(const config::auth_config& a, std::string_view client_address);

// Whose bucket a request of `who` on a route needing `scope` is charged to
// (see above). The anonymous principal (mode none) is charged by address.
rate_subject subject_of(const auth::principal& who, std::string_view scope,
                        const config::auth_config& a, std::string_view client_address);

// Charges `cost`; the 429 to answer when refused. Either way, `headers`
// receives the RateLimit fields to send when a limit applies.
std::optional<http::response> charge(auth::rate_limiter& limiter, observe::metrics& metrics,
                                     const rate_subject& who, std::uint64_t cost,
                                     http::header_list& headers);

// Like charge(), but takes nothing: the 429 that a request costing `cost`
// would get now, or nullopt (and no headers) when it would pass.
std::optional<http::response> refuse_if_empty(auth::rate_limiter& limiter,
                                              observe::metrics& metrics, const rate_subject& who,
                                              std::uint64_t cost);

}  // namespace sluice::api

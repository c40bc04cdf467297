#pragma once
// Who is on the other end of a request (issue 12): the TCP peer, unless the
// peer is a proxy the operator trusts (http.trusted_proxies), in which case
// the client is the rightmost hop of X-Forwarded-For that is not itself a
// trusted proxy. Hops left of that one were written by whoever the untrusted
// hop is and may be forged, so they are never used. The access log and the
// per-address rate limits (anonymous requests, failed authentications) key
// on the result.
//
//   peer 10.0.0.5 (trusted), X-Forwarded-For: 198.51.100.7, 203.0.113.9
//     → 203.0.113.9 (198.51.100.7 is what 203.0.113.9 claims; not believed)
//   peer 10.0.0.5 (trusted), X-Forwarded-For: 203.0.113.9, 10.0.0.4 (trusted)
//     → 203.0.113.9
//   peer 203.0.113.9 (not trusted), any X-Forwarded-For → 203.0.113.9
//
// Every hop trusted: the leftmost one (the request came from inside). A hop
// that is no address ("unknown", garbage): the walk stops and the nearest
// trusted address right of it is the client, so garbage never becomes a
// rate-limit key. Pure function: safe from any thread.

#include <string>
#include <string_view>
#include <vector>

#include "net/address.hpp"

namespace sluice::http {

// `forwarded_for`: every X-Forwarded-For field value of the request, in the
// order received (several fields are one comma-separated list, RFC 9110
// §5.3). Returns the client's address as text (net::to_string).
std::string client_address(const net::ip& peer, const std::vector<std::string_view>& forwarded_for,
                           const std::vector<net::cidr>& trusted_proxies);

}  // namespace sluice::http

#pragma once
// The security headers every answer carries (OWASP REST Security / Secure
// Headers): applied once, where the server writes a response, so handler
// answers, the router's 404/405 and the server's own 400/408/413/431/503 are
// all covered and no handler can forget them.

#include <string>

#include "http/message.hpp"
#include "observe/trace.hpp"

namespace sluice::http {

// Adds to `res`, each only when the answer did not set that header itself:
//   X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer,
//   X-Frame-Options: DENY, Content-Security-Policy: default-src 'none';
//   frame-ancestors 'none' (an API's bodies are never to be rendered or framed);
// and on an error answer (application/problem+json): Cache-Control: no-store,
// and the RFC 9457 `instance` member "urn:sluice:request:<trace-id>-<span-id>"
// naming this request (the ids of its access-log line), unless the problem
// already has one or `trace` is empty.
void harden(response& res, const observe::trace_context& trace);

// The `instance` of a problem answered for a request in `trace`.
std::string problem_instance(const observe::trace_context& trace);

}  // namespace sluice::http

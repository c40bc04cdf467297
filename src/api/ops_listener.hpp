#pragma once
// The handler of the ops listener (http.ops_listen): GET/HEAD /healthz,
// /readyz and /metrics and nothing else — no TLS and no credentials, so that
// Kubernetes probes and Prometheus need neither. Other paths are 404 (the API
// is never reachable through it), other methods 405.

#include "api/context.hpp"
#include "http/server.hpp"

namespace sluice::api {

// The returned handler refers to `ctx`, which must outlive it.
http::handler make_ops_handler(context& ctx);

}  // namespace sluice::api

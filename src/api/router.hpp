#pragma once
// The HTTP API (v1) over the configured resources:
//   POST /v1/{resource}          validate → publish → 202 (201 with Prefer: wait)
//   GET  /v1/{resource}          rows, filters, keyset pages, ETag
//   GET  /v1/{resource}/{id}     one row
//   GET  /v1/messages/{id}       delivery status of one message
//   GET  /healthz, /readyz, /metrics

#include "api/context.hpp"
#include "http/server.hpp"

namespace sluice::api {

// The returned handler refers to `ctx`, which must outlive it.
http::handler make_handler(context& ctx);

}  // namespace sluice::api

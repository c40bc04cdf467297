#pragma once
// The endpoint handlers, one per route; router.cpp dispatches to them. Each
// parses its typed inputs, makes one domain call (offloaded when it blocks),
// and serialises the answer.

#include <boost/asio/awaitable.hpp>

#include <string_view>

#include "api/context.hpp"
#include "http/message.hpp"

namespace sluice::api {

using boost::asio::awaitable;

// POST /v1/{resource}
// `who` scopes the Idempotency-Key (its id is part of the message ids).
awaitable<http::response> post_records(context& ctx, const config::resource_def& resource,
                                       http::request& req, const auth::principal& who);
// GET /v1/{resource}
awaitable<http::response> list_rows(context& ctx, const config::resource_def& resource,
                                    const http::request& req, std::string_view query);
// GET /v1/{resource}/{id}
// GET /v1/{resource}/{id}: If-None-Match and Cache-Control as for pages.
awaitable<http::response> get_row(context& ctx, const config::resource_def& resource,
                                  const http::request& req, std::string_view id);
// GET /v1/messages/{id}
awaitable<http::response> message_status(context& ctx, std::string_view id);
// GET /v1/ops/stats: the stats windows (issue 18)
awaitable<http::response> ops_stats(context& ctx);
// GET /healthz, /readyz, /metrics
http::response healthz();
awaitable<http::response> readyz(context& ctx);
http::response metrics(context& ctx);

// A JSON response with the given status and body.
http::response json_response(unsigned status, std::string body);

}  // namespace sluice::api

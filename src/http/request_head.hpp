#pragma once
// Checks of a request's head (request line and headers) made before any of
// its body is read, so that a body is never read by guessing its framing
// (RFC 9112 §6): Transfer-Encoding, Host, the target's form and size, and
// Content-Encoding. Beast-free, so that it can be tested on its own.

#include <cstddef>
#include <optional>

#include "http/message.hpp"

namespace sluice::http {

struct head_limits {
  std::size_t query_limit = 4096;  // bytes after '?'
};

// Returns the answer for a head that must be refused — 400 (framing, Host,
// target), 414 (query), 415 (Content-Encoding), 501 (a transfer coding we do
// not implement) — after which the connection must be closed: its body was
// not read. Otherwise rewrites an absolute-form target ("http://h/p?q") to
// origin-form ("/p?q") so handlers always see a path, and returns nothing.
// `version` is 10 or 11.
std::optional<response> check_request_head(request& req, unsigned version, const head_limits& limits);

}  // namespace sluice::http

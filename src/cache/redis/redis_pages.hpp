#pragma once
// The shared page cache on Redis: GET/SET of
// "<namespace>:page:<version>:<key>" holding etag, link and body (after a
// "range:<Content-Range>" line for a counted page), with a TTL.
// A small pool of blocking connections (the shared hiredis wrapper in
// src/redis/: AUTH, SELECT) with short timeouts. After a failure the cache is
// skipped for a backoff (capped exponential with jitter, reset by a success),
// then one call tries again, so a Redis outage or restart only costs the
// round trips it would have saved.

#include <chrono>
#include <memory>
#include <string>

#include "cache/shared_pages.hpp"
#include "core/result.hpp"

namespace sluice::cache {

struct redis_pages_options {
  std::string url;       // redis://[user:password@]host[:port][/db]
  std::string password;  // when set, replaces the URL's (e.g. from the environment)
  std::string name_space = "sluice";
  std::chrono::milliseconds ttl{300'000};
  std::chrono::milliseconds timeout{200};  // connect and per command
  unsigned connections = 4;
  std::chrono::milliseconds retry_min{100};  // skip the cache this long after a failure…
  std::chrono::milliseconds retry_max{2000};  // …doubling up to this
};

// Parses the URL; connects lazily. Fails (sluice::redis::errc::bad_url) only
// for a malformed URL; a server that is down or refuses the credentials makes
// every call a counted error instead (errors()), logged with Redis's reason.
result<std::unique_ptr<shared_pages>> make_redis_pages(const redis_pages_options& options);

}  // namespace sluice::cache

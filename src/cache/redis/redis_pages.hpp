#pragma once
// The shared page cache on Redis (hiredis): GET/SET of
// "<namespace>:page:<version>:<key>" holding etag, link and body, with a TTL.
// A small pool of blocking connections with short timeouts; after an error
// the cache is skipped for a second (then one call tries again), so a Redis
// outage or restart only costs the round trips it would have saved.

#include <chrono>
#include <memory>
#include <string>

#include "cache/shared_pages.hpp"

namespace sluice::cache {

struct redis_pages_options {
  std::string url;                         // redis://host:port[/db]
  std::string name_space = "sluice";
  std::chrono::milliseconds ttl{300'000};
  std::chrono::milliseconds timeout{200};  // connect and per command
  unsigned connections = 4;
};

// nullptr when the URL is not a redis:// URL (checked at start-up).
std::unique_ptr<shared_pages> make_redis_pages(const redis_pages_options& options);

}  // namespace sluice::cache

#pragma once
// The endpoint of a Redis server from a redis:// URL, shared by the Redis
// broker (src/broker/redis/) and the shared page cache (src/cache/redis/).

#include <optional>
#include <string>
#include <string_view>

namespace sluice::redis {

struct endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;      // ACL user (Redis 6+); empty = "default"
  std::string password;  // empty = no AUTH
  int db = 0;            // SELECT after connecting when not 0
};

// redis://[user:password@]host[:port][/db], also redis://:password@host and
// redis://password@host (password only); %XX escapes in user and password.
// nullopt when malformed (bad scheme, port outside 1..65535 or not a number,
// db not a non-negative number, empty host): never throws.
std::optional<endpoint> parse_url(std::string_view url);

}  // namespace sluice::redis

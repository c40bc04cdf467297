#pragma once
// The small synchronous HTTP calls of the credentials chain (the ECS container
// endpoint, EC2 instance metadata): one request per connection, a deadline on
// the whole call, http or https (system trust store). It runs its own
// io_context on the calling thread — the credentials refresh thread, never an
// io thread.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace sluice::aws {

struct metadata_reply {
  unsigned status = 0;
  std::string body;
};

struct metadata_url {
  bool tls = false;
  std::string host;         // for connecting: a name or an address (IPv6 without brackets)
  std::string port;         // "80" when the URL names none
  std::string host_header;  // as in the URL ("[fd00:ec2::254]:8080")
  std::string target;       // path and query, "/" when empty
  bool loopback = false;    // 127.0.0.0/8, ::1 or "localhost"
};
// Parses an absolute http(s) URL; errc endpoint_failed when it is not one.
result<metadata_url> parse_metadata_url(std::string_view url);

// Errors: credentials_errc::endpoint_failed, with a detail naming `what`, the
// host and the failing step (never a header value or a body). https
// certificates are verified against `ca_file` (PEM) when given, else the
// system trust store, and must name the host.
result<metadata_reply> metadata_call(
    std::string_view what, const metadata_url& url, std::string_view method,
    const std::vector<std::pair<std::string, std::string>>& headers,
    std::chrono::milliseconds timeout, const std::string& ca_file = {});

}  // namespace sluice::aws

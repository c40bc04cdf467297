#pragma once
// The HTTP/1.1 server: Boost.Beast over Asio, one coroutine per connection,
// keep-alive, limits and timeouts from configuration. Limit breaches and
// malformed requests are answered here (400/408/413/414/415/431/501, and 503
// past max_connections) as problem+json, then the connection is closed when
// its framing can no longer be trusted; everything else goes to the handler,
// which always sees an origin-form target. Beast stays inside server.cpp.
// With TLS (options.tls) the same request loop runs over a TLS stream after a
// handshake bounded by read_timeout; see tls_context.hpp for the policy.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "http/message.hpp"
#include "http/tls_context.hpp"
#include "net/address.hpp"
#include "observe/metrics.hpp"

namespace boost::asio {
class io_context;
}

namespace sluice::http {

// Must not throw for expected failures (it answers them); an exception escaping
// is a bug, logged and answered 500 in one place (the server).
using handler = std::function<boost::asio::awaitable<response>(request&)>;

struct server_options {
  std::string host = "0.0.0.0";
  unsigned short port = 8080;  // 0 = any free port
  std::size_t body_limit = 1024 * 1024;
  std::size_t header_limit = 8 * 1024;
  std::size_t query_limit = 4096;  // bytes after '?' (414 above)
  // For a whole request (headers and body) once its first byte arrived; 408 past it.
  std::chrono::milliseconds read_timeout{10'000};
  // A keep-alive connection waiting for the first byte of its next request.
  std::chrono::milliseconds idle_timeout{60'000};
  // Open connections. Past it a new connection gets one answer and is closed:
  // 503 + Retry-After, except probes (/healthz, /readyz), answered normally
  // on a few connections reserved for them.
  std::size_t max_connections = 10'000;
  bool access_log = true;
  // Peers whose X-Forwarded-For is believed (http.trusted_proxies): see
  // http/client_address.hpp. Empty: the client is always the TCP peer.
  std::vector<net::cidr> trusted_proxies;
  // TLS on this listener when tls.cert_file is set; then load_tls() must
  // succeed before start().
  tls_files tls;
};

class server {
 public:
  server(boost::asio::io_context& io, server_options options, handler h,
         observe::metrics& metrics);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and listens; returns the error when the address cannot be used.
  std::error_code listen();
  // The bound port (useful with port 0). REQUIRES: listen() succeeded.
  unsigned short port() const;
  // Reads options.tls's files now: connections accepted from then on use the
  // new certificate; connections already open keep the one they started with
  // (each holds its context). On failure the previous certificate stays and
  // the reason is returned, naming the configuration key. Logs the loaded
  // certificate's serial. Thread-safe. REQUIRES: options.tls.enabled().
  std::optional<std::string> load_tls();
  // Starts accepting on the io_context's threads.
  void start();
  // Stops accepting and lets requests in flight finish; idle keep-alive
  // connections stay open a moment (at most `grace`, at most a second) so
  // that a request already on its way is answered (with Connection: close),
  // never dropped. Calls `done` once no connection is left or `grace` passed.
  void shutdown(std::chrono::milliseconds grace, std::function<void()> done);

 private:
  class impl;
  std::shared_ptr<impl> impl_;
};

// Splits "host:port" (IPv6 as "[::1]:8080"); false when malformed.
bool split_host_port(const std::string& listen, std::string& host, unsigned short& port);

}  // namespace sluice::http

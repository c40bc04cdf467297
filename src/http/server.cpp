#include "http/server.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <variant>

#include "http/client_address.hpp"
#include "http/hardening.hpp"
#include "http/problem.hpp"
#include "http/request_head.hpp"
#include "http/wire.hpp"
#include "net/address.hpp"
#include "observe/log.hpp"
#include "observe/trace.hpp"

namespace sluice::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// One accepted connection. Everything but `conns_` membership is touched only
// on the connection's strand (the deadline timer's handler runs there too).
struct connection {
  explicit connection(tcp::socket s)
      : stream(std::in_place_type<plain_stream>, std::move(s)),
        socket_layer(std::get<plain_stream>(stream)),
        deadline(socket_layer.get_executor()) {}
  connection(tcp::socket s, std::shared_ptr<asio::ssl::context> ctx)
      : tls_context(std::move(ctx)),
        stream(std::in_place_type<tls_stream>, std::move(s), *tls_context),
        socket_layer(beast::get_lowest_layer(std::get<tls_stream>(stream))),
        deadline(socket_layer.get_executor()) {}
  // The context this connection was accepted with (declared before `stream`,
  // which refers to it): a certificate reload does not touch open connections.
  std::shared_ptr<asio::ssl::context> tls_context;
  std::variant<plain_stream, tls_stream> stream;
  // The TCP layer of `stream`: timeouts, cancel, executor, the socket.
  beast::tcp_stream& socket_layer;
  // The whole-request deadline. Not the stream's own expiry: that closes the
  // socket when it fires, and then the 408 could not be sent.
  asio::steady_timer deadline;
  std::uint64_t deadline_gen = 0;  // a fired handler of an older arming does nothing
  bool timed_out = false;
  bool busy = false;
  bool limited = false;        // accepted past max_connections: one answer, then closed
  std::string client_subject;  // TLS: the verified client certificate's subject
  std::vector<std::string> client_sans;  // and its subject alternative names
  net::ip peer;                // the TCP peer, read once at accept
  std::string peer_text;       // as text, for requests and the access log
};

// Over-limit connections that may still be served, so probes keep working
// when the limit is reached (each answers one request, then closes).
constexpr std::size_t k_probe_reserve = 8;
// How long an idle keep-alive connection stays open after SIGTERM, for a
// request already on its way (bounded by the grace period).
constexpr std::chrono::milliseconds k_stop_linger{1000};
// How long a closing TLS connection waits for the client's close_notify.
constexpr std::chrono::milliseconds k_tls_close_wait{1000};

bool is_probe(std::string_view target) {
  auto path = target.substr(0, target.find('?'));
  return path == "/healthz" || path == "/readyz";
}

void log_exception(const std::exception_ptr& e, const char* where) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    observe::error("unexpected exception", {{"where", where}, {"what", ex.what()}});
  }
}

// The head only: the body is moved in once it was read.
request to_request(const bhttp::request<bhttp::string_body>& in) {
  request r;
  r.method = std::string(in.method_string());
  r.target = std::string(in.target());
  r.headers.reserve(8);
  for (const auto& f : in) {
    std::string name(f.name_string());
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    r.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  return r;
}

net::ip ip_of(const asio::ip::address& a) {
  net::ip out;
  if (a.is_v4()) {
    auto v6 = asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4()).to_bytes();
    std::copy(v6.begin(), v6.end(), out.bytes.begin());
  } else {
    auto v6 = a.to_v6().to_bytes();
    std::copy(v6.begin(), v6.end(), out.bytes.begin());
  }
  return out;
}

// Who sent `r` (http/client_address.hpp): its X-Forwarded-For fields in order.
// `peer_text` is net::to_string(peer), made once per connection: formatting
// an address (inet_ntop → sprintf) per request cost ~1.7k instructions.
std::string client_of(const request& r, const net::ip& peer, const std::string& peer_text,
                      const std::vector<net::cidr>& trusted) {
  if (trusted.empty() || !net::contains(trusted, peer)) return peer_text;
  std::vector<std::string_view> forwarded;
  for (const auto& [name, value] : r.headers) {
    if (name == "x-forwarded-for") forwarded.emplace_back(value);
  }
  return client_address(peer, forwarded, trusted);
}

// This request's span (request::trace), also in its traceparent header.
void start_span(request& r) {
  r.trace = observe::continue_or_start(r.header("traceparent"));
  auto is_traceparent = [](const auto& h) { return h.first == "traceparent"; };
  r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(), is_traceparent),
                  r.headers.end());
  r.headers.emplace_back("traceparent", r.trace.traceparent());
}

// Status for a request the server could not read.
unsigned status_for_read_error(const beast::error_code& ec) {
  if (ec == bhttp::error::body_limit) return 413;
  if (ec == bhttp::error::header_limit) return 431;
  return 400;
}

}  // namespace

// The server's state; server's methods forward to it. Owned by shared_ptr so
// that sessions and timers keep it alive past ~server.
class server::impl : public std::enable_shared_from_this<impl> {
 public:
  impl(asio::io_context& io, server_options o, handler h, observe::metrics& m)
      : io_(io),
        opt_(std::move(o)),
        h_(std::move(h)),
        metrics_(m),
        // A strand: shutdown() posts the close to it, and accept_loop runs on
        // it (on the bare io_context the close raced accept_loop's is_open(),
        // ThreadSanitizer in make tsan).
        acceptor_(asio::make_strand(io)),
        grace_(io) {}

  std::error_code listen() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(opt_.host, ec);
    if (ec) return ec;
    tcp::endpoint ep(address, opt_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    return ec;
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  std::optional<std::string> load_tls() {
    auto loaded = load_tls_context(opt_.tls);
    if (!loaded.context) return loaded.error;
    {
      std::lock_guard lock(mu_);
      tls_ = std::move(loaded.context);
    }
    observe::info("tls certificate loaded",
                  {{"serial", loaded.serial},
                   {"subject", loaded.subject},
                   {"not_after", loaded.not_after},
                   {"client_certificates", !opt_.tls.client_ca_file.empty()}});
    return std::nullopt;
  }

  void start() {
    if (opt_.tls.enabled() && !tls_) {
      throw std::logic_error("http server: start() before load_tls()");
    }
    asio::co_spawn(acceptor_.get_executor(), accept_loop(),
                   [](const std::exception_ptr& e) { log_exception(e, "http accept"); });
  }

  void shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
    auto self = shared_from_this();
    std::unique_lock lock(mu_);
    stopping_ = true;
    linger_ = std::min(grace, k_stop_linger);
    on_drained_ = std::move(done);
    asio::post(acceptor_.get_executor(), [self] {
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
    });
    // Idle keep-alive connections switch from the idle timeout to the linger.
    for (const auto& c : conns_) {
      asio::post(c->socket_layer.get_executor(), [c] {
        if (!c->busy) c->socket_layer.cancel();
      });
    }
    grace_.expires_after(grace);
    grace_.async_wait([self](boost::system::error_code ec) {
      if (ec) return;  // drained in time
      std::unique_lock lock(self->mu_);
      if (!self->on_drained_) return;
      observe::warn("shutdown grace period over", {{"connections", self->conns_.size()}});
      for (const auto& c : self->conns_) {
        asio::post(c->socket_layer.get_executor(), [c] { c->socket_layer.cancel(); });
      }
      auto cb = std::move(self->on_drained_);
      self->on_drained_ = nullptr;
      lock.unlock();
      cb();
    });
    drained_if_done(lock);
  }

 private:
  asio::io_context& io_;
  const server_options opt_;
  const handler h_;
  observe::metrics& metrics_;
  tcp::acceptor acceptor_;
  asio::steady_timer grace_;

  std::mutex mu_;  // guards the members below
  std::set<std::shared_ptr<connection>> conns_;
  bool stopping_ = false;
  std::function<void()> on_drained_;
  std::size_t limited_ = 0;              // connections in `conns_` accepted past max_connections
  std::chrono::milliseconds linger_{0};  // for idle connections once stopping
  // New TLS connections use it; replaced whole by load_tls().
  std::shared_ptr<asio::ssl::context> tls_;

  bool is_stopping() {
    std::lock_guard lock(mu_);
    return stopping_;
  }

  void drained_if_done(std::unique_lock<std::mutex>& lock) {
    if (!stopping_ || !conns_.empty() || !on_drained_) return;
    auto done = std::move(on_drained_);
    on_drained_ = nullptr;
    lock.unlock();
    grace_.cancel();
    done();
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), use_tuple);
      if (ec) {
        if (!acceptor_.is_open() || ec == asio::error::operation_aborted) co_return;
        observe::warn("accept failed", {{"error", ec.message()}});
        asio::steady_timer pause(io_, std::chrono::milliseconds(50));  // e.g. out of fds
        co_await pause.async_wait(use_tuple);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto remote = socket.remote_endpoint(ec);
      if (ec) continue;  // already gone: closes the socket
      std::shared_ptr<connection> c;
      {
        std::lock_guard lock(mu_);
        if (stopping_) continue;  // closes the socket
        c = tls_ ? std::make_shared<connection>(std::move(socket), tls_)
                 : std::make_shared<connection>(std::move(socket));
        if (conns_.size() - limited_ >= opt_.max_connections) {
          if (limited_ >= k_probe_reserve) continue;  // closes it: no fd is held for long
          if (limited_++ == 0) {
            observe::warn("connection limit reached", {{"max_connections", opt_.max_connections}});
          }
          c->limited = true;
        }
        c->peer = ip_of(remote.address());
        c->peer_text = net::to_string(c->peer);
        conns_.insert(c);
      }
      asio::co_spawn(c->socket_layer.get_executor(), session(c),
                     [](const std::exception_ptr& e) { log_exception(e, "http session"); });
    }
  }

  std::chrono::milliseconds stop_linger() {
    std::lock_guard lock(mu_);
    return linger_;
  }

  // Waits for the first byte of the next request under the idle timeout (the
  // only wait it applies to). Once stopping, waits a short linger instead, so
  // that a request already on its way is answered rather than met by a close.
  template <class Stream>
  asio::awaitable<bool> first_byte(connection& c, Stream& stream, beast::flat_buffer& buffer) {
    if (buffer.size() > 0) co_return true;  // pipelined
    for (int round = 0; round < 2; ++round) {
      bool stopping_now = is_stopping();
      auto wait = c.limited ? std::min(opt_.idle_timeout, opt_.read_timeout) : opt_.idle_timeout;
      if (stopping_now) {
        boost::system::error_code ec;
        if (c.socket_layer.socket().available(ec) == 0 && stop_linger().count() == 0) {
          co_return false;
        }
        wait = std::max(stop_linger(), std::chrono::milliseconds(1));
      }
      c.socket_layer.expires_after(wait);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
      c.socket_layer.expires_never();
      if (!ec) {
        buffer.commit(n);
        co_return true;
      }
      // Cancelled by shutdown(): look once more, with the linger.
      if (ec == asio::error::operation_aborted && !stopping_now && is_stopping()) continue;
      co_return false;
    }
    co_return false;
  }

  void arm_deadline(const std::shared_ptr<connection>& c) {
    c->timed_out = false;
    auto gen = ++c->deadline_gen;
    c->deadline.expires_after(opt_.read_timeout);
    c->deadline.async_wait([c, gen](boost::system::error_code ec) {
      if (ec || gen != c->deadline_gen) return;
      c->timed_out = true;
      c->socket_layer.cancel();
    });
  }

  void disarm_deadline(connection& c) {
    ++c.deadline_gen;
    c.deadline.cancel();
  }

  // Answers a request whose body was not (fully) read, then the caller closes.
  template <class Stream>
  asio::awaitable<void> refuse(connection& c, Stream& stream, response res, unsigned version,
                               std::string_view method, const observe::trace_context& trace,
                               std::string_view client) {
    if (res.route.empty()) res.route = "(unread)";
    co_await write(c, stream, res, false, version, method, trace, client.empty() ? c.peer_text : client,
                   std::chrono::steady_clock::now());
  }

  asio::awaitable<void> session(std::shared_ptr<connection> c) {
    auto self = shared_from_this();
    if (auto* tls = std::get_if<tls_stream>(&c->stream)) {
      if (co_await handshake(*c, *tls)) {
        co_await serve(c, *tls);
        co_await close_tls(*c, *tls);
      }
    } else {
      co_await serve(c, std::get<plain_stream>(c->stream));
      beast::error_code ignored;
      c->socket_layer.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    std::unique_lock lock(mu_);
    conns_.erase(c);
    if (c->limited) --limited_;
    drained_if_done(lock);
  }

  // Bounded by read_timeout like a request; a client that fails it is closed
  // without an answer (there is no channel to send one on).
  asio::awaitable<bool> handshake(connection& c, tls_stream& stream) {
    c.socket_layer.expires_after(opt_.read_timeout);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    c.socket_layer.expires_never();
    if (ec) {
      observe::debug("tls handshake failed", {{"error", ec.message()}});
      co_return false;
    }
    c.client_subject = verified_peer_subject(stream.native_handle());
    if (!c.client_subject.empty()) c.client_sans = verified_peer_sans(stream.native_handle());
    co_return true;
  }

  // Sends close_notify and waits a moment for the client's.
  asio::awaitable<void> close_tls(connection& c, tls_stream& stream) {
    c.socket_layer.expires_after(std::min(opt_.read_timeout, k_tls_close_wait));
    co_await stream.async_shutdown(use_tuple);
    c.socket_layer.expires_never();
  }

  // The request loop, one per connection, over a plain or a TLS stream.
  template <class Stream>
  asio::awaitable<void> serve(std::shared_ptr<connection> c, Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      c->busy = false;
      if (!co_await first_byte(*c, stream, buffer)) break;
      c->busy = true;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(opt_.body_limit);
      parser.header_limit(static_cast<std::uint32_t>(opt_.header_limit));
      // One deadline for the whole request, headers and body.
      arm_deadline(c);
      auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
      request req;
      std::optional<response> refused;
      if (!ec) {
        req = to_request(parser.get());
        req.client_subject = c->client_subject;
        req.client_sans = c->client_sans;
        req.peer_address = c->peer_text;
        req.client_address = client_of(req, c->peer, c->peer_text, opt_.trusted_proxies);
        start_span(req);
        refused = check_request_head(req, parser.get().version(), head_limits{opt_.query_limit});
      }
      if (!ec && !refused && parser.get()[bhttp::field::expect] == "100-continue") {
        auto length = parser.content_length();
        if (length && *length > opt_.body_limit) {
          ec = bhttp::error::body_limit;
        } else {
          bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
          std::tie(ec, n) = co_await bhttp::async_write(stream, cont, use_tuple);
        }
      }
      if (!ec && !refused && !parser.is_done()) {
        std::tie(ec, n) = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
      }
      disarm_deadline(*c);
      if (req.trace.trace_id.empty()) start_span(req);  // the head was not read
      unsigned version = ec ? 11 : parser.get().version();
      if (c->timed_out) {
        co_await refuse(*c, stream,
                        problem(408, "the request did not arrive within read_timeout_ms"), version,
                        "-", req.trace, req.client_address);
        break;
      }
      if (ec) {
        if (ec == asio::error::operation_aborted) break;  // the grace period is over
        // The stream is out of sync with the request: answer, then close.
        co_await refuse(
            *c, stream,
            problem(status_for_read_error(ec), "could not read the request: " + ec.message()),
            version, "-", req.trace, req.client_address);
        break;
      }
      if (refused) {
        co_await refuse(*c, stream, std::move(*refused), version, req.method, req.trace,
                        req.client_address);
        break;
      }
      auto started = std::chrono::steady_clock::now();
      auto& in = parser.get();
      bool keep_alive = in.keep_alive() && !c->limited;
      req.body = std::move(in.body());
      metrics_.http_active(1);
      response res;
      if (c->limited && !is_probe(req.target)) {
        res = problem(503, "too many connections (http.max_connections); retry later");
        res.set("Retry-After", "1");
        res.route = "(limited)";
      } else {
        try {
          res = co_await h_(req);
        } catch (const std::exception& ex) {
          observe::error("handler failed", {{"target", req.target}, {"what", ex.what()}});
          res = problem(500, "internal error");
          res.route = "(error)";
        }
      }
      metrics_.http_active(-1);
      keep_alive = keep_alive && !is_stopping();
      if (!co_await write(*c, stream, res, keep_alive, version, req.method, req.trace,
                              req.client_address, started)) {
        break;
      }
      if (!keep_alive) break;
    }
  }

  template <class Stream>
  asio::awaitable<bool> write(connection& c, Stream& stream, response& res, bool keep_alive,
                              unsigned version, std::string_view method,
                              const observe::trace_context& trace, std::string_view client,
                              std::chrono::steady_clock::time_point started) {
    harden(res, trace);  // every answer, the server's own included
    const auto bytes =
        serialize(res, {.version = version, .keep_alive = keep_alive, .head = method == "HEAD"});
    c.socket_layer.expires_after(opt_.read_timeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes), use_tuple);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_.http_request(method, res.route, res.status, seconds);
    if (opt_.access_log) {
      observe::info("request", {{"method", method},
                                {"route", res.route},
                                {"status", res.status},
                                {"duration_ms", seconds * 1e3},
                                {"bytes", static_cast<std::int64_t>(n)},
                                {"trace_id", trace.trace_id},
                                {"span_id", trace.span_id},
                                {"client", client}});
    }
    co_return !ec;
  }
};

server::server(asio::io_context& io, server_options options, handler h, observe::metrics& metrics)
    : impl_(std::make_shared<impl>(io, std::move(options), std::move(h), metrics)) {}

server::~server() = default;

std::error_code server::listen() {
  return impl_->listen();
}

unsigned short server::port() const {
  return impl_->port();
}

std::optional<std::string> server::load_tls() {
  return impl_->load_tls();
}

void server::start() {
  impl_->start();
}

void server::shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
  impl_->shutdown(grace, std::move(done));
}

bool split_host_port(const std::string& listen, std::string& host, unsigned short& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 >= listen.size()) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return false;
  unsigned long p = 0;
  for (char ch : listen.substr(colon + 1)) {
    if (ch < '0' || ch > '9') return false;
    p = p * 10 + static_cast<unsigned long>(ch - '0');
    if (p > 65535) return false;
  }
  port = static_cast<unsigned short>(p);
  return true;
}

}  // namespace sluice::http

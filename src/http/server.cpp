#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <optional>
#include <set>

#include "http/problem.hpp"
#include "http/request_head.hpp"
#include "observe/log.hpp"

namespace sluice::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

// One accepted connection. Everything but `conns` membership is touched only
// on the connection's strand (the deadline timer's handler runs there too).
struct connection {
  explicit connection(tcp::socket s) : stream(std::move(s)), deadline(stream.get_executor()) {}
  beast::tcp_stream stream;
  // The whole-request deadline. Not the stream's own expiry: that closes the
  // socket when it fires, and then the 408 could not be sent.
  asio::steady_timer deadline;
  std::uint64_t deadline_gen = 0;  // a fired handler of an older arming does nothing
  bool timed_out = false;
  bool busy = false;
  bool limited = false;  // accepted past max_connections: one answer, then closed
};

// Over-limit connections that may still be served, so probes keep working
// when the limit is reached (each answers one request, then closes).
constexpr std::size_t k_probe_reserve = 8;
// How long an idle keep-alive connection stays open after SIGTERM, for a
// request already on its way (bounded by the grace period).
constexpr std::chrono::milliseconds k_stop_linger{1000};

bool is_probe(std::string_view target) {
  auto path = target.substr(0, target.find('?'));
  return path == "/healthz" || path == "/readyz";
}

void log_exception(std::exception_ptr e, const char* where) {
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

// Status for a request the server could not read.
unsigned status_for_read_error(const beast::error_code& ec) {
  if (ec == bhttp::error::body_limit) return 413;
  if (ec == bhttp::error::header_limit) return 431;
  return 400;
}

}  // namespace

struct server::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& io_, server_options o, handler h_, observe::metrics& m)
      : io(io_), opt(std::move(o)), h(std::move(h_)), metrics(m), acceptor(io_), grace(io_) {}

  asio::io_context& io;
  const server_options opt;
  const handler h;
  observe::metrics& metrics;
  tcp::acceptor acceptor;
  asio::steady_timer grace;

  std::mutex mu;  // guards the members below
  std::set<std::shared_ptr<connection>> conns;
  bool stopping = false;
  std::function<void()> on_drained;
  std::size_t limited = 0;  // connections in `conns` accepted past max_connections
  std::chrono::milliseconds linger{0};  // for idle connections once stopping

  bool is_stopping() {
    std::lock_guard lock(mu);
    return stopping;
  }

  void drained_if_done(std::unique_lock<std::mutex>& lock) {
    if (!stopping || !conns.empty() || !on_drained) return;
    auto done = std::move(on_drained);
    on_drained = nullptr;
    lock.unlock();
    grace.cancel();
    done();
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), use_tuple);
      if (ec) {
        if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
        observe::warn("accept failed", {{"error", ec.message()}});
        asio::steady_timer pause(io, std::chrono::milliseconds(50));  // e.g. out of fds
        co_await pause.async_wait(use_tuple);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto c = std::make_shared<connection>(std::move(socket));
      {
        std::lock_guard lock(mu);
        if (stopping) continue;  // closes the socket
        if (conns.size() - limited >= opt.max_connections) {
          if (limited >= k_probe_reserve) continue;  // closes it: no fd is held for long
          if (limited++ == 0) {
            observe::warn("connection limit reached", {{"max_connections", opt.max_connections}});
          }
          c->limited = true;
        }
        conns.insert(c);
      }
      asio::co_spawn(c->stream.get_executor(), session(c),
                     [](std::exception_ptr e) { log_exception(e, "http session"); });
    }
  }

  std::chrono::milliseconds stop_linger() {
    std::lock_guard lock(mu);
    return linger;
  }

  // Waits for the first byte of the next request under the idle timeout (the
  // only wait it applies to). Once stopping, waits a short linger instead, so
  // that a request already on its way is answered rather than met by a close.
  asio::awaitable<bool> first_byte(connection& c, beast::flat_buffer& buffer) {
    if (buffer.size() > 0) co_return true;  // pipelined
    for (int round = 0; round < 2; ++round) {
      bool stopping_now = is_stopping();
      auto wait = c.limited ? std::min(opt.idle_timeout, opt.read_timeout) : opt.idle_timeout;
      if (stopping_now) {
        boost::system::error_code ec;
        if (c.stream.socket().available(ec) == 0 && stop_linger().count() == 0) co_return false;
        wait = std::max(stop_linger(), std::chrono::milliseconds(1));
      }
      c.stream.expires_after(wait);
      auto [ec, n] = co_await c.stream.async_read_some(buffer.prepare(4096), use_tuple);
      c.stream.expires_never();
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
    c->deadline.expires_after(opt.read_timeout);
    c->deadline.async_wait([c, gen](boost::system::error_code ec) {
      if (ec || gen != c->deadline_gen) return;
      c->timed_out = true;
      c->stream.cancel();
    });
  }

  void disarm_deadline(connection& c) {
    ++c.deadline_gen;
    c.deadline.cancel();
  }

  // Answers a request whose body was not (fully) read, then the caller closes.
  asio::awaitable<void> refuse(connection& c, response res, unsigned version, std::string_view method) {
    if (res.route.empty()) res.route = "(unread)";
    co_await write(c, res, false, version, method, std::chrono::steady_clock::now());
  }

  asio::awaitable<void> session(std::shared_ptr<connection> c) {
    auto self = shared_from_this();
    beast::flat_buffer buffer;
    for (;;) {
      c->busy = false;
      if (!co_await first_byte(*c, buffer)) break;
      c->busy = true;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(opt.body_limit);
      parser.header_limit(static_cast<std::uint32_t>(opt.header_limit));
      // One deadline for the whole request, headers and body.
      arm_deadline(c);
      auto [ec, n] = co_await bhttp::async_read_header(c->stream, buffer, parser, use_tuple);
      request req;
      std::optional<response> refused;
      if (!ec) {
        req = to_request(parser.get());
        refused = check_request_head(req, parser.get().version(), head_limits{opt.query_limit});
      }
      if (!ec && !refused && parser.get()[bhttp::field::expect] == "100-continue") {
        auto length = parser.content_length();
        if (length && *length > opt.body_limit) {
          ec = bhttp::error::body_limit;
        } else {
          bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
          std::tie(ec, n) = co_await bhttp::async_write(c->stream, cont, use_tuple);
        }
      }
      if (!ec && !refused && !parser.is_done()) {
        std::tie(ec, n) = co_await bhttp::async_read(c->stream, buffer, parser, use_tuple);
      }
      disarm_deadline(*c);
      unsigned version = ec ? 11 : parser.get().version();
      if (c->timed_out) {
        co_await refuse(*c, problem(408, "the request did not arrive within read_timeout_ms"), version, "-");
        break;
      }
      if (ec) {
        if (ec == asio::error::operation_aborted) break;  // the grace period is over
        // The stream is out of sync with the request: answer, then close.
        co_await refuse(*c, problem(status_for_read_error(ec), "could not read the request: " + ec.message()),
                        version, "-");
        break;
      }
      if (refused) {
        co_await refuse(*c, std::move(*refused), version, req.method);
        break;
      }
      auto started = std::chrono::steady_clock::now();
      auto& in = parser.get();
      bool keep_alive = in.keep_alive() && !c->limited;
      req.body = std::move(in.body());
      metrics.http_active(1);
      response res;
      if (c->limited && !is_probe(req.target)) {
        res = problem(503, "too many connections (http.max_connections); retry later");
        res.set("Retry-After", "1");
        res.route = "(limited)";
      } else {
        try {
          res = co_await h(req);
        } catch (const std::exception& ex) {
          observe::error("handler failed", {{"target", req.target}, {"what", ex.what()}});
          res = problem(500, "internal error");
          res.route = "(error)";
        }
      }
      metrics.http_active(-1);
      keep_alive = keep_alive && !is_stopping();
      if (!co_await write(*c, res, keep_alive, version, req.method, started)) break;
      if (!keep_alive) break;
    }
    beast::error_code ignored;
    c->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    std::unique_lock lock(mu);
    conns.erase(c);
    if (c->limited) --limited;
    drained_if_done(lock);
  }

  asio::awaitable<bool> write(connection& c, response& res, bool keep_alive, unsigned version,
                              std::string_view method, std::chrono::steady_clock::time_point started) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
    out.set(bhttp::field::server, "sluice");
    for (auto& [k, v] : res.headers) out.insert(k, v);
    out.body() = std::move(res.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    if (method == "HEAD") {
      // The headers a GET would send, without its body (RFC 9110 §9.3.2).
      auto length = out.body().size();
      out.body().clear();
      out.content_length(length);
    }
    c.stream.expires_after(opt.read_timeout);
    auto [ec, n] = co_await bhttp::async_write(c.stream, out, use_tuple);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics.http_request(method, res.route, res.status, seconds);
    if (opt.access_log) {
      observe::info("request", {{"method", method},
                                {"route", res.route},
                                {"status", res.status},
                                {"duration_ms", seconds * 1e3},
                                {"bytes", static_cast<std::int64_t>(n)}});
    }
    co_return !ec;
  }
};

server::server(asio::io_context& io, server_options options, handler h, observe::metrics& metrics)
    : impl_(std::make_shared<impl>(io, std::move(options), std::move(h), metrics)) {}

server::~server() = default;

std::error_code server::listen() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(impl_->opt.host, ec);
  if (ec) return ec;
  tcp::endpoint ep(address, impl_->opt.port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

unsigned short server::port() const { return impl_->acceptor.local_endpoint().port(); }

void server::start() {
  asio::co_spawn(impl_->acceptor.get_executor(), impl_->accept_loop(),
                 [](std::exception_ptr e) { log_exception(e, "http accept"); });
}

void server::shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
  auto self = impl_;
  std::unique_lock lock(self->mu);
  self->stopping = true;
  self->linger = std::min(grace, k_stop_linger);
  self->on_drained = std::move(done);
  asio::post(self->acceptor.get_executor(), [self] {
    boost::system::error_code ignored;
    self->acceptor.close(ignored);
  });
  // Idle keep-alive connections switch from the idle timeout to the linger.
  for (const auto& c : self->conns) {
    asio::post(c->stream.get_executor(), [c] {
      if (!c->busy) c->stream.cancel();
    });
  }
  self->grace.expires_after(grace);
  self->grace.async_wait([self](boost::system::error_code ec) {
    if (ec) return;  // drained in time
    std::unique_lock lock(self->mu);
    if (!self->on_drained) return;
    observe::warn("shutdown grace period over", {{"connections", self->conns.size()}});
    for (const auto& c : self->conns) {
      asio::post(c->stream.get_executor(), [c] { c->stream.cancel(); });
    }
    auto cb = std::move(self->on_drained);
    self->on_drained = nullptr;
    lock.unlock();
    cb();
  });
  self->drained_if_done(lock);
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

// The AWS HTTP client (contract in client.hpp): one io_context thread runs a
// coroutine per call; connections are pooled per endpoint on that thread, so
// the pools need no lock.

#include "aws/client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "aws/sigv4.hpp"

namespace sluice::aws {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;
constexpr auto k_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t k_max_body = 64u * 1024 * 1024;

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "aws"; }
  std::string message(int c) const override {
    switch (static_cast<errc>(c)) {
      case errc::not_sent:
        return "the AWS endpoint could not be reached";
      case errc::no_answer:
        return "the AWS endpoint did not answer (the request may have been processed)";
      case errc::credentials:
        return "no AWS credentials";
      case errc::tls:
        return "TLS with the AWS endpoint failed (certificate not trusted?)";
      case errc::bad_endpoint:
        return "unusable AWS endpoint URL";
      case errc::closed:
        return "the AWS client is closed";
    }
    return "aws error";
  }
};

struct connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
};

struct call_state {
  call_state(asio::io_context& io, request r, credentials c, callback d)
      : req(std::move(r)), creds(std::move(c)), done(std::move(d)), timer(io) {}
  request req;
  credentials creds;
  callback done;
  asio::steady_timer timer;    // backoff between attempts
  connection* conn = nullptr;  // the attempt's connection, for close()
};

// The outcome of one attempt.
struct attempt_result {
  std::error_code ec;  // transport failure, or {} with `answer`
  std::string detail;  // with ec: the library's words (OpenSSL's, the resolver's, the socket's)
  response answer;
  bool wrote = false;  // some of the request reached the socket
};

// A connection for an attempt, or why there is none.
struct acquired {
  std::error_code ec;
  std::string detail;
  std::unique_ptr<connection> conn;
};

// OpenSSL's words for a failed handshake: the SSL error ("certificate verify
// failed", "wrong version number", …) and, when the peer's certificate was
// refused, the verification's reason ("unable to get local issuer
// certificate", "hostname mismatch", "certificate has expired", …).
std::string tls_failure(SSL* ssl, const boost::system::error_code& ec, const endpoint& e) {
  std::string why = "TLS handshake with " + e.authority() + " failed: " + ec.message();
  if (const long v = SSL_get_verify_result(ssl); v != X509_V_OK) {
    why += " (certificate verification: " + std::string(X509_verify_cert_error_string(v)) + ")";
  }
  return why;
}

bool is_ip(const std::string& host) {
  boost::system::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

// The throttling error codes AWS's SDKs retry (their "throttling errors").
bool throttling_code(std::string_view code) {
  static constexpr std::array<std::string_view, 16> k_codes = {
      "Throttling",
      "ThrottlingException",
      "ThrottledException",
      "RequestThrottledException",
      "TooManyRequestsException",
      "ProvisionedThroughputExceededException",
      "TransactionInProgressException",
      "RequestLimitExceeded",
      "BandwidthLimitExceeded",
      "LimitExceededException",
      "RequestThrottled",
      "SlowDown",
      "PriorRequestNotComplete",
      "EC2ThrottledException",
      "RequestTimeout",
      "RequestTimeoutException"};
  // SQS's query-compatible codes carry a prefix ("AWS.SimpleQueueService.…").
  if (auto dot = code.rfind('.'); dot != std::string_view::npos) code.remove_prefix(dot + 1);
  return std::find(k_codes.begin(), k_codes.end(), code) != k_codes.end();
}

class client_impl final : public client {
 public:
  client_impl(client_options o, std::unique_ptr<credentials_source> creds)
      : options_(std::move(o)),
        credentials_(std::move(creds)),
        tls_(ssl::context::tls_client),
        work_(asio::make_work_guard(io_)),
        jitter_(std::random_device{}()) {}

  std::error_code start() {
    boost::system::error_code ec;
    tls_.set_verify_mode(ssl::verify_peer, ec);
    if (!ec) {
      if (options_.ca_file.empty()) {
        tls_.set_default_verify_paths(ec);
      } else {
        tls_.load_verify_file(options_.ca_file, ec);
      }
    }
    if (ec) return errc::tls;
    thread_ = std::thread([this] { io_.run(); });
    return {};
  }

  ~client_impl() override { close(); }

  void call(request r, callback done) override {
    {
      std::lock_guard lock(mu_);
      if (closed_) {
        done(make_error_code(errc::closed));
        return;
      }
      ++active_;
    }
    // On the caller's thread: a credentials source may block (a metadata
    // endpoint), the io thread must not.
    auto creds = credentials_ ? credentials_->get() : result<credentials>(credentials{});
    if (!creds) {
      finished();
      done(make_error_code(errc::credentials));
      return;
    }
    auto st = std::make_shared<call_state>(io_, std::move(r), std::move(*creds), std::move(done));
    asio::co_spawn(io_, run(st), asio::detached);
  }

  void close() override {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
    }
    closing_ = true;
    if (!thread_.joinable()) return;
    asio::post(io_, [this] { cancel_all(); });
    {
      std::unique_lock lock(mu_);
      idle_.wait_for(lock, std::chrono::seconds(10), [this] { return active_ == 0; });
    }
    work_.reset();
    io_.stop();
    thread_.join();
  }

  std::string describe_credentials() const override {
    return credentials_ ? credentials_->describe() : "none";
  }

 private:
  void finished() {
    std::lock_guard lock(mu_);
    --active_;
    if (active_ == 0) idle_.notify_all();
  }

  // io thread: wakes every call in flight (they end with errc::closed).
  void cancel_all() {
    for (auto* st : live_) {
      st->timer.cancel();
      if (st->conn != nullptr) {
        boost::system::error_code ec;
        st->conn->lowest().socket().close(ec);
      }
    }
    pools_.clear();
  }

  // Full jitter: random in [0, min(cap, base · 2^n)].
  std::chrono::milliseconds backoff(int n) {
    auto ceiling = options_.backoff_base.count() << std::min(n, 20);
    ceiling = std::min<std::int64_t>(ceiling, options_.backoff_cap.count());
    std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 0));
    return std::chrono::milliseconds(pick(jitter_));
  }

  asio::awaitable<void> run(std::shared_ptr<call_state> st) {
    live_.insert(st.get());
    const auto deadline = steady::now() + st->req.timeout;
    attempt_result last;
    last.ec = errc::not_sent;
    bool maybe = false;  // an earlier attempt may have been processed
    for (int n = 0;;) {
      last = co_await attempt(*st, deadline);
      if (closing_ && last.ec) {
        maybe = maybe || last.wrote;
        last.ec = errc::closed;
        break;
      }
      if (!last.ec && !retryable(last.answer)) break;
      // A throttled answer was not processed; a 5xx or a lost answer may have been.
      maybe = maybe || (last.ec ? last.wrote : last.answer.status >= 500);
      if (++n >= options_.max_attempts) break;
      const auto pause = backoff(n);
      if (steady::now() + pause >= deadline) break;
      st->timer.expires_after(pause);
      auto [ec] = co_await st->timer.async_wait(k_tuple);
      (void)ec;
      if (closing_) {
        last.ec = errc::closed;
        break;
      }
    }
    live_.erase(st.get());
    result<response> out = errc::not_sent;
    // The last attempt's words (OpenSSL's reason, the socket's), when it has any.
    auto failed = [&last](std::error_code ec) {
      return last.detail.empty() ? result<response>(ec) : result<response>(ec, last.detail);
    };
    if (!last.ec) {
      last.answer.uncertain = maybe;
      out = std::move(last.answer);
    } else if (last.ec == errc::closed) {
      out = maybe ? make_error_code(errc::no_answer) : last.ec;
    } else if (last.ec == errc::tls || last.ec == errc::bad_endpoint) {
      out = failed(maybe ? make_error_code(errc::no_answer) : last.ec);
    } else {
      out = failed(maybe || last.wrote ? make_error_code(errc::no_answer)
                                       : make_error_code(errc::not_sent));
    }
    auto done = std::move(st->done);
    finished();
    done(std::move(out));
  }

  static std::string pool_key(const endpoint& e) {
    return (e.tls ? "https://" : "http://") + e.authority();
  }

  // A connected (and TLS-verified) connection to `e`: reused from the pool
  // (`reused` set) or new.
  asio::awaitable<acquired> acquire(const endpoint& e, steady::time_point deadline, bool fresh,
                                    bool& reused, call_state& st) {
    auto& idle = pools_[pool_key(e)];
    if (!fresh && !idle.empty()) {
      acquired out{{}, {}, std::move(idle.back())};
      idle.pop_back();
      reused = true;
      co_return out;
    }
    reused = false;
    auto c = std::make_unique<connection>();
    tcp::resolver resolver(io_);
    auto [rec, endpoints] =
        co_await resolver.async_resolve(e.host, std::to_string(e.port), k_tuple);
    if (rec) {
      co_return acquired{make_error_code(errc::not_sent),
                         "resolving " + e.host + " failed: " + rec.message(), nullptr};
    }
    if (e.tls) {
      c->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, tls_);
      SSL* ssl = c->secure->native_handle();
      // OpenSSL checks the name (or address) itself, so that a mismatch has
      // its own reason ("hostname mismatch", "IP address mismatch").
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (is_ip(e.host)) {
        (void)X509_VERIFY_PARAM_set1_ip_asc(param, e.host.c_str());
      } else {
        // SNI: the name the server must present a certificate for.
        (void)SSL_set_tlsext_host_name(ssl, e.host.c_str());
        (void)X509_VERIFY_PARAM_set1_host(param, e.host.c_str(), e.host.size());
      }
      c->secure->set_verify_mode(ssl::verify_peer);
    } else {
      c->plain = std::make_unique<beast::tcp_stream>(io_);
    }
    st.conn = c.get();
    c->lowest().expires_at(deadline);
    auto [cec, ep] = co_await c->lowest().async_connect(endpoints, k_tuple);
    (void)ep;
    if (cec) {
      st.conn = nullptr;
      co_return acquired{make_error_code(errc::not_sent),
                         "connecting to " + e.authority() + " failed: " + cec.message(), nullptr};
    }
    if (c->secure) {
      auto [hec] = co_await c->secure->async_handshake(ssl::stream_base::client, k_tuple);
      if (hec) {
        st.conn = nullptr;
        // OpenSSL's own refusal (a certificate that fails verification, no
        // shared protocol) is errc::tls; a connection lost mid-handshake
        // (reset, EOF) is transient like any other lost connection.
        const bool refused = hec.category() == asio::error::get_ssl_category();
        co_return acquired{make_error_code(refused ? errc::tls : errc::not_sent),
                           tls_failure(c->secure->native_handle(), hec, e), nullptr};
      }
    }
    co_return acquired{{}, {}, std::move(c)};
  }

  template <class Stream>
  static asio::awaitable<std::pair<boost::system::error_code, bool>> exchange(
      Stream& s, beast::flat_buffer& buffer, bhttp::request<bhttp::string_body>& req,
      bhttp::response_parser<bhttp::string_body>& parser) {
    auto [wec, written] = co_await bhttp::async_write(s, req, k_tuple);
    if (wec) co_return std::make_pair(wec, written > 0);
    auto [rec, read] = co_await bhttp::async_read(s, buffer, parser, k_tuple);
    (void)read;
    co_return std::make_pair(rec, true);
  }

  asio::awaitable<attempt_result> attempt(call_state& st, steady::time_point deadline) {
    attempt_result out;
    const endpoint& e = *st.req.where;
    // Signed per attempt: the signature carries the time.
    signable_request sr;
    sr.method = "POST";
    sr.host = e.authority();
    sr.path = "/";
    sr.headers.emplace_back("content-type", st.req.content_type);
    sr.headers.emplace_back("host", e.authority());
    if (!st.req.target.empty()) sr.headers.emplace_back("x-amz-target", st.req.target);
    sr.payload = st.req.body;
    auto added =
        sign_v4(sr, st.creds, options_.region, st.req.service, std::chrono::system_clock::now());

    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/", 11};
    req.set(bhttp::field::host, e.authority());
    req.set(bhttp::field::content_type, st.req.content_type);
    if (!st.req.target.empty()) req.set("X-Amz-Target", st.req.target);
    for (const auto& [name, value] : added) req.set(name, value);
    req.keep_alive(true);
    req.body() = st.req.body;
    req.prepare_payload();

    // A pooled connection the server closed meanwhile fails at once: then
    // once more on a new one (the server never read the request).
    for (bool fresh = false;; fresh = true) {
      bool reused = false;
      auto got = co_await acquire(e, deadline, fresh, reused, st);
      if (got.ec) {
        out.ec = got.ec;
        out.detail = std::move(got.detail);
        co_return out;
      }
      auto conn = std::move(got.conn);
      st.conn = conn.get();
      conn->lowest().expires_at(deadline);
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(k_max_body);
      std::pair<boost::system::error_code, bool> r;
      if (conn->secure) {
        r = co_await exchange(*conn->secure, conn->buffer, req, parser);
      } else {
        r = co_await exchange(*conn->plain, conn->buffer, req, parser);
      }
      st.conn = nullptr;
      auto [ec, wrote] = r;
      if (ec) {
        const bool stale = reused && !parser.got_some() && !closing_ && steady::now() < deadline &&
                           (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
                            ec == asio::error::connection_reset || ec == asio::error::broken_pipe);
        if (stale) continue;
        out.ec = errc::no_answer;
        out.detail = "no answer from " + e.authority() + ": " + ec.message();
        out.wrote = wrote;
        co_return out;
      }
      auto res = parser.release();
      out.answer.status = res.result_int();
      out.answer.body = std::move(res.body());
      if (!out.answer.ok()) {
        out.answer.error_code = error_code_of(out.answer.body);
        if (out.answer.error_code.empty()) {
          auto q = res["x-amzn-query-error"];
          out.answer.error_code = std::string(q.substr(0, q.find(';')));
        }
      }
      out.wrote = true;
      if (res.keep_alive() && !closing_) {
        auto& idle = pools_[pool_key(e)];
        if (idle.size() < options_.max_idle) idle.push_back(std::move(conn));
      }
      co_return out;
    }
  }

  client_options options_;
  std::unique_ptr<credentials_source> credentials_;
  asio::io_context io_;
  ssl::context tls_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;

  // io thread only:
  std::map<std::string, std::deque<std::unique_ptr<connection>>> pools_;
  std::set<call_state*> live_;
  std::minstd_rand jitter_;

  std::atomic<bool> closing_{false};
  std::mutex mu_;  // guards closed_, active_
  std::condition_variable idle_;
  bool closed_ = false;
  std::size_t active_ = 0;  // calls accepted, callback not yet run
  std::thread thread_;
};

}  // namespace

const std::error_category& category() {
  static const category_impl c;
  return c;
}

std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), category()};
}

bool maybe_processed(std::error_code ec) {
  return ec == errc::no_answer;
}

std::string endpoint::authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) h += ":" + std::to_string(port);
  return h;
}

result<endpoint> parse_endpoint(std::string_view url) {
  endpoint e;
  if (url.starts_with("https://")) {
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    e.tls = false;
    e.port = 80;
    url.remove_prefix(7);
  } else {
    return {errc::bad_endpoint, "the endpoint must start with http:// or https://"};
  }
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (url.empty() || url.find('/') != std::string_view::npos) {
    return {errc::bad_endpoint, "the endpoint must be scheme://host[:port] without a path"};
  }
  std::string_view port;
  if (url.front() == '[') {
    auto close = url.find(']');
    if (close == std::string_view::npos) return {errc::bad_endpoint, "unclosed [ in the endpoint"};
    e.host = std::string(url.substr(1, close - 1));
    auto rest = url.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return {errc::bad_endpoint, "junk after ] in the endpoint"};
      port = rest.substr(1);
    }
  } else {
    auto colon = url.find(':');
    e.host = std::string(url.substr(0, colon));
    if (colon != std::string_view::npos) port = url.substr(colon + 1);
  }
  if (e.host.empty()) return {errc::bad_endpoint, "no host in the endpoint"};
  if (!port.empty()) {
    unsigned p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || p > 65535) return {errc::bad_endpoint, "bad port in the endpoint"};
      p = p * 10 + static_cast<unsigned>(c - '0');
    }
    if (p == 0 || p > 65535) return {errc::bad_endpoint, "bad port in the endpoint"};
    e.port = static_cast<std::uint16_t>(p);
  }
  return e;
}

std::string error_code_of(std::string_view body) {
  // JSON protocol: {"__type":"com.amazonaws.sqs#QueueDoesNotExist", …}
  if (auto at = body.find("\"__type\""); at != std::string_view::npos) {
    auto open = body.find('"', body.find(':', at + 8));
    auto close = open == std::string_view::npos ? open : body.find('"', open + 1);
    if (close != std::string_view::npos) {
      auto v = body.substr(open + 1, close - open - 1);
      if (auto hash = v.rfind('#'); hash != std::string_view::npos) v.remove_prefix(hash + 1);
      return std::string(v);
    }
  }
  // Query protocol: <ErrorResponse><Error><Code>Throttling</Code>…
  if (auto at = body.find("<Code>"); at != std::string_view::npos) {
    auto end = body.find("</Code>", at);
    if (end != std::string_view::npos) return std::string(body.substr(at + 6, end - at - 6));
  }
  return {};
}

bool retryable(const response& r) {
  if (r.status == 429 || r.status >= 500) return true;
  return (r.status == 400 || r.status == 403 || r.status == 408) && throttling_code(r.error_code);
}

result<response> client::call_sync(request r) {
  auto done = std::make_shared<std::promise<result<response>>>();
  auto f = done->get_future();
  call(std::move(r), [done](result<response> out) { done->set_value(std::move(out)); });
  return f.get();
}

result<std::unique_ptr<client>> client::make(client_options options,
                                             std::unique_ptr<credentials_source> credentials) {
  auto c = std::make_unique<client_impl>(std::move(options), std::move(credentials));
  if (auto ec = c->start()) {
    return {ec, "cannot load the CA file for the AWS endpoint"};
  }
  return std::unique_ptr<client>(std::move(c));
}

}  // namespace sluice::aws

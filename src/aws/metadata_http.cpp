#include "aws/metadata_http.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <optional>

#include "aws/credentials.hpp"

namespace sluice::aws {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Credentials documents are a few hundred bytes; anything far larger is not one.
constexpr std::uint64_t k_body_limit = 64 * 1024;

struct call_state {
  const metadata_url* url = nullptr;
  http::request<http::string_body> req;
  std::chrono::steady_clock::time_point deadline;
  bool done = false;
  std::string failed_step;  // empty while nothing failed
  beast::error_code ec;
  metadata_reply reply;

  void fail(const char* step, const beast::error_code& e) {
    failed_step = step;
    ec = e;
  }
};

template <class Stream>
asio::awaitable<void> exchange(Stream& stream, call_state& c) {
  auto [wec, written] = co_await http::async_write(stream, c.req, use_tuple);
  if (wec) {
    c.fail("write", wec);
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(k_body_limit);
  auto [rec, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
  if (rec) {
    c.fail("read", rec);
    co_return;
  }
  c.reply.status = parser.get().result_int();
  c.reply.body = std::move(parser.get().body());
  c.done = true;
}

asio::awaitable<void> run_call(call_state& c, asio::ssl::context* tls) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(c.url->host, c.url->port, use_tuple);
  if (rec) {
    c.fail("resolve", rec);
    co_return;
  }
  beast::tcp_stream plain(ex);
  plain.expires_at(c.deadline);
  auto [cec, endpoint] = co_await plain.async_connect(endpoints, use_tuple);
  if (cec) {
    c.fail("connect", cec);
    co_return;
  }
  if (tls == nullptr) {
    co_await exchange(plain, c);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> secure(std::move(plain), *tls);
  beast::get_lowest_layer(secure).expires_at(c.deadline);
  // SNI, and the certificate must name the host (not just chain to a trusted CA).
  if (SSL_set_tlsext_host_name(secure.native_handle(), c.url->host.c_str()) != 1) {
    c.fail("tls",
           beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()));
    co_return;
  }
  secure.set_verify_callback(asio::ssl::host_name_verification(c.url->host));
  auto [hec] = co_await secure.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (hec) {
    c.fail("tls handshake", hec);
    co_return;
  }
  co_await exchange(secure, c);
}

bool is_loopback_host(const boost::urls::url_view& u) {
  if (u.host_type() == boost::urls::host_type::ipv4) return u.host_ipv4_address().is_loopback();
  if (u.host_type() == boost::urls::host_type::ipv6) return u.host_ipv6_address().is_loopback();
  return u.host_type() == boost::urls::host_type::name && u.encoded_host() == "localhost";
}

}  // namespace

result<metadata_url> parse_metadata_url(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    return {credentials_errc::endpoint_failed, "credentials endpoint: not an absolute URL"};
  }
  const boost::urls::url_view& u = *parsed;
  metadata_url out;
  if (u.scheme_id() == boost::urls::scheme::https) {
    out.tls = true;
  } else if (u.scheme_id() != boost::urls::scheme::http) {
    return {credentials_errc::endpoint_failed, "credentials endpoint: not an http(s) URL"};
  }
  if (!u.has_authority() || u.encoded_host().empty()) {
    return {credentials_errc::endpoint_failed, "credentials endpoint: URL names no host"};
  }
  if (u.has_userinfo()) {
    return {credentials_errc::endpoint_failed, "credentials endpoint: URL carries user info"};
  }
  out.host = u.host_address();  // IPv6 without brackets
  out.port = u.has_port() ? std::string(u.port()) : (out.tls ? "443" : "80");
  out.host_header = u.encoded_host_and_port();
  out.target = u.encoded_target().empty() ? std::string("/") : std::string(u.encoded_target());
  if (out.target.front() != '/') out.target.insert(out.target.begin(), '/');
  out.loopback = is_loopback_host(u);
  return out;
}

result<metadata_reply> metadata_call(
    std::string_view what, const metadata_url& url, std::string_view method,
    const std::vector<std::pair<std::string, std::string>>& headers,
    std::chrono::milliseconds timeout, const std::string& ca_file) {
  // Declared before the io_context: a call cut short by the deadline leaves
  // its coroutine frame to the io_context's destructor, which must still see them.
  call_state c;
  std::optional<asio::ssl::context> tls;
  if (url.tls) {
    tls.emplace(asio::ssl::context::tls_client);
    beast::error_code ec;
    if (ca_file.empty()) {
      tls->set_default_verify_paths(ec);
    } else {
      tls->load_verify_file(ca_file, ec);
    }
    if (ec) {
      return {credentials_errc::endpoint_failed,
              std::string(what) + ": cannot load the trusted CAs" +
                  (ca_file.empty() ? std::string() : " from " + ca_file) + ": " + ec.message()};
    }
    tls->set_verify_mode(asio::ssl::verify_peer);
  }
  c.url = &url;
  c.deadline = std::chrono::steady_clock::now() + timeout;
  c.req.method(http::string_to_verb(method));
  c.req.target(url.target);
  c.req.version(11);
  c.req.set(http::field::host, url.host_header);
  c.req.set(http::field::user_agent, "sluice");
  c.req.set(http::field::connection, "close");
  for (const auto& [name, value] : headers) c.req.set(name, value);
  c.req.prepare_payload();

  asio::io_context io(1);
  asio::co_spawn(io, run_call(c, tls ? &*tls : nullptr), asio::detached);
  // The stream's deadline bounds connect, write and read; this one bounds the
  // name resolution as well.
  io.run_for(timeout + std::chrono::milliseconds(50));

  std::string detail = std::string(what) + " (" + url.host_header + "): ";
  if (c.done) return c.reply;
  if (c.failed_step.empty()) {
    detail += "timed out after " + std::to_string(timeout.count()) + " ms";
  } else if (c.ec == beast::error::timeout) {
    detail += c.failed_step + ": timed out after " + std::to_string(timeout.count()) + " ms";
  } else {
    detail += c.failed_step + ": " + c.ec.message();
  }
  return {credentials_errc::endpoint_failed, std::move(detail)};
}

}  // namespace sluice::aws

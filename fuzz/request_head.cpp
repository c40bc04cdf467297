// Fuzz target: the bytes of a request head as a client sends them, through
// Beast's parser (as the server reads them, same limits) into
// http::check_request_head, the traceparent parser, and harden() on the
// answer. Properties beyond "no crash, no UB": a refused head is a 4xx/501
// problem+json; an accepted one has an origin-form target.

#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/asio/buffer.hpp>

#include <cctype>
#include <cstdint>
#include <cstdlib>

#include "http/hardening.hpp"
#include "http/request_head.hpp"
#include "observe/trace.hpp"

namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(64 * 1024);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec && ec != bhttp::error::need_more) return 0;
  if (!parser.is_header_done()) return 0;
  const auto& in = parser.get();
  sluice::http::request req;
  req.method = std::string(in.method_string());
  req.target = std::string(in.target());
  for (const auto& f : in) {
    std::string name(f.name_string());
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  req.trace = sluice::observe::continue_or_start(req.header("traceparent"));
  auto refused = sluice::http::check_request_head(req, in.version(), {4096});
  if (refused) {
    if (refused->status < 400 || refused->status > 501) std::abort();
    sluice::http::harden(*refused, req.trace);
  } else if (req.target.empty() || (req.target.front() != '/' && req.target != "*")) {
    std::abort();  // handlers are promised an origin-form target
  }
  return 0;
}

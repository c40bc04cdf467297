#pragma once
// Plain HTTP request/response values handed between the server (Beast) and
// the handlers, so that handlers never include Beast.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "observe/trace.hpp"

namespace sluice::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct request {
  std::string method;  // "GET", "POST", …
  std::string target;  // origin-form: path and query, as received
  header_list headers; // names lower-cased
  std::string body;
  // This request's span, set by the server before dispatch for every request:
  // the caller's trace continued from a valid `traceparent`, else a new trace.
  // The server also puts it in the `traceparent` header (as a proxy hop
  // forwards its own span), so a handler that continues from the header stays
  // in this trace. The access log line carries its trace_id and span_id.
  observe::trace_context trace;
  // Over TLS with client certificates (http.tls_client_ca_file): the subject
  // (RFC 2253, e.g. "CN=ingest-1,O=Example") of the certificate the handshake
  // verified against the client CA. "" on a plain connection or without one.
  std::string client_subject;
  // Subject alternative names of that certificate, each as "DNS:<name>",
  // "URI:<uri>", "email:<address>" or "IP:<address>"; empty without one.
  std::vector<std::string> client_sans;
  // The TCP peer's address ("127.0.0.1", "2001:db8::1"), and the client's:
  // the peer, or X-Forwarded-For's rightmost untrusted hop when the peer is
  // one of http.trusted_proxies (http/client_address.hpp). Set by the server
  // for every request.
  std::string peer_address;
  std::string client_address;

  // The first value of a header (name in lower case), or "" when absent.
  std::string_view header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return v;
    }
    return {};
  }
  bool has_header(std::string_view lower_name) const {
    for (const auto& h : headers) {
      if (h.first == lower_name) return true;
    }
    return false;
  }
};

struct response {
  unsigned status = 200;
  header_list headers;
  std::string body;
  std::string route;  // the route template that served it, for metrics and logs

  void set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

}  // namespace sluice::http

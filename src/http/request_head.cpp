#include "http/request_head.hpp"

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "http/problem.hpp"

namespace sluice::http {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// The elements of every `name` field, comma-split, trimmed, lower-cased and
// without parameters (RFC 9110 §5.6.1): "gzip, Chunked" -> {"gzip", "chunked"}.
// Empty elements are kept as "" so that "chunked," is not mistaken for "chunked".
std::vector<std::string> list_values(const request& req, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : req.headers) {
    if (k != name) continue;
    std::size_t start = 0;
    for (;;) {
      auto comma = v.find(',', start);
      auto item = std::string_view(v).substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (auto semi = item.find(';'); semi != std::string_view::npos) item = item.substr(0, semi);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      out.push_back(lower(item));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

std::optional<response> check_transfer_encoding(const request& req, unsigned version) {
  if (!req.has_header("transfer-encoding")) return std::nullopt;
  if (version < 11) return problem(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request");
  // Both framings at once is the classic smuggling vector (RFC 9112 §6.3).
  if (req.has_header("content-length")) {
    return problem(400, "a request must not carry both Transfer-Encoding and Content-Length");
  }
  auto codings = list_values(req, "transfer-encoding");
  if (codings.empty() || codings.back() != "chunked") {
    return problem(400, "Transfer-Encoding must end with chunked");
  }
  for (std::size_t i = 0; i + 1 < codings.size(); ++i) {
    if (codings[i] == "chunked" || codings[i].empty()) {
      return problem(400, "Transfer-Encoding lists chunked more than once or an empty coding");
    }
    return problem(501, "transfer coding '" + codings[i] + "' is not supported; only chunked is");
  }
  return std::nullopt;
}

std::optional<response> check_host(const request& req, unsigned version) {
  std::size_t hosts = 0;
  for (const auto& h : req.headers) hosts += h.first == "host" ? 1 : 0;
  if (hosts > 1) return problem(400, "more than one Host header");
  if (hosts == 0 && version >= 11) return problem(400, "an HTTP/1.1 request needs a Host header");
  return std::nullopt;
}

// Absolute-form to origin-form (RFC 9112 §3.2.2); "*" stays for OPTIONS.
std::optional<response> normalise_target(request& req) {
  auto& t = req.target;
  if (!t.empty() && t.front() == '/') return std::nullopt;
  if (t == "*") return std::nullopt;
  auto scheme_end = t.find("://");
  std::string scheme = scheme_end == std::string::npos ? std::string() : lower(t.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    return problem(400, "the request target must be a path or an absolute http(s) URL");
  }
  auto authority_start = scheme_end + 3;
  auto path_start = t.find_first_of("/?#", authority_start);
  if (path_start == authority_start || authority_start >= t.size()) {
    return problem(400, "the request target's URL has no host");
  }
  std::string rest = path_start == std::string::npos ? std::string() : t.substr(path_start);
  if (rest.empty() || rest.front() != '/') rest.insert(0, "/");
  t = std::move(rest);
  return std::nullopt;
}

std::optional<response> check_content_encoding(const request& req) {
  if (!req.has_header("content-encoding")) return std::nullopt;
  for (const auto& coding : list_values(req, "content-encoding")) {
    if (coding == "identity") continue;
    auto r = problem(415, "Content-Encoding '" + coding +
                              "' is not supported; supported: identity (send the body uncompressed)");
    r.set("Accept-Encoding", "identity");
    return r;
  }
  return std::nullopt;
}

}  // namespace

std::optional<response> check_request_head(request& req, unsigned version, const head_limits& limits) {
  if (auto r = check_transfer_encoding(req, version)) return r;
  if (auto r = check_host(req, version)) return r;
  if (auto r = normalise_target(req)) return r;
  if (auto q = req.target.find('?'); q != std::string::npos && req.target.size() - q - 1 > limits.query_limit) {
    return problem(414, "the query string is longer than " + std::to_string(limits.query_limit) + " bytes");
  }
  if (auto r = check_content_encoding(req)) return r;
  return std::nullopt;
}

}  // namespace sluice::http

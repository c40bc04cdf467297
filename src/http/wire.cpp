#include "http/wire.hpp"

#include <algorithm>
#include <boost/beast/http/status.hpp>
#include <cctype>
#include <charconv>
#include <ostream>  // boost::core::string_view, which obsolete_reason returns, needs it
#include <string_view>

namespace sluice::http {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool framing_field(std::string_view name) {
  return same_name(name, "Content-Length") || same_name(name, "Connection") ||
         same_name(name, "Transfer-Encoding");
}

// One pass with three compares per byte: string_view::find_first_of with a
// three-byte set calls memchr on the set once per byte of `text`, which was
// 7 % of a cached GET's instructions (callgrind, bench/run-callgrind.sh).
bool splits(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

void append_number(std::string& out, std::size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

}  // namespace

std::string serialize(const response& res, wire_framing framing) {
  namespace bhttp = boost::beast::http;
  const bool bodiless =
      (res.status >= 100 && res.status < 200) || res.status == 204 || res.status == 304;
  const bool send_body = !bodiless && !framing.head;

  std::size_t size = 64 + (send_body ? res.body.size() : 0);
  for (const auto& [k, v] : res.headers) size += k.size() + v.size() + 4;
  std::string out;
  out.reserve(size);

  out += framing.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  append_number(out, res.status);
  out += ' ';
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
  out.append(reason.data(), reason.size());
  out += "\r\nServer: sluice\r\n";  // never a version
  for (const auto& [k, v] : res.headers) {
    if (k.empty() || framing_field(k) || splits(k) || splits(v)) continue;
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  if (!bodiless) {
    out += "Content-Length: ";
    append_number(out, res.body.size());
    out += "\r\n";
  }
  if (framing.version == 10 && framing.keep_alive) out += "Connection: keep-alive\r\n";
  if (framing.version != 10 && !framing.keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (send_body) out += res.body;
  return out;
}

}  // namespace sluice::http

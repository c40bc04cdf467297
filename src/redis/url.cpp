#include "redis/url.hpp"

#include <charconv>

namespace sluice::redis {
namespace {

// %XX escapes in the user and password of a URL.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (ec != std::errc() || p != s.data() + i + 3) return std::nullopt;
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

bool parse_int(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<endpoint> parse_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) return std::nullopt;
  url.remove_prefix(scheme.size());
  endpoint e;
  if (auto at = url.rfind('@'); at != std::string_view::npos) {
    auto creds = url.substr(0, at);
    url.remove_prefix(at + 1);
    auto colon = creds.find(':');
    auto user = percent_decode(creds.substr(0, colon));
    auto pass = percent_decode(colon == std::string_view::npos ? "" : creds.substr(colon + 1));
    if (!user || !pass) return std::nullopt;
    e.user = *user;
    e.password = *pass;
    // redis://secret@host is the password-only form (no user).
    if (colon == std::string_view::npos) std::swap(e.user, e.password);
  }
  if (auto slash = url.find('/'); slash != std::string_view::npos) {
    auto db = url.substr(slash + 1);
    url = url.substr(0, slash);
    if (!db.empty() && (!parse_int(db, e.db) || e.db < 0)) return std::nullopt;
  }
  if (auto colon = url.rfind(':'); colon != std::string_view::npos) {
    if (!parse_int(url.substr(colon + 1), e.port) || e.port <= 0 || e.port > 65535) {
      return std::nullopt;
    }
    url = url.substr(0, colon);
  }
  if (url.empty()) return std::nullopt;
  e.host = std::string(url);
  return e;
}

}  // namespace sluice::redis

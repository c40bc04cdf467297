#include "app/url_mask.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace sluice::app {
namespace {

constexpr std::string_view k_mask = "***";

bool lone_userinfo_is_secret(std::string_view scheme) {
  return scheme == "redis" || scheme == "rediss" || scheme == "nats" || scheme == "tls";
}

bool iequal_at(std::string_view text, std::size_t pos, std::string_view word) {
  if (pos + word.size() > text.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[pos + i])) != word[i]) return false;
  }
  return true;
}

// `password=…`, `token=…`, `secret=…` anywhere: the value up to the next
// separator of a query string or a conninfo becomes ***.
std::string mask_parameters(std::string_view in) {
  static constexpr std::array<std::string_view, 3> keys = {"password=", "token=", "secret="};
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    bool at_key_start = i == 0 || in[i - 1] == '?' || in[i - 1] == '&' || in[i - 1] == ' ' ||
                        in[i - 1] == ';';
    const auto* key = at_key_start ? std::find_if(keys.begin(), keys.end(),
                                                  [&](std::string_view k) { return iequal_at(in, i, k); })
                                   : keys.end();
    if (key == keys.end()) {
      out += in[i++];
      continue;
    }
    out.append(in.substr(i, key->size()));
    i += key->size();
    auto end = in.find_first_of("& ;", i);
    if (end == std::string_view::npos) end = in.size();
    if (end > i) out.append(k_mask);
    i = end;
  }
  return out;
}

std::string mask_one(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return mask_parameters(url);
  auto scheme = url.substr(0, scheme_end);
  auto authority_start = scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", authority_start);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  auto authority = url.substr(authority_start, authority_end - authority_start);
  std::string out(url.substr(0, authority_start));
  // The last '@' ends the userinfo: a password may itself contain '@'.
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    auto userinfo = authority.substr(0, at);
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      out.append(userinfo.substr(0, colon + 1)).append(k_mask);
    } else if (lone_userinfo_is_secret(scheme)) {
      out.append(k_mask);
    } else {
      out.append(userinfo);
    }
    out.append(authority.substr(at));
  } else {
    out.append(authority);
  }
  out += mask_parameters(url.substr(authority_end));
  return out;
}

}  // namespace

std::string mask_password(std::string_view url) {
  std::string out;
  out.reserve(url.size());
  std::size_t start = 0;
  for (;;) {
    auto comma = url.find(',', start);
    out += mask_one(url.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                       : comma - start));
    if (comma == std::string_view::npos) break;
    out += ',';
    start = comma + 1;
  }
  return out;
}

}  // namespace sluice::app

#include "auth/credential.hpp"

#include <algorithm>
#include <cctype>

namespace sluice::auth {
namespace {

// RFC 7235 token68: the characters a bearer token may have.
bool is_token68(std::string_view s) {
  if (s.empty()) return false;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
    if (!ok) break;
  }
  for (; i < s.size(); ++i) {  // trailing '=' padding only
    if (s[i] != '=') return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::size_t count_headers(const http::request& req, std::string_view name) {
  return static_cast<std::size_t>(std::count_if(req.headers.begin(), req.headers.end(),
                                                [name](const auto& h) { return h.first == name; }));
}

credential bad(std::string_view why) { return {credential_form::malformed, {}, why}; }

credential classify(std::string_view token, bool bearer) {
  if (token.size() > k_max_credential) return bad("credential too long");
  if (!is_token68(token)) return bad("credential has characters a token may not have");
  auto dots = std::count(token.begin(), token.end(), '.');
  return {bearer && dots == 2 ? credential_form::jwt : credential_form::api_key, token, {}};
}

}  // namespace

credential read_credential(const http::request& req) {
  const auto n_auth = count_headers(req, "authorization");
  const auto n_key = count_headers(req, "x-api-key");
  if (n_auth == 0 && n_key == 0) return {};
  // Two credentials could name two principals; which one counts would be a
  // guess, so neither does.
  if (n_auth + n_key > 1) return bad("more than one credential header");
  if (n_key == 1) return classify(req.header("x-api-key"), false);
  auto v = req.header("authorization");
  auto space = v.find(' ');
  if (space == std::string_view::npos) return bad("Authorization is not 'Bearer <token>'");
  if (!iequals(v.substr(0, space), "bearer")) return bad("Authorization scheme is not Bearer");
  auto token = v.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return bad("Authorization: Bearer without a token");
  return classify(token, true);
}

}  // namespace sluice::auth

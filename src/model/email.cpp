// A pragmatic addr-spec (RFC 5321/5322 subset): what mail systems accept in
// practice, not the full grammar. No quoted local parts, comments, IP-literal
// domains or internationalised addresses; those are rare in sign-up forms and
// a frequent source of injection surprises downstream.

#include <string_view>

#include "model/validate.hpp"

namespace sluice::model {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 5322 atext.
bool is_atext(char c) {
  return is_alnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool valid_local(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  if (s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(c)) {
      return false;
    }
    prev = c;
  }
  return true;
}

bool valid_label(std::string_view l) {
  if (l.empty() || l.size() > 63) return false;
  if (l.front() == '-' || l.back() == '-') return false;
  for (char c : l) {
    if (!is_alnum(c) && c != '-') return false;
  }
  return true;
}

bool valid_domain(std::string_view d) {
  if (d.find('.') == std::string_view::npos) return false;
  bool tld_all_digits = true;
  while (true) {
    auto dot = d.find('.');
    auto label = d.substr(0, dot);
    if (!valid_label(label)) return false;
    if (dot == std::string_view::npos) {
      // An all-numeric last label is an IP address written without brackets,
      // never a top-level domain.
      tld_all_digits = label.find_first_not_of("0123456789") == std::string_view::npos;
      break;
    }
    d.remove_prefix(dot + 1);
  }
  return !tld_all_digits;
}

}  // namespace

bool is_valid_email(std::string_view s) {
  if (s.size() > 254) return false;
  auto at = s.find('@');
  if (at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) return false;
  return valid_local(s.substr(0, at)) && valid_domain(s.substr(at + 1));
}

}  // namespace sluice::model

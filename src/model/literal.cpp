// Query-string literals for filters (?quantity=gt.10, ?email=eq.a@b.c): the
// same types as records, parsed strictly so that a malformed filter is a 400
// rather than a query that silently matches nothing.

#include <charconv>
#include <cmath>

#include "model/validate.hpp"

namespace sluice::model {
namespace {

bool parse_int64(std::string_view s, std::int64_t& v) {
  // Optional '-', then digits: no '+', blanks, hex or exponents.
  std::string_view digits = s.starts_with('-') ? s.substr(1) : s;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && end == s.data() + s.size();
}

bool parse_double(std::string_view s, double& v) {
  // from_chars rather than strtod: locale-independent and no leading blanks
  // or hex floats. It does accept "inf" and "nan", which isfinite refuses.
  if (s.empty() || s.front() == '+') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && end == s.data() + s.size() && std::isfinite(v);
}

}  // namespace

bool parse_literal(const config::field_def& field, std::string_view text, value& out,
                   std::string& error) {
  using config::field_type;
  switch (field.type) {
    case field_type::integer: {
      std::int64_t v = 0;
      if (!parse_int64(text, v)) {
        error = "expected a 64-bit integer";
        return false;
      }
      out = v;
      return true;
    }
    case field_type::number: {
      double v = 0;
      if (!parse_double(text, v)) {
        error = "expected a finite number";
        return false;
      }
      out = v;
      return true;
    }
    case field_type::boolean:
      if (text == "true" || text == "false") {
        out = text == "true";
        return true;
      }
      error = "expected true or false";
      return false;
    case field_type::timestamp: {
      std::string normalised;
      if (!normalize_timestamp(text, normalised)) {
        error = "expected an RFC 3339 timestamp";
        return false;
      }
      out = std::move(normalised);
      return true;
    }
    case field_type::string:
    case field_type::email:
      // Not checked as an email: filters such as like.*@example.com compare
      // against partial addresses.
      if (!is_valid_utf8(text) || text.find('\0') != std::string_view::npos) {
        error = "expected valid UTF-8 text without NUL characters";
        return false;
      }
      out = std::string(text);
      return true;
  }
  error = "unsupported field type";
  return false;
}

}  // namespace sluice::model

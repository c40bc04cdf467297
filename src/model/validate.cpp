// Validation of one JSON object against a resource: every problem is
// collected (one per member at most), so a client fixes its input in one
// round trip.
//
// Strictness choices:
// - integer fields take JSON integers only: 3.0 and 3e0 are refused even
//   though they are integral (the client's serialiser is then sending floats
//   and a later 3.5 would fail confusingly); uint64 values above INT64_MAX
//   are refused as out of range.
// - number fields take any finite JSON number and store it as a double.
// - null for a required field is "is required"; for an optional one it is
//   the same as absent.
// - emails are not case-folded or otherwise rewritten; timestamps are
//   normalised (see timestamp.cpp).

#include "model/validate.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

namespace sluice::model {
namespace {

namespace json = boost::json;
using config::field_def;
using config::field_type;

// RFC 6901: '~' → "~0", '/' → "~1". Invalid UTF-8 in a member name (possible
// when the value was not built by the parser) is replaced by '?' so that the
// pointer can still be sent back in a JSON problem document.
std::string pointer_token(std::string_view key) {
  const bool valid = is_valid_utf8(key);
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else if (!valid && static_cast<unsigned char>(c) >= 0x80) {
      out += '?';
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_number(double d) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc{} ? std::string(buf, end) : std::to_string(d);
}

using check_result = std::optional<std::string>;  // the problem, if any

check_result check_range(const field_def& f, long double v) {
  // long double holds every int64 exactly on the platforms we build for, so
  // integer bounds compare without rounding.
  if (f.minimum && v < static_cast<long double>(*f.minimum)) {
    return "must be at least " + format_number(*f.minimum);
  }
  if (f.maximum && v > static_cast<long double>(*f.maximum)) {
    return "must be at most " + format_number(*f.maximum);
  }
  return std::nullopt;
}

check_result check_text(std::string_view s) {
  if (!is_valid_utf8(s)) return "must be valid UTF-8";
  if (s.find('\0') != std::string_view::npos) return "must not contain NUL characters";
  return std::nullopt;
}

check_result check_length(const field_def& f, std::string_view s) {
  const std::size_t n = utf8_length(s);
  if (f.min_length && n < *f.min_length) {
    return "must be at least " + std::to_string(*f.min_length) + " characters long";
  }
  if (f.max_length && n > *f.max_length) {
    return "must be at most " + std::to_string(*f.max_length) + " characters long";
  }
  return std::nullopt;
}

check_result check_integer(const field_def& f, const json::value& v, value& out) {
  std::int64_t n = 0;
  if (v.is_int64()) {
    n = v.get_int64();
  } else if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return "must be an integer between -9223372036854775808 and 9223372036854775807";
    }
    n = static_cast<std::int64_t>(v.get_uint64());
  } else {
    return "must be an integer";
  }
  if (auto why = check_range(f, static_cast<long double>(n))) return why;
  out = n;
  return std::nullopt;
}

check_result check_number(const field_def& f, const json::value& v, value& out) {
  double d = 0;
  if (v.is_int64()) {
    d = static_cast<double>(v.get_int64());
  } else if (v.is_uint64()) {
    d = static_cast<double>(v.get_uint64());
  } else if (v.is_double()) {
    d = v.get_double();
  } else {
    return "must be a number";
  }
  if (!std::isfinite(d)) return "must be a finite number";
  if (auto why = check_range(f, d)) return why;
  out = d;
  return std::nullopt;
}

check_result check_field(const field_def& f, const json::value& v, value& out) {
  switch (f.type) {
    case field_type::integer:
      return check_integer(f, v, out);
    case field_type::number:
      return check_number(f, v, out);
    case field_type::boolean:
      if (!v.is_bool()) return "must be true or false";
      out = v.get_bool();
      return std::nullopt;
    case field_type::string: {
      if (!v.is_string()) return "must be a string";
      const std::string_view s = v.get_string();
      if (auto why = check_text(s)) return why;
      if (auto why = check_length(f, s)) return why;
      out = std::string(s);
      return std::nullopt;
    }
    case field_type::email: {
      if (!v.is_string()) return "must be an email address string";
      const std::string_view s = v.get_string();
      if (auto why = check_text(s)) return why;
      if (!is_valid_email(s)) return "must be an email address";
      if (auto why = check_length(f, s)) return why;
      out = std::string(s);
      return std::nullopt;
    }
    case field_type::timestamp: {
      std::string normalised;
      if (!v.is_string() || !normalize_timestamp(v.get_string(), normalised)) {
        return "must be an RFC 3339 timestamp, e.g. 2026-11-29T09:00:00Z";
      }
      out = std::move(normalised);
      return std::nullopt;
    }
  }
  return "has an unsupported type";
}

}  // namespace

bool validate(const config::resource_def& resource, const json::value& input,
              std::string_view pointer_prefix, record& out, std::vector<problem>& problems) {
  const json::object* obj = input.if_object();
  if (obj == nullptr) {
    problems.push_back({std::string(pointer_prefix), "must be a JSON object"});
    return false;
  }
  const std::size_t before = problems.size();
  auto pointer = [&](std::string_view key) {
    return std::string(pointer_prefix) + "/" + pointer_token(key);
  };

  record r;
  r.values.resize(resource.fields.size());
  for (std::size_t i = 0; i < resource.fields.size(); ++i) {
    const field_def& f = resource.fields[i];
    const json::value* v = obj->if_contains(f.name);
    if (v == nullptr || v->is_null()) {
      if (f.required) problems.push_back({pointer(f.name), "is required"});
      continue;
    }
    if (auto why = check_field(f, *v, r.values[i])) {
      problems.push_back({pointer(f.name), std::move(*why)});
    }
  }
  for (const auto& member : *obj) {
    if (resource.find(member.key()) == nullptr) {
      problems.push_back({pointer(member.key()), "unknown field"});
    }
  }
  if (problems.size() != before) return false;
  out = std::move(r);
  return true;
}

}  // namespace sluice::model

#include "api/request_parts.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

namespace sluice::api {
namespace {

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A basic_parser handler that builds nothing: it keeps the keys seen in each
// open object and stops at the first repeated one.
struct duplicate_finder {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::vector<std::set<std::string, std::less<>>> open;  // one per open object
  std::string key;
  std::optional<std::string> duplicate;

  using ec_t = boost::system::error_code;
  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_array_begin(ec_t&) { return true; }
  bool on_array_end(std::size_t, ec_t&) { return true; }
  bool on_object_begin(ec_t&) {
    open.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, ec_t&) {
    open.pop_back();
    return true;
  }
  bool on_string_part(std::string_view, std::size_t, ec_t&) { return true; }
  bool on_string(std::string_view, std::size_t, ec_t&) { return true; }
  bool on_key_part(std::string_view s, std::size_t, ec_t&) {
    key.append(s);
    return true;
  }
  bool on_key(std::string_view s, std::size_t, ec_t& ec) {
    key.append(s);
    if (!open.back().insert(key).second) {
      duplicate = std::move(key);
      ec = boost::json::error::syntax;  // stops the parse; the caller reads `duplicate`
      return false;
    }
    key.clear();
    return true;
  }
  bool on_number_part(std::string_view, ec_t&) { return true; }
  bool on_int64(std::int64_t, std::string_view, ec_t&) { return true; }
  bool on_uint64(std::uint64_t, std::string_view, ec_t&) { return true; }
  bool on_double(double, std::string_view, ec_t&) { return true; }
  bool on_bool(bool, ec_t&) { return true; }
  bool on_null(ec_t&) { return true; }
  bool on_comment_part(std::string_view, ec_t&) { return true; }
  bool on_comment(std::string_view, ec_t&) { return true; }
};

}  // namespace

body_format format_of(std::string_view content_type) {
  auto semi = content_type.find(';');
  std::string type = lower_trimmed(content_type.substr(0, semi));
  if (semi != std::string_view::npos) {
    std::string params = lower_trimmed(content_type.substr(semi + 1));
    if (params.rfind("charset=", 0) == 0 && params != "charset=utf-8" &&
        params != "charset=\"utf-8\"") {
      return body_format::unsupported;
    }
  }
  if (type == "application/json") return body_format::json;
  if (type == "application/x-ndjson" || type == "application/ndjson") return body_format::ndjson;
  return body_format::unsupported;
}

preferences parse_prefer(std::string_view prefer, unsigned max_wait_seconds) {
  preferences out;
  std::string p = lower_trimmed(prefer);
  for (std::size_t pos = 0; pos < p.size();) {
    auto end = p.find_first_of(",;", pos);
    if (end == std::string::npos) end = p.size();
    std::string token = lower_trimmed(std::string_view(p).substr(pos, end - pos));
    if (token.rfind("wait=", 0) == 0 && !out.wait) {
      unsigned long n = 0;
      bool ok = token.size() > 5 && token.size() < 12;
      for (char c : token.substr(5)) ok = ok && c >= '0' && c <= '9', n = n * 10 + (c - '0');
      if (ok) out.wait = static_cast<unsigned>(std::min<unsigned long>(n, max_wait_seconds));
    }
    pos = end + 1;
  }
  return out;
}

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 255) return false;
  return std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  auto trim = [](std::string_view t) {
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    return t;
  };
  if (trim(if_none_match) == "*") return true;
  for (std::size_t pos = 0; pos < if_none_match.size();) {
    auto end = if_none_match.find(',', pos);
    if (end == std::string_view::npos) end = if_none_match.size();
    auto tag = trim(if_none_match.substr(pos, end - pos));
    if (tag.rfind("W/", 0) == 0) tag.remove_prefix(2);  // weak comparison (RFC 9110)
    if (tag == etag) return true;
    pos = end + 1;
  }
  return false;
}

std::optional<std::string> first_duplicate_key(std::string_view text) {
  boost::json::parse_options opts;
  opts.max_depth = std::size_t(-1) >> 1;  // the caller's parse already bounded the depth
  boost::json::basic_parser<duplicate_finder> p(opts);
  boost::system::error_code ec;
  p.write_some(false, text.data(), text.size(), ec);
  return std::move(p.handler().duplicate);
}

}  // namespace sluice::api

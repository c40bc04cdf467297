#include "api/request_parts.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>
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

// A basic_parser handler that builds the value (on a value_stack, as
// Boost.JSON's own parser does) and keeps the keys seen in each open object,
// stopping at the first repeated one: strictness in the same single pass.
class strict_builder {
 public:
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();
  using ec_t = boost::system::error_code;

  strict_builder() { stack_.reset(); }
  boost::json::value release() { return stack_.release(); }
  std::optional<std::string>& duplicate() { return duplicate_; }

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_array_begin(ec_t&) { return true; }
  bool on_array_end(std::size_t n, ec_t&) {
    stack_.push_array(n);
    return true;
  }
  bool on_object_begin(ec_t&) {
    open_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t n, ec_t&) {
    open_.pop_back();
    stack_.push_object(n);
    return true;
  }
  bool on_string_part(std::string_view s, std::size_t, ec_t&) {
    stack_.push_chars(s);
    return true;
  }
  bool on_string(std::string_view s, std::size_t, ec_t&) {
    stack_.push_string(s);
    return true;
  }
  bool on_key_part(std::string_view s, std::size_t, ec_t&) {
    key_.append(s);
    stack_.push_chars(s);
    return true;
  }
  bool on_key(std::string_view s, std::size_t, ec_t& ec) {
    key_.append(s);
    if (!open_.back().insert(key_).second) {
      duplicate_ = std::move(key_);
      ec = boost::json::error::syntax;  // stops the parse; the caller reads duplicate()
      return false;
    }
    key_.clear();
    stack_.push_key(s);
    return true;
  }
  bool on_number_part(std::string_view, ec_t&) { return true; }
  bool on_int64(std::int64_t i, std::string_view, ec_t&) {
    stack_.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, std::string_view, ec_t&) {
    stack_.push_uint64(u);
    return true;
  }
  bool on_double(double d, std::string_view, ec_t&) {
    stack_.push_double(d);
    return true;
  }
  bool on_bool(bool b, ec_t&) {
    stack_.push_bool(b);
    return true;
  }
  bool on_null(ec_t&) {
    stack_.push_null();
    return true;
  }
  bool on_comment_part(std::string_view, ec_t&) { return true; }
  bool on_comment(std::string_view, ec_t&) { return true; }

 private:
  boost::json::value_stack stack_;
  std::vector<std::set<std::string, std::less<>>> open_;  // one per open object
  std::string key_;
  std::optional<std::string> duplicate_;
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
    if (token.rfind("count=", 0) == 0 && !out.count) {
      const std::string_view v = std::string_view(token).substr(6);
      for (auto c : {count_preference::exact, count_preference::planned,
                     count_preference::estimated}) {
        if (v == to_string(c)) out.count = c;
      }
    } else if (token.rfind("wait=", 0) == 0 && !out.wait) {
      unsigned long n = 0;
      bool ok = token.size() > 5 && token.size() < 12;
      for (char c : token.substr(5)) ok = ok && c >= '0' && c <= '9', n = n * 10 + (c - '0');
      if (ok) out.wait = static_cast<unsigned>(std::min<unsigned long>(n, max_wait_seconds));
    }
    pos = end + 1;
  }
  return out;
}

std::string_view to_string(count_preference c) {
  switch (c) {
    case count_preference::planned:
      return "planned";
    case count_preference::estimated:
      return "estimated";
    case count_preference::exact:
      break;
  }
  return "exact";
}

std::optional<model::row_format> row_format_of(std::string_view accept) {
  using model::row_format;
  struct offer {
    row_format format;
    std::string_view type, subtype;
  };
  static constexpr offer k_offers[] = {{row_format::json, "application", "json"},
                                       {row_format::csv, "text", "csv"},
                                       {row_format::ndjson, "application", "x-ndjson"},
                                       {row_format::ndjson, "application", "ndjson"}};
  if (lower_trimmed(accept).empty()) return row_format::json;
  // Per offer: the q of the most specific range that matches it (-1: none).
  double q_of[std::size(k_offers)];
  int specificity_of[std::size(k_offers)];
  for (std::size_t i = 0; i < std::size(k_offers); ++i) q_of[i] = -1, specificity_of[i] = -1;
  const std::string text = lower_trimmed(accept);
  for (std::size_t pos = 0; pos <= text.size();) {
    auto end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view range = std::string_view(text).substr(pos, end - pos);
    pos = end + 1;
    auto semi = range.find(';');
    std::string type = lower_trimmed(range.substr(0, semi));
    double q = 1;
    bool bad = false;
    while (semi != std::string_view::npos) {
      range.remove_prefix(semi + 1);
      semi = range.find(';');
      std::string param = lower_trimmed(range.substr(0, semi));
      if (param.rfind("q=", 0) != 0) continue;  // media-type parameters: not compared
      const std::string_view v = std::string_view(param).substr(2);
      double parsed = -1;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), parsed);
      bad = ec != std::errc{} || p != v.data() + v.size() || parsed < 0 || parsed > 1;
      q = parsed;
    }
    auto slash = type.find('/');
    if (bad || slash == std::string::npos) continue;  // a malformed range matches nothing
    const std::string_view main = std::string_view(type).substr(0, slash);
    const std::string_view sub = std::string_view(type).substr(slash + 1);
    for (std::size_t i = 0; i < std::size(k_offers); ++i) {
      int specificity = -1;
      if (main == "*" && sub == "*") {
        specificity = 0;
      } else if (main == k_offers[i].type && sub == "*") {
        specificity = 1;
      } else if (main == k_offers[i].type && sub == k_offers[i].subtype) {
        specificity = 2;
      }
      if (specificity > specificity_of[i]) specificity_of[i] = specificity, q_of[i] = q;
    }
  }
  std::optional<row_format> best;
  double best_q = 0;
  int best_specificity = -1;
  for (std::size_t i = 0; i < std::size(k_offers); ++i) {
    if (q_of[i] <= 0) continue;
    if (q_of[i] > best_q || (q_of[i] == best_q && specificity_of[i] > best_specificity)) {
      best = k_offers[i].format, best_q = q_of[i], best_specificity = specificity_of[i];
    }
  }
  return best;
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

strict_json parse_strict_json(std::string_view text, std::size_t max_depth) {
  boost::json::parse_options opts;
  opts.max_depth = max_depth;
  boost::json::basic_parser<strict_builder> p(opts);
  strict_json out;
  const std::size_t used = p.write_some(false, text.data(), text.size(), out.error);
  if (p.handler().duplicate()) {
    out.duplicate_key = std::move(p.handler().duplicate());
    out.error = {};
    return out;
  }
  if (!out.error && used < text.size()) out.error = boost::json::error::extra_data;
  if (!out.error) out.value = p.handler().release();
  return out;
}

}  // namespace sluice::api

#include "api/list_query.hpp"

#include <boost/url/parse_query.hpp>

#include <algorithm>
#include <charconv>

#include "model/validate.hpp"

namespace sluice::api {
namespace {

bool parse_int(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

void append_param(std::string& out, std::string_view encoded_key, std::string_view encoded_value) {
  out += '&';
  out += encoded_key;
  out += '=';
  out += encoded_value;
}

std::string literal_text(const model::value& v) {
  struct visitor {
    std::string operator()(std::monostate) const { return "null"; }
    std::string operator()(std::int64_t x) const { return "i" + std::to_string(x); }
    // Shortest round-trip form: distinct doubles never share a key (issue 11 #14).
    std::string operator()(double x) const {
      char buf[32];
      auto res = std::to_chars(buf, buf + sizeof buf, x);
      return "d" + std::string(buf, res.ptr);
    }
    std::string operator()(bool x) const { return x ? "true" : "false"; }
    std::string operator()(const std::string& x) const { return "s" + x; }
  };
  return std::visit(visitor{}, v);
}

}  // namespace

std::string cache_key(std::string_view table, const store::page_query& q) {
  std::vector<std::string> filters;
  for (const auto& f : q.filters) {
    std::string lit = literal_text(f.value);
    // Length-prefixed, so no value can forge a separator.
    filters.push_back(f.field + ':' + std::to_string(lit.size()) + ':' + lit);
  }
  std::sort(filters.begin(), filters.end());
  std::string key(table);
  key += '\n' + std::to_string(q.limit) + (q.descending ? "d" : "a");
  key += q.after ? std::to_string(*q.after) : std::string("-");
  for (const auto& f : filters) key += '\n' + f;
  return key;
}

std::optional<list_query> parse_list_query(const config::resource_def& resource,
                                           std::string_view query_string,
                                           http::field_error& error) {
  auto fail = [&](std::string param, std::string detail) {
    error = {std::move(param), std::move(detail)};
    return std::nullopt;
  };
  // Boost.URL 1.81's parse_query builds its result through strlen(data), so
  // it reads past a view that is not NUL-terminated (found by
  // fuzz/list_query). Hand it a NUL-terminated copy; a NUL inside the query
  // is no query character, so the grammar refuses it before that point.
  const std::string query_text(query_string);
  auto params = boost::urls::parse_query(query_text);
  if (!params) return fail("", "malformed query string");
  list_query out;
  auto& q = out.query;
  q.limit = resource.default_limit;
  bool seen_limit = false, seen_order = false, seen_after = false;
  for (auto it = params->begin(); it != params->end(); ++it) {
    auto encoded = *it;
    // '+' stays a plus sign (e.g. in e-mail addresses); spaces arrive as %20.
    std::string key = encoded.key.decode();
    if (!encoded.has_value) return fail(key, "needs a value");
    std::string value = encoded.value.decode();
    if (key == "limit") {
      std::int64_t n = 0;
      if (seen_limit || !parse_int(value, n) || n < 1 ||
          n > static_cast<std::int64_t>(resource.max_limit)) {
        return fail(key, "must be one integer from 1 to " + std::to_string(resource.max_limit));
      }
      seen_limit = true;
      q.limit = static_cast<std::size_t>(n);
    } else if (key == "order") {
      if (seen_order || (value != "id.asc" && value != "id.desc")) {
        return fail(key, "must be id.asc or id.desc");
      }
      seen_order = true;
      q.descending = value == "id.desc";
      append_param(out.filter_params, "order", value);
    } else if (key == "after") {
      std::int64_t n = 0;
      if (seen_after || !parse_int(value, n)) return fail(key, "must be one integer row id");
      seen_after = true;
      q.after = n;
    } else {
      if (q.filters.size() == max_filters) {
        return fail(key, "too many filters: at most " + std::to_string(max_filters) + " per query");
      }
      const config::field_def* field = resource.find(key);
      if (field == nullptr && key != "id") return fail(key, "is not a field of " + resource.name);
      if (value.rfind("eq.", 0) != 0) {
        return fail(key, "unsupported filter: use " + key + "=eq.<value>");
      }
      std::string_view literal = std::string_view(value).substr(3);
      model::value v;
      if (field == nullptr) {
        std::int64_t id = 0;
        if (!parse_int(literal, id)) return fail(key, "must be an integer row id");
        v = id;
      } else {
        std::string why;
        if (!model::parse_literal(*field, literal, v, why)) return fail(key, why);
      }
      q.filters.push_back({key, std::move(v)});
      append_param(out.filter_params, encoded.key, encoded.value);
    }
  }
  return out;
}

}  // namespace sluice::api

#include "api/list_query.hpp"

#include <boost/url/parse_query.hpp>

#include <algorithm>
#include <charconv>

#include "api/cursor.hpp"
#include "model/validate.hpp"
#include "store/query_sql.hpp"

namespace sluice::api {
namespace {

using store::op;

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

// Length-prefixed, so that no value can forge a separator.
void add_part(std::string& key, std::string_view part) {
  key += std::to_string(part.size());
  key += ':';
  key += part;
}

std::string condition_key(const store::condition& c) {
  std::string k;
  add_part(k, c.field);
  add_part(k, store::to_string(c.o));
  k += c.negated ? '!' : '=';
  for (const auto& v : c.values) add_part(k, literal_text(v));
  return k;
}

bool is_text(const config::field_def* f) {
  return f != nullptr &&
         (f->type == config::field_type::string || f->type == config::field_type::email);
}

const char* k_operators = "eq, neq, gt, gte, lt, lte, like, ilike, in, is (each may follow not.)";

// A value of a group or an in.(…) list: "quoted" (with \" and \\) or as it stands.
bool unquote(std::string_view item, std::string& out) {
  out.clear();
  if (item.empty() || item.front() != '"') {
    out = item;
    return true;
  }
  if (item.size() < 2 || item.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < item.size(); ++i) {
    char c = item[i];
    if (c == '\\') {
      if (i + 2 >= item.size()) return false;
      c = item[++i];
    } else if (c == '"') {
      return false;
    }
    out += c;
  }
  return true;
}

// Splits `list` at the commas outside quotes and parentheses; false when
// quotes or parentheses do not balance.
bool split_list(std::string_view list, std::vector<std::string_view>& items) {
  items.clear();
  int depth = 0;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const char c = list[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth < 0) return false;
    } else if (c == ',' && depth == 0) {
      items.push_back(list.substr(start, i - start));
      start = i + 1;
    }
  }
  if (quoted || depth != 0) return false;
  items.push_back(list.substr(start));
  return true;
}

class parser {
 public:
  explicit parser(const config::resource_def& r) : r_(r) {}

  // One typed value of `field` (nullptr: the id).
  bool typed(const config::field_def* field, std::string_view text, model::value& v,
             std::string& why) const {
    if (field == nullptr) {
      std::int64_t id = 0;
      if (!parse_int(text, id)) {
        why = "expected an integer row id";
        return false;
      }
      v = id;
      return true;
    }
    return model::parse_literal(*field, text, v, why);
  }

  // `[not.]<op>.<value>` on `name`. In a group, values may be quoted.
  bool condition(std::string_view name, std::string_view expr, bool in_group,
                 store::condition& c, std::string& why) const {
    const config::field_def* field = r_.find(name);
    if (field == nullptr && name != "id") {
      why = std::string(name) + " is not a field of " + r_.name;
      return false;
    }
    c.field = std::string(name);
    c.negated = false;
    c.values.clear();
    if (expr.starts_with("not.")) {
      c.negated = true;
      expr.remove_prefix(4);
    }
    const auto dot = expr.find('.');
    const std::string_view name_of_op = expr.substr(0, dot);
    if (dot == std::string_view::npos) {
      why = "expected <operator>.<value>, the operator one of " + std::string(k_operators);
      return false;
    }
    std::string_view value = expr.substr(dot + 1);
    static const std::pair<std::string_view, op> comparisons[] = {
        {"eq", op::eq},   {"neq", op::neq}, {"gt", op::gt},     {"gte", op::gte},
        {"lt", op::lt},   {"lte", op::lte}, {"like", op::like}, {"ilike", op::ilike}};
    for (const auto& [text, o] : comparisons) {
      if (name_of_op != text) continue;
      c.o = o;
      std::string literal;
      if (in_group) {
        if (!unquote(value, literal)) {
          why = "an unbalanced quote in the value";
          return false;
        }
      } else {
        literal = value;
      }
      if ((o == op::like || o == op::ilike) && !is_text(field)) {
        why = std::string(text) + " applies to text fields (string, email)";
        return false;
      }
      model::value v;
      if (!typed(field, literal, v, why)) return false;
      c.values.push_back(std::move(v));
      return true;
    }
    if (name_of_op == "is") {
      if (value == "null" || value == "not_null") {
        c.o = op::is_null;
        if (value == "not_null") c.negated = !c.negated;
        return true;
      }
      if (value == "true" || value == "false") {
        if (field == nullptr || field->type != config::field_type::boolean) {
          why = "is." + std::string(value) + " applies to boolean fields";
          return false;
        }
        c.o = value == "true" ? op::is_true : op::is_false;
        return true;
      }
      why = "expected is.null, is.not_null, is.true or is.false";
      return false;
    }
    if (name_of_op == "in") {
      c.o = op::in;
      std::vector<std::string_view> items;
      if (value.size() < 2 || value.front() != '(' || value.back() != ')' ||
          !split_list(value.substr(1, value.size() - 2), items)) {
        why = "expected in.(v1,v2,…), a value with , ( ) or \" in double quotes";
        return false;
      }
      if (value.size() == 2) {
        why = "in.() needs at least one value";
        return false;
      }
      if (items.size() > max_in_values) {
        why = "at most " + std::to_string(max_in_values) + " values in in.(…)";
        return false;
      }
      for (auto item : items) {
        std::string literal;
        if (!unquote(item, literal)) {
          why = "an unbalanced quote in in.(…)";
          return false;
        }
        model::value v;
        if (!typed(field, literal, v, why)) return false;
        c.values.push_back(std::move(v));
      }
      return true;
    }
    why = "unknown operator " + std::string(name_of_op) + ": use " + k_operators;
    return false;
  }

  // `(c1,c2,…)`, each `<field>.<expr>`.
  bool group(std::string_view value, store::group& g, std::string& why) const {
    std::vector<std::string_view> items;
    if (value.size() < 2 || value.front() != '(' || value.back() != ')' ||
        !split_list(value.substr(1, value.size() - 2), items)) {
      why = "expected (<field>.<operator>.<value>,…) with balanced parentheses and quotes";
      return false;
    }
    for (auto item : items) {
      if (item.starts_with("or(") || item.starts_with("and(") || item.starts_with("not.or(") ||
          item.starts_with("not.and(")) {
        why = "groups nest one level deep: no or(…)/and(…) inside one";
        return false;
      }
      const auto dot = item.find('.');
      if (item.empty() || dot == std::string_view::npos) {
        why = "expected <field>.<operator>.<value>, not \"" + std::string(item) + "\"";
        return false;
      }
      store::condition c;
      if (!condition(item.substr(0, dot), item.substr(dot + 1), true, c, why)) return false;
      g.conditions.push_back(std::move(c));
    }
    return true;
  }

  // <column>[.asc|.desc][.nullsfirst|.nullslast]
  bool order(std::string_view value, store::order_by& o, std::string& why) const {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
      auto dot = value.find('.', start);
      parts.push_back(value.substr(start, dot == std::string_view::npos ? dot : dot - start));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    const std::string column(parts[0]);
    const config::field_def* f = r_.find(column);
    if (column != "id" && (f == nullptr || !f->indexed)) {
      why = "can order by " + orderable() + " (id, or a field with index = true)";
      return false;
    }
    o.field = column;
    o.descending = false;
    bool nulls_given = false;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const auto p = parts[i];
      if (i == 1 && (p == "asc" || p == "desc")) {
        o.descending = p == "desc";
      } else if (!nulls_given && (p == "nullsfirst" || p == "nullslast")) {
        nulls_given = true;
        o.nulls_first = p == "nullsfirst";
      } else {
        why = "expected <column>[.asc|.desc][.nullsfirst|.nullslast], one column";
        return false;
      }
    }
    // PostgreSQL's default: NULLs as larger than any value. The id is never NULL.
    if (!nulls_given) o.nulls_first = o.descending;
    if (column == "id") o.nulls_first = false;
    return true;
  }

  std::string orderable() const {
    std::string s = "id";
    for (const auto& f : r_.fields) {
      if (f.indexed) s += ", " + f.name;
    }
    return s;
  }

 private:
  const config::resource_def& r_;
};

}  // namespace

std::string cache_key(std::string_view table, const store::page_query& q, bool before) {
  std::vector<std::string> filters;
  filters.reserve(q.filters.size());
  for (const auto& c : q.filters) filters.push_back(condition_key(c));
  std::sort(filters.begin(), filters.end());
  std::vector<std::string> groups;
  for (const auto& g : q.groups) {
    std::vector<std::string> members;
    for (const auto& c : g.conditions) members.push_back(condition_key(c));
    std::sort(members.begin(), members.end());
    std::string k(g.any ? "or" : "and");
    k += g.negated ? '!' : '=';
    for (const auto& m : members) add_part(k, m);
    groups.push_back(std::move(k));
  }
  std::sort(groups.begin(), groups.end());
  std::string key(table);
  key += '\n' + std::to_string(q.limit);
  key += '\n';
  add_part(key, q.order.field);
  key += q.order.descending ? 'd' : 'a';
  key += q.order.nulls_first ? 'f' : 'l';
  key += '\n';
  if (q.after) {
    if (before) key += '<';
    key += std::to_string(q.after->id);
    add_part(key, literal_text(q.after->value));
  } else {
    key += '-';
  }
  key += "\ns";
  for (const auto& c : q.select) add_part(key, c);
  for (const auto& f : filters) key += "\nf" + f;
  for (const auto& g : groups) key += "\ng" + g;
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
  const parser p(resource);
  list_query out;
  auto& q = out.query;
  q.limit = resource.default_limit;
  bool seen_limit = false, seen_order = false, seen_select = false;
  std::optional<std::int64_t> after;
  std::optional<std::string> cursor;
  std::size_t conditions = 0;
  auto count = [&](std::size_t n) {
    conditions += n;
    return conditions <= max_filters;
  };
  const std::string too_many =
      "too many filters: at most " + std::to_string(max_filters) + " per query";
  for (auto it = params->begin(); it != params->end(); ++it) {
    auto encoded = *it;
    // '+' stays a plus sign (e.g. in e-mail addresses); spaces arrive as %20.
    std::string key = encoded.key.decode();
    if (!encoded.has_value) return fail(key, "needs a value");
    std::string value = encoded.value.decode();
    std::string why;
    if (key == "limit") {
      std::int64_t n = 0;
      if (seen_limit || !parse_int(value, n) || n < 1 ||
          n > static_cast<std::int64_t>(resource.max_limit)) {
        return fail(key, "must be one integer from 1 to " + std::to_string(resource.max_limit));
      }
      seen_limit = true;
      q.limit = static_cast<std::size_t>(n);
    } else if (key == "order") {
      if (seen_order) return fail(key, "given twice");
      if (!p.order(value, q.order, why)) return fail(key, why);
      seen_order = true;
      append_param(out.filter_params, encoded.key, encoded.value);
    } else if (key == "after") {
      std::int64_t n = 0;
      if (after || !parse_int(value, n)) return fail(key, "must be one integer row id");
      after = n;
    } else if (key == "cursor") {
      if (cursor) return fail(key, "given twice");
      cursor = value;
    } else if (key == "select") {
      if (seen_select) return fail(key, "given twice");
      seen_select = true;
      std::vector<std::string_view> columns;
      std::string_view rest(value);
      for (std::size_t start = 0;;) {
        auto comma = rest.find(',', start);
        columns.push_back(rest.substr(start, comma == std::string_view::npos ? comma : comma - start));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      for (auto c : columns) {
        if (!store::is_row_column(resource, c)) {
          return fail(key, "\"" + std::string(c) + "\" is not a column of " + resource.name +
                               ": id, the fields, message_id, received_at, stored_at");
        }
        if (std::find(q.select.begin(), q.select.end(), c) == q.select.end()) {
          q.select.emplace_back(c);
        }
      }
      append_param(out.filter_params, encoded.key, encoded.value);
    } else if (key == "or" || key == "and" || key == "not.or" || key == "not.and") {
      store::group g;
      g.any = key.ends_with("or");
      g.negated = key.starts_with("not.");
      if (!p.group(value, g, why)) return fail(key, why);
      if (!count(g.conditions.size())) return fail(key, too_many);
      q.groups.push_back(std::move(g));
      append_param(out.filter_params, encoded.key, encoded.value);
    } else {
      if (resource.find(key) == nullptr && key != "id") {
        return fail(key, "is not a field of " + resource.name);
      }
      if (!count(1)) return fail(key, too_many);
      store::condition c;
      if (!p.condition(key, value, false, c, why)) return fail(key, why);
      q.filters.push_back(std::move(c));
      append_param(out.filter_params, encoded.key, encoded.value);
    }
  }
  if (after && cursor) return fail("cursor", "give after= or cursor=, not both");
  if (after) {
    if (q.order.field != "id") {
      return fail("after", "pages id order only: with order=" + q.order.field +
                               " follow the Link header's cursor=");
    }
    q.after = store::keyset{{}, *after};
  }
  if (cursor) {
    std::string why;
    auto k = decode_cursor(*cursor, q.order,
                           q.order.field == "id" ? nullptr : resource.find(q.order.field),
                           out.before, why);
    if (!k) return fail("cursor", why);
    q.after = std::move(*k);
  }
  return out;
}

std::string next_page_target(std::string_view table, const list_query& q,
                             const store::keyset& last) {
  std::string t = "/v1/";
  t += table;
  t += "?limit=" + std::to_string(q.query.limit);
  if (q.query.order.field == "id") {
    t += "&after=" + std::to_string(last.id);
  } else {
    t += "&cursor=" + encode_cursor(q.query.order, last);  // base64url and '.': nothing to escape
  }
  return t + q.filter_params;
}

std::string prev_page_target(std::string_view table, const list_query& q,
                             const store::keyset& first) {
  std::string t = "/v1/";
  t += table;
  t += "?limit=" + std::to_string(q.query.limit);
  t += "&cursor=" + encode_cursor(q.query.order, first, true);
  return t + q.filter_params;
}

}  // namespace sluice::api

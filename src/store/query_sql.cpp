#include "store/query_sql.hpp"

#include <fmt/format.h>

#include "store/store.hpp"

namespace sluice::store {

std::string_view to_string(op o) {
  switch (o) {
    case op::eq: return "eq";
    case op::neq: return "neq";
    case op::gt: return "gt";
    case op::gte: return "gte";
    case op::lt: return "lt";
    case op::lte: return "lte";
    case op::like: return "like";
    case op::ilike: return "ilike";
    case op::in: return "in";
    case op::is_null: return "is.null";
    case op::is_true: return "is.true";
    case op::is_false: return "is.false";
  }
  return "?";
}

std::string match_pattern(std::string_view pattern, bool glob, bool fold_case) {
  std::string out;
  out.reserve(pattern.size() + 8);
  for (char c : pattern) {
    if (fold_case && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (glob) {
      if (c == '?') {
        out += "[?]";
      } else if (c == '[') {
        out += "[[]";
      } else {
        out += c;  // '*' stays the wildcard
      }
    } else if (c == '*') {
      out += '%';
    } else {
      if (c == '%' || c == '_' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

std::vector<std::string> row_object_columns(const config::resource_def& r) {
  std::vector<std::string> all{"id"};
  all.reserve(r.fields.size() + 4);
  for (const auto& f : r.fields) all.push_back(f.name);
  for (const char* c : {"message_id", "received_at", "stored_at"}) all.emplace_back(c);
  return all;
}

bool is_row_column(const config::resource_def& r, std::string_view column) {
  return column == "id" || column == "message_id" || column == "received_at" ||
         column == "stored_at" || r.find(column) != nullptr;
}

namespace {

bool is_text(const config::field_def* f) {
  return f != nullptr &&
         (f->type == config::field_type::string || f->type == config::field_type::email);
}

// The column as compared and ordered (bytewise for text).
std::string column(const query_dialect& d, const std::string& name, const config::field_def* f) {
  return is_text(f) ? name + d.text_collation : name;
}

class builder {
 public:
  builder(const query_dialect& d, const config::resource_def& r) : d_(d), r_(r) {}

  std::string bind(const config::field_def* f, const model::value& v) {
    params_.push_back(v);
    return d_.placeholder(static_cast<int>(params_.size()), f);
  }

  // nullopt: the field is not the resource's, or the values do not fit.
  std::optional<std::string> condition_sql(const condition& c) {
    const config::field_def* f = nullptr;
    if (c.field != "id") {
      f = r_.find(c.field);
      if (f == nullptr) return std::nullopt;
    }
    const std::string col = column(d_, c.field, f);
    const std::size_t want = c.o == op::in                                           ? c.values.size()
                             : c.o == op::is_null || c.o == op::is_true || c.o == op::is_false ? 0
                                                                                        : 1;
    if (c.values.size() != want || (c.o == op::in && want == 0)) return std::nullopt;
    std::string sql;
    auto compare = [&](const char* sym) {
      if (std::holds_alternative<std::monostate>(c.values[0])) return false;
      sql = fmt::format("{} {} {}", col, sym, bind(f, c.values[0]));
      return true;
    };
    bool ok = true;
    switch (c.o) {
      case op::eq: ok = compare("="); break;
      case op::neq: ok = compare("<>"); break;
      case op::gt: ok = compare(">"); break;
      case op::gte: ok = compare(">="); break;
      case op::lt: ok = compare("<"); break;
      case op::lte: ok = compare("<="); break;
      case op::like:
      case op::ilike: {
        const auto* text = std::get_if<std::string>(&c.values[0]);
        if (!is_text(f) || text == nullptr) return std::nullopt;
        const bool fold = c.o == op::ilike;
        std::string target = fold ? "lower(" + col + ")" : col;
        std::string ph = bind(f, match_pattern(*text, d_.glob, fold));
        sql = d_.glob ? fmt::format("{} GLOB {}", target, ph)
                      : fmt::format("{} LIKE {} ESCAPE '\\'", target, ph);
        break;
      }
      case op::in: {
        sql = col + " IN (";
        for (std::size_t i = 0; i < c.values.size(); ++i) {
          if (std::holds_alternative<std::monostate>(c.values[i])) return std::nullopt;
          if (i > 0) sql += ", ";
          sql += bind(f, c.values[i]);
        }
        sql += ')';
        break;
      }
      case op::is_null: sql = c.field + " IS NULL"; break;
      case op::is_true:
      case op::is_false:
        if (f == nullptr || f->type != config::field_type::boolean) return std::nullopt;
        sql = c.field + (c.o == op::is_true ? " IS TRUE" : " IS FALSE");
        break;
    }
    if (!ok) return std::nullopt;
    return c.negated ? "NOT (" + sql + ")" : sql;
  }

  // The conditions and groups, joined by AND ("" when there are none).
  std::optional<std::string> where(const page_query& q) {
    std::vector<std::string> parts;
    for (const auto& c : q.filters) {
      auto s = condition_sql(c);
      if (!s) return std::nullopt;
      parts.push_back(std::move(*s));
    }
    for (const auto& g : q.groups) {
      if (g.conditions.empty()) return std::nullopt;
      std::string s;
      for (const auto& c : g.conditions) {
        auto one = condition_sql(c);
        if (!one) return std::nullopt;
        if (!s.empty()) s += g.any ? " OR " : " AND ";
        s += "(" + *one + ")";
      }
      parts.push_back(g.negated ? "NOT (" + s + ")" : "(" + s + ")");
    }
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : " AND ") + p;
    return out;
  }

  std::vector<model::value> take_params() { return std::move(params_); }
  std::size_t param_count() const { return params_.size(); }

 private:
  const query_dialect& d_;
  const config::resource_def& r_;
  std::vector<model::value> params_;
};

std::string and_all(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    out += out.empty() ? " WHERE " : " AND ";
    out += p;
  }
  return out;
}

}  // namespace

result<page_plan> plan_page(const query_dialect& d, std::string_view table,
                            const config::resource_def& r, const page_query& q) {
  for (const auto& c : q.select) {
    if (!is_row_column(r, c)) return errc::bad_query;
  }
  const config::field_def* of = nullptr;
  if (q.order.field != "id") {
    of = r.find(q.order.field);
    if (of == nullptr) return errc::bad_query;
  }
  const std::string dir = q.order.descending ? "DESC" : "ASC";
  const char* past = q.order.descending ? "<" : ">";
  const std::string head =
      fmt::format("SELECT id, {}, {} FROM {}", of == nullptr ? "NULL" : d.sort_value(*of),
                  d.row_json(r, q.select), table);

  // Each segment's statement starts from the same conditions: build them
  // once per segment so that placeholders number from 1 in each.
  // `extra` is the segment's own predicate, each \x01 in it a placeholder
  // for the next of `extra_params` (the field whose type it has, and the value).
  using typed = std::pair<const config::field_def*, model::value>;
  auto segment = [&](const std::string& extra, const std::vector<typed>& extra_params,
                     const std::string& order_sql) -> std::optional<page_statement> {
    builder b(d, r);
    auto where = b.where(q);
    if (!where) return std::nullopt;
    // The extra predicate's placeholders follow the conditions'.
    std::size_t at = 0;
    std::string rendered;
    for (char c : extra) {
      if (c == '\x01' && at < extra_params.size()) {
        const auto& [f, v] = extra_params[at++];
        rendered += b.bind(f, v);
      } else {
        rendered += c;
      }
    }
    page_statement s;
    const std::string limit_ph = d.placeholder(static_cast<int>(b.param_count()) + 1, nullptr);
    s.sql = head + and_all({*where, rendered}) + " ORDER BY " + order_sql + " LIMIT " + limit_ph;
    s.params = b.take_params();
    return s;
  };

  page_plan plan;
  plan.order_field = of;
  if (of == nullptr) {
    std::string extra;
    std::vector<typed> ps;
    if (q.after) {
      extra = fmt::format("id {} \x01", past);
      ps.emplace_back(nullptr, q.after->id);
    }
    auto s = segment(extra, ps, "id " + dir);
    if (!s) return errc::bad_query;
    plan.segments.push_back(std::move(*s));
    return plan;
  }

  const std::string col = column(d, of->name, of);
  const std::string order_sql = fmt::format("{} {}, id {}", col, dir, dir);
  auto values = [&](bool from_cursor) {
    std::string extra = of->name + " IS NOT NULL";
    std::vector<typed> ps;
    if (from_cursor) {
      extra += fmt::format(" AND ({}, id) {} (\x01, \x01)", col, past);
      ps = {typed{of, q.after->value}, typed{nullptr, q.after->id}};
    }
    return segment(extra, ps, order_sql);
  };
  auto nulls = [&](bool from_cursor) {
    std::string extra = of->name + " IS NULL";
    std::vector<typed> ps;
    if (from_cursor) {
      extra += fmt::format(" AND id {} \x01", past);
      ps.emplace_back(nullptr, q.after->id);
    }
    return segment(extra, ps, order_sql);
  };
  std::vector<std::optional<page_statement>> segs;
  const bool first = q.order.nulls_first;
  if (!q.after) {
    segs = first ? std::vector{nulls(false), values(false)} : std::vector{values(false), nulls(false)};
  } else if (std::holds_alternative<std::monostate>(q.after->value)) {
    segs.push_back(nulls(true));
    if (first) segs.push_back(values(false));
  } else {
    segs.push_back(values(true));
    if (!first) segs.push_back(nulls(false));
  }
  for (auto& s : segs) {
    if (!s) return errc::bad_query;
    plan.segments.push_back(std::move(*s));
  }
  return plan;
}

result<count_parts> plan_count(const query_dialect& d, const config::resource_def& r,
                               const page_query& q) {
  const config::field_def* of = nullptr;
  if (q.order.field != "id") {
    of = r.find(q.order.field);
    if (of == nullptr) return errc::bad_query;
  }
  builder b(d, r);
  auto where = b.where(q);
  if (!where) return errc::bad_query;
  count_parts out;
  out.where = where->empty() ? "" : " WHERE " + *where;
  out.where_params = b.param_count();
  if (of != nullptr) out.order_column = of->name;
  if (q.after) {
    const char* past = q.order.descending ? "<" : ">";
    const model::value id{q.after->id};
    std::string id_ph = b.bind(nullptr, id);
    std::string past_sql;
    if (of == nullptr) {
      past_sql = fmt::format("id {} {}", past, id_ph);
    } else if (std::holds_alternative<std::monostate>(q.after->value)) {
      past_sql = fmt::format("({} IS NULL AND id {} {}){}", of->name, past, id_ph,
                             q.order.nulls_first ? " OR " + of->name + " IS NOT NULL" : "");
    } else {
      std::string value_ph = b.bind(of, q.after->value);
      past_sql = fmt::format("({} IS NOT NULL AND ({}, id) {} ({}, {})){}", of->name,
                             column(d, of->name, of), past, value_ph, id_ph,
                             q.order.nulls_first ? "" : " OR " + of->name + " IS NULL");
    }
    out.before = "NOT (" + past_sql + ")";
  }
  out.params = b.take_params();
  return out;
}

result<page> run_page(const page_plan& plan, std::size_t limit, const run_statement& run) {
  page p;
  p.json = "[";
  for (const auto& s : plan.segments) {
    if (p.count >= limit) break;
    if (auto ec = run(s, limit - p.count, p)) return ec;
  }
  p.json += ']';
  if (p.last) p.last_id = p.last->id;
  return p;
}

}  // namespace sluice::store

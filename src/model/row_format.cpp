#include "model/row_format.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>

namespace sluice::model {
namespace {

// The top-level elements of a JSON array of objects, as views of its text.
// The text comes from a store (row_json_sql), not from a client: this checks
// the shape (brackets, strings, commas), not the grammar of each element.
bool split_objects(std::string_view s, std::vector<std::string_view>& out) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return false;
  s = s.substr(1, s.size() - 2);
  std::string open;  // the closers the open brackets expect, innermost last
  std::size_t start = 0;
  bool in_string = false, want_element = true;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (open.empty()) {
      if (is_space(c)) continue;
      if (c == ',' && !want_element) {
        want_element = true;
        continue;
      }
      if (c != '{' || !want_element) return false;  // only objects, comma-separated
      start = i;
      want_element = false;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      open += c == '{' ? '}' : ']';
    } else if (c == '}' || c == ']') {
      if (open.back() != c) return false;  // mismatched brackets
      open.pop_back();
      if (open.empty()) out.push_back(s.substr(start, i - start + 1));
    }
  }
  return open.empty() && !in_string && (want_element == out.empty());
}

void append_csv_value(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return;  // NULL: an empty, unquoted field
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case boost::json::kind::int64:
      out += std::to_string(v.get_int64());
      return;
    case boost::json::kind::uint64:
      out += std::to_string(v.get_uint64());
      return;
    case boost::json::kind::double_:
      out += number_text(v.get_double());
      return;
    case boost::json::kind::string: {
      const auto& s = v.get_string();
      append_csv_field(out, std::string_view(s.data(), s.size()));
      return;
    }
    default:  // rows are flat; a nested value is written as its JSON text
      append_csv_field(out, boost::json::serialize(v));
  }
}

}  // namespace

std::string_view media_type(row_format f) {
  switch (f) {
    case row_format::csv:
      return "text/csv; charset=utf-8; header=present";
    case row_format::ndjson:
      return "application/x-ndjson";
    case row_format::json:
      break;
  }
  return "application/json";
}

std::string number_text(double d) {
  if (!std::isfinite(d)) return "null";  // validation admits finite numbers only
  char buf[40];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  if (ec != std::errc()) return "null";
  std::string_view sci(buf, static_cast<std::size_t>(end - buf));  // "-d.ddde+XX", shortest
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  const std::size_t e = sci.find('e');
  std::string digits(1, sci[0]);
  if (e > 1) digits.append(sci.substr(2, e - 2));
  std::string_view exp_text = sci.substr(e + 1);
  if (exp_text.front() == '+') exp_text.remove_prefix(1);
  int exp = 0;
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);
  const auto n = static_cast<int>(digits.size());
  // PostgreSQL's (and printf %g's) thresholds: fixed for -4 <= exp < 15.
  if (exp >= 0 && exp < 15) {
    if (n <= exp + 1) {
      out += digits;
      out.append(static_cast<std::size_t>(exp + 1 - n), '0');
    } else {
      const auto point = static_cast<std::size_t>(exp) + 1;  // digits before the '.'
      out.append(digits, 0, point);
      out += '.';
      out.append(digits, point);
    }
  } else if (exp < 0 && exp >= -4) {
    out += "0.";
    out.append(static_cast<std::size_t>(-exp - 1), '0');
    out += digits;
  } else {
    out += digits[0];
    if (n > 1) {
      out += '.';
      out.append(digits, 1);
    }
    char tail[16];
    std::snprintf(tail, sizeof tail, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += tail;
  }
  return out;
}

void append_csv_field(std::string& out, std::string_view value) {
  // "\." alone is COPY's end-of-data marker only as a line's one field:
  // rows here have at least four, and PostgreSQL leaves it unquoted too.
  const bool quote = value.empty() || value.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out += value;
    return;
  }
  out += '"';
  for (char ch : value) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

std::vector<std::string> row_columns(const config::resource_def& r) {
  std::vector<std::string> cols{"id", "message_id", "received_at", "stored_at"};
  for (const auto& f : r.fields) cols.push_back(f.name);
  return cols;
}

std::string csv_header(const std::vector<std::string>& columns, std::string_view line_end) {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ',';
    append_csv_field(out, columns[i]);
  }
  out += line_end;
  return out;
}

bool format_rows(row_format f, const std::vector<std::string>& columns,
                 std::string_view json_array, std::string_view line_end, std::string& out) {
  out.clear();
  if (f == row_format::json) {
    out = json_array;
    return true;
  }
  if (f == row_format::ndjson) {
    std::vector<std::string_view> rows;
    if (!split_objects(json_array, rows)) return false;
    std::size_t bytes = 0;
    for (auto r : rows) bytes += r.size() + 1;
    out.reserve(bytes);
    for (auto r : rows) {
      // A line break in a JSON text is whitespace between tokens (a string
      // cannot hold one raw): a space keeps each row on its one line.
      for (char c : r) out += c == '\n' || c == '\r' ? ' ' : c;
      out += '\n';
    }
    return true;
  }
  boost::system::error_code ec;
  auto parsed = boost::json::parse(json_array, ec);
  if (ec || !parsed.is_array()) return false;
  out = csv_header(columns, line_end);
  for (const auto& row : parsed.get_array()) {
    if (!row.is_object()) return false;
    const auto& obj = row.get_object();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) out += ',';
      if (const auto* v = obj.if_contains(columns[i])) append_csv_value(out, *v);
    }
    out += line_end;
  }
  return true;
}

}  // namespace sluice::model

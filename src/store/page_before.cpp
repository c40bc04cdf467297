#include "store/page_before.hpp"

#include <vector>

namespace sluice::store {

order_by reversed(const order_by& o) { return {o.field, !o.descending, !o.nulls_first}; }

std::string reversed_array(std::string_view json) {
  // Split at the top level's commas: depth counts brackets outside strings.
  std::vector<std::string_view> items;
  int depth = 0;
  bool in_string = false, escaped = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth == 1) start = i + 1;
    } else if (c == ']' || c == '}') {
      if (--depth == 0 && i > start) items.push_back(json.substr(start, i - start));
    } else if (c == ',' && depth == 1) {
      items.push_back(json.substr(start, i - start));
      start = i + 1;
    }
  }
  std::string out;
  out.reserve(json.size());
  out += '[';
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    if (it != items.rbegin()) out += ',';
    out += *it;
  }
  out += ']';
  return out;
}

result<before_page> query_before(store& s, std::string_view table, const page_query& q) {
  page_query back = q;
  back.order = reversed(q.order);
  auto read = s.query(table, back);
  if (!read) return read.error();
  before_page out;
  out.rows.count = read->count;
  out.rows.json = reversed_array(read->json);
  // The reversed page's first row is this page's last, and the other way round.
  out.rows.first = read->last;
  out.rows.last = read->first;
  if (out.rows.last) out.rows.last_id = out.rows.last->id;
  // A short page reached the start of the order; a full one may have rows before it.
  if (read->count == q.limit && read->last) {
    page_query probe = back;
    probe.after = read->last;
    probe.limit = 1;
    probe.select = {"id"};
    auto more = s.query(table, probe);
    if (!more) return more.error();
    out.more_before = more->count > 0;
  }
  return out;
}

}  // namespace sluice::store

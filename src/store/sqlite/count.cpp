#include "store/sqlite/count.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "store/query_sql.hpp"
#include "store/sqlite/bind.hpp"
#include "store/sqlite/schema.hpp"

namespace sluice::store::sqlite {
namespace {

using sluice::sqlite::connection;
using sluice::sqlite::statement;
using sluice::store::op;

// Runs `sql` (params bound first, then `extra`) and reads two integers.
result<std::pair<std::int64_t, std::int64_t>> two_ints(connection& c, const std::string& sql,
                                                       const std::vector<model::value>& params,
                                                       const std::vector<std::int64_t>& extra) {
  auto s = c.prepare(sql);
  if (!s) return errc::unavailable;
  int i = 1;
  for (const auto& v : params) bind_value(*s, i++, v);
  for (auto x : extra) s->bind(i++, x);
  auto row = s->step();
  if (!row || !*row) return errc::unavailable;
  return std::pair{s->is_null_at(0) ? 0 : s->int64_at(0), s->is_null_at(1) ? 0 : s->int64_at(1)};
}

// Counts over `source` (the table, or the bounded subquery): all rows, and
// those at or before the position.
std::string count_sql(const count_parts& parts, const std::string& source) {
  if (parts.before.empty()) return "SELECT count(*), 0 FROM " + source;
  return fmt::format("SELECT count(*), count(CASE WHEN {} THEN 1 END) FROM {}", parts.before,
                     source);
}

// The leading integers of a sqlite_stat1 stat ("N a b …").
std::vector<double> stat_numbers(std::string_view stat) {
  std::vector<double> out;
  while (!stat.empty()) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(stat.data(), stat.data() + stat.size(), n);
    if (ec != std::errc{}) break;
    out.push_back(static_cast<double>(n));
    stat.remove_prefix(static_cast<std::size_t>(p - stat.data()));
    if (stat.empty() || stat.front() != ' ') break;
    stat.remove_prefix(1);
  }
  return out;
}

// The planned estimate: the table's rows narrowed by the filters sqlite_stat1
// knows, and the share of them before the cursor.
result<row_count> estimate(connection& c, const std::string& table, const config::resource_def& r,
                           const page_query& q) {
  // Without ANALYZE there is no sqlite_stat1: prepare fails, no statistics.
  double rows = -1;
  std::vector<std::pair<std::string, std::vector<double>>> stats;  // index → numbers
  if (auto s = c.prepare("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = ?1")) {
    s->bind_text(1, table);
    for (;;) {
      auto row = s->step();
      if (!row) return errc::unavailable;
      if (!*row) break;
      auto numbers = stat_numbers(s->text_view_at(1));
      if (numbers.empty()) continue;
      rows = std::max(rows, numbers[0]);
      if (!s->is_null_at(0)) stats.emplace_back(s->text_at(0), std::move(numbers));
    }
  }
  auto range = c.prepare(fmt::format("SELECT min(id), max(id) FROM {}", table));
  if (!range) return errc::unavailable;
  auto row = range->step();
  if (!row || !*row) return errc::unavailable;
  if (range->is_null_at(0)) return row_count{0, 0, false};  // an empty table
  const auto lo = static_cast<double>(range->int64_at(0));
  const auto hi = static_cast<double>(range->int64_at(1));
  if (rows < 0) rows = hi;

  double est = rows;
  for (const auto& f : q.filters) {
    // Equalities only; other conditions and groups are not estimated.
    if (f.o != op::eq || f.negated || f.values.size() != 1) continue;
    if (f.field == "id") {
      est = std::min(est, 1.0);
      continue;
    }
    const config::field_def* field = r.find(f.field);
    if (field == nullptr || !field->indexed) continue;
    const std::string index = table + "_" + f.field + "_idx";
    for (const auto& [name, numbers] : stats) {
      if (name == index && numbers.size() > 1 && numbers[0] > 0) {
        est *= numbers[1] / numbers[0];
      }
    }
  }
  row_count out{static_cast<std::uint64_t>(std::llround(est)), 0, false};
  // The share of the id range up to the position: id order only (under a
  // field order the position is not estimated: 0).
  if (q.after && q.order.field == "id") {
    const double span = hi - lo + 1;
    const auto at = static_cast<double>(q.after->id);
    double share = q.order.descending ? (hi - at + 1) / span : (at - lo + 1) / span;
    share = std::clamp(share, 0.0, 1.0);
    out.before = static_cast<std::uint64_t>(std::llround(est * share));
  }
  return out;
}

}  // namespace

result<row_count> count_rows(connection& c, const std::string& table,
                             const config::resource_def& r, const page_query& q, count_mode mode,
                             std::uint64_t exact_max) {
  auto parts = plan_count(query_dialect(), r, q);
  if (!parts) return parts.error();
  const int next = static_cast<int>(parts->params.size()) + 1;
  if (mode == count_mode::exact) {
    auto n = two_ints(c, count_sql(*parts, table + parts->where), parts->params, {});
    if (!n) return n.error();
    return row_count{static_cast<std::uint64_t>(n->first), static_cast<std::uint64_t>(n->second),
                     true};
  }
  if (mode == count_mode::estimated) {
    // Exact while the rows are few: a count that stops after exact_max + 1.
    const auto bound = static_cast<std::int64_t>(std::min<std::uint64_t>(exact_max, INT64_MAX - 1));
    const std::string columns =
        parts->order_column.empty() ? "id" : "id, " + parts->order_column;
    const std::string source =
        fmt::format("(SELECT {} FROM {}{} LIMIT ?{})", columns, table, parts->where, next);
    auto n = two_ints(c, count_sql(*parts, source), parts->params, {bound + 1});
    if (!n) return n.error();
    if (n->first <= bound) {
      return row_count{static_cast<std::uint64_t>(n->first),
                       static_cast<std::uint64_t>(n->second), true};
    }
    auto est = estimate(c, table, r, q);
    if (!est) return est;
    // More than exact_max rows are known to be there.
    est->total = std::max<std::uint64_t>(est->total, static_cast<std::uint64_t>(bound) + 1);
    est->before = std::min(est->before, est->total);
    return est;
  }
  return estimate(c, table, r, q);
}

}  // namespace sluice::store::sqlite

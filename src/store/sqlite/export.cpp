#include "store/sqlite/export.hpp"

#include <fmt/format.h>

#include <limits>

#include "core/clock.hpp"
#include "model/row_format.hpp"

namespace sluice::store::sqlite {
namespace {

constexpr std::size_t k_chunk = 64 * 1024;

// The CSV columns: text as stored, booleans as true/false, numbers in the
// PostgreSQL float8 form (sluice_number), so both stores write the same bytes.
std::string csv_columns(const config::resource_def& r) {
  std::string cols = "id, message_id, received_at, stored_at";
  for (const auto& f : r.fields) {
    switch (f.type) {
      case config::field_type::boolean:
        cols += fmt::format(
            ", CASE WHEN {0} IS NULL THEN NULL WHEN {0} THEN 'true' ELSE "
            "'false' END",
            f.name);
        break;
      case config::field_type::number:
        cols +=
            fmt::format(", CASE WHEN {0} IS NULL THEN NULL ELSE sluice_number({0}) END", f.name);
        break;
      default:
        cols += ", " + f.name;
    }
  }
  return cols;
}

}  // namespace

result<export_result> export_rows(sluice::sqlite::connection& c, const std::string& table,
                                  const config::resource_def& r, const std::string& row_json,
                                  const export_query& q, const export_sink& sink) {
  const bool csv = q.format == export_format::csv;
  const std::string sql = fmt::format(
      "SELECT {} FROM {} WHERE received_at >= ?1 AND received_at < ?2 AND id > ?3 ORDER BY id",
      csv ? csv_columns(r) : "id, " + row_json, table);
  auto s = c.prepare(sql);
  if (!s) return errc::unavailable;
  s->bind_text(1, format_rfc3339_us(q.since_us));
  s->bind_text(2, format_rfc3339_us(q.until_us));
  s->bind(3, q.after.value_or(std::numeric_limits<std::int64_t>::min()));
  const int columns = csv ? 4 + static_cast<int>(r.fields.size()) : 2;

  std::string buf;
  buf.reserve(k_chunk + 4096);
  if (csv) {
    buf += model::csv_header(model::row_columns(r), "\n");
  }
  export_result out;
  for (;;) {
    auto row = s->step();
    if (!row) return errc::unavailable;
    if (!*row) break;
    out.last_id = s->int64_at(0);
    ++out.rows;
    if (csv) {
      for (int i = 0; i < columns; ++i) {
        if (i > 0) buf += ',';
        if (!s->is_null_at(i)) model::append_csv_field(buf, s->text_view_at(i));
      }
    } else {
      buf += s->text_view_at(1);
    }
    buf += '\n';
    if (buf.size() >= k_chunk) {
      if (!sink(buf)) return errc::unavailable;
      buf.clear();
    }
  }
  if (!buf.empty() && !sink(buf)) return errc::unavailable;
  return out;
}

}  // namespace sluice::store::sqlite

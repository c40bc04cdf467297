#include "store/ddl.hpp"

#include <fmt/format.h>

namespace sluice::store {

std::string check_sql(const sql_dialect& d, const config::field_def& f) {
  std::string c;
  auto add = [&](const std::string& cond) {
    c += d.checks_admit_null ? fmt::format(" CHECK ({} IS NULL OR {})", f.name, cond)
                             : fmt::format(" CHECK ({})", cond);
  };
  if (d.type_checks) c += d.type_checks(f);
  if (f.min_length) add(fmt::format("{}({}) >= {}", d.length_function, f.name, *f.min_length));
  if (f.max_length) add(fmt::format("{}({}) <= {}", d.length_function, f.name, *f.max_length));
  if (f.minimum) add(fmt::format("{} >= {}", f.name, *f.minimum));
  if (f.maximum) add(fmt::format("{} <= {}", f.name, *f.maximum));
  return c;
}

std::string column_sql(const sql_dialect& d, const config::field_def& f, bool for_alter) {
  const bool not_null = f.required && !for_alter;
  return fmt::format("{} {}{}{}", f.name, d.column_type(f.type), not_null ? " NOT NULL" : "",
                     check_sql(d, f));
}

std::vector<std::string> create_table_sql(const sql_dialect& d, const std::string& table,
                                          const config::resource_def& r) {
  std::string cols;
  for (const auto& f : r.fields) cols += ", " + column_sql(d, f, false);
  std::vector<std::string> out;
  out.push_back(fmt::format("CREATE TABLE IF NOT EXISTS {} ({}{})", table, d.key_columns, cols));
  for (const auto& f : r.fields) {
    if (!f.indexed) continue;
    const bool text = f.type == config::field_type::string || f.type == config::field_type::email;
    if (text && *d.text_collation != '\0') {
      out.push_back(fmt::format("CREATE INDEX IF NOT EXISTS {0}_{1}_bytes_idx ON {0} ({1}{2}, id)",
                                table, f.name, d.text_collation));
      out.push_back(fmt::format("DROP INDEX IF EXISTS {0}_{1}_idx", table, f.name));
    } else {
      out.push_back(
          fmt::format("CREATE INDEX IF NOT EXISTS {0}_{1}_idx ON {0} ({1}, id)", table, f.name));
    }
  }
  return out;
}

}  // namespace sluice::store

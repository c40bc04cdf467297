#include "store/postgres/pg_count.hpp"

#include <fmt/format.h>

#include <charconv>

namespace sluice::store::pg {

std::string count_sql(const std::string& before, const std::string& source) {
  if (before.empty()) return "SELECT count(*), 0 FROM " + source;
  return fmt::format("SELECT count(*), count(CASE WHEN {} THEN 1 END) FROM {}", before, source);
}

std::optional<double> plan_rows(std::string_view explain_json) {
  constexpr std::string_view key = "\"Plan Rows\":";
  auto at = explain_json.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  auto rest = explain_json.substr(at + key.size());
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n')) rest.remove_prefix(1);
  double rows = 0;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), rows);
  if (ec != std::errc{} || rows < 0) return std::nullopt;
  return rows;
}

}  // namespace sluice::store::pg

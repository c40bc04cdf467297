#include "store/postgres/pg_export.hpp"

#include <fmt/format.h>
#include <poll.h>

#include <charconv>
#include <limits>

#include "core/clock.hpp"

namespace sluice::store::pg {
namespace {

constexpr std::size_t k_chunk = 64 * 1024;

std::string ts(std::string_view col) {
  return fmt::format("to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')", col);
}

// What the SQLite store writes for the same row (export.cpp there).
std::string csv_columns(const config::resource_def& r) {
  std::string cols = "id, message_id, " + ts("received_at") + " AS received_at, " +
                     ts("stored_at") + " AS stored_at";
  for (const auto& f : r.fields) {
    switch (f.type) {
      case config::field_type::timestamp:
        cols += fmt::format(", {} AS {}", ts(f.name), f.name);
        break;
      case config::field_type::boolean:
        cols +=
            fmt::format(", CASE WHEN {0} THEN 'true' WHEN NOT {0} THEN 'false' END AS {0}", f.name);
        break;
      default:
        cols += ", " + f.name;
    }
  }
  return cols;
}

// COPY's text format escapes backslashes and control characters; JSON text
// has no raw control characters, so this undoes \\ and the letter escapes.
void unescape_text(std::string& out, std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    char ch = line[i];
    if (ch != '\\' || i + 1 == line.size()) {
      out += ch;
      continue;
    }
    char next = line[++i];
    switch (next) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      default:
        out += next;
    }
  }
}

// The leading integer of a row line (its id): CSV's first field, or the
// JSON object's "id" member, which row_json writes first.
std::optional<std::int64_t> id_of(std::string_view line, bool ndjson) {
  if (ndjson) {
    constexpr std::string_view prefix = "{\"id\":";
    if (line.substr(0, prefix.size()) != prefix) return std::nullopt;
    line.remove_prefix(prefix.size());
  }
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), id);
  if (ec != std::errc{}) return std::nullopt;
  return id;
}

bool flush_all(PGconn* pc) {
  for (int i = 0; i < 100000; ++i) {
    int r = PQflush(pc);
    if (r == 0) return true;
    if (r < 0) return false;
    pollfd fd{PQsocket(pc), POLLOUT, 0};
    if (poll(&fd, 1, 1000) < 0) return false;
  }
  return false;
}

}  // namespace

std::string export_sql(const std::string& table, const config::resource_def& r,
                       const std::string& row_json, const export_query& q) {
  const bool csv = q.format == export_format::csv;
  const std::string select = fmt::format(
      "SELECT {} FROM {} WHERE received_at >= '{}'::timestamptz AND received_at < "
      "'{}'::timestamptz AND id > {} ORDER BY id",
      csv ? csv_columns(r) : row_json, table, format_rfc3339_us(q.since_us),
      format_rfc3339_us(q.until_us), q.after.value_or(std::numeric_limits<std::int64_t>::min()));
  return fmt::format("COPY ({}) TO STDOUT WITH (FORMAT {})", select,
                     csv ? "csv, HEADER true" : "text");
}

result<export_result> copy_out(connection& c, const std::string& sql, bool ndjson,
                               const export_sink& sink) {
  PGconn* pc = c.raw();
  if (PQsendQuery(pc, sql.c_str()) != 1 || !flush_all(pc)) return errc::unavailable;
  result_ptr started(PQgetResult(pc));
  if (PQresultStatus(started.get()) != PGRES_COPY_OUT) return errc::unavailable;
  export_result out;
  std::string buf;
  buf.reserve(k_chunk + 4096);
  bool header = !ndjson;
  for (;;) {
    char* data = nullptr;
    const int n = PQgetCopyData(pc, &data, 0);  // waits for the next row
    if (n == -1) break;                         // COPY done
    if (n < 0) return errc::unavailable;
    std::string_view line(data, static_cast<std::size_t>(n));
    if (header) {
      header = false;
    } else {
      ++out.rows;
      if (auto id = id_of(line, ndjson)) out.last_id = id;
    }
    if (ndjson) {
      unescape_text(buf, line);
    } else {
      buf.append(line);
    }
    PQfreemem(data);
    if (buf.size() >= k_chunk) {
      if (!sink(buf)) return errc::unavailable;
      buf.clear();
    }
  }
  result_ptr done(PQgetResult(pc));
  if (PQresultStatus(done.get()) != PGRES_COMMAND_OK) return errc::unavailable;
  while (result_ptr extra{PQgetResult(pc)}) {
  }
  if (!buf.empty() && !sink(buf)) return errc::unavailable;
  return out;
}

}  // namespace sluice::store::pg

#include "store/postgres/pg_schema.hpp"

#include <fmt/format.h>

#include <charconv>

namespace sluice::store::pg {

using config::field_type;

const char* const migrations_ddl =
    "CREATE TABLE IF NOT EXISTS sluice_schema_migrations ("
    " scope text NOT NULL,"
    " checksum text NOT NULL,"
    " definition text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (scope, checksum))";

// message_id is text (not uuid) here: a dead letter must be writable for any
// message the broker hands over, even one whose id is malformed.
const char* const dead_letters_ddl =
    "CREATE TABLE IF NOT EXISTS sluice_dead_letters ("
    " message_id text NOT NULL,"
    " subscription text NOT NULL,"
    " topic text NOT NULL,"
    " reason text NOT NULL,"
    " attempts integer NOT NULL,"
    " body text NOT NULL,"
    " dead_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (message_id, subscription))";

// Operators' dead-letter actions (issue 14): each statement idempotent, so the
// migration record may apply them again.
const std::vector<std::string>& dead_letters_upgrade() {
  // One literal per statement (adjacent literals in a list read as a missing comma).
  static const std::vector<std::string> ddl = {
      dead_letters_ddl,
      "ALTER TABLE sluice_dead_letters ADD COLUMN IF NOT EXISTS state text NOT NULL DEFAULT 'dead'",
      "ALTER TABLE sluice_dead_letters ADD COLUMN IF NOT EXISTS redrives integer NOT NULL DEFAULT 0",
      // Issue 18: the accepting request's trace id; NULL for older dead letters.
      "ALTER TABLE sluice_dead_letters ADD COLUMN IF NOT EXISTS trace_id text",
      "CREATE INDEX IF NOT EXISTS sluice_dead_letters_subscription ON sluice_dead_letters (subscription, state)",
      std::string("CREATE TABLE IF NOT EXISTS sluice_message_events (") +
          " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY," +
          " message_id text NOT NULL, subscription text NOT NULL, event text NOT NULL," +
          " at timestamptz NOT NULL, reason text NOT NULL DEFAULT ''," +
          " attempts integer NOT NULL DEFAULT 0)",
      "CREATE INDEX IF NOT EXISTS sluice_message_events_message ON sluice_message_events (message_id, seq)",
  };
  return ddl;
}

const char* const versions_ddl =
    "CREATE TABLE IF NOT EXISTS sluice_versions ("
    " tbl text PRIMARY KEY,"
    " version bigint NOT NULL)";

const char* const version_bump_sql =
    "INSERT INTO sluice_versions (tbl, version) VALUES ($1::text, 1) "
    "ON CONFLICT (tbl) DO UPDATE SET version = sluice_versions.version + 1 RETURNING version";

const char* const version_read_sql = "SELECT version FROM sluice_versions WHERE tbl = $1::text";

// 0x736c75696365 is "sluice" in ASCII: one fixed key for every process.
const char* const migrate_lock_sql = "SELECT pg_advisory_xact_lock(126913749918053)";

// 0x736c7563 is "sluc".
const char* const outcome_lock_sql =
    "SELECT count(*) FROM (SELECT pg_advisory_xact_lock(1936487779, k) FROM "
    "(SELECT DISTINCT hashtext(m) AS k FROM unnest($1::text[]) AS m ORDER BY k) o) l";

namespace {

const char* sql_type(field_type t) {
  switch (t) {
    case field_type::integer:
      return "bigint";
    case field_type::number:
      return "double precision";
    case field_type::boolean:
      return "boolean";
    case field_type::timestamp:
      return "timestamptz";
    case field_type::string:
    case field_type::email:
      return "text";
  }
  return "text";
}

}  // namespace

const sluice::store::sql_dialect& dialect() {
  static const sluice::store::sql_dialect d{
      .column_type = sql_type,
      .length_function = "char_length",
      .key_columns =
          "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
          "message_id uuid NOT NULL UNIQUE, "
          "received_at timestamptz NOT NULL, "
          "stored_at timestamptz NOT NULL DEFAULT now(), "
          "trace_id text",
      .text_collation = " COLLATE \"C\"",
  };
  return d;
}

std::string insert_sql(const std::string& table, const config::resource_def& r) {
  std::string names, arrays, selects, aliases;
  int n = 5;
  for (const auto& f : r.fields) {
    names += ", " + f.name;
    arrays += fmt::format(", ${}::{}[]", n++, sql_type(f.type));
    aliases += ", " + f.name;
    selects += ", u." + f.name;
  }
  // unnest keeps one statement (prepared once) for every batch size. The
  // NOT EXISTS guard keeps a message that was dead-lettered from also getting
  // a row on a later redelivery: one outcome per message. A redriven dead
  // letter lets the redrive's delivery in.
  return fmt::format(
      "INSERT INTO {0} (message_id, received_at, trace_id{1}) "
      "SELECT u.message_id, timestamptz 'epoch' + u.received_us * interval '1 microsecond', "
      "u.trace_id{2} "
      "FROM unnest($1::uuid[], $2::bigint[], $4::text[]{3}) AS u(message_id, received_us, "
      "trace_id{4}) "
      "WHERE NOT EXISTS (SELECT 1 FROM sluice_dead_letters d "
      "WHERE d.message_id = u.message_id::text AND d.subscription = $3 AND d.state <> 'redriven') "
      "ON CONFLICT (message_id) DO NOTHING RETURNING message_id::text",
      table, names, selects, arrays, aliases);
}

std::string dead_letter_sql(const std::string& table) {
  return fmt::format(
      "INSERT INTO sluice_dead_letters (message_id, subscription, topic, reason, attempts, body, "
      "trace_id) SELECT $1, $2, $3, $4, $5, $6, $8 "
      "WHERE NOT EXISTS (SELECT 1 FROM {} WHERE message_id = $7::uuid) "
      "ON CONFLICT (message_id, subscription) DO UPDATE SET state = 'dead', "
      "reason = EXCLUDED.reason, attempts = EXCLUDED.attempts, body = EXCLUDED.body, "
      "dead_at = now(), trace_id = coalesce(sluice_dead_letters.trace_id, EXCLUDED.trace_id) "
      "WHERE sluice_dead_letters.state = 'redriven'",
      table);
}

namespace {

std::string utc_text(const std::string& col) {
  return fmt::format("to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')", col);
}

// One member's value as JSON text.
std::string member_value(const config::resource_def& r, const std::string& column) {
  if (column == "id") return "id";
  if (column == "message_id") return "'\"' || message_id || '\"'";
  if (column == "received_at" || column == "stored_at") return "'\"' || " + utc_text(column) + " || '\"'";
  const config::field_def* f = r.find(column);
  std::string v = f != nullptr && f->type == field_type::timestamp ? utc_text(column) : column;
  return fmt::format("coalesce(to_json({})::text, 'null')", v);
}

std::string placeholder(int n, const config::field_def* f) {
  return fmt::format("${}::{}", n, f == nullptr ? "bigint" : sql_type(f->type));
}

std::string sort_value(const config::field_def& f) {
  return f.type == field_type::timestamp ? utc_text(f.name) : f.name;
}

}  // namespace

std::string row_json_sql(const config::resource_def& r, const std::vector<std::string>& columns) {
  if (columns.empty()) return row_json_sql(r);
  // Built as text rather than with json_build_object, whose output has
  // spaces around ':' — both stores serve the same bytes.
  std::string e;
  for (const auto& c : columns) {
    e += fmt::format("{}'{}\"{}\":' || {}", e.empty() ? "" : " || ", e.empty() ? "{" : ",", c,
                     member_value(r, c));
  }
  return e + " || '}'";
}

std::string row_json_sql(const config::resource_def& r) {
  return row_json_sql(r, row_object_columns(r));
}

const sluice::store::query_dialect& query_dialect() {
  static const sluice::store::query_dialect d{
      .placeholder = placeholder,
      // Bytewise, as SQLite's BINARY: the (f, id) indexes of text fields are
      // built with it (store/ddl.cpp), so comparisons and orders use them.
      .text_collation = " COLLATE \"C\"",
      .glob = false,
      .sort_value = sort_value,
      .row_json = row_json_sql,  // the member's type picks the two-argument overload
  };
  return d;
}

void append_array_element(std::string& out, const model::value& v) {
  char buf[64];
  switch (v.index()) {
    case 0:
      out += "NULL";
      return;
    case 1: {
      auto r = std::to_chars(buf, buf + sizeof buf, std::get<std::int64_t>(v));
      out.append(buf, r.ptr);
      return;
    }
    case 2: {
      // Shortest text that reads back as the same double.
      auto r = std::to_chars(buf, buf + sizeof buf, std::get<double>(v));
      out.append(buf, r.ptr);
      return;
    }
    case 3:
      out += std::get<bool>(v) ? 't' : 'f';
      return;
    default: {
      const auto& s = std::get<std::string>(v);
      out += '"';
      for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
  }
}

std::string param_text(const model::value& v) {
  char buf[64];
  switch (v.index()) {
    case 1:
      return std::string(buf, std::to_chars(buf, buf + sizeof buf, std::get<std::int64_t>(v)).ptr);
    case 2:
      return std::string(buf, std::to_chars(buf, buf + sizeof buf, std::get<double>(v)).ptr);
    case 3:
      return std::get<bool>(v) ? "true" : "false";
    case 4:
      return std::get<std::string>(v);
    default:
      return {};
  }
}

bool looks_like_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace sluice::store::pg

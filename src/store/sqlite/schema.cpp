#include "store/sqlite/schema.hpp"

#include <fmt/format.h>

#include "model/row_format.hpp"

namespace sluice::store::sqlite {

using config::field_type;

const char* const versions_ddl =
    "CREATE TABLE IF NOT EXISTS sluice_versions ("
    " tbl TEXT PRIMARY KEY,"
    " version INTEGER NOT NULL) WITHOUT ROWID";

const char* const dead_letters_ddl =
    "CREATE TABLE IF NOT EXISTS sluice_dead_letters ("
    " message_id TEXT NOT NULL,"
    " subscription TEXT NOT NULL,"
    " topic TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " attempts INTEGER NOT NULL,"
    " body TEXT NOT NULL,"
    " dead_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    " trace_id TEXT,"
    " PRIMARY KEY (message_id, subscription)) WITHOUT ROWID";

namespace {

const char* sql_type(field_type t) {
  switch (t) {
    case field_type::integer:
    case field_type::boolean:
      return "INTEGER";
    case field_type::number:
      return "REAL";
    default:
      return "TEXT";
  }
}

// Storage is dynamically typed: the column's type is only an affinity, so the
// type itself is checked (a NULL passes: the field is optional).
std::string type_checks(const config::field_def& f) {
  if (f.type == field_type::boolean)
    return fmt::format(" CHECK ({0} IS NULL OR {0} IN (0, 1))", f.name);
  if (f.type == field_type::integer) {
    return fmt::format(" CHECK ({0} IS NULL OR typeof({0}) = 'integer')", f.name);
  }
  return "";
}

}  // namespace

const sluice::store::sql_dialect& dialect() {
  static const sluice::store::sql_dialect d{
      .column_type = sql_type,
      .length_function = "length",
      .key_columns =
          "id INTEGER PRIMARY KEY AUTOINCREMENT, "
          "message_id TEXT NOT NULL UNIQUE, "
          "received_at TEXT NOT NULL, "
          "stored_at TEXT NOT NULL, "
          "trace_id TEXT",
      .checks_admit_null = true,
      .type_checks = type_checks,
  };
  return d;
}

std::string insert_sql(const std::string& table, const config::resource_def& r) {
  std::string names, params;
  int n = 6;
  for (const auto& f : r.fields) {
    names += ", " + f.name;
    params += fmt::format(", ?{}", n++);
  }
  // The NOT EXISTS guard keeps a message that was dead-lettered (or
  // discarded) from also getting a row on a later redelivery: one outcome per
  // message. A redriven dead letter lets the redrive's delivery in.
  return fmt::format(
      "INSERT INTO {0} (message_id, received_at, stored_at, trace_id{1}) "
      "SELECT ?1, ?2, ?4, ?5{2} "
      "WHERE NOT EXISTS (SELECT 1 FROM sluice_dead_letters "
      "WHERE message_id = ?1 AND subscription = ?3 AND state <> 'redriven') "
      "ON CONFLICT (message_id) DO NOTHING",
      table, names, params);
}

namespace {

std::string member_sql(const config::resource_def& r, const std::string& column) {
  const config::field_def* f = r.find(column);
  if (f != nullptr && f->type == field_type::boolean) {
    return fmt::format(
        "'{0}', json(CASE WHEN {0} IS NULL THEN 'null' WHEN {0} THEN 'true' ELSE 'false' END)",
        f->name);
  }
  if (f != nullptr && f->type == field_type::number) {
    // SQLite's own REAL to text keeps 15 significant digits; PostgreSQL's
    // float8 output is exact. Both serve model::number_text's form.
    return fmt::format("'{0}', json(sluice_number({0}))", f->name);
  }
  return fmt::format("'{0}', {0}", column);
}

std::string placeholder(int n, const config::field_def* /*field*/) {
  return "?" + std::to_string(n);
}

std::string sort_value(const config::field_def& f) {
  return f.name;
}

}  // namespace

std::string row_json_sql(const config::resource_def& r, const std::vector<std::string>& columns) {
  if (columns.empty()) return row_json_sql(r);
  std::string members;
  for (const auto& c : columns) members += (members.empty() ? "" : ", ") + member_sql(r, c);
  return "json_object(" + members + ")";
}

std::string row_json_sql(const config::resource_def& r) {
  return row_json_sql(r, row_object_columns(r));
}

const sluice::store::query_dialect& query_dialect() {
  static const sluice::store::query_dialect d{
      .placeholder = placeholder,
      .text_collation = "",
      // SQLite's LIKE ignores ASCII case (unless the deprecated
      // case_sensitive_like pragma is set); GLOB is bytewise.
      .glob = true,
      .sort_value = sort_value,
      .row_json = row_json_sql,  // the member's type picks the two-argument overload
  };
  return d;
}

std::error_code define_functions(sluice::sqlite::connection& c) {
  return c.define_real_formatter("sluice_number", model::number_text);
}

}  // namespace sluice::store::sqlite

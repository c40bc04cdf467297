#pragma once
// The DDL of a resource's table, written once for every SQL store: the same
// columns (id, message_id, received_at, stored_at, trace_id, then one per field), the
// same CHECKs from the field's rules (length, range), the same (field, id)
// index per indexed field. A store says only how its dialect spells them.

#include <string>
#include <vector>

#include "config/config.hpp"

namespace sluice::store {

struct sql_dialect {
  // The column type of a field type ("bigint", "TEXT", …).
  const char* (*column_type)(config::field_type) = nullptr;
  // The function counting a string's characters ("char_length", "length").
  const char* length_function = "length";
  // The columns every table starts with, before the fields'.
  const char* key_columns = "";
  // True: each CHECK is written "(x IS NULL OR cond)" (needed where a check
  // such as typeof() would refuse NULL for an optional field).
  bool checks_admit_null = false;
  // Type checks the dialect adds (SQLite's storage is dynamically typed).
  std::string (*type_checks)(const config::field_def&) = nullptr;
  // The collation a text field's (f, id) index is built with, as page
  // queries compare text (store/query_sql.hpp: query_dialect::text_collation);
  // "" = the column's own.
  const char* text_collation = "";
};

// One column's definition. `for_alter`: for ALTER TABLE ADD COLUMN, which
// cannot add NOT NULL without a default, so a field that becomes required
// later is enforced by validation, not by the old table.
std::string column_sql(const sql_dialect& d, const config::field_def& f, bool for_alter);

// CREATE TABLE IF NOT EXISTS, then one CREATE INDEX IF NOT EXISTS per
// indexed field on (field, id): named <table>_<field>_idx, or
// <table>_<field>_bytes_idx for a text field with a text_collation (whose
// older <table>_<field>_idx, built with the column's collation, is dropped:
// no page query could use it).
std::vector<std::string> create_table_sql(const sql_dialect& d, const std::string& table,
                                          const config::resource_def& r);

// The CHECK clause of a field's rules (" CHECK (…)" per rule, or "").
std::string check_sql(const sql_dialect& d, const config::field_def& f);

}  // namespace sluice::store

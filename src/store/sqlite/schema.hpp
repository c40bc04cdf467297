#pragma once
// SQL text for a resource's table on SQLite: DDL from the resource definition
// and the statements the store prepares. Identifiers are safe to splice: the
// config admits only [a-z][a-z0-9_]* names.

#include <string>
#include <vector>

#include "config/config.hpp"

namespace sluice::store::sqlite {

// CREATE TABLE IF NOT EXISTS + CREATE INDEX IF NOT EXISTS statements.
std::vector<std::string> create_table_sql(const std::string& table,
                                          const config::resource_def& r);
// The column definition of one field, for CREATE and ALTER TABLE ADD COLUMN.
std::string column_sql(const config::field_def& f, bool for_alter);
// INSERT … ON CONFLICT(message_id) DO NOTHING; binds ?1 message_id,
// ?2 received_at, ?3 subscription (for the dead-letter guard), ?4 stored_at,
// then the fields in order from ?5.
std::string insert_sql(const std::string& table, const config::resource_def& r);
// A json_object(...) expression producing one row as JSON text.
std::string row_json_sql(const config::resource_def& r);

extern const char* const dead_letters_ddl;
extern const char* const versions_ddl;

}  // namespace sluice::store::sqlite

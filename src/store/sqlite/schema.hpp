#pragma once
// SQL text for a resource's table on SQLite: DDL from the resource definition
// and the statements the store prepares. Identifiers are safe to splice: the
// config admits only [a-z][a-z0-9_]* names.

#include <string>
#include <system_error>
#include <vector>

#include "config/config.hpp"
#include "store/ddl.hpp"
#include "store/query_sql.hpp"
#include "sqlite/database.hpp"

namespace sluice::store::sqlite {

// How this store's SQL spells a resource's table: store/ddl.hpp writes the
// CREATE TABLE, CREATE INDEX and ADD COLUMN statements from it.
const sluice::store::sql_dialect& dialect();
// INSERT … ON CONFLICT(message_id) DO NOTHING; binds ?1 message_id,
// ?2 received_at, ?3 subscription (for the dead-letter guard), ?4 stored_at,
// ?5 trace_id (NULL when unknown), then the fields in order from ?6.
std::string insert_sql(const std::string& table, const config::resource_def& r);
// A json_object(...) expression producing one row as JSON text: every
// column (store/query_sql.hpp: row_object_columns), or only
// `columns`, in their order.
std::string row_json_sql(const config::resource_def& r);
std::string row_json_sql(const config::resource_def& r, const std::vector<std::string>& columns);
// How this store spells a page query (store/query_sql.hpp).
const sluice::store::query_dialect& query_dialect();

// Defines the SQL functions row_json_sql uses (sluice_number) on `c`.
std::error_code define_functions(sluice::sqlite::connection& c);

extern const char* const dead_letters_ddl;
extern const char* const versions_ddl;

}  // namespace sluice::store::sqlite

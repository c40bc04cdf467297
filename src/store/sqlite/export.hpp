#pragma once
// sluice export on the SQLite store (store.hpp export_rows): one stepping
// cursor over the table in id order, lines written to the sink in chunks of
// about 64 KiB, so memory stays constant whatever the range holds.

#include <string>

#include "config/config.hpp"
#include "core/result.hpp"
#include "sqlite/database.hpp"
#include "store/store.hpp"

namespace sluice::store::sqlite {

// `row_json` is the table's row expression (row_json_sql), for NDJSON.
result<export_result> export_rows(sluice::sqlite::connection& c, const std::string& table,
                                  const config::resource_def& r, const std::string& row_json,
                                  const export_query& q, const export_sink& sink);

// Appends one RFC 4180 field as PostgreSQL's COPY … (FORMAT csv) writes it:
// quoted when it is empty or holds a comma, quote, CR or LF, quotes doubled.
void append_csv_field(std::string& out, std::string_view value);

}  // namespace sluice::store::sqlite

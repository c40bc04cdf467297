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

}  // namespace sluice::store::sqlite

#pragma once
// `sluice export` (issue 14): rows of a resource's table for a warehouse load.
//   export --config F --resource users --since T --until T --format csv|ndjson
//          [--out FILE|-] [--gzip] [--after ID]
// Rows whose received_at is in [since, until), in id order, streamed with
// constant memory by the store (PostgreSQL: COPY … TO STDOUT; SQLite: a
// stepping cursor). CSV is RFC 4180 with a header line, loadable by
// PostgreSQL's COPY … FROM (FORMAT csv, HEADER) and the warehouses' CSV
// loaders. --after ID resumes past the last id an earlier run wrote (it is
// printed on stderr at the end). --gzip compresses with zlib (gzip format).

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "config/config.hpp"

namespace sluice::app {

struct export_request {
  std::string resource;
  std::string since, until;  // RFC 3339
  std::string format = "csv";
  std::string out = "-";
  bool gzip = false;
  std::optional<std::int64_t> after;
};

// 0 when every row was written; 2 with the reason on `err` for a bad request;
// 1 when the store or the output failed.
int run_export(const config::config& cfg, const export_request& req, std::ostream& err);

}  // namespace sluice::app

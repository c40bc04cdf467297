#pragma once
// Rows as text in the formats Sluice serves and exports: JSON (the stores'
// own row objects), CSV (RFC 4180) and NDJSON. One formatter for both uses:
// `sluice export` (store/sqlite/export.cpp writes its fields with
// append_csv_field; PostgreSQL's COPY … (FORMAT csv) writes the same bytes)
// and GET /v1/{resource} with Accept: text/csv | application/x-ndjson
// (api/reads.cpp turns the store's JSON page into the format asked for).
//
// A CSV value is a row's value as its JSON shows it: text as is, numbers in
// number_text's form, booleans true/false, timestamps RFC 3339 UTC with
// microseconds; NULL is an empty unquoted field and an empty text is "".
// Pure functions, thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace sluice::model {

enum class row_format { json, csv, ndjson };

// The media type a page in `f` is served as.
std::string_view media_type(row_format f);

// A number as JSON and CSV text: the shortest digits that read back as the
// same double, laid out as PostgreSQL's float8 output does (fixed for decimal
// exponents -4..14, else d.ddde±XX), so both stores serve the same bytes.
std::string number_text(double d);

// Appends one RFC 4180 field as PostgreSQL's COPY … (FORMAT csv) writes it:
// quoted when it is empty or holds a comma, quote, CR or LF, quotes doubled.
void append_csv_field(std::string& out, std::string_view value);

// The columns of a resource's rows, in CSV order: id, message_id,
// received_at, stored_at, then the fields.
std::vector<std::string> row_columns(const config::resource_def& r);

// The CSV header line of `columns`, ended by `line_end`.
std::string csv_header(const std::vector<std::string>& columns, std::string_view line_end);

// Converts a JSON array of flat row objects (a store page) into `f`:
//   csv    — csv_header(columns) then one line per row, values by column
//            name (a column the object lacks is NULL), each line ended by
//            `line_end` ("\r\n" over HTTP, RFC 4180; "\n" as COPY writes);
//   ndjson — each element's JSON text verbatim, one per line ("\n"; a raw
//            line break between its tokens becomes a space);
//   json   — the array unchanged.
// False (and `out` unspecified) when `json_array` is not an array of objects.
bool format_rows(row_format f, const std::vector<std::string>& columns,
                 std::string_view json_array, std::string_view line_end, std::string& out);

}  // namespace sluice::model

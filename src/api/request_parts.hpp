#pragma once
// The typed parts of a request that handlers read from its headers and body:
// each a pure function of text, so that it is tested by tables
// (tests/unit/request_parts_test.cpp) and handlers stay thin.

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "model/row_format.hpp"

namespace sluice::api {

// Content-Type of a POST: application/json or application/x-ndjson (also
// application/ndjson), case-insensitive, with no charset or charset=utf-8.
enum class body_format { json, ndjson, unsupported };
body_format format_of(std::string_view content_type);

// `Prefer` (RFC 7240): the tokens this API understands. Unknown tokens and
// malformed wait values are ignored, as the RFC asks.
// count=exact|planned|estimated (GET pages, PostgREST's spelling): how the
// total behind Content-Range is counted; another value is ignored.
enum class count_preference { exact, planned, estimated };
std::string_view to_string(count_preference c);
struct preferences {
  std::optional<unsigned> wait;  // wait=N seconds, clamped to the maximum given
  std::optional<count_preference> count;
};
preferences parse_prefer(std::string_view prefer, unsigned max_wait_seconds);

// Accept (RFC 9110 §12.5.1) of GET /v1/{resource}: the row format to serve.
// application/json, text/csv and application/x-ndjson (or application/ndjson)
// are offered; the range with the highest q wins, a more specific range over
// a wildcard on a tie, then JSON, CSV, NDJSON in that order. An absent or
// empty Accept is JSON; nullopt when nothing offered is acceptable (406).
std::optional<model::row_format> row_format_of(std::string_view accept);

// Idempotency-Key: 1 to 255 visible ASCII characters.
bool valid_idempotency_key(std::string_view key);

// If-None-Match (RFC 9110 §13.1.2): true when `etag` (a strong validator, with
// its quotes) matches, by weak comparison, any tag of the list, or for "*".
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// One JSON document parsed strictly, in one pass: nested at most `max_depth`
// levels and with no key repeated within an object (parsers keep the last
// value silently; this API refuses it). Exactly one of: `error` set (malformed,
// too deep, trailing data), `duplicate_key` set, or `value` the document.
struct strict_json {
  boost::json::value value;
  boost::system::error_code error;
  std::optional<std::string> duplicate_key;
};
strict_json parse_strict_json(std::string_view text, std::size_t max_depth);

}  // namespace sluice::api

#pragma once
// The typed parts of a request that handlers read from its headers and body:
// each a pure function of text, so that it is tested by tables
// (tests/unit/request_parts_test.cpp) and handlers stay thin.

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sluice::api {

// Content-Type of a POST: application/json or application/x-ndjson (also
// application/ndjson), case-insensitive, with no charset or charset=utf-8.
enum class body_format { json, ndjson, unsupported };
body_format format_of(std::string_view content_type);

// `Prefer` (RFC 7240): the tokens this API understands. Unknown tokens and
// malformed wait values are ignored, as the RFC asks.
struct preferences {
  std::optional<unsigned> wait;  // wait=N seconds, clamped to the maximum given
};
preferences parse_prefer(std::string_view prefer, unsigned max_wait_seconds);

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

#pragma once
// Strict validation of JSON records against a resource definition: unknown
// fields are refused, types must match exactly, strings must be valid UTF-8
// within their length rules, emails must look like addr-spec, numbers within
// range, timestamps RFC 3339.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "config/config.hpp"
#include "model/record.hpp"

namespace sluice::model {

// One thing wrong with the input, located by an RFC 6901 JSON pointer
// (e.g. "/0/email" for the first record of an array).
struct problem {
  std::string pointer;
  std::string detail;
};

// Validates one JSON value that must be an object of `resource`. On success
// fills `out` and returns true; otherwise appends to `problems` (pointers are
// prefixed with `pointer_prefix`) and returns false.
bool validate(const config::resource_def& resource, const boost::json::value& input,
              std::string_view pointer_prefix, record& out, std::vector<problem>& problems);

// The canonical JSON text of a validated record (fields in resource order,
// absent optional fields omitted). Used as the message body.
std::string to_json(const config::resource_def& resource, const record& r);

// Individual checks, exposed for tests and for query-parameter parsing.
bool is_valid_utf8(std::string_view s);
std::size_t utf8_length(std::string_view s);  // code points; REQUIRES: valid UTF-8
bool is_valid_email(std::string_view s);
// Parses RFC 3339 (e.g. 2026-11-29T09:00:00Z, offsets and fractions allowed)
// and returns it normalised to UTC with microseconds: 2026-11-29T09:00:00.000000Z.
bool normalize_timestamp(std::string_view s, std::string& out);
// An RFC 3339 timestamp as microseconds since the Unix epoch (UTC), or
// nullopt when normalize_timestamp refuses it.
std::optional<std::int64_t> timestamp_micros(std::string_view s);

// Converts a query-string literal to a field's value (for filters such as
// ?email=eq.a@b.c). Returns false with `error` set when it does not parse.
bool parse_literal(const config::field_def& field, std::string_view text, value& out,
                   std::string& error);

}  // namespace sluice::model

#pragma once
// RFC 9457 problem details: every error Sluice answers is one of these, as
// application/problem+json, with the offending field as a JSON pointer where
// there is one.

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace sluice::http {

struct field_error {
  std::string pointer;  // RFC 6901, e.g. "/0/email"
  std::string detail;
};

// {"type":"about:blank","title":<reason phrase>,"status":…,"detail":…,"errors":[…]}
// followed by the members of `extra` (RFC 9457 extension members). Text from
// a client is made valid UTF-8 first, so every error body is valid JSON.
response problem(unsigned status, std::string_view detail,
                 const std::vector<field_error>& errors = {}, const boost::json::object& extra = {});

// The standard reason phrase ("Unprocessable Content" for 422, …).
std::string_view reason_phrase(unsigned status);

}  // namespace sluice::http
